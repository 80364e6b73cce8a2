import fc from 'fast-check';
import { verifyEksToken } from '../../../emulator/kubernetes/token-verifier';
import {
  CLUSTER_ID_HEADER,
  createEksToken,
  decodeEksToken,
  EKS_TOKEN_PREFIX,
  EksTokenDecodeError,
} from '../../../lambda/kubernetes/token';

/**
 * Published vectors: aws-iam-authenticator pkg/token/token_test.go TestGetWithSTS (commit
 * 0acabd19) and the npm package aws-eks-token's test/index.test.js (commit 1937b9b1).
 */
const VECTORS = [
  {
    id: 'aws-iam-authenticator TestGetWithSTS',
    clusterName: 'test-cluster',
    region: 'us-west-2',
    credentials: { accessKeyId: 'ASIAR2TG44V6AS3ZZE7C', secretAccessKey: '4KD5cntGcVmLWRdF5wvNRuzNL5Qxmp6OKVY6Fz/Q' },
    now: new Date(1682640000 * 1000),
    expectedToken:
      'k8s-aws-v1.aHR0cHM6Ly9zdHMudXMtd2VzdC0yLmFtYXpvbmF3cy5jb20vP0FjdGlvbj1HZXRDYWxsZXJJZGVudGl0eSZWZXJzaW9uPTIwMTEtMDYtMTUmWC1BbXotQWxnb3JpdGhtPUFXUzQtSE1BQy1TSEEyNTYmWC1BbXotQ3JlZGVudGlhbD1BU0lBUjJURzQ0VjZBUzNaWkU3QyUyRjIwMjMwNDI4JTJGdXMtd2VzdC0yJTJGc3RzJTJGYXdzNF9yZXF1ZXN0JlgtQW16LURhdGU9MjAyMzA0MjhUMDAwMDAwWiZYLUFtei1FeHBpcmVzPTYwJlgtQW16LVNpZ25lZEhlYWRlcnM9aG9zdCUzQngtazhzLWF3cy1pZCZYLUFtei1TaWduYXR1cmU9ZTIxMWRiYTc3YWJhOWRjNDRiMGI2YmUzOGI4ZWFhZDA5MjU5OWM1MTU3ZjYzMTQ0NDRjNWI5ZDg1NzQ3ZjVjZQ',
    expectedUrl:
      'https://sts.us-west-2.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAR2TG44V6AS3ZZE7C%2F20230428%2Fus-west-2%2Fsts%2Faws4_request&X-Amz-Date=20230428T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Signature=e211dba77aba9dc44b0b6be38b8eaad092599c5157f6314444c5b9d85747f5ce',
  },
  {
    id: 'aws-eks-token (npm) renew_token',
    clusterName: 'eks-cluster',
    region: 'us-west-2',
    credentials: { accessKeyId: 'AKID', secretAccessKey: 'SECRET' },
    now: new Date('2020-09-30T09:37:26Z'),
    expectedToken:
      'k8s-aws-v1.aHR0cHM6Ly9zdHMudXMtd2VzdC0yLmFtYXpvbmF3cy5jb20vP0FjdGlvbj1HZXRDYWxsZXJJZGVudGl0eSZWZXJzaW9uPTIwMTEtMDYtMTUmWC1BbXotQWxnb3JpdGhtPUFXUzQtSE1BQy1TSEEyNTYmWC1BbXotQ3JlZGVudGlhbD1BS0lEJTJGMjAyMDA5MzAlMkZ1cy13ZXN0LTIlMkZzdHMlMkZhd3M0X3JlcXVlc3QmWC1BbXotRGF0ZT0yMDIwMDkzMFQwOTM3MjZaJlgtQW16LUV4cGlyZXM9NjAmWC1BbXotU2lnbmVkSGVhZGVycz1ob3N0JTNCeC1rOHMtYXdzLWlkJlgtQW16LVNpZ25hdHVyZT1mZjFjODljMTZmMjUyNzVmOGE0YzczMTE2NzhmNDQ3NzIyNjQ2ZDY0MzU4ODg1NGExMTRkMTY4YjA2MmM0YmYw',
    expectedUrl:
      'https://sts.us-west-2.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20200930%2Fus-west-2%2Fsts%2Faws4_request&X-Amz-Date=20200930T093726Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Signature=ff1c89c16f25275f8a4c7311678f447722646d643588854a114d168b062c4bf0',
  },
];

