import {
  checkTokenStructure,
  MAX_TOKEN_LENGTH,
  parseAmzDate,
  verifyEksToken,
  type TokenVerificationContext,
} from '../../../../emulator/kubernetes/token-verifier';
import type { KubePrincipal } from '../../../../emulator/kubernetes/server';
import { mintEksToken, OPERATOR, presignedCallerIdentityUrl, REMEDIATOR, tokenForUrl } from './support/cluster-fixtures';

/** Published tokens (aws-iam-authenticator TestGetWithSTS; npm aws-eks-token renew_token test). */
const AUTHENTICATOR_VECTOR = {
  principal: {
    accessKeyId: 'ASIAR2TG44V6AS3ZZE7C',
    // the test suite stores it base64-encoded; decoded here to the secret it signs with
    secretAccessKey: Buffer.from('NEtENWNudEdjVm1MV1JkRjV3dk5SdXpOTDVReG1wNk9LVlk2RnovUQ==', 'base64').toString('utf8'),
    arn: 'arn:aws:iam::123456789012:role/vector-one',
  },
  clusterName: 'test-cluster',
  signedAt: new Date('2023-04-28T00:00:00Z'),
  token:
    'k8s-aws-v1.aHR0cHM6Ly9zdHMudXMtd2VzdC0yLmFtYXpvbmF3cy5jb20vP0FjdGlvbj1HZXRDYWxsZXJJZGVudGl0eSZWZXJzaW9uPTIwMTEtMDYtMTUmWC1BbXotQWxnb3JpdGhtPUFXUzQtSE1BQy1TSEEyNTYmWC1BbXotQ3JlZGVudGlhbD1BU0lBUjJURzQ0VjZBUzNaWkU3QyUyRjIwMjMwNDI4JTJGdXMtd2VzdC0yJTJGc3RzJTJGYXdzNF9yZXF1ZXN0JlgtQW16LURhdGU9MjAyMzA0MjhUMDAwMDAwWiZYLUFtei1FeHBpcmVzPTYwJlgtQW16LVNpZ25lZEhlYWRlcnM9aG9zdCUzQngtazhzLWF3cy1pZCZYLUFtei1TaWduYXR1cmU9ZTIxMWRiYTc3YWJhOWRjNDRiMGI2YmUzOGI4ZWFhZDA5MjU5OWM1MTU3ZjYzMTQ0NDRjNWI5ZDg1NzQ3ZjVjZQ',
  url: 'https://sts.us-west-2.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAR2TG44V6AS3ZZE7C%2F20230428%2Fus-west-2%2Fsts%2Faws4_request&X-Amz-Date=20230428T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Signature=e211dba77aba9dc44b0b6be38b8eaad092599c5157f6314444c5b9d85747f5ce',
};
const NPM_VECTOR = {
  principal: { accessKeyId: 'AKID', secretAccessKey: 'SECRET', arn: 'arn:aws:iam::123456789012:role/vector-two' },
  clusterName: 'eks-cluster',
  signedAt: new Date('2020-09-30T09:37:26Z'),
  token:
    'k8s-aws-v1.aHR0cHM6Ly9zdHMudXMtd2VzdC0yLmFtYXpvbmF3cy5jb20vP0FjdGlvbj1HZXRDYWxsZXJJZGVudGl0eSZWZXJzaW9uPTIwMTEtMDYtMTUmWC1BbXotQWxnb3JpdGhtPUFXUzQtSE1BQy1TSEEyNTYmWC1BbXotQ3JlZGVudGlhbD1BS0lEJTJGMjAyMDA5MzAlMkZ1cy13ZXN0LTIlMkZzdHMlMkZhd3M0X3JlcXVlc3QmWC1BbXotRGF0ZT0yMDIwMDkzMFQwOTM3MjZaJlgtQW16LUV4cGlyZXM9NjAmWC1BbXotU2lnbmVkSGVhZGVycz1ob3N0JTNCeC1rOHMtYXdzLWlkJlgtQW16LVNpZ25hdHVyZT1mZjFjODljMTZmMjUyNzVmOGE0YzczMTE2NzhmNDQ3NzIyNjQ2ZDY0MzU4ODg1NGExMTRkMTY4YjA2MmM0YmYw',
};

