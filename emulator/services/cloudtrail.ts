/**
 * AWS CloudTrail LookupEvents over the JSON 1.1 protocol (X-Amz-Target
 * com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents), so that the SDK and
 * `aws cloudtrail lookup-events` work against the emulator. The trail holds, like CloudTrail's
 * 90-day event history: the scenario's earlier `cloudTrail` history, then every mutating call the
 * emulator served (successful or not, with the caller's identity), recorded by server.ts.
 * Events come newest first, one lookup attribute per request, pages of MaxResults (<= 50).
 */
import { AwsApiError } from '../errors';
import { eventTime } from '../events';
import { epochSeconds, jsonErrorReply, jsonReply, parseJsonBody } from '../protocols/rest-json';
import type { ScenarioCloudTrailEvent } from '../scenario';
import type { World } from '../world/world';
import type { ParsedCall, ServiceProtocol, ServiceRequest } from './types';

/**
 * X-Amz-Target names the operation: the AWS CLI sends the full
 * `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents`, SDK v3 the short
 * `CloudTrail_20131101.LookupEvents`; both are accepted.
 */
const TARGET = /^(?:com\.amazonaws\.cloudtrail\.v20131101\.)?CloudTrail_20131101\.(\w+)$/;
const MAX_RESULTS = 50;
const DAY_MS = 24 * 3600 * 1000;

export interface TrailResource {
  ResourceType: string;
  ResourceName: string;
}

export interface TrailEvent {
  eventId: string;
  eventName: string;
  eventSource: string;
  /** ms since the epoch, simulated */
  timeMs: number;
  readOnly: boolean;
  username?: string;
  accessKeyId?: string;
  resources: TrailResource[];
  /** the CloudTrail record (what CloudTrailEvent carries as a JSON string) */
  record: Record<string, unknown>;
}

/** Resource types CloudTrail names for the ids EC2, EKS and Auto Scaling calls carry. */
const RESOURCE_TYPES: [RegExp, string][] = [
  [/^rtb-/, 'AWS::EC2::RouteTable'],
  [/^rtbassoc-/, 'AWS::EC2::SubnetRouteTableAssociation'],
  [/^subnet-/, 'AWS::EC2::Subnet'],
  [/^nat-/, 'AWS::EC2::NatGateway'],
  [/^vpce-/, 'AWS::EC2::VPCEndpoint'],
  [/^igw-/, 'AWS::EC2::InternetGateway'],
  [/^vpc-/, 'AWS::EC2::VPC'],
  [/^i-/, 'AWS::EC2::Instance'],
  [/^eipalloc-/, 'AWS::EC2::EIP'],
];

/** The resources of a call, from the ids in its parameters and response (as CloudTrail lists them). */
export function resourcesOf(service: string, ...documents: (Record<string, unknown> | null | undefined)[]): TrailResource[] {
  const found = new Map<string, TrailResource>();
  const visit = (value: unknown, key: string): void => {
    if (typeof value === 'string') {
      const type = RESOURCE_TYPES.find(([pattern]) => pattern.test(value))?.[1];
      if (type && /id$/i.test(key)) found.set(value, { ResourceType: type, ResourceName: value });
      if (service === 'eks' && (key === 'name' || key === 'clusterName')) found.set(value, { ResourceType: 'AWS::EKS::Cluster', ResourceName: value });
      if (service === 'eks' && key === 'nodegroupName') found.set(value, { ResourceType: 'AWS::EKS::Nodegroup', ResourceName: value });
      if (service === 'autoscaling' && key === 'autoScalingGroupName') {
        found.set(value, { ResourceType: 'AWS::AutoScaling::AutoScalingGroup', ResourceName: value });
      }
      return;
    }
    if (Array.isArray(value)) value.forEach((item) => visit(item, key.replace(/s$/, '')));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) visit(v, lowerFirst(k));
  };
  for (const document of documents) if (document) visit(document, '');
  return [...found.values()];
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** CloudTrail records EC2 and Auto Scaling request parameters in camelCase (RouteTableId -> routeTableId). */
export function cloudTrailParameters(params: Record<string, unknown>): Record<string, unknown> {
  const convert = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(convert);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [lowerFirst(k), convert(v)]));
    return value;
  };
  return convert(params) as Record<string, unknown>;
}

/** Read-only operations CloudTrail's event history would mark readOnly (never a path change). */
export function isReadOnlyOperation(operation: string): boolean {
  return /^(Describe|List|Get|Lookup|Simulate|Search)/.test(operation);
}

