/** Kubernetes `Status` bodies: the shape kubectl and client-go expect for every error answer. */

export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  details?: { name?: string; kind?: string };
  code: number;
}

export interface KubeResponse {
  statusCode: number;
  /** JSON-serialised unless it is a string */
  body: unknown;
  /** defaults to application/json */
  contentType?: string;
}

function failure(code: number, reason: string, message: string, details?: KubeStatus['details']): KubeResponse {
  const body: KubeStatus = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details) body.details = details;
  return { statusCode: code, body };
}

export const unauthorized = (): KubeResponse => failure(401, 'Unauthorized', 'Unauthorized');

export const forbidden = (message: string, details?: KubeStatus['details']): KubeResponse =>
  failure(403, 'Forbidden', message, details);

export const notFound = (message: string, details?: KubeStatus['details']): KubeResponse =>
  failure(404, 'NotFound', message, details);

export const pathNotFound = (): KubeResponse => failure(404, 'NotFound', 'the server could not find the requested resource');

export const badRequest = (message: string): KubeResponse => failure(400, 'BadRequest', message);

export const methodNotAllowed = (method: string): KubeResponse =>
  failure(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${method}): the emulator's Kubernetes API is read-only`);

export const internalError = (message: string): KubeResponse => failure(500, 'InternalError', message);
