/**
 * Amazon EKS over REST-JSON: clusters, managed node groups, their updates and access entries.
 * Mutating node group calls are recorded as CloudTrail events (see server.ts).
 */
import { AwsApiError } from '../errors';
import { epochSeconds, jsonErrorReply, jsonReply, matchRoute, parseJsonBody, REST_JSON_AUTH_ERRORS, type RestRoute } from '../protocols/rest-json';
import type { ClusterRecord, NodegroupRecord, NodegroupUpdateRecord } from '../world/state';
import type { CreateNodegroupInput, NodegroupConfigChange, World } from '../world/world';
import { paginate } from './listing';
import type { OperationResult, ParsedCall, ServiceProtocol, ServiceRequest } from './types';

type Operation =
  | 'ListClusters'
  | 'DescribeCluster'
  | 'ListNodegroups'
  | 'CreateNodegroup'
  | 'DescribeNodegroup'
  | 'DeleteNodegroup'
  | 'UpdateNodegroupConfig'
  | 'UpdateNodegroupVersion'
  | 'ListUpdates'
  | 'DescribeUpdate'
  | 'ListAccessEntries'
  | 'DescribeAccessEntry'
  | 'CreateAccessEntry'
  | 'ListAssociatedAccessPolicies';

const ROUTES: RestRoute<Operation>[] = [
  { method: 'GET', template: '/clusters', operation: 'ListClusters' },
  { method: 'GET', template: '/clusters/{name}', operation: 'DescribeCluster' },
  { method: 'GET', template: '/clusters/{name}/node-groups', operation: 'ListNodegroups' },
  { method: 'POST', template: '/clusters/{name}/node-groups', operation: 'CreateNodegroup' },
  { method: 'GET', template: '/clusters/{name}/node-groups/{nodegroupName}', operation: 'DescribeNodegroup' },
  { method: 'DELETE', template: '/clusters/{name}/node-groups/{nodegroupName}', operation: 'DeleteNodegroup' },
  { method: 'POST', template: '/clusters/{name}/node-groups/{nodegroupName}/update-config', operation: 'UpdateNodegroupConfig' },
  { method: 'POST', template: '/clusters/{name}/node-groups/{nodegroupName}/update-version', operation: 'UpdateNodegroupVersion' },
  { method: 'GET', template: '/clusters/{name}/updates', operation: 'ListUpdates' },
  { method: 'GET', template: '/clusters/{name}/updates/{updateId}', operation: 'DescribeUpdate' },
  { method: 'GET', template: '/clusters/{name}/access-entries', operation: 'ListAccessEntries' },
  { method: 'GET', template: '/clusters/{name}/access-entries/{principalArn}', operation: 'DescribeAccessEntry' },
  { method: 'POST', template: '/clusters/{name}/access-entries', operation: 'CreateAccessEntry' },
  { method: 'GET', template: '/clusters/{name}/access-entries/{principalArn}/access-policies', operation: 'ListAssociatedAccessPolicies' },
];

const CLOUDTRAIL_OPERATIONS = new Set<Operation>(['CreateNodegroup', 'DeleteNodegroup', 'UpdateNodegroupConfig', 'UpdateNodegroupVersion', 'CreateAccessEntry']);

const invalidParameter = (message: string): AwsApiError => new AwsApiError('InvalidParameterException', message, 400);
const invalidToken = (): AwsApiError => invalidParameter('The nextToken is invalid');

function maxResults(params: Record<string, unknown>): number | undefined {
  const raw = params.maxResults;
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 100) {
    throw invalidParameter(`1 validation error detected: Value '${String(raw)}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100`);
  }
  return value;
}

function optionalString(params: Record<string, unknown>, key: string): string | undefined {
  const v = params[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalidParameter(`${key} must be a string`);
  return v;
}

function requiredString(params: Record<string, unknown>, key: string): string {
  const v = optionalString(params, key);
  if (!v) throw invalidParameter(`${key} is required`);
  return v;
}

function optionalInteger(value: unknown, key: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw invalidParameter(`${key} must be a non-negative integer`);
  return value;
}

function stringMap(value: unknown, key: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw invalidParameter(`${key} must be a map of strings`);
  }
  return value as Record<string, string>;
}

function scalingConfigOf(value: unknown): NodegroupConfigChange['scalingConfig'] {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidParameter('scalingConfig must be an object');
  const v = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries({
      minSize: optionalInteger(v.minSize, 'scalingConfig.minSize'),
      maxSize: optionalInteger(v.maxSize, 'scalingConfig.maxSize'),
      desiredSize: optionalInteger(v.desiredSize, 'scalingConfig.desiredSize'),
    }).filter(([, n]) => n !== undefined),
  );
}

// ------------------------------------------------------------------ shapes

