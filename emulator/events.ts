/**
 * EventBridge events the simulated account emits: "AWS API Call via CloudTrail" for mutating
 * EKS calls, and the Auto Scaling group's "EC2 Instance Launch/Terminate Successful". They are
 * kept in order and handed to subscribers (a harness can deliver them to the Lambda handler).
 */
import { createHash } from 'node:crypto';
import type { ScenarioPrincipal } from './scenario';

export interface EventBridgeEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export type EventListener = (event: EventBridgeEnvelope) => void | Promise<void>;

export class EventLog {
  private readonly events: EventBridgeEnvelope[] = [];
  private readonly listeners = new Set<EventListener>();

  constructor(private readonly onListenerError: (error: unknown) => void = () => undefined) {}

  emit(event: EventBridgeEnvelope): void {
    this.events.push(event);
    for (const listener of this.listeners) {
      try {
        const result = listener(event);
        if (result && typeof (result as Promise<void>).catch === 'function') {
          (result as Promise<void>).catch(this.onListenerError);
        }
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }

  all(): EventBridgeEnvelope[] {
    return [...this.events];
  }

  /** Returns the function that unsubscribes. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  clearListeners(): void {
    this.listeners.clear();
  }
}

/** EventBridge and CloudTrail print times to the second. */
export function eventTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A stable fake IAM unique id (AROA... / AIDA...) derived from the ARN. */
function uniqueId(prefix: string, arn: string): string {
  const digest = createHash('sha256').update(arn).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let out = prefix;
  for (let i = 0; i < 17; i += 1) out += alphabet[(digest[i] ?? 0) % alphabet.length];
  return out;
}

export interface CallerIdentity {
  /** assumed-role session ARN for roles, the user ARN for users */
  arn: string;
  userId: string;
  account: string;
  userIdentity: Record<string, unknown>;
}

/** How a principal appears to AWS (GetCallerIdentity) and in CloudTrail's userIdentity. */
export function callerIdentity(principal: ScenarioPrincipal, sessionStartMs: number): CallerIdentity {
  const match = /^arn:(aws[a-z-]*):(iam|sts)::(\d{12}):(role|user|assumed-role)\/(.+)$/.exec(principal.arn);
  const partition = match?.[1] ?? 'aws';
  const account = match?.[3] ?? '000000000000';
  const kind = match?.[4] ?? 'user';
  const rest = match?.[5] ?? principal.name;
  if (kind === 'user') {
    const userId = uniqueId('AIDA', principal.arn);
    return {
      arn: principal.arn,
      userId,
      account,
      userIdentity: {
        type: 'IAMUser',
        principalId: userId,
        arn: principal.arn,
        accountId: account,
        accessKeyId: principal.accessKeyId,
        userName: rest.split('/').pop(),
      },
    };
  }
  // role/path/NAME, or assumed-role/NAME/session
  const roleName = kind === 'role' ? (rest.split('/').pop() ?? rest) : (rest.split('/')[0] ?? rest);
  const sessionName = kind === 'assumed-role' ? (rest.split('/')[1] ?? principal.name) : (principal.sessionName ?? principal.name);
  const roleArn = kind === 'role' ? principal.arn : `arn:${partition}:iam::${account}:role/${roleName}`;
  const roleId = uniqueId('AROA', roleArn);
  const arn = `arn:${partition}:sts::${account}:assumed-role/${roleName}/${sessionName}`;
  return {
    arn,
    userId: `${roleId}:${sessionName}`,
    account,
    userIdentity: {
      type: 'AssumedRole',
      principalId: `${roleId}:${sessionName}`,
      arn,
      accountId: account,
      accessKeyId: principal.accessKeyId,
      sessionContext: {
        sessionIssuer: { type: 'Role', principalId: roleId, arn: roleArn, accountId: account, userName: roleName },
        webIdFederationData: {},
        attributes: { creationDate: eventTime(sessionStartMs), mfaAuthenticated: 'false' },
      },
    },
  };
}

export interface ApiCallEventInput {
  id: string;
  eventId: string;
  requestId: string;
  timeMs: number;
  account: string;
  region: string;
  /** e.g. "eks" */
  service: string;
  eventName: string;
  identity: CallerIdentity;
  userAgent: string;
  sourceIpAddress: string;
  readOnly: boolean;
  requestParameters: Record<string, unknown> | null;
  responseElements: Record<string, unknown> | null;
  error?: { code: string; message: string };
}

/** "AWS API Call via CloudTrail" as EventBridge delivers it. */
export function apiCallEvent(input: ApiCallEventInput): EventBridgeEnvelope {
  const time = eventTime(input.timeMs);
  return {
    version: '0',
    id: input.id,
    'detail-type': 'AWS API Call via CloudTrail',
    source: `aws.${input.service}`,
    account: input.account,
    time,
    region: input.region,
    resources: [],
    detail: {
      eventVersion: '1.08',
      userIdentity: input.identity.userIdentity,
      eventTime: time,
      eventSource: `${input.service}.amazonaws.com`,
      eventName: input.eventName,
      awsRegion: input.region,
      sourceIPAddress: input.sourceIpAddress,
      userAgent: input.userAgent,
      ...(input.error ? { errorCode: input.error.code, errorMessage: input.error.message } : {}),
      requestParameters: input.requestParameters,
      responseElements: input.error ? null : input.responseElements,
      requestID: input.requestId,
      eventID: input.eventId,
      readOnly: input.readOnly,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: input.account,
      eventCategory: 'Management',
    },
  };
}

export interface InstanceLifecycleEventInput {
  id: string;
  kind: 'launch' | 'terminate';
  account: string;
  region: string;
  autoScalingGroupName: string;
  autoScalingGroupArn: string;
  instanceId: string;
  activityId: string;
  description: string;
  cause: string;
  availabilityZone: string;
  subnetId: string;
  startMs: number;
  endMs: number;
}

/** "EC2 Instance Launch Successful" / "EC2 Instance Terminate Successful" from aws.autoscaling. */
export function instanceLifecycleEvent(input: InstanceLifecycleEventInput): EventBridgeEnvelope {
  const launch = input.kind === 'launch';
  return {
    version: '0',
    id: input.id,
    'detail-type': launch ? 'EC2 Instance Launch Successful' : 'EC2 Instance Terminate Successful',
    source: 'aws.autoscaling',
    account: input.account,
    time: eventTime(input.endMs),
    region: input.region,
    resources: [input.autoScalingGroupArn, `arn:aws:ec2:${input.region}:${input.account}:instance/${input.instanceId}`],
    detail: {
      Origin: launch ? 'EC2' : 'AutoScalingGroup',
      Destination: launch ? 'AutoScalingGroup' : 'EC2',
      StatusCode: 'InProgress',
      Description: input.description,
      AutoScalingGroupName: input.autoScalingGroupName,
      ActivityId: input.activityId,
      Details: { 'Availability Zone': input.availabilityZone, 'Subnet ID': input.subnetId },
      RequestId: input.activityId,
      EndTime: new Date(input.endMs).toISOString(),
      EC2InstanceId: input.instanceId,
      StartTime: new Date(input.startMs).toISOString(),
      Cause: input.cause,
    },
  };
}
