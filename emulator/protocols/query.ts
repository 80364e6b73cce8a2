/**
 * The Query protocol's request side (EC2, Auto Scaling, STS): a form-encoded body of flat keys
 * such as `Filter.1.Name`, `Filter.1.Value.1` (EC2) or `Filters.member.1.Values.member.1`
 * (Auto Scaling). QueryParams reads them back as scalars, lists and structure lists.
 */
import { AwsApiError } from '../errors';
import type { HttpReply, ServiceErrors } from '../services/types';
import { xmlEscape } from './xml';

export function parseForm(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(text)) out[key] = value;
  return out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class QueryParams {
  constructor(readonly flat: Readonly<Record<string, string>>) {}

  get action(): string | undefined {
    return this.flat.Action;
  }

  string(name: string): string | undefined {
    return this.flat[name];
  }

  /** Throws the service's missing-parameter error when absent. */
  required(name: string, missing: (name: string) => AwsApiError): string {
    const value = this.flat[name];
    if (value === undefined || value === '') throw missing(name);
    return value;
  }

  integer(name: string, invalid: (name: string, value: string) => AwsApiError): number | undefined {
    const value = this.flat[name];
    if (value === undefined) return undefined;
    if (!/^-?\d+$/.test(value)) throw invalid(name, value);
    return Number(value);
  }

  boolean(name: string): boolean | undefined {
    const value = this.flat[name];
    return value === undefined ? undefined : value.toLowerCase() === 'true';
  }

  /** `prefix.1`, `prefix.2` … or `prefix.member.1` …, in index order. */
  list(prefix: string): string[] {
    const pattern = new RegExp(`^${escapeRegExp(prefix)}\\.(?:member\\.)?(\\d+)$`);
    return Object.entries(this.flat)
      .map(([k, v]) => [pattern.exec(k)?.[1], v] as const)
      .filter((e): e is readonly [string, string] => e[0] !== undefined)
      .sort((a, b) => Number(a[0]) - Number(b[0]))
      .map(([, v]) => v);
  }

  /** `prefix.N.member` structures as scoped views, in index order. */
  structs(prefix: string): QueryParams[] {
    const pattern = new RegExp(`^${escapeRegExp(prefix)}\\.(?:member\\.)?(\\d+)\\.(.+)$`);
    const byIndex = new Map<number, Record<string, string>>();
    for (const [k, v] of Object.entries(this.flat)) {
      const match = pattern.exec(k);
      if (!match) continue;
      const index = Number(match[1]);
      const scoped = byIndex.get(index) ?? {};
      scoped[match[2] as string] = v;
      byIndex.set(index, scoped);
    }
    return [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, scoped]) => new QueryParams(scoped));
  }

  /** The parameters as nested JSON (lists as arrays), for the call log. */
  nested(): Record<string, unknown> {
    const root: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(this.flat)) {
      if (key === 'Action' || key === 'Version') continue;
      const parts = key.split('.').filter((p) => p !== 'member');
      let node: Record<string, unknown> = root;
      parts.forEach((part, i) => {
        if (i === parts.length - 1) node[part] = value;
        else {
          const child = node[part];
          node[part] = typeof child === 'object' && child !== null ? child : {};
          node = node[part] as Record<string, unknown>;
        }
      });
    }
    return arraysFromIndexedMaps(root) as Record<string, unknown>;
  }
}

function arraysFromIndexedMaps(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 0 && entries.every(([k]) => /^\d+$/.test(k))) {
    return entries.sort((a, b) => Number(a[0]) - Number(b[0])).map(([, v]) => arraysFromIndexedMaps(v));
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, arraysFromIndexedMaps(v)]));
}

/** The AWS Query error document (Auto Scaling, STS). */
export function queryErrorReply(namespace: string, error: AwsApiError, requestId: string): HttpReply {
  const type = error.httpStatus >= 500 ? 'Receiver' : 'Sender';
  return {
    status: error.httpStatus,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${namespace}"><Error><Type>${type}</Type><Code>${xmlEscape(error.code)}</Code><Message>${xmlEscape(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

/**
 * Signing and throttling errors as the Query-protocol services answer them (IAM, SNS, STS):
 * the same codes and messages across those services; each adds its own serverError and accessDenied.
 */
export const QUERY_SIGNING_ERRORS: Pick<ServiceErrors, 'missingAuthentication' | 'unknownAccessKey' | 'signatureMismatch' | 'throttle'> = {
  missingAuthentication: () => new AwsApiError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403),
  unknownAccessKey: () => new AwsApiError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403),
  signatureMismatch: () =>
    new AwsApiError('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.', 403),
  throttle: () => new AwsApiError('Throttling', 'Rate exceeded', 400),
};