/** The account's event history: the scenario's earlier events and every mutating call served. */
export class CloudTrailLog {
  private readonly events: TrailEvent[] = [];

  add(event: TrailEvent): void {
    this.events.push(event);
  }

  all(): TrailEvent[] {
    return [...this.events].sort((a, b) => b.timeMs - a.timeMs);
  }

  /** The scenario's `cloudTrail` history (contract 7.1), times resolved against the emulator's start. */
  loadHistory(history: readonly ScenarioCloudTrailEvent[], world: World): void {
    for (const entry of history) {
      const timeMs = entry.eventTime !== undefined ? Date.parse(entry.eventTime) : world.startedAt - (entry.eventSecondsAgo ?? 0) * 1000;
      const eventId = world.ids.uuid();
      const eventSource = entry.eventSource ?? 'ec2.amazonaws.com';
      const requestParameters = entry.requestParameters ?? null;
      const resources = (entry.resources ?? []).map((r) => ({ ResourceType: r.resourceType, ResourceName: r.resourceName }));
      const arn = entry.userIdentity?.arn;
      const record = {
        eventVersion: '1.08',
        userIdentity: arn ? { type: arn.includes(':assumed-role/') ? 'AssumedRole' : 'IAMUser', arn, accountId: world.accountId } : {},
        eventTime: eventTime(timeMs),
        eventSource,
        eventName: entry.eventName,
        awsRegion: world.region,
        sourceIPAddress: '203.0.113.10',
        userAgent: 'scenario-history',
        requestParameters,
        responseElements: null,
        eventID: eventId,
        readOnly: false,
        eventType: 'AwsApiCall',
        managementEvent: true,
        recipientAccountId: world.accountId,
        eventCategory: 'Management',
      };
      this.add({
        eventId,
        eventName: entry.eventName,
        eventSource,
        timeMs,
        readOnly: false,
        ...(arn ? { username: arn.split('/').pop() as string } : {}),
        resources: resources.length > 0 ? resources : resourcesOf(eventSource.split('.')[0] as string, requestParameters),
        record,
      });
    }
  }
}

const trails = new WeakMap<World, CloudTrailLog>();

/** The trail of one emulated account (one per world). */
export function trailOf(world: World): CloudTrailLog {
  let trail = trails.get(world);
  if (!trail) {
    trail = new CloudTrailLog();
    trails.set(world, trail);
  }
  return trail;
}

const LOOKUP_KEYS: Record<string, (e: TrailEvent) => string[]> = {
  EventId: (e) => [e.eventId],
  EventName: (e) => [e.eventName],
  EventSource: (e) => [e.eventSource],
  ReadOnly: (e) => [String(e.readOnly)],
  ResourceName: (e) => e.resources.map((r) => r.ResourceName),
  ResourceType: (e) => e.resources.map((r) => r.ResourceType),
  Username: (e) => (e.username ? [e.username] : []),
  AccessKeyId: (e) => (e.accessKeyId ? [e.accessKeyId] : []),
};

function timestamp(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return value * 1000;
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return Date.parse(value);
  throw new AwsApiError('InvalidTimeRangeException', `${field} is not a valid timestamp`);
}

function lookupEvents(world: World, params: Record<string, unknown>): Record<string, unknown> {
  const attributes = (params['LookupAttributes'] ?? []) as { AttributeKey?: string; AttributeValue?: string }[];
  if (!Array.isArray(attributes) || attributes.length > 1) {
    throw new AwsApiError('InvalidLookupAttributesException', 'You cannot specify more than one lookup attribute.');
  }
  const attribute = attributes[0];
  const select = attribute ? LOOKUP_KEYS[attribute.AttributeKey ?? ''] : undefined;
  if (attribute && !select) {
    throw new AwsApiError('InvalidLookupAttributesException', `Invalid attribute key: ${String(attribute.AttributeKey)}`);
  }
  const now = world.clock.now();
  const start = timestamp(params['StartTime'], 'StartTime') ?? now - 90 * DAY_MS;
  const end = timestamp(params['EndTime'], 'EndTime') ?? now;
  if (start > end) throw new AwsApiError('InvalidTimeRangeException', 'StartTime must be before EndTime.');
  const maxResults = params['MaxResults'] === undefined ? MAX_RESULTS : Number(params['MaxResults']);
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > MAX_RESULTS) {
    throw new AwsApiError('InvalidMaxResultsException', `MaxResults must be between 1 and ${MAX_RESULTS}.`);
  }
  const offset = params['NextToken'] === undefined ? 0 : Number.parseInt(String(params['NextToken']), 10);
  if (!Number.isInteger(offset) || offset < 0) throw new AwsApiError('InvalidNextTokenException', 'Invalid NextToken.');

  const matching = trailOf(world)
    .all()
    .filter((e) => e.timeMs >= start && e.timeMs <= end && e.timeMs >= now - 90 * DAY_MS)
    .filter((e) => !attribute || (select as (e: TrailEvent) => string[])(e).includes(attribute.AttributeValue ?? ''));
  const page = matching.slice(offset, offset + maxResults);
  return {
    Events: page.map((e) => ({
      EventId: e.eventId,
      EventName: e.eventName,
      ReadOnly: String(e.readOnly),
      ...(e.accessKeyId ? { AccessKeyId: e.accessKeyId } : {}),
      EventTime: epochSeconds(Math.floor(e.timeMs / 1000) * 1000),
      EventSource: e.eventSource,
      ...(e.username ? { Username: e.username } : {}),
      Resources: e.resources,
      CloudTrailEvent: JSON.stringify(e.record),
    })),
    ...(offset + maxResults < matching.length ? { NextToken: String(offset + maxResults) } : {}),
  };
}

