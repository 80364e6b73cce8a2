/**
 * EKS bearer tokens, byte for byte as `aws eks get-token` and aws-iam-authenticator make them:
 * `k8s-aws-v1.` + unpadded base64url of a presigned STS GetCallerIdentity URL whose signature
 * also covers the `x-k8s-aws-id: <cluster>` header (so a token is bound to one cluster).
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
export const CLUSTER_ID_HEADER = 'x-k8s-aws-id';
/** What the authenticators sign with; STS ignores it and honours the URL for 15 minutes. */
const PRESIGN_EXPIRES_SECONDS = 60;
/** `aws eks get-token` reports expiry one minute before STS stops accepting the URL. */
const TOKEN_LIFETIME_MS = 14 * 60_000;

export interface EksTokenRequest {
  clusterName: string;
  region: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** signing clock; defaults to the wall clock */
  now?: () => Date;
}

export interface EksToken {
  token: string;
  /** when callers should get a fresh token (signing time + 14 minutes) */
  expiresAt: Date;
}

export class EksTokenDecodeError extends Error {
  override readonly name = 'EksTokenDecodeError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export async function createEksToken(request: EksTokenRequest): Promise<EksToken> {
  const signingDate = (request.now ?? (() => new Date()))();
  const hostname = `sts.${request.region}.amazonaws.com`;
  const signer = new SignatureV4({
    service: 'sts',
    region: request.region,
    credentials: request.credentials,
    sha256: Sha256,
  });
  const presigned = await signer.presign(
    new HttpRequest({
      method: 'GET',
      protocol: 'https:',
      hostname,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: hostname, [CLUSTER_ID_HEADER]: request.clusterName },
    }),
    { signingDate, expiresIn: PRESIGN_EXPIRES_SECONDS },
  );
  // Signed parameters sorted, signature last: the order aws-iam-authenticator emits.
  const { 'X-Amz-Signature': signature, ...signedQuery } = presigned.query ?? {};
  const url = `https://${hostname}/?${encodeSortedQuery(signedQuery)}&X-Amz-Signature=${String(signature)}`;
  return {
    token: EKS_TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url'),
    expiresAt: new Date(signingDate.getTime() + TOKEN_LIFETIME_MS),
  };
}

/** The presigned STS URL inside a token (for tests and diagnostics; verification lives in the emulator). */
export function decodeEksToken(token: string): URL {
  if (!token.startsWith(EKS_TOKEN_PREFIX)) {
    throw new EksTokenDecodeError(`token does not start with ${EKS_TOKEN_PREFIX}`);
  }
  const encoded = token.slice(EKS_TOKEN_PREFIX.length);
  // aws-iam-authenticator decodes with RawURLEncoding: padding or other alphabets are refused.
  if (!/^[A-Za-z0-9_-]*$/.test(encoded)) {
    throw new EksTokenDecodeError('token payload is not unpadded base64url');
  }
  try {
    return new URL(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch (error) {
    throw new EksTokenDecodeError('token payload is not a URL', { cause: error });
  }
}

/** Keys sorted, RFC 3986 escaping: what Go's url.Values.Encode yields for these values. */
function encodeSortedQuery(query: Record<string, string | string[] | null>): string {
  return Object.keys(query)
    .sort()
    .flatMap((key) => {
      const value = query[key];
      const values = value === null ? [''] : Array.isArray(value) ? value : [value];
      return values.map((v) => `${rfc3986(key)}=${rfc3986(v)}`);
    })
    .join('&');
}

function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