function clusterJson(cluster: ClusterRecord): Record<string, unknown> {
  return {
    name: cluster.name,
    arn: cluster.arn,
    createdAt: epochSeconds(cluster.createdAt),
    version: cluster.version,
    ...(cluster.endpoint ? { endpoint: cluster.endpoint } : {}),
    roleArn: cluster.roleArn,
    resourcesVpcConfig: {
      subnetIds: cluster.subnetIds,
      securityGroupIds: [cluster.securityGroupId],
      clusterSecurityGroupId: cluster.clusterSecurityGroupId,
      vpcId: cluster.vpcId,
      endpointPublicAccess: cluster.endpointPublicAccess,
      endpointPrivateAccess: cluster.endpointPrivateAccess,
      publicAccessCidrs: cluster.publicAccessCidrs,
    },
    kubernetesNetworkConfig: { serviceIpv4Cidr: '172.20.0.0/16', ipFamily: 'ipv4', elasticLoadBalancing: { enabled: false } },
    logging: { clusterLogging: [{ types: ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'], enabled: false }] },
    identity: { oidc: { issuer: `https://oidc.eks.${cluster.arn.split(':')[3]}.amazonaws.com/id/${cluster.oidcId}` } },
    status: cluster.status,
    ...(cluster.certificateAuthorityData ? { certificateAuthority: { data: cluster.certificateAuthorityData } } : {}),
    platformVersion: 'eks.8',
    tags: cluster.tags,
    accessConfig: { authenticationMode: cluster.authenticationMode },
    health: { issues: cluster.health.map((h) => ({ code: h.code, message: h.message ?? '', resourceIds: [] })) },
    upgradePolicy: { supportType: 'STANDARD' },
  };
}

function nodegroupJson(world: World, ng: NodegroupRecord): Record<string, unknown> {
  return {
    nodegroupName: ng.nodegroupName,
    nodegroupArn: ng.arn,
    clusterName: ng.clusterName,
    version: ng.version,
    releaseVersion: ng.releaseVersion,
    createdAt: epochSeconds(ng.createdAt),
    modifiedAt: epochSeconds(ng.modifiedAt),
    status: ng.status,
    capacityType: ng.capacityType,
    scalingConfig: { ...ng.scalingConfig },
    instanceTypes: ng.instanceTypes,
    subnets: ng.subnetIds,
    amiType: ng.amiType,
    nodeRole: ng.nodeRole,
    labels: ng.labels,
    ...(ng.taints.length ? { taints: ng.taints } : {}),
    resources: world.autoScalingGroups.has(ng.autoScalingGroupName) ? { autoScalingGroups: [{ name: ng.autoScalingGroupName }] } : {},
    diskSize: ng.diskSize,
    health: { issues: world.healthIssues(ng) },
    updateConfig: { maxUnavailable: 1 },
    tags: ng.tags,
  };
}

function updateJson(update: NodegroupUpdateRecord): Record<string, unknown> {
  return {
    id: update.id,
    status: update.status,
    type: update.type,
    params: update.params,
    createdAt: epochSeconds(update.createdAt),
    errors: update.errors,
  };
}

// ------------------------------------------------------------------ operations

type Handler = (world: World, params: Record<string, unknown>) => { status?: number; body: Record<string, unknown> };

const HANDLERS: Record<Operation, Handler> = {
  ListClusters(world, params) {
    const page = paginate([...world.clusters.keys()], { maxResults: maxResults(params), nextToken: optionalString(params, 'nextToken'), defaultPageSize: 100, invalidToken });
    return { body: { clusters: page.items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) } };
  },

  DescribeCluster(world, params) {
    return { body: { cluster: clusterJson(world.clusterOrThrow(requiredString(params, 'name'))) } };
  },

  ListNodegroups(world, params) {
    const cluster = world.clusterOrThrow(requiredString(params, 'name'));
    const names = world.nodegroupsOf(cluster.name).map((n) => n.nodegroupName);
    const page = paginate(names, { maxResults: maxResults(params), nextToken: optionalString(params, 'nextToken'), defaultPageSize: 100, invalidToken });
    return { body: { nodegroups: page.items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) } };
  },

  DescribeNodegroup(world, params) {
    const ng = world.nodegroupOrThrow(requiredString(params, 'name'), requiredString(params, 'nodegroupName'));
    return { body: { nodegroup: nodegroupJson(world, ng) } };
  },

  CreateNodegroup(world, params) {
    const subnets = params.subnets;
    if (!Array.isArray(subnets) || subnets.some((s) => typeof s !== 'string')) throw invalidParameter('subnets is required');
    const scaling = scalingConfigOf(params.scalingConfig);
    const input: CreateNodegroupInput = {
      nodegroupName: requiredString(params, 'nodegroupName'),
      subnets: subnets as string[],
      nodeRole: requiredString(params, 'nodeRole'),
      scalingConfig: scaling,
      instanceTypes: Array.isArray(params.instanceTypes) ? (params.instanceTypes as string[]) : undefined,
      amiType: optionalString(params, 'amiType'),
      capacityType: optionalString(params, 'capacityType'),
      labels: stringMap(params.labels, 'labels'),
      tags: stringMap(params.tags, 'tags'),
      version: optionalString(params, 'version'),
      releaseVersion: optionalString(params, 'releaseVersion'),
      diskSize: optionalInteger(params.diskSize, 'diskSize'),
    };
    const ng = world.createNodegroup(requiredString(params, 'name'), input);
    return { body: { nodegroup: nodegroupJson(world, ng) } };
  },

  DeleteNodegroup(world, params) {
    const ng = world.deleteNodegroup(requiredString(params, 'name'), requiredString(params, 'nodegroupName'));
    return { body: { nodegroup: nodegroupJson(world, ng) } };
  },

  UpdateNodegroupConfig(world, params) {
    const labels = params.labels as { addOrUpdateLabels?: unknown; removeLabels?: unknown } | undefined;
    const change: NodegroupConfigChange = {
      scalingConfig: scalingConfigOf(params.scalingConfig),
      labels: labels
        ? {
            addOrUpdateLabels: stringMap(labels.addOrUpdateLabels, 'labels.addOrUpdateLabels'),
            removeLabels: Array.isArray(labels.removeLabels) ? (labels.removeLabels as string[]) : undefined,
          }
        : undefined,
    };
    const update = world.updateNodegroupConfig(requiredString(params, 'name'), requiredString(params, 'nodegroupName'), change);
    return { body: { update: updateJson(update) } };
  },

  UpdateNodegroupVersion(world, params) {
    const update = world.updateNodegroupVersion(requiredString(params, 'name'), requiredString(params, 'nodegroupName'), {
      version: optionalString(params, 'version'),
      releaseVersion: optionalString(params, 'releaseVersion'),
    });
    return { body: { update: updateJson(update) } };
  },

  ListUpdates(world, params) {
    const clusterName = requiredString(params, 'name');
    world.clusterOrThrow(clusterName);
    const nodegroupName = optionalString(params, 'nodegroupName');
    const updates = nodegroupName
      ? world.nodegroupOrThrow(clusterName, nodegroupName).updates
      : world.nodegroupsOf(clusterName).flatMap((n) => n.updates);
    const page = paginate(updates.map((u) => u.id), { maxResults: maxResults(params), nextToken: optionalString(params, 'nextToken'), defaultPageSize: 100, invalidToken });
    return { body: { updateIds: page.items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) } };
  },

  DescribeUpdate(world, params) {
    const clusterName = requiredString(params, 'name');
    world.clusterOrThrow(clusterName);
    const updateId = requiredString(params, 'updateId');
    const nodegroupName = optionalString(params, 'nodegroupName');
    const candidates = nodegroupName ? world.nodegroupOrThrow(clusterName, nodegroupName).updates : world.nodegroupsOf(clusterName).flatMap((n) => n.updates);
    const update = candidates.find((u) => u.id === updateId);
    if (!update) throw new AwsApiError('ResourceNotFoundException', `No update found for ID: ${updateId}`, 404, { clusterName });
    return { body: { update: updateJson(update) } };
  },

  ListAccessEntries(world, params) {
    const cluster = world.clusterOrThrow(requiredString(params, 'name'));
    const page = paginate(cluster.accessEntries.map((e) => e.principalArn), { maxResults: maxResults(params), nextToken: optionalString(params, 'nextToken'), defaultPageSize: 100, invalidToken });
    return { body: { accessEntries: page.items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) } };
  },

  DescribeAccessEntry(world, params) {
    const cluster = world.clusterOrThrow(requiredString(params, 'name'));
    const principalArn = requiredString(params, 'principalArn');
    const entry = cluster.accessEntries.find((e) => e.principalArn === principalArn);
    if (!entry) throw new AwsApiError('ResourceNotFoundException', `The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'.`, 404, { clusterName: cluster.name });
    return { body: { accessEntry: accessEntryJson(world, cluster, entry) } };
  },

  CreateAccessEntry(world, params) {
    const cluster = world.clusterOrThrow(requiredString(params, 'name'));
    const groups = params.kubernetesGroups;
    if (groups !== undefined && (!Array.isArray(groups) || groups.some((g) => typeof g !== 'string'))) throw invalidParameter('kubernetesGroups must be a list of strings');
    const entry = world.createAccessEntry(cluster.name, {
      principalArn: requiredString(params, 'principalArn'),
      type: optionalString(params, 'type'),
      kubernetesGroups: groups as string[] | undefined,
      username: optionalString(params, 'username'),
    });
    return { body: { accessEntry: accessEntryJson(world, cluster, entry) } };
  },

  ListAssociatedAccessPolicies(world, params) {
    const cluster = world.clusterOrThrow(requiredString(params, 'name'));
    const principalArn = requiredString(params, 'principalArn');
    const entry = cluster.accessEntries.find((e) => e.principalArn === principalArn);
    if (!entry) throw new AwsApiError('ResourceNotFoundException', `The specified principalArn could not be found.`, 404, { clusterName: cluster.name });
    return {
      body: {
        clusterName: cluster.name,
        principalArn,
        associatedAccessPolicies: (entry.accessPolicies ?? []).map((policyArn) => ({
          policyArn,
          accessScope: { type: 'cluster', namespaces: [] },
          associatedAt: epochSeconds(cluster.createdAt),
          modifiedAt: epochSeconds(cluster.createdAt),
        })),
      },
    };
  },
};