/** Whether an (unauthenticated) request meant CloudTrail, so its error is answered in JSON 1.1. */
export function isCloudTrailRequest(request: ServiceRequest): boolean {
  return TARGET.test(targetOf(request));
}

function targetOf(request: ServiceRequest): string {
  const header = request.headers['x-amz-target'];
  return (Array.isArray(header) ? header[0] : header) ?? '';
}

export const cloudtrail: ServiceProtocol = {
  name: 'cloudtrail',

  operationName(request) {
    return TARGET.exec(targetOf(request))?.[1] ?? 'Unknown';
  },

  parse(request: ServiceRequest): ParsedCall {
    const target = targetOf(request);
    if (TARGET.exec(target)?.[1] !== 'LookupEvents') {
      throw new AwsApiError('UnknownOperationException', `The emulator's CloudTrail serves LookupEvents only, not ${target || '(no X-Amz-Target)'}`);
    }
    const params = parseJsonBody(request.body);
    return {
      operation: 'LookupEvents',
      params,
      emitsCloudTrailEvent: false,
      execute: (context) => ({ reply: jsonReply(200, lookupEvents(context.world, params), context.requestId) }),
    };
  },

  errors: {
    missingAuthentication: () => new AwsApiError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403),
    unknownAccessKey: () => new AwsApiError('UnrecognizedClientException', 'The security token included in the request is invalid.', 400),
    signatureMismatch: () =>
      new AwsApiError('InvalidSignatureException', 'The request signature we calculated does not match the signature you provided.', 400),
    throttle: () => new AwsApiError('ThrottlingException', 'Rate exceeded', 400),
    serverError: () => new AwsApiError('InternalFailure', 'An internal error occurred.', 500),
    accessDenied: (operation, callerArn) =>
      new AwsApiError('AccessDeniedException', `User: ${callerArn} is not authorized to perform: cloudtrail:${operation}`, 400),
  },

  // JSON 1.1 errors: the code as `__type` in the body (the SDK and the CLI read it there).
  errorReply: (error, requestId) => {
    const reply = jsonErrorReply(error, requestId);
    return { ...reply, headers: { ...reply.headers, 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify({ __type: error.code, message: error.message }) };
  },
};

/** Records one call the emulator served in the trail (server.ts), if it is a mutating one. */
export function recordServedCall(
  world: World,
  call: {
    service: string;
    operation: string;
    params: Record<string, unknown>;
    detail: Record<string, unknown>;
    accessKeyId: string;
    timeMs: number;
    responseElements?: Record<string, unknown> | null;
  },
): void {
  if (isReadOnlyOperation(call.operation) || call.service === 'cloudtrail' || call.service === 'sts') return;
  const requestParameters = call.service === 'eks' ? call.params : cloudTrailParameters(call.params);
  const record = { ...call.detail, requestParameters };
  const identity = call.detail['userIdentity'] as { arn?: string; sessionContext?: { sessionIssuer?: { userName?: string } } } | undefined;
  trailOf(world).add({
    eventId: String(call.detail['eventID']),
    eventName: call.operation,
    eventSource: `${call.service}.amazonaws.com`,
    timeMs: call.timeMs,
    readOnly: false,
    ...(identity?.arn ? { username: identity.arn.split('/').pop() as string } : {}),
    accessKeyId: call.accessKeyId,
    resources: resourcesOf(call.service, requestParameters, call.responseElements ?? null),
    record,
  });
}
