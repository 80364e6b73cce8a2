/**
 * What every AWS SDK client of the remediator shares: region, standard retries (exponential
 * back-off with jitter on throttling, which a sweep over many node groups can hit), and bounded
 * connect/request timeouts so a stuck call cannot eat the Lambda's whole budget.
 * The endpoint is left to the SDK, which honours AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_<SERVICE>)
 * by itself: that is how the CLI and the tests reach the local emulator.
 *
 * Also here: the one mapping from an SDK exception to our typed errors for what every
 * adapter treats alike (throttling after retries, access denied, anything unexpected).
 */
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { AwsCallError } from '../errors';

export interface AwsClientOptions {
  /** default: the SDK's own resolution (AWS_REGION) */
  region?: string;
  /** total attempts per call, first one included */
  maxAttempts?: number;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** default: the SDK's own resolution (AWS_ENDPOINT_URL, else the service's public endpoint) */
  endpoint?: string;
  /** default: the Node.js default credential chain */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** wraps each client once built (the Lambda's X-Ray tracing: Powertools Tracer.captureAWSv3Client) */
  instrument?: <C extends object>(client: C) => C;
}

/** `client` as the options want it: instrumented when they say so. */
export function instrumented<C extends object>(client: C, options: AwsClientOptions): C {
  return options.instrument ? options.instrument(client) : client;
}

export const DEFAULT_MAX_ATTEMPTS = 5;
export const DEFAULT_CONNECTION_TIMEOUT_MS = 3_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** The configuration object given to `new EC2Client(...)`, `new EKSClient(...)`, ... */
export function awsClientConfig(options: AwsClientOptions = {}) {
  return {
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    // Measured (issue 7): under injected throttling a 100-node-group sweep took 58 s with
    // 'standard' and 101 s with 'adaptive', whose client-side rate limiter also holds back the
    // calls of node groups examined at the same time. Both back off on throttling errors.
    retryMode: 'standard' as const,
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
      requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    }),
  };
}

/**
 * The AWS error code of an SDK exception. Modelled exceptions carry it as `name`; query-protocol
 * services (EC2, Auto Scaling) have no classes for most errors, but the name is the code too
 * (e.g. "RouteAlreadyExists", "InvalidRouteTableID.NotFound", "ValidationError").
 */
export function awsErrorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const record = error as { Code?: unknown; code?: unknown; name?: unknown };
    for (const candidate of [record.Code, record.code, record.name]) {
      if (typeof candidate === 'string' && candidate !== '' && candidate !== 'Error') return candidate;
    }
  }
  return 'UnknownError';
}

export function awsErrorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Anything an adapter does not map to a more specific error. */
export function awsCallError(operation: string, error: unknown): AwsCallError {
  return new AwsCallError(operation, awsErrorCode(error), awsErrorMessage(error), { cause: error });
}

/** Splits a list into consecutive chunks of at most `size` (API limits on ids per call). */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/** Tag list of the EC2/Auto Scaling APIs → record. */
export function tagRecord(tags: readonly { Key?: string; Value?: string }[] | undefined): Record<string, string> {
  const record: Record<string, string> = {};
  for (const tag of tags ?? []) if (tag.Key !== undefined) record[tag.Key] = tag.Value ?? '';
  return record;
}

/** The SDK returns Date objects for timestamps; the model keeps ISO-8601 strings. */
export function isoTime(value: Date | string | undefined): string {
  if (value === undefined) return '';
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString();
}
