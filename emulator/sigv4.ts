/**
 * AWS Signature Version 4, server side: read who signed a request (Authorization header or
 * presigned query) and check the signature with that principal's secret, as AWS would.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface SigV4Credential {
  accessKeyId: string;
  /** yyyymmdd */
  date: string;
  region: string;
  service: string;
}

export interface SigV4Auth {
  credential: SigV4Credential;
  signedHeaders: string[];
  signature: string;
  /** yyyymmddThhmmssZ */
  amzDate: string;
  presigned: boolean;
}

export interface SignedRequest {
  method: string;
  rawPath: string;
  rawQuery: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** The Authorization header or X-Amz-* query is there but unreadable. */
export class MalformedAuthorizationError extends Error {
  override readonly name = 'MalformedAuthorizationError';
}

function parseCredential(text: string): SigV4Credential {
  const parts = text.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request') {
    throw new MalformedAuthorizationError(`Credential should be scoped to a valid region, got "${text}"`);
  }
  const [accessKeyId = '', date = '', region = '', service = ''] = parts;
  return { accessKeyId, date, region, service };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** undefined when the request carries no SigV4 authentication at all. */
export function readSigV4(headers: IncomingHttpHeaders, query: URLSearchParams): SigV4Auth | undefined {
  const authorization = header(headers, 'authorization');
  if (authorization) {
    const match = /^AWS4-HMAC-SHA256\s+(.*)$/s.exec(authorization.trim());
    if (!match) throw new MalformedAuthorizationError('Authorization header requires the AWS4-HMAC-SHA256 algorithm');
    const fields = Object.fromEntries(
      (match[1] as string).split(',').map((part) => {
        const [key = '', ...rest] = part.trim().split('=');
        return [key, rest.join('=')];
      }),
    );
    const credential = fields.Credential;
    const signedHeaders = fields.SignedHeaders;
    const signature = fields.Signature;
    if (!credential || !signedHeaders || !signature) {
      throw new MalformedAuthorizationError('Authorization header requires Credential, SignedHeaders and Signature');
    }
    const amzDate = header(headers, 'x-amz-date') ?? '';
    return { credential: parseCredential(credential), signedHeaders: signedHeaders.split(';'), signature, amzDate, presigned: false };
  }
  if (query.get('X-Amz-Algorithm')) {
    const credential = query.get('X-Amz-Credential');
    const signature = query.get('X-Amz-Signature');
    if (!credential || !signature) throw new MalformedAuthorizationError('presigned request lacks X-Amz-Credential or X-Amz-Signature');
    return {
      credential: parseCredential(credential),
      signedHeaders: (query.get('X-Amz-SignedHeaders') ?? 'host').split(';'),
      signature,
      amzDate: query.get('X-Amz-Date') ?? '',
      presigned: true,
    };
  }
  return undefined;
}

/** RFC 3986 encoding as SigV4 wants it (encodeURIComponent plus !'()*). */
export function uriEscape(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalPath(rawPath: string): string {
  const segments: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalized = `/${segments.join('/')}${segments.length > 0 && rawPath.endsWith('/') ? '/' : ''}`;
  // Non-S3 services sign the already-encoded path encoded once more.
  return uriEscape(normalized).replace(/%2F/g, '/');
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, '%20'));
  } catch {
    return text;
  }
}

function canonicalQuery(rawQuery: string, presigned: boolean): string {
  return rawQuery
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const index = pair.indexOf('=');
      const key = decodeComponent(index < 0 ? pair : pair.slice(0, index));
      const value = index < 0 ? '' : decodeComponent(pair.slice(index + 1));
      return [uriEscape(key), uriEscape(value)] as const;
    })
    .filter(([key]) => !(presigned && key === 'X-Amz-Signature'))
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function expectedSignature(auth: SigV4Auth, request: SignedRequest, secretAccessKey: string, payloadHash: string): string {
  const canonicalHeaders = auth.signedHeaders
    .map((name) => `${name}:${(header(request.headers, name) ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const canonicalRequest = [
    request.method,
    canonicalPath(request.rawPath),
    canonicalQuery(request.rawQuery, auth.presigned),
    canonicalHeaders,
    auth.signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const { date, region, service } = auth.credential;
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', auth.amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date), region), service), 'aws4_request');
  return createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
}

/** True when `auth.signature` is what the holder of `secretAccessKey` would have computed. */
export function signatureMatches(auth: SigV4Auth, request: SignedRequest, secretAccessKey: string): boolean {
  const declared = header(request.headers, 'x-amz-content-sha256');
  const bodyHash = sha256Hex(request.body);
  // A declared payload hash is signed over, but must also be the body's (unless unsigned).
  if (declared && declared !== 'UNSIGNED-PAYLOAD' && declared !== bodyHash) return false;
  const candidates = declared ? [declared] : auth.presigned ? [bodyHash, 'UNSIGNED-PAYLOAD'] : [bodyHash];
  const given = Buffer.from(auth.signature, 'utf8');
  return candidates.some((payloadHash) => {
    const expected = Buffer.from(expectedSignature(auth, request, secretAccessKey, payloadHash), 'utf8');
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}
