import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { readSigV4, signatureMatches } from '../../../emulator/sigv4';

const credentials = { accessKeyId: 'AKIA5EKSWORKSHOP0002', secretAccessKey: 'the-secret' };

function querySeparated(query: Record<string, string | string[] | null> = {}): { rawQuery: string; params: URLSearchParams } {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (typeof v === 'string') params.append(k, v);
  // SigV4 clients escape with %20, not "+"
  const rawQuery = [...params.entries()].map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  return { rawQuery, params };
}

describe('emulator SigV4 verification', () => {
  it('accepts what the SDK signer signs (header auth, path with encoded characters and a query)', async () => {
    // Prepare
    const signer = new SignatureV4({ service: 'eks', region: 'us-west-2', credentials, sha256: Sha256 });
    const body = JSON.stringify({ scalingConfig: { desiredSize: 0 } });
    const signed = await signer.sign(
      new HttpRequest({
        method: 'POST',
        protocol: 'http:',
        hostname: '127.0.0.1',
        port: 4566,
        path: '/clusters/eks-workshop/access-entries/arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fx',
        query: { nodegroupName: 'new_nodegroup_2', weird: "a b!'()*" },
        headers: { host: '127.0.0.1:4566', 'content-type': 'application/json' },
        body,
      }),
    );
    const { rawQuery, params } = querySeparated(signed.query);
    const headers = Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), v]));

    // Act
    const auth = readSigV4(headers, params);
    const good = auth && signatureMatches(auth, { method: 'POST', rawPath: signed.path, rawQuery, headers, body: Buffer.from(body) }, credentials.secretAccessKey);
    const tampered = auth && signatureMatches(auth, { method: 'POST', rawPath: signed.path, rawQuery, headers, body: Buffer.from(`${body} `) }, credentials.secretAccessKey);
    const wrongKey = auth && signatureMatches(auth, { method: 'POST', rawPath: signed.path, rawQuery, headers, body: Buffer.from(body) }, 'other-secret');

    // Assess
    expect(auth?.credential).toEqual({ accessKeyId: credentials.accessKeyId, date: expect.stringMatching(/^\d{8}$/), region: 'us-west-2', service: 'eks' });
    expect(good).toBe(true);
    expect(tampered).toBe(false);
    expect(wrongKey).toBe(false);
  });

  it('accepts presigned requests (query auth), like EKS bearer tokens use', async () => {
    // Prepare
    const signer = new SignatureV4({ service: 'sts', region: 'us-west-2', credentials, sha256: Sha256 });
    const presigned = await signer.presign(
      new HttpRequest({
        method: 'GET',
        protocol: 'http:',
        hostname: '127.0.0.1',
        path: '/',
        query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
        headers: { host: '127.0.0.1:4566', 'x-k8s-aws-id': 'eks-workshop' },
      }),
      { expiresIn: 60 },
    );
    const { rawQuery, params } = querySeparated(presigned.query);
    const headers = { host: '127.0.0.1:4566', 'x-k8s-aws-id': 'eks-workshop' };

    // Act
    const auth = readSigV4(headers, params);
    const good = auth && signatureMatches(auth, { method: 'GET', rawPath: '/', rawQuery, headers, body: Buffer.alloc(0) }, credentials.secretAccessKey);
    const otherCluster = auth && signatureMatches(auth, { method: 'GET', rawPath: '/', rawQuery, headers: { ...headers, 'x-k8s-aws-id': 'other' }, body: Buffer.alloc(0) }, credentials.secretAccessKey);

    // Assess
    expect(auth?.presigned).toBe(true);
    expect(auth?.signedHeaders).toEqual(['host', 'x-k8s-aws-id']);
    expect(good).toBe(true);
    expect(otherCluster).toBe(false);
  });

  it('sees no authentication when there is none, and refuses malformed headers', () => {
    // Act
    const none = readSigV4({}, new URLSearchParams());
    const malformed = (): unknown => readSigV4({ authorization: 'AWS4-HMAC-SHA256 Credential=AKIA/20240101/us-west-2' }, new URLSearchParams());

    // Assess
    expect(none).toBeUndefined();
    expect(malformed).toThrow(/Credential/);
  });
});