const SIGNER = { accessKeyId: 'AKIAEXAMPLEOPERATOR1', secretAccessKey: 'operator/secret+key=' };
const FIXED_NOW = new Date('2024-04-11T20:45:56Z');

describe('createEksToken', () => {
  it.each(VECTORS)('reproduces the $id vector byte for byte', async (vector) => {
    // Prepare
    const request = { clusterName: vector.clusterName, region: vector.region, credentials: vector.credentials };

    // Act
    const { token } = await createEksToken({ ...request, now: () => vector.now });

    // Assess
    expect(token).toBe(vector.expectedToken);
    expect(decodeEksToken(token).href).toBe(vector.expectedUrl);
  });

  it('encodes without padding and in the URL-safe alphabet', async () => {
    const { token } = await createEksToken({ clusterName: 'eks-workshop', region: 'us-west-2', credentials: SIGNER, now: () => FIXED_NOW });

    const payload = token.slice(EKS_TOKEN_PREFIX.length);
    expect(token.startsWith(EKS_TOKEN_PREFIX)).toBe(true);
    expect(payload).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('expires 14 minutes after signing, like aws eks get-token', async () => {
    const { expiresAt } = await createEksToken({ clusterName: 'c', region: 'eu-west-1', credentials: SIGNER, now: () => FIXED_NOW });

    expect(expiresAt.getTime() - FIXED_NOW.getTime()).toBe(14 * 60_000);
  });

  it('uses the regional STS host of the requested region', async () => {
    const { token } = await createEksToken({ clusterName: 'c', region: 'eu-central-1', credentials: SIGNER, now: () => FIXED_NOW });

    const url = decodeEksToken(token);
    expect(url.host).toBe('sts.eu-central-1.amazonaws.com');
    expect(url.searchParams.get('X-Amz-Credential')).toBe(`${SIGNER.accessKeyId}/20240411/eu-central-1/sts/aws4_request`);
  });

  it('carries the session token of temporary credentials inside the signature', async () => {
    const temporary = { ...SIGNER, sessionToken: 'FwoGZXIvYXdzEBY/session+token==' };

    const withSession = decodeEksToken(
      (await createEksToken({ clusterName: 'c', region: 'us-west-2', credentials: temporary, now: () => FIXED_NOW })).token,
    );
    const withoutSession = decodeEksToken(
      (await createEksToken({ clusterName: 'c', region: 'us-west-2', credentials: SIGNER, now: () => FIXED_NOW })).token,
    );

    expect(withSession.searchParams.get('X-Amz-Security-Token')).toBe(temporary.sessionToken);
    expect(withSession.search).toContain('X-Amz-Security-Token=FwoGZXIvYXdzEBY%2Fsession%2Btoken%3D%3D');
    expect(withSession.searchParams.get('X-Amz-Signature')).not.toBe(withoutSession.searchParams.get('X-Amz-Signature'));
    expect(withoutSession.searchParams.has('X-Amz-Security-Token')).toBe(false);
  });

  it('accepts a credential provider and binds the token to the cluster name', async () => {
    const provider = jest.fn(async () => SIGNER);

    const a = await createEksToken({ clusterName: 'cluster-a', region: 'us-west-2', credentials: provider, now: () => FIXED_NOW });
    const b = await createEksToken({ clusterName: 'cluster-b', region: 'us-west-2', credentials: provider, now: () => FIXED_NOW });

    expect(provider).toHaveBeenCalled();
    expect(decodeEksToken(a.token).searchParams.get('X-Amz-SignedHeaders')).toBe(`host;${CLUSTER_ID_HEADER}`);
    expect(a.token).not.toBe(b.token);
  });
});

describe('decodeEksToken', () => {
  it('returns the presigned URL with the signer, scope and signed headers', async () => {
    const { token } = await createEksToken({ clusterName: 'c', region: 'ap-south-1', credentials: SIGNER, now: () => FIXED_NOW });

    const url = decodeEksToken(token);

    expect(url.pathname).toBe('/');
    expect(url.searchParams.get('Action')).toBe('GetCallerIdentity');
    expect(url.searchParams.get('X-Amz-Credential')).toBe(`${SIGNER.accessKeyId}/20240411/ap-south-1/sts/aws4_request`);
    expect(url.searchParams.get('X-Amz-Date')).toBe('20240411T204556Z');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    expect([...url.searchParams.keys()].at(-1)).toBe('X-Amz-Signature');
  });

  it.each([
    ['a foreign prefix', 'k8s-aws-v2.aGVsbG8'],
    ['padded base64', `${EKS_TOKEN_PREFIX}aGVsbG8=`],
    ['standard base64 alphabet', `${EKS_TOKEN_PREFIX}a+b/`],
  ])('refuses %s', (_label, token) => {
    expect(() => decodeEksToken(token)).toThrow(EksTokenDecodeError);
  });
});

/** Cross-check with the emulator's independent verifier (aws-iam-authenticator rules + STS signature). */
describe('tokens as an authenticator sees them', () => {
  const principals = [{ ...SIGNER, arn: 'arn:aws:iam::123456789012:role/node-join-remediator' }];
  const sign = (clusterName: string, credentials = SIGNER) =>
    createEksToken({ clusterName, region: 'us-west-2', credentials, now: () => FIXED_NOW });

  it('are accepted for the cluster they were signed for', async () => {
    const { token } = await sign('eks-workshop');

    const verdict = await verifyEksToken(token, { clusterName: 'eks-workshop', principals, now: FIXED_NOW });

    expect(verdict).toEqual({ accepted: true, principal: principals[0] });
  });

  it.each(VECTORS)('accept the published $id token with its own key and clock', async (vector) => {
    const signer = [{ ...vector.credentials, arn: 'arn:aws:iam::123456789012:user/test' }];

    const verdict = await verifyEksToken(vector.expectedToken, { clusterName: vector.clusterName, principals: signer, now: vector.now });

    expect(verdict.accepted).toBe(true);
  });

  it('are refused for another cluster or when signed with the wrong secret', async () => {
    const { token: otherCluster } = await sign('other-cluster');
    const { token: wrongSecret } = await sign('eks-workshop', { ...SIGNER, secretAccessKey: 'not-the-secret' });

    const verdicts = await Promise.all(
      [otherCluster, wrongSecret].map((token) => verifyEksToken(token, { clusterName: 'eks-workshop', principals, now: FIXED_NOW })),
    );

    expect(verdicts.map((v) => v.accepted)).toEqual([false, false]);
  });

  it('round-trip for any cluster name, secret and session token (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^[0-9A-Za-z][A-Za-z0-9_-]{0,40}$/),
        fc.stringMatching(/^[A-Za-z0-9/+=]{1,40}$/),
        fc.option(fc.stringMatching(/^[A-Za-z0-9/+=]{1,60}$/), { nil: undefined }),
        async (clusterName, secretAccessKey, sessionToken) => {
          const credentials = { accessKeyId: 'ASIAPROPERTY', secretAccessKey, sessionToken };
          const { token } = await createEksToken({ clusterName, region: 'us-west-2', credentials, now: () => FIXED_NOW });
          const verdict = await verifyEksToken(token, {
            clusterName,
            principals: [{ accessKeyId: 'ASIAPROPERTY', secretAccessKey, arn: 'arn:aws:iam::123456789012:role/p' }],
            now: FIXED_NOW,
          });
          expect(verdict.accepted).toBe(true);
          expect(decodeEksToken(token).searchParams.get('X-Amz-Security-Token')).toBe(sessionToken ?? null);
        },
      ),
      { numRuns: 50 },
    );
  });
});
