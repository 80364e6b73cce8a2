/**
 * Verifies EKS bearer tokens the way aws-iam-authenticator's `Verify` does (same structural
 * checks, in the same order), then does what STS would do with the presigned URL: recompute
 * its SigV4 signature with the principal's secret and this cluster's `x-k8s-aws-id`.
 */
import { timingSafeEqual } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { KubePrincipal } from './types';

export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
export const CLUSTER_ID_HEADER = 'x-k8s-aws-id';
export const MAX_TOKEN_LENGTH = 4096;
/** STS honours a presigned GetCallerIdentity URL for 15 minutes after X-Amz-Date, whatever X-Amz-Expires says. */
export const PRESIGNED_URL_LIFETIME_MS = 15 * 60_000;
const MAX_EXPIRES_SECONDS = 900;

const ALLOWED_QUERY_PARAMETERS = new Set([
  'action',
  'version',
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-security-token',
  'x-amz-signature',
  'x-amz-signedheaders',
]);
/** The only headers a verifier sends to STS that a client can have signed. */
const REPRODUCIBLE_SIGNED_HEADERS = new Set(['host', CLUSTER_ID_HEADER]);
const REGION = '[a-z]{2}(?:-[a-z]+)+-\\d+';
/** Global endpoint, regional endpoints (FIPS too) in the aws and aws-cn partitions. */
const STS_HOST = new RegExp(`^(?:sts\\.amazonaws\\.com|sts(?:-fips)?\\.${REGION}\\.amazonaws\\.com(?:\\.cn)?)$`);

export interface TokenVerificationContext {
  clusterName: string;
  principals: KubePrincipal[];
  /** the emulator's own AWS endpoint (host:port), where the AWS CLI presigns when AWS_ENDPOINT_URL is set */
  awsEndpointHost?: string;
  now: Date;
}

export type TokenVerification =
  | { accepted: true; principal: KubePrincipal }
  | { accepted: false; reason: string };

interface PresignedUrl {
  scheme: string;
  host: string;
  path: string;
  /** lower-cased parameter name → value; original names kept for re-signing */
  params: Map<string, { name: string; value: string }>;
}

const reject = (reason: string): TokenVerification => ({ accepted: false, reason });

export async function verifyEksToken(token: string, context: TokenVerificationContext): Promise<TokenVerification> {
  const structure = checkTokenStructure(token, context);
  if ('reason' in structure) return reject(structure.reason);
  return verifySignature(structure.url, context);
}

/** Everything aws-iam-authenticator checks before it forwards the URL to STS. */
export function checkTokenStructure(
  token: string,
  context: Pick<TokenVerificationContext, 'awsEndpointHost' | 'now'>,
): { url: PresignedUrl } | { reason: string } {
  if (token.length > MAX_TOKEN_LENGTH) return { reason: 'token is too large' };
  if (!token.startsWith(EKS_TOKEN_PREFIX)) return { reason: `token is missing expected "${EKS_TOKEN_PREFIX}" prefix` };
  const payload = token.slice(EKS_TOKEN_PREFIX.length);
  // Go's base64.RawURLEncoding: URL alphabet, no padding, no dangling sextet.
  if (!/^[A-Za-z0-9_-]*$/.test(payload) || payload.length % 4 === 1) {
    return { reason: 'token payload is not unpadded base64url' };
  }
  const url = parsePresignedUrl(Buffer.from(payload, 'base64url').toString('utf8'));
  if ('reason' in url) return url;

  const isEmulatorHost = context.awsEndpointHost !== undefined && url.host.toLowerCase() === context.awsEndpointHost.toLowerCase();
  // Plain http only for the emulator's own endpoint: that is what the AWS CLI presigns against.
  if (url.scheme !== 'https' && !(isEmulatorHost && url.scheme === 'http')) {
    return { reason: `unexpected scheme "${url.scheme}" in pre-signed URL` };
  }
  if (!isEmulatorHost && !STS_HOST.test(url.host.toLowerCase())) {
    return { reason: `unexpected hostname "${url.host}" in pre-signed URL` };
  }
  if (url.path !== '/') return { reason: 'unexpected path in pre-signed URL' };
  for (const { name } of url.params.values()) {
    if (!ALLOWED_QUERY_PARAMETERS.has(name.toLowerCase())) return { reason: `non-whitelisted query parameter "${name}"` };
  }
  if (param(url, 'action') !== 'GetCallerIdentity') return { reason: 'unexpected action parameter in pre-signed URL' };
  const signedHeaders = (param(url, 'x-amz-signedheaders') ?? '').split(';');
  if (!signedHeaders.includes(CLUSTER_ID_HEADER)) {
    return { reason: `client did not sign the ${CLUSTER_ID_HEADER} header in the pre-signed URL` };
  }
  const expires = param(url, 'x-amz-expires') ?? '';
  if (!/^[+-]?\d+$/.test(expires) || Number(expires) < 0 || Number(expires) > MAX_EXPIRES_SECONDS) {
    return { reason: `invalid X-Amz-Expires parameter in pre-signed URL: ${expires}` };
  }
  const signingDate = parseAmzDate(param(url, 'x-amz-date') ?? '');
  if (!signingDate) return { reason: 'X-Amz-Date parameter is missing or malformed in pre-signed URL' };
  if (context.now.getTime() > signingDate.getTime() + PRESIGNED_URL_LIFETIME_MS) {
    return { reason: 'X-Amz-Date parameter is expired (15 minute expiration)' };
  }
  // STS refuses a signature from too far in the future as well ("Signature not yet current").
  if (signingDate.getTime() > context.now.getTime() + PRESIGNED_URL_LIFETIME_MS) {
    return { reason: 'X-Amz-Date parameter is in the future' };
  }
  return { url };
}

