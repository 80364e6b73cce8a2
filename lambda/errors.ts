/**
 * Typed errors. Adapters map SDK exceptions to these by `instanceof`, so the engine never
 * inspects SDK error names. "Skip" (out of scope) is not an error: see SkippedInput.
 */

/** Bad input or configuration: reported with the field at fault; no AWS call is made. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(message: string, readonly field?: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A resource the run needs does not exist (cluster, node group, route table...). */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  constructor(message: string, readonly resourceId: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** CreateRoute raced another writer: a 0.0.0.0/0 route is already in the table. */
export class RouteAlreadyExistsError extends Error {
  override readonly name = 'RouteAlreadyExistsError';
  constructor(readonly routeTableId: string, options?: { cause?: unknown }) {
    super(`route table ${routeTableId} already has a 0.0.0.0/0 route`, options);
  }
}

/** The Kubernetes API could not be used (unreachable, TLS, 401/403, bad answer). */
export class KubernetesApiError extends Error {
  override readonly name = 'KubernetesApiError';
  constructor(message: string, readonly statusCode?: number, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** An AWS call failed in a way the run cannot work around; carries the operation name. */
export class AwsCallError extends Error {
  override readonly name = 'AwsCallError';
  constructor(
    readonly operation: string,
    readonly awsErrorCode: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${operation} failed: ${awsErrorCode}: ${message}`, options);
  }
}

/** The node group is busy (e.g. ResourceInUseException from UpdateNodegroupConfig). */
export class ResourceInUseError extends Error {
  override readonly name = 'ResourceInUseError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * An event-driven run ended FAILED: thrown after the report is logged so that Lambda's async
 * retries and the dead-letter destination keep the event (nothing lost).
 */
export class RemediationFailedError extends Error {
  override readonly name = 'RemediationFailedError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The class names of this file's errors: internal, never shown in human output. */
const OWN_ERROR_NAMES = [
  ValidationError,
  NotFoundError,
  RouteAlreadyExistsError,
  KubernetesApiError,
  AwsCallError,
  ResourceInUseError,
  RemediationFailedError,
].map((type) => type.name);

const OWN_ERROR_PREFIX = new RegExp(`\\b(?:${OWN_ERROR_NAMES.join('|')}): `, 'g');

/**
 * A text (a report's reason, an error message) for a person: without the internal class names
 * `describeError` puts in logs ("NotFoundError: cluster x was not found" → "cluster x was not
 * found"). AWS error codes in the text (AccessDenied, ValidationError of Auto Scaling as the
 * code after "failed: ") are kept: they are what AWS documents.
 */
export function forPeople(text: string): string {
  return text.replace(OWN_ERROR_PREFIX, (match, offset: number, all: string) =>
    // "UpdateAutoScalingGroup failed: ValidationError: ..." — the AWS code after an API operation's name, not our class.
    /\b[A-Z][a-z]+[A-Z][A-Za-z]* failed: $/.test(all.slice(Math.max(0, offset - 60), offset)) ? match : '',
  );
}
