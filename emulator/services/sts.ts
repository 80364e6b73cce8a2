/**
 * AWS STS GetCallerIdentity over the Query protocol: lets `aws sts get-caller-identity` and
 * SDK credential checks see which scenario principal they are.
 */
import { AwsApiError } from '../errors';
import { parseForm, QUERY_SIGNING_ERRORS, QueryParams, queryErrorReply } from '../protocols/query';
import { xmlDocument } from '../protocols/xml';
import type { ParsedCall, ServiceProtocol, ServiceRequest } from './types';

const NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

function requestParams(request: ServiceRequest): QueryParams {
  return new QueryParams({ ...Object.fromEntries(request.query.entries()), ...parseForm(request.body) });
}

export const sts: ServiceProtocol = {
  name: 'sts',

  operationName(request) {
    return requestParams(request).action ?? 'Unknown';
  },

  parse(request: ServiceRequest): ParsedCall {
    const params = requestParams(request);
    const action = params.action;
    if (action !== 'GetCallerIdentity') {
      throw new AwsApiError('InvalidAction', `Could not find operation ${action ?? '(none)'} for version 2011-06-15`);
    }
    return {
      operation: action,
      params: params.nested(),
      emitsCloudTrailEvent: false,
      execute(context) {
        const body = xmlDocument(
          'GetCallerIdentityResponse',
          NAMESPACE,
          {
            GetCallerIdentityResult: { Arn: context.identity.arn, UserId: context.identity.userId, Account: context.identity.account },
            ResponseMetadata: { RequestId: context.requestId },
          },
          'member',
        );
        return { reply: { status: 200, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': context.requestId }, body } };
      },
    };
  },

  errors: {
    ...QUERY_SIGNING_ERRORS,
    serverError: () => new AwsApiError('InternalFailure', 'An internal error occurred.', 500),
    accessDenied: (operation, callerArn) =>
      new AwsApiError('AccessDenied', `User: ${callerArn} is not authorized to perform: sts:${operation}`, 403),
  },

  errorReply: (error, requestId) => queryErrorReply(NAMESPACE, error, requestId),
};