/** What STS does with the URL: find the key's owner and recompute the presigned signature. */
async function verifySignature(url: PresignedUrl, context: TokenVerificationContext): Promise<TokenVerification> {
  if (param(url, 'x-amz-algorithm') !== 'AWS4-HMAC-SHA256') return reject('unsupported X-Amz-Algorithm');
  const scope = (param(url, 'x-amz-credential') ?? '').split('/');
  const [accessKeyId, shortDate, region, service, terminator] = scope;
  const amzDate = param(url, 'x-amz-date') ?? '';
  if (scope.length !== 5 || !accessKeyId || !region || service !== 'sts' || terminator !== 'aws4_request') {
    return reject('malformed X-Amz-Credential');
  }
  if (shortDate !== amzDate.slice(0, 8)) return reject('X-Amz-Credential date does not match X-Amz-Date');
  const principal = context.principals.find((candidate) => candidate.accessKeyId === accessKeyId);
  if (!principal) return reject(`unknown access key id ${accessKeyId}`);

  const signedHeaders = (param(url, 'x-amz-signedheaders') ?? '').split(';');
  if (!signedHeaders.every((header) => REPRODUCIBLE_SIGNED_HEADERS.has(header))) {
    return reject('the pre-signed URL signs headers the verifier does not send');
  }
  const headerValues: Record<string, string> = { host: url.host, [CLUSTER_ID_HEADER]: context.clusterName };
  const headers = Object.fromEntries(signedHeaders.map((header) => [header, headerValues[header] as string]));
  const query = Object.fromEntries(
    [...url.params.entries()].filter(([lower]) => !lower.startsWith('x-amz-')).map(([, { name, value }]) => [name, value]),
  );
  const sessionToken = param(url, 'x-amz-security-token');
  const signer = new SignatureV4({
    service: 'sts',
    region,
    sha256: Sha256,
    credentials: { accessKeyId, secretAccessKey: principal.secretAccessKey, ...(sessionToken ? { sessionToken } : {}) },
  });
  const recomputed = await signer.presign(
    new HttpRequest({ method: 'GET', protocol: `${url.scheme}:`, hostname: url.host.replace(/:\d+$/, ''), path: '/', query, headers }),
    { signingDate: parseAmzDate(amzDate) as Date, expiresIn: Number(param(url, 'x-amz-expires')) },
  );
  const providedText = param(url, 'x-amz-signature') ?? '';
  if (!/^[0-9a-f]{64}$/.test(providedText)) return reject('X-Amz-Signature is not a SigV4 signature');
  const expected = Buffer.from(String(recomputed.query?.['X-Amz-Signature'] ?? ''), 'utf8');
  const provided = Buffer.from(providedText, 'utf8');
  // Same cluster name is part of the signed request: a token minted for another cluster fails here.
  if (expected.length !== provided.length || !timingSafeEqual(expected, provided)) {
    return reject('signature does not match (wrong secret, altered URL, or token for another cluster)');
  }
  return { accepted: true, principal };
}

function param(url: PresignedUrl, lowerName: string): string | undefined {
  return url.params.get(lowerName)?.value;
}

/** A strict split, like Go's url.Parse: no normalisation of the path or the port. */
function parsePresignedUrl(text: string): PresignedUrl | { reason: string } {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?$/.exec(text);
  if (!match) return { reason: 'token payload is not a URL' };
  const [, scheme, host, path, rawQuery] = match as unknown as [string, string, string, string, string | undefined];
  const params: PresignedUrl['params'] = new Map();
  for (const pair of (rawQuery ?? '').split('&').filter((part) => part !== '')) {
    const separator = pair.indexOf('=');
    const rawName = separator < 0 ? pair : pair.slice(0, separator);
    const rawValue = separator < 0 ? '' : pair.slice(separator + 1);
    let name: string;
    let value: string;
    try {
      name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      value = decodeURIComponent(rawValue.replace(/\+/g, ' '));
    } catch {
      return { reason: 'malformed query parameter' };
    }
    const lower = name.toLowerCase();
    if (params.has(lower)) return { reason: `duplicate query parameter "${name}"` };
    params.set(lower, { name, value });
  }
  return { scheme: scheme.toLowerCase(), host, path, params };
}

/** `20230428T000000Z` → Date (UTC); undefined when it is not exactly that shape or not a real instant. */
export function parseAmzDate(text: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const roundTrips =
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day &&
    date.getUTCHours() === hour && date.getUTCMinutes() === minute && date.getUTCSeconds() === second;
  return roundTrips ? date : undefined;
}