function accessEntryJson(world: World, cluster: ClusterRecord, entry: ClusterRecord['accessEntries'][number]): Record<string, unknown> {
  const type = entry.type ?? 'STANDARD';
  return {
    clusterName: cluster.name,
    principalArn: entry.principalArn,
    // EC2 node entries: EKS puts the node in system:nodes itself and shows no groups.
    kubernetesGroups: type === 'STANDARD' ? (entry.kubernetesGroups ?? []) : [],
    accessEntryArn: `arn:aws:eks:${world.region}:${world.accountId}:access-entry/${cluster.name}/role/${world.accountId}/${entry.principalArn.split('/').pop()}/${cluster.oidcId.slice(0, 8).toLowerCase()}`,
    createdAt: epochSeconds(cluster.createdAt),
    modifiedAt: epochSeconds(cluster.createdAt),
    tags: {},
    username: type === 'STANDARD' ? accessEntryUsername(entry.principalArn) : 'system:node:{{EC2PrivateDNSName}}',
    type,
  };
}

/** What EKS maps a principal to by default: roles become their sessions. */
function accessEntryUsername(principalArn: string): string {
  const role = /^arn:([^:]+):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(principalArn);
  return role ? `arn:${role[1]}:sts::${role[2]}:assumed-role/${role[3]}/{{SessionName}}` : principalArn;
}

