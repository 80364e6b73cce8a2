/**
 * AWS IAM over the Query protocol (Version 2010-05-08): the read calls about roles and instance
 * profiles, and SimulatePrincipalPolicy answered by a real policy evaluator
 * (@cloud-copilot/iam-simulate, see world/identity.ts) from the role's attached managed policies
 * (known by ARN) and inline policies. Policy documents are URL-encoded JSON, as IAM returns them.
 */
import { AwsApiError } from '../errors';
import { parseForm, QUERY_SIGNING_ERRORS, QueryParams, queryErrorReply } from '../protocols/query';
import { compact, xmlDocument, type XmlObject } from '../protocols/xml';
import { MANAGED_POLICIES, type InstanceProfileRecord, type RoleRecord } from '../world/identity';
import type { World } from '../world/world';
import type { OperationResult, ParsedCall, ServiceProtocol, ServiceRequest } from './types';

const NAMESPACE = 'https://iam.amazonaws.com/doc/2010-05-08/';

function requestParams(request: ServiceRequest): QueryParams {
  return new QueryParams({ ...Object.fromEntries(request.query.entries()), ...parseForm(request.body) });
}

const missing = (name: string): AwsApiError =>
  new AwsApiError('ValidationError', `1 validation error detected: Value null at '${name.charAt(0).toLowerCase()}${name.slice(1)}' failed to satisfy constraint: Member must not be null`, 400);
const noSuchEntity = (message: string): AwsApiError => new AwsApiError('NoSuchEntity', message, 404);

/** IAM returns policy documents URL-encoded (RFC 3986). */
function encodedDocument(document: unknown): string {
  return encodeURIComponent(JSON.stringify(document));
}

function roleOrThrow(world: World, roleName: string): RoleRecord {
  const role = world.iam.roles.get(roleName);
  if (!role) throw noSuchEntity(`The role with name ${roleName} cannot be found.`);
  return role;
}

function roleXml(role: RoleRecord): XmlObject {
  return {
    Path: role.path,
    RoleName: role.roleName,
    RoleId: role.roleId,
    Arn: role.arn,
    CreateDate: new Date(role.createDate).toISOString(),
    AssumeRolePolicyDocument: encodedDocument(role.assumeRolePolicyDocument),
    MaxSessionDuration: 3600,
  };
}

function instanceProfileXml(world: World, profile: InstanceProfileRecord): XmlObject {
  return {
    Path: profile.path,
    InstanceProfileName: profile.instanceProfileName,
    InstanceProfileId: profile.instanceProfileId,
    Arn: profile.arn,
    CreateDate: new Date(profile.createDate).toISOString(),
    Roles: profile.roleNames.flatMap((name) => {
      const role = world.iam.roles.get(name);
      return role ? [roleXml(role)] : [];
    }),
  };
}

type Handler = (world: World, params: QueryParams) => XmlObject | Promise<XmlObject>;

const HANDLERS: Record<string, Handler> = {
  GetRole(world, params) {
    return { Role: roleXml(roleOrThrow(world, params.required('RoleName', missing))) };
  },

  GetInstanceProfile(world, params) {
    const name = params.required('InstanceProfileName', missing);
    const profile = world.iam.instanceProfiles.get(name);
    if (!profile) throw noSuchEntity(`Instance Profile ${name} cannot be found.`);
    return { InstanceProfile: instanceProfileXml(world, profile) };
  },

  ListAttachedRolePolicies(world, params) {
    const role = roleOrThrow(world, params.required('RoleName', missing));
    return {
      AttachedPolicies: role.attachedPolicyArns.map((arn) => ({ PolicyName: MANAGED_POLICIES[arn]?.policyName ?? arn.slice(arn.lastIndexOf('/') + 1), PolicyArn: arn })),
      IsTruncated: false,
    };
  },

  ListRolePolicies(world, params) {
    const role = roleOrThrow(world, params.required('RoleName', missing));
    return { PolicyNames: Object.keys(role.inlinePolicies), IsTruncated: false };
  },

  GetRolePolicy(world, params) {
    const role = roleOrThrow(world, params.required('RoleName', missing));
    const policyName = params.required('PolicyName', missing);
    const document = role.inlinePolicies[policyName];
    if (document === undefined) throw noSuchEntity(`The role policy with name ${policyName} cannot be found.`);
    return { RoleName: role.roleName, PolicyName: policyName, PolicyDocument: encodedDocument(document) };
  },

  async SimulatePrincipalPolicy(world, params) {
    const source = params.required('PolicySourceArn', missing);
    const actions = params.list('ActionNames');
    if (actions.length === 0) throw missing('ActionNames');
    const role = world.iam.roleByArn(source);
    if (!role) throw noSuchEntity(`The principal ${source} cannot be found.`);
    const resources = params.list('ResourceArns');
    const resource = resources[0] ?? '*';
    const results = await Promise.all(actions.map((action) => world.iam.simulate(role, action)));
    return {
      EvaluationResults: results.map((r) =>
        compact({
          EvalActionName: r.action,
          EvalResourceName: resource,
          EvalDecision: r.decision,
          MatchedStatements: r.matchedStatements.map((s) => ({
            SourcePolicyId: s.sourcePolicyId,
            SourcePolicyType: s.sourcePolicyType,
            StartPosition: { Line: s.statementIndex, Column: 1 },
            EndPosition: { Line: s.statementIndex, Column: 1 },
          })),
          MissingContextValues: [],
        }),
      ),
      IsTruncated: false,
    };
  },
};

function reply(action: string, requestId: string, result: XmlObject): OperationResult {
  return {
    reply: {
      status: 200,
      headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
      body: xmlDocument(`${action}Response`, NAMESPACE, { [`${action}Result`]: result, ResponseMetadata: { RequestId: requestId } }, 'member'),
    },
  };
}

export const iam: ServiceProtocol = {
  name: 'iam',

  operationName(request) {
    return requestParams(request).action ?? 'Unknown';
  },

  parse(request: ServiceRequest): ParsedCall {
    const params = requestParams(request);
    const action = params.action;
    const handler = action ? HANDLERS[action] : undefined;
    if (!action || !handler) throw new AwsApiError('InvalidAction', `Could not find operation ${action ?? '(none)'} for version 2010-05-08`, 400);
    return {
      operation: action,
      params: params.nested(),
      emitsCloudTrailEvent: false,
      async execute(context) {
        return reply(action, context.requestId, await handler(context.world, params));
      },
    };
  },

  errors: {
    ...QUERY_SIGNING_ERRORS,
    serverError: () => new AwsApiError('ServiceFailure', 'An internal error occurred.', 500),
    accessDenied: (operation, callerArn) =>
      new AwsApiError('AccessDenied', `User: ${callerArn} is not authorized to perform: iam:${operation} because no identity-based policy allows the iam:${operation} action`, 403),
  },

  errorReply: (error, requestId) => queryErrorReply(NAMESPACE, error, requestId),
};
