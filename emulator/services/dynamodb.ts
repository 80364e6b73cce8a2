/**
 * Amazon DynamoDB on the emulator's endpoint: an embedded dynalite (a real implementation of
 * the DynamoDB API on an in-memory LevelDB) listening on its own loopback port, behind the
 * emulator's front door. The front door authenticates the SigV4 signature, applies injected
 * faults and records the call; the request itself (AWS JSON 1.0, `X-Amz-Target:
 * DynamoDB_20120810.<Operation>`) is passed to dynalite unchanged and its reply returned as is.
 *
 * Why dynalite and not a hand-written table: conditional writes, key conditions, projections and
 * their exact errors (ConditionalCheckFailedException, ValidationException) are what the lease
 * and the ledger rely on; dynalite implements them as DynamoDB does.
 */
import { request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsApiError } from '../errors';
import type { HttpReply, ParsedCall, ServiceProtocol, ServiceRequest } from './types';

// dynalite ships no type declarations; its factory returns a plain http.Server.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;

const TARGET_PREFIX = 'DynamoDB_20120810.';
const SERVICE_NAMESPACE = 'com.amazonaws.dynamodb.v20120810';
const CORAL_NAMESPACE = 'com.amazon.coral.service';
/** Errors the front door raises that DynamoDB reports in the coral namespace. */
const CORAL_ERRORS = new Set([
  'MissingAuthenticationTokenException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignatureException',
  'AccessDeniedException',
  'UnknownOperationException',
  'SerializationException',
]);

/** Headers not forwarded to dynalite: hop-by-hop ones, and the length (re-computed). */
const DROPPED_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length']);

export interface EmbeddedDynamoDb {
  service: ServiceProtocol;
  /** dynalite's own loopback port (tests may talk to it directly; the tool never does) */
  port: number;
  close(): Promise<void>;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function operationOf(request: ServiceRequest): string | undefined {
  const target = header(request.headers, 'x-amz-target');
  return target?.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : undefined;
}

function errorReply(error: AwsApiError, requestId: string): HttpReply {
  const namespace = CORAL_ERRORS.has(error.code) ? CORAL_NAMESPACE : SERVICE_NAMESPACE;
  return {
    status: error.httpStatus,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': requestId },
    body: JSON.stringify({ __type: `${namespace}#${error.code}`, message: error.message }),
  };
}

function forward(port: number, request: ServiceRequest, requestId: string): Promise<HttpReply> {
  const body = Buffer.from(request.body, 'utf8');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || DROPPED_HEADERS.has(name)) continue;
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/', headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const replyHeaders: Record<string, string> = {
          'content-type': String(response.headers['content-type'] ?? 'application/x-amz-json-1.0'),
          'x-amzn-requestid': requestId,
        };
        const crc = response.headers['x-amz-crc32'];
        if (typeof crc === 'string') replyHeaders['x-amz-crc32'] = crc;
        resolve({ status: response.statusCode ?? 500, headers: replyHeaders, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

function parseBody(body: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(body === '' ? '{}' : body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    throw new AwsApiError('SerializationException', 'Start of structure or map found where not expected.', 400);
  }
}

/** The DynamoDB errors AWS returns when the front door refuses a call. */
export const DYNAMODB_ERRORS: ServiceProtocol['errors'] = {
  missingAuthentication: () => new AwsApiError('MissingAuthenticationTokenException', 'Request is missing Authentication Token', 400),
  unknownAccessKey: () => new AwsApiError('UnrecognizedClientException', 'The security token included in the request is invalid.', 400),
  signatureMismatch: () =>
    new AwsApiError(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
      400,
    ),
  throttle: () => new AwsApiError('ThrottlingException', 'Rate of requests exceeds the allowed throughput.', 400),
  serverError: () => new AwsApiError('InternalServerError', 'Internal server error', 500),
  accessDenied: (operation, callerArn) =>
    new AwsApiError('AccessDeniedException', `User: ${callerArn} is not authorized to perform: dynamodb:${operation}`, 400),
};

/** Starts dynalite on a free loopback port and returns the service that fronts it. */
export async function startEmbeddedDynamoDb(): Promise<EmbeddedDynamoDb> {
  // Tables are ACTIVE at once: the emulator's world is ready when it starts.
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  const service: ServiceProtocol = {
    name: 'dynamodb',
    recognizes: (request) => header(request.headers, 'x-amz-target')?.startsWith('DynamoDB_') ?? false,
    operationName: (request) => operationOf(request) ?? 'Unknown',
    parse(request): ParsedCall {
      const operation = operationOf(request);
      if (!operation) throw new AwsApiError('UnknownOperationException', '', 400);
      return {
        operation,
        params: parseBody(request.body),
        emitsCloudTrailEvent: false,
        execute: async (context) => ({ reply: await forward(port, request, context.requestId) }),
      };
    },
    errors: DYNAMODB_ERRORS,
    errorReply,
  };

  return {
    service,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
