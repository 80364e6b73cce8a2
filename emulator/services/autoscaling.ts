/**
 * Amazon EC2 Auto Scaling over the AWS Query protocol: form-encoded POST in,
 * `<XResponse xmlns=".../2011-01-01/"><XResult>` out, lists as `<member>`, errors as
 * `<ErrorResponse><Error><Type>Sender</Type><Code>…`.
 */
import { AwsApiError } from '../errors';
import { parseForm, QueryParams, queryErrorReply } from '../protocols/query';
import { compact, xmlDocument, type XmlObject } from '../protocols/xml';
import type { AutoScalingGroupRecord, InstanceRecord, ScalingActivityRecord } from '../world/state';
import type { World } from '../world/world';
import { applyFilters, type Filter, paginate } from './listing';
import type { HttpReply, OperationResult, ParsedCall, ServiceProtocol, ServiceRequest } from './types';

const NAMESPACE = 'http://autoscaling.amazonaws.com/doc/2011-01-01/';

function requestParams(request: ServiceRequest): QueryParams {
  return new QueryParams({ ...Object.fromEntries(request.query.entries()), ...parseForm(request.body) });
}

const validation = (message: string): AwsApiError => new AwsApiError('ValidationError', message);
const missing = (name: string): AwsApiError =>
  validation(`1 validation error detected: Value null at '${name.charAt(0).toLowerCase()}${name.slice(1)}' failed to satisfy constraint: Member must not be null`);
const invalidInteger = (name: string, value: string): AwsApiError => validation(`Value '${value}' at '${name}' failed to satisfy constraint: Member must be an integer`);
const invalidToken = (): AwsApiError => new AwsApiError('InvalidNextToken', 'The token is invalid or has expired.');

function maxRecords(params: QueryParams, max: number): number | undefined {
  const value = params.integer('MaxRecords', invalidInteger);
  if (value !== undefined && (value < 1 || value > max)) {
    throw validation(`1 validation error detected: Value '${value}' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to ${max}`);
  }
  return value;
}

function reply(action: string, requestId: string, result: XmlObject | undefined): OperationResult {
  const body: XmlObject = {
    ...(result ? { [`${action}Result`]: result } : {}),
    ResponseMetadata: { RequestId: requestId },
  };
  return {
    reply: {
      status: 200,
      headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
      body: xmlDocument(`${action}Response`, NAMESPACE, body, 'member'),
    },
  };
}

const LIFECYCLE: Record<string, string> = {
  pending: 'Pending',
  running: 'InService',
  'shutting-down': 'Terminating',
  terminated: 'Terminated',
};

function launchTemplateXml(asg: AutoScalingGroupRecord): XmlObject {
  return { LaunchTemplateId: asg.launchTemplate.id, LaunchTemplateName: asg.launchTemplate.name, Version: asg.launchTemplate.version };
}

