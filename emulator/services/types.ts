/** What the HTTP front door and the per-service protocol modules exchange. */
import type { IncomingHttpHeaders } from 'node:http';
import type { AwsApiError } from '../errors';
import type { CallerIdentity } from '../events';
import type { ScenarioPrincipal } from '../scenario';
import type { World } from '../world/world';

export interface ServiceRequest {
  method: string;
  /** raw path, without the query string */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface HttpReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface CallContext {
  world: World;
  principal: ScenarioPrincipal;
  identity: CallerIdentity;
  requestId: string;
}

/** The result of a successful operation: the reply and, for CloudTrail, its JSON body. */
export interface OperationResult {
  reply: HttpReply;
  responseElements?: Record<string, unknown>;
}

export interface ParsedCall {
  operation: string;
  /** request parameters as JSON (call log; CloudTrail requestParameters) */
  params: Record<string, unknown>;
  /** recorded in CloudTrail and emitted as an EventBridge event */
  emitsCloudTrailEvent: boolean;
  /** a promise for services served by an embedded implementation (DynamoDB through dynalite) */
  execute(context: CallContext): OperationResult | Promise<OperationResult>;
}

/** The error every service answers with for each cross-cutting failure. */
export interface ServiceErrors {
  missingAuthentication(): AwsApiError;
  unknownAccessKey(): AwsApiError;
  signatureMismatch(): AwsApiError;
  throttle(): AwsApiError;
  serverError(): AwsApiError;
  accessDenied(operation: string, callerArn: string): AwsApiError;
}

export interface ServiceProtocol {
  /** signing name in the SigV4 credential scope */
  name: string;
  /** true when an unauthenticated request is meant for this service (its error comes back in its protocol) */
  recognizes?(request: ServiceRequest): boolean;
  /** throws AwsApiError (operation unknown, malformed request) */
  parse(request: ServiceRequest): ParsedCall;
  /** best-effort operation name of a request that could not be parsed (for the call log) */
  operationName(request: ServiceRequest): string;
  errors: ServiceErrors;
  errorReply(error: AwsApiError, requestId: string): HttpReply;
}