/** Path parameters, query string and JSON body, merged: CloudTrail's requestParameters. */
function requestParameters(request: ServiceRequest, pathParams: Record<string, string>): Record<string, unknown> {
  const body = request.method === 'GET' || request.method === 'DELETE' ? {} : parseJsonBody(request.body);
  return { ...pathParams, ...Object.fromEntries(request.query.entries()), ...body };
}

/** CloudTrail prints EKS response timestamps as "Jun 12, 2024, 8:31:40 AM". */
function cloudTrailTimestamps(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => cloudTrailTimestamps(v));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cloudTrailTimestamps(v, k)]));
  }
  if (typeof value === 'number' && /At$/.test(key)) {
    return new Date(value * 1000).toLocaleString('en-US', {
      month: 'short', day: 'numeric', year: 'numeric', hour: 'numeric', minute: '2-digit', second: '2-digit', hour12: true, timeZone: 'UTC',
    });
  }
  return value;
}

export const eks: ServiceProtocol = {
  name: 'eks',

  operationName(request) {
    return matchRoute(ROUTES, request.method, request.path)?.operation ?? 'Unknown';
  },

  parse(request: ServiceRequest): ParsedCall {
    const match = matchRoute(ROUTES, request.method, request.path);
    if (!match) throw new AwsApiError('UnknownOperationException', `No operation for ${request.method} ${request.path}`, 404);
    const params = requestParameters(request, match.pathParams);
    const handler = HANDLERS[match.operation];
    return {
      operation: match.operation,
      params,
      emitsCloudTrailEvent: CLOUDTRAIL_OPERATIONS.has(match.operation),
      execute(context): OperationResult {
        const { status, body } = handler(context.world, params);
        return { reply: jsonReply(status ?? 200, body, context.requestId), responseElements: cloudTrailTimestamps(body) as Record<string, unknown> };
      },
    };
  },

  errors: {
    ...REST_JSON_AUTH_ERRORS,
    throttle: () => new AwsApiError('ThrottlingException', 'Rate exceeded', 429),
    serverError: () => new AwsApiError('ServerException', 'An internal service error occurred.', 500),
    accessDenied: (operation, callerArn) =>
      new AwsApiError('AccessDeniedException', `User: ${callerArn} is not authorized to perform: eks:${operation} because no identity-based policy allows the eks:${operation} action`, 403),
  },

  errorReply: jsonErrorReply,
};