function groupXml(world: World, asg: AutoScalingGroupRecord): XmlObject {
  const zones = [...new Set(asg.subnetIds.map((id) => world.subnets.get(id)?.availabilityZone).filter((z): z is string => !!z))];
  return {
    AutoScalingGroupName: asg.name,
    AutoScalingGroupARN: asg.arn,
    LaunchTemplate: launchTemplateXml(asg),
    MinSize: asg.minSize,
    MaxSize: asg.maxSize,
    DesiredCapacity: asg.desiredCapacity,
    DefaultCooldown: 300,
    AvailabilityZones: zones,
    LoadBalancerNames: [],
    TargetGroupARNs: [],
    HealthCheckType: 'EC2',
    HealthCheckGracePeriod: 15,
    Instances: world.asgMembers(asg).map((i: InstanceRecord) => ({
      InstanceId: i.instanceId,
      InstanceType: i.instanceType,
      AvailabilityZone: i.availabilityZone,
      LifecycleState: LIFECYCLE[i.state] ?? 'InService',
      HealthStatus: 'Healthy',
      LaunchTemplate: launchTemplateXml(asg),
      ProtectedFromScaleIn: false,
    })),
    CreatedTime: new Date(asg.createdTime),
    SuspendedProcesses: [],
    VPCZoneIdentifier: asg.subnetIds.join(','),
    EnabledMetrics: [],
    Tags: asg.tags.map((t) => ({
      ResourceId: asg.name,
      ResourceType: 'auto-scaling-group',
      Key: t.key,
      Value: t.value,
      PropagateAtLaunch: t.propagateAtLaunch,
    })),
    TerminationPolicies: ['AllocationStrategy', 'OldestLaunchTemplate', 'OldestInstance'],
    NewInstancesProtectedFromScaleIn: false,
    ServiceLinkedRoleARN: `arn:aws:iam::${world.accountId}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
    CapacityRebalance: true,
    TrafficSources: [],
  };
}

function activityXml(a: ScalingActivityRecord): XmlObject {
  return compact({
    ActivityId: a.activityId,
    AutoScalingGroupName: a.autoScalingGroupName,
    Description: a.description,
    Cause: a.cause,
    StartTime: new Date(a.startTime),
    EndTime: a.endTime !== undefined ? new Date(a.endTime) : undefined,
    StatusCode: a.statusCode,
    Progress: a.progress,
    Details: JSON.stringify(a.details),
    AutoScalingGroupARN: a.autoScalingGroupArn,
  });
}

type Handler = (world: World, params: QueryParams) => XmlObject | undefined;

const HANDLERS: Record<string, Handler> = {
  DescribeAutoScalingGroups(world, params) {
    const names = params.list('AutoScalingGroupNames');
    const filters: Filter[] = params.structs('Filters').map((f) => ({ name: f.required('Name', missing), values: f.list('Values') }));
    const all = [...world.autoScalingGroups.values()];
    const named = names.length ? all.filter((a) => names.includes(a.name)) : all;
    const filtered = applyFilters(named, filters, {}, (a) => Object.fromEntries(a.tags.map((t) => [t.key, t.value])), (name) =>
      validation(`Filter type ${name} is not correct. Allowed Filter types are: auto-scaling-group key value propagate-at-launch tag-key tag-value tag:<key>`),
    );
    const page = paginate(filtered, { maxResults: maxRecords(params, 100), nextToken: params.string('NextToken'), defaultPageSize: 50, invalidToken });
    return compact({ AutoScalingGroups: page.items.map((a) => groupXml(world, a)), NextToken: page.nextToken });
  },

  DescribeScalingActivities(world, params) {
    const name = params.string('AutoScalingGroupName');
    const ids = params.list('ActivityIds');
    const newestFirst = [...world.activities].reverse();
    const selected = newestFirst.filter((a) => (!name || a.autoScalingGroupName === name) && (!ids.length || ids.includes(a.activityId)));
    const page = paginate(selected, { maxResults: maxRecords(params, 100), nextToken: params.string('NextToken'), defaultPageSize: 100, invalidToken });
    return compact({ Activities: page.items.map(activityXml), NextToken: page.nextToken });
  },

  DescribeAutoScalingInstances(world, params) {
    const ids = params.list('InstanceIds');
    const members = [...world.autoScalingGroups.values()].flatMap((asg) => world.asgMembers(asg).map((i) => ({ asg, i })));
    const selected = ids.length ? members.filter((m) => ids.includes(m.i.instanceId)) : members;
    const page = paginate(selected, { maxResults: maxRecords(params, 50), nextToken: params.string('NextToken'), defaultPageSize: 50, invalidToken });
    return compact({
      AutoScalingInstances: page.items.map(({ asg, i }) => ({
        InstanceId: i.instanceId,
        InstanceType: i.instanceType,
        AutoScalingGroupName: asg.name,
        AvailabilityZone: i.availabilityZone,
        LifecycleState: LIFECYCLE[i.state] ?? 'InService',
        HealthStatus: 'HEALTHY',
        LaunchTemplate: launchTemplateXml(asg),
        ProtectedFromScaleIn: false,
      })),
      NextToken: page.nextToken,
    });
  },

  TerminateInstanceInAutoScalingGroup(world, params) {
    const instanceId = params.required('InstanceId', missing);
    const decrement = params.required('ShouldDecrementDesiredCapacity', missing).toLowerCase() === 'true';
    return { Activity: activityXml(world.terminateInstanceInAutoScalingGroup(instanceId, decrement)) };
  },

  SetDesiredCapacity(world, params) {
    const name = params.required('AutoScalingGroupName', missing);
    const desired = params.integer('DesiredCapacity', invalidInteger);
    if (desired === undefined) throw missing('DesiredCapacity');
    world.setDesiredCapacity(name, desired);
    return undefined;
  },

  UpdateAutoScalingGroup(world, params) {
    const name = params.required('AutoScalingGroupName', missing);
    world.updateAutoScalingGroup(name, {
      minSize: params.integer('MinSize', invalidInteger),
      maxSize: params.integer('MaxSize', invalidInteger),
      desiredCapacity: params.integer('DesiredCapacity', invalidInteger),
    });
    return undefined;
  },
};

export const autoscaling: ServiceProtocol = {
  name: 'autoscaling',

  operationName(request) {
    return requestParams(request).action ?? 'Unknown';
  },

  parse(request: ServiceRequest): ParsedCall {
    const params = requestParams(request);
    const action = params.action;
    if (!action) throw new AwsApiError('MissingAction', 'Could not find operation for the request: no Action parameter');
    const handler = HANDLERS[action];
    if (!handler) throw new AwsApiError('InvalidAction', `Could not find operation ${action} for version 2011-01-01`);
    return {
      operation: action,
      params: params.nested(),
      emitsCloudTrailEvent: false,
      execute: (context) => reply(action, context.requestId, handler(context.world, params)),
    };
  },

  errors: {
    missingAuthentication: () => new AwsApiError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403),
    unknownAccessKey: () => new AwsApiError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403),
    signatureMismatch: () =>
      new AwsApiError(
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
        403,
      ),
    throttle: () => new AwsApiError('Throttling', 'Rate exceeded', 400),
    serverError: () => new AwsApiError('InternalFailure', 'An internal error occurred.', 500),
    accessDenied: (operation, callerArn) =>
      new AwsApiError(
        'AccessDenied',
        `User: ${callerArn} is not authorized to perform: autoscaling:${operation} because no identity-based policy allows the autoscaling:${operation} action`,
        403,
      ),
  },

  errorReply(error: AwsApiError, requestId: string): HttpReply {
    return queryErrorReply(NAMESPACE, error, requestId);
  },
};