const NOW = new Date('2024-06-01T12:00:00Z');

function context(overrides: Partial<TokenVerificationContext> = {}): TokenVerificationContext {
  return { clusterName: 'eks-workshop', principals: [OPERATOR, REMEDIATOR], now: NOW, ...overrides };
}

async function validUrl(principal: Pick<KubePrincipal, 'accessKeyId' | 'secretAccessKey'> = OPERATOR): Promise<string> {
  return presignedCallerIdentityUrl({ clusterName: 'eks-workshop', principal, signingDate: NOW });
}

describe('verifyEksToken with published real-world tokens', () => {
  it.each([
    ['aws-iam-authenticator TestGetWithSTS', AUTHENTICATOR_VECTOR],
    ['npm aws-eks-token renew_token', NPM_VECTOR],
  ])('accepts the %s token byte for byte at its signing time', async (_name, vector) => {
    // Prepare
    const verification = context({ clusterName: vector.clusterName, principals: [OPERATOR, vector.principal], now: vector.signedAt });

    // Act
    const structure = checkTokenStructure(vector.token, verification);
    const result = await verifyEksToken(vector.token, verification);

    // Assess
    expect(structure).not.toHaveProperty('reason');
    expect(result).toEqual({ accepted: true, principal: vector.principal });
  });

  it('decodes the first vector to the published presigned URL', () => {
    // Act
    const structure = checkTokenStructure(AUTHENTICATOR_VECTOR.token, { now: AUTHENTICATOR_VECTOR.signedAt });

    // Assess
    expect(structure).toHaveProperty('url.host', 'sts.us-west-2.amazonaws.com');
    expect(Buffer.from(AUTHENTICATOR_VECTOR.token.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8')).toBe(AUTHENTICATOR_VECTOR.url);
  });

  it('mints, with the test helper, exactly the first published token (so minted tokens are real-world shaped)', async () => {
    // Act
    const token = await mintEksToken({
      clusterName: AUTHENTICATOR_VECTOR.clusterName,
      principal: AUTHENTICATOR_VECTOR.principal,
      signingDate: AUTHENTICATOR_VECTOR.signedAt,
    });

    // Assess
    expect(token).toBe(AUTHENTICATOR_VECTOR.token);
  });

  it('refuses a published token for another cluster name (the signature covers x-k8s-aws-id)', async () => {
    // Act
    const result = await verifyEksToken(
      NPM_VECTOR.token,
      context({ clusterName: 'eks-workshop', principals: [NPM_VECTOR.principal], now: NPM_VECTOR.signedAt }),
    );

    // Assess
    expect(result).toEqual({ accepted: false, reason: expect.stringContaining('signature does not match') });
  });

  it('refuses a published token 15 minutes and 1 second after its X-Amz-Date, and accepts it at exactly 15 minutes', async () => {
    // Prepare
    const at = (offsetMs: number) =>
      context({ clusterName: NPM_VECTOR.clusterName, principals: [NPM_VECTOR.principal], now: new Date(NPM_VECTOR.signedAt.getTime() + offsetMs) });

    // Act
    const atLimit = await verifyEksToken(NPM_VECTOR.token, at(15 * 60_000));
    const pastLimit = await verifyEksToken(NPM_VECTOR.token, at(15 * 60_000 + 1000));

    // Assess
    expect(atLimit.accepted).toBe(true);
    expect(pastLimit).toEqual({ accepted: false, reason: expect.stringContaining('expired') });
  });
});

describe('verifyEksToken with freshly minted tokens', () => {
  it('identifies the principal whose key signed the token', async () => {
    // Prepare
    const token = await mintEksToken({ clusterName: 'eks-workshop', principal: REMEDIATOR, signingDate: NOW });

    // Act
    const result = await verifyEksToken(token, context());

    // Assess
    expect(result).toEqual({ accepted: true, principal: REMEDIATOR });
  });

  it('accepts a token presigned with temporary credentials (X-Amz-Security-Token) and refuses it once the session token is altered', async () => {
    // Prepare
    const sessionToken = 'IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLXdlc3QtMiJHMEUCIQDexample+session/token==';
    const url = await presignedCallerIdentityUrl({ clusterName: 'eks-workshop', principal: OPERATOR, sessionToken, signingDate: NOW });
    const altered = url.replace(/X-Amz-Security-Token=[^&]+/, 'X-Amz-Security-Token=another-session');

    // Act
    const genuine = await verifyEksToken(tokenForUrl(url), context());
    const forged = await verifyEksToken(tokenForUrl(altered), context());

    // Assess
    expect(url).toContain('X-Amz-Security-Token=');
    expect(genuine).toEqual({ accepted: true, principal: OPERATOR });
    expect(forged).toEqual({ accepted: false, reason: expect.stringContaining('signature does not match') });
  });

  it('accepts a token presigned against the emulator endpoint over http only when that is the configured emulator host', async () => {
    // Prepare
    const url = await presignedCallerIdentityUrl({
      clusterName: 'eks-workshop', principal: OPERATOR, signingDate: NOW, host: '127.0.0.1:4566', protocol: 'http:',
    });

    // Act
    const asEmulatorHost = await verifyEksToken(tokenForUrl(url), context({ awsEndpointHost: '127.0.0.1:4566' }));
    const withoutEmulatorHost = await verifyEksToken(tokenForUrl(url), context());
    const otherEmulatorPort = await verifyEksToken(tokenForUrl(url), context({ awsEndpointHost: '127.0.0.1:4567' }));

    // Assess
    expect(asEmulatorHost).toEqual({ accepted: true, principal: OPERATOR });
    expect(withoutEmulatorHost).toEqual({ accepted: false, reason: 'unexpected scheme "http" in pre-signed URL' });
    expect(otherEmulatorPort.accepted).toBe(false);
  });

  it('accepts the global STS endpoint', async () => {
    // Prepare
    const token = await mintEksToken({ clusterName: 'eks-workshop', principal: OPERATOR, signingDate: NOW, host: 'sts.amazonaws.com', region: 'us-east-1' });

    // Act
    const result = await verifyEksToken(token, context());

    // Assess
    expect(result.accepted).toBe(true);
  });
});

describe('verifyEksToken refusals', () => {
  const mutations: [string, (url: string) => string, string][] = [
    ['an extra query parameter', (url) => url.replace('?', '?Extra=1&'), 'non-whitelisted query parameter "Extra"'],
    ['a duplicated parameter differing only in case', (url) => url.replace('?', '?action=GetCallerIdentity&'), 'duplicate query parameter "Action"'],
    ['a host outside STS', (url) => url.replace('sts.us-west-2.amazonaws.com', 'sts.us-west-2.amazonaws.com.evil.example'), 'unexpected hostname'],
    ['http to STS', (url) => url.replace('https://', 'http://'), 'unexpected scheme "http"'],
    ['a path other than /', (url) => url.replace('.com/?', '.com/other?'), 'unexpected path'],
    ['another action', (url) => url.replace('Action=GetCallerIdentity', 'Action=AssumeRole'), 'unexpected action'],
    ['x-k8s-aws-id not signed', (url) => url.replace('X-Amz-SignedHeaders=host%3Bx-k8s-aws-id', 'X-Amz-SignedHeaders=host'), 'did not sign the x-k8s-aws-id header'],
    ['X-Amz-Expires above 900', (url) => url.replace('X-Amz-Expires=60', 'X-Amz-Expires=901'), 'invalid X-Amz-Expires'],
    ['a tampered signature', (url) => url.replace(/X-Amz-Signature=(.)/, (_all, first: string) => `X-Amz-Signature=${first === 'a' ? 'b' : 'a'}`), 'signature does not match'],
    ['an unknown access key id', (url) => url.replace(OPERATOR.accessKeyId, 'AKIAUNKNOWNKEY000000'), 'unknown access key id AKIAUNKNOWNKEY000000'],
    ['a credential scope for another service', (url) => url.replace('%2Fsts%2F', '%2Fs3%2F'), 'malformed X-Amz-Credential'],
  ];

  it.each(mutations)('refuses %s', async (_name, mutate, reason) => {
    // Prepare
    const url = await validUrl();
    const token = tokenForUrl(mutate(url));

    // Act
    const result = await verifyEksToken(token, context());

    // Assess
    expect(mutate(url)).not.toBe(url);
    expect(result).toEqual({ accepted: false, reason: expect.stringContaining(reason) });
  });

  it('refuses base64 padding, the standard alphabet, a wrong prefix and an oversized token', async () => {
    // Prepare
    const url = await validUrl();
    const payload = Buffer.from(url, 'utf8').toString('base64url');
    const padded = `k8s-aws-v1.${Buffer.from(url, 'utf8').toString('base64')}`;
    const candidates = {
      padding: `k8s-aws-v1.${payload}${'='.repeat((4 - (payload.length % 4)) % 4 || 2)}`,
      standardAlphabet: padded,
      wrongPrefix: `k8s-aws-v2.${payload}`,
      oversized: `k8s-aws-v1.${payload}${'A'.repeat(MAX_TOKEN_LENGTH)}`,
    };

    // Act
    const results = Object.fromEntries(
      await Promise.all(Object.entries(candidates).map(async ([name, token]) => [name, await verifyEksToken(token, context())] as const)),
    );

    // Assess
    expect(candidates.standardAlphabet).toMatch(/[+/=]/);
    expect(results).toEqual({
      padding: { accepted: false, reason: 'token payload is not unpadded base64url' },
      standardAlphabet: { accepted: false, reason: 'token payload is not unpadded base64url' },
      wrongPrefix: { accepted: false, reason: 'token is missing expected "k8s-aws-v1." prefix' },
      oversized: { accepted: false, reason: 'token is too large' },
    });
  });

  it('refuses a token signed 16 minutes ago and one dated 16 minutes ahead', async () => {
    // Prepare
    const old = await mintEksToken({ clusterName: 'eks-workshop', principal: OPERATOR, signingDate: new Date(NOW.getTime() - 16 * 60_000) });
    const ahead = await mintEksToken({ clusterName: 'eks-workshop', principal: OPERATOR, signingDate: new Date(NOW.getTime() + 16 * 60_000) });

    // Act
    const results = [await verifyEksToken(old, context()), await verifyEksToken(ahead, context())];

    // Assess
    expect(results).toEqual([
      { accepted: false, reason: expect.stringContaining('expired') },
      { accepted: false, reason: expect.stringContaining('future') },
    ]);
  });

  it('refuses a token for another cluster', async () => {
    // Prepare
    const token = await mintEksToken({ clusterName: 'other-cluster', principal: OPERATOR, signingDate: NOW });

    // Act
    const result = await verifyEksToken(token, context());

    // Assess
    expect(result).toEqual({ accepted: false, reason: expect.stringContaining('another cluster') });
  });

  it('refuses a token signed with a wrong secret for a known key', async () => {
    // Prepare
    const token = await mintEksToken({
      clusterName: 'eks-workshop',
      principal: { accessKeyId: OPERATOR.accessKeyId, secretAccessKey: 'not-the-operator-secret' },
      signingDate: NOW,
    });

    // Act
    const result = await verifyEksToken(token, context());

    // Assess
    expect(result).toEqual({ accepted: false, reason: expect.stringContaining('signature does not match') });
  });
});

describe('parseAmzDate', () => {
  it.each([
    ['20230428T000000Z', '2023-04-28T00:00:00.000Z'],
    ['20240229T235959Z', '2024-02-29T23:59:59.000Z'],
    ['20230229T000000Z', undefined],
    ['2023-04-28T00:00:00Z', undefined],
    ['20230428T000000', undefined],
  ])('reads %s as %s', (text, expected) => {
    // Act
    const date = parseAmzDate(text);

    // Assess
    expect(date?.toISOString()).toBe(expected);
  });
});
