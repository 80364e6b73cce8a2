/**
 * An AWS API error as the service would return it: the wire code (e.g.
 * `InvalidRouteTableID.NotFound`, `ResourceInUseException`), a message and the HTTP status.
 * Each protocol serializer renders it in its own error shape.
 */
export class AwsApiError extends Error {
  override readonly name = 'AwsApiError';
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus = 400,
    /** extra members of the error body (EKS: clusterName, nodegroupName...) */
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
  }
}
