/**
 * The REST-JSON protocol (EKS): operations routed by method and path template, JSON bodies,
 * errors named by the `x-amzn-ErrorType` header with a `{"message": …}` body.
 */
import { AwsApiError } from '../errors';
import type { HttpReply } from '../services/types';

export interface RestRoute<Op extends string> {
  method: string;
  /** e.g. "/clusters/{name}/node-groups/{nodegroupName}" */
  template: string;
  operation: Op;
}

export interface RouteMatch<Op extends string> {
  operation: Op;
  pathParams: Record<string, string>;
}

export function matchRoute<Op extends string>(routes: RestRoute<Op>[], method: string, path: string): RouteMatch<Op> | undefined {
  const segments = path.split('/').filter(Boolean);
  for (const route of routes) {
    if (route.method !== method) continue;
    const parts = route.template.split('/').filter(Boolean);
    if (parts.length !== segments.length) continue;
    const pathParams: Record<string, string> = {};
    const matches = parts.every((part, i) => {
      const segment = segments[i] as string;
      const variable = /^\{(\w+)\}$/.exec(part);
      if (variable) {
        pathParams[variable[1] as string] = safeDecode(segment);
        return true;
      }
      return part === segment;
    });
    if (matches) return { operation: route.operation, pathParams };
  }
  return undefined;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export function parseJsonBody(body: string): Record<string, unknown> {
  if (body.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new AwsApiError('SerializationException', 'The request body is not valid JSON', 400);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AwsApiError('SerializationException', 'The request body must be a JSON object', 400);
  }
  return parsed as Record<string, unknown>;
}

export function jsonReply(status: number, body: unknown, requestId: string): HttpReply {
  return {
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId },
    body: JSON.stringify(body),
  };
}

export function jsonErrorReply(error: AwsApiError, requestId: string): HttpReply {
  return {
    status: error.httpStatus,
    headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId, 'x-amzn-errortype': error.code },
    body: JSON.stringify({ message: error.message, ...error.fields }),
  };
}

/** REST-JSON timestamps: epoch seconds (with milliseconds as a fraction). */
export function epochSeconds(ms: number): number {
  return ms / 1000;
}

/** How the REST-JSON services (EKS, Scheduler) refuse a request they cannot authenticate. */
export const REST_JSON_AUTH_ERRORS = {
  missingAuthentication: () => new AwsApiError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403),
  unknownAccessKey: () => new AwsApiError('UnrecognizedClientException', 'The security token included in the request is invalid.', 403),
  signatureMismatch: () =>
    new AwsApiError(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
      403,
    ),
};
