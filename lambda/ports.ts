/**
 * What the engine needs from the outside world. Each port is implemented by exactly one
 * adapter (lambda/aws/*.ts, lambda/kubernetes/client.ts) — the only files that talk to an SDK
 * or a socket. Tests may implement ports directly; handler tests mock the SDK clients instead.
 */
import type {
  AutoScalingGroupInfo,
  ClusterInfo,
  InstanceInfo,
  InternetGatewayInfo,
  NatGatewayInfo,
  NetworkAclInfo,
  PrefixListInfo,
  SecurityGroupInfo,
  VpcInfo,
  NodeInfo,
  NodegroupInfo,
  RouteTableInfo,
  ScalingConfig,
  SubnetInfo,
  TriggerKind,
  VpcEndpointInfo,
} from './model';
import type { Action, Outcome } from './report';
import type { AccessEntryInfo, AwsAuthRoleMapping, IamRoleInfo, InstanceProfileInfo, PermissionDecision, ServiceEndpoints, WebhookInfo } from './identity-model';

/**
 * The logging surface of the engine, execute and verify: one message and one record of fields
 * per line. Powertools Logger satisfies it (the Lambda); the CLI and tests pass their own.
 */
export interface RunLogger {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

export interface EksPort {
  listClusters(): Promise<string[]>;
  describeCluster(clusterName: string): Promise<ClusterInfo>;
  listNodegroups(clusterName: string): Promise<string[]>;
  /** throws NotFoundError when the node group does not exist */
  describeNodegroup(clusterName: string, nodegroupName: string): Promise<NodegroupInfo>;
  /** UpdateNodegroupConfig with a new scaling config; returns the update id */
  updateNodegroupScaling(clusterName: string, nodegroupName: string, scaling: ScalingConfig): Promise<string>;
  /** ListAccessEntries: principal ARNs, all pages */
  listAccessEntries(clusterName: string): Promise<string[]>;
  /** DescribeAccessEntry; undefined when there is none for that principal */
  describeAccessEntry(clusterName: string, principalArn: string): Promise<AccessEntryInfo | undefined>;
  /** CreateAccessEntry (the opt-in CREATE_ACCESS_ENTRY); throws ResourceInUseError when it exists */
  createAccessEntry(clusterName: string, principalArn: string, type: string, clientRequestToken?: string): Promise<void>;
}

export interface Ec2Port {
  /** batched; pages through all results */
  describeInstances(instanceIds: string[]): Promise<InstanceInfo[]>;
  describeSubnets(subnetIds: string[]): Promise<SubnetInfo[]>;
  /** every route table of the VPC, with `main` and explicit subnet associations resolved */
  describeRouteTables(vpcId: string): Promise<RouteTableInfo[]>;
  describeRouteTable(routeTableId: string): Promise<RouteTableInfo>;
  describeNatGateways(vpcId: string): Promise<NatGatewayInfo[]>;
  describeInternetGateways(vpcId: string): Promise<InternetGatewayInfo[]>;
  describeVpcEndpoints(vpcId: string): Promise<VpcEndpointInfo[]>;
  /** DNS attributes and DHCP options of the VPC; undefined when the VPC is not found */
  describeVpc(vpcId: string): Promise<VpcInfo | undefined>;
  describeSecurityGroups(vpcId: string): Promise<SecurityGroupInfo[]>;
  describeNetworkAcls(vpcId: string): Promise<NetworkAclInfo[]>;
  /** GetManagedPrefixListEntries per list (named describe*: a read, so the sweep's VPC read memo keeps its entries) */
  describePrefixListEntries(prefixListIds: string[]): Promise<PrefixListInfo[]>;
  /** throws RouteAlreadyExistsError when a 0.0.0.0/0 route is already there */
  createDefaultRoute(routeTableId: string, natGatewayId: string): Promise<void>;
  replaceDefaultRoute(routeTableId: string, natGatewayId: string): Promise<void>;
  /** GetConsoleOutput (latest), decoded from base64; '' when the console is empty */
  getConsoleOutput(instanceId: string): Promise<string>;
}

export interface AutoScalingPort {
  describeAutoScalingGroups(names: string[]): Promise<AutoScalingGroupInfo[]>;
  /** TerminateInstanceInAutoScalingGroup with ShouldDecrementDesiredCapacity=false */
  terminateInstanceKeepCapacity(instanceId: string): Promise<void>;
}

/** Where and how to reach one cluster's Kubernetes API. */
export interface KubernetesTarget {
  clusterName: string;
  endpoint: string;
  /** base64 PEM bundle from DescribeCluster */
  certificateAuthorityData: string;
  region: string;
}

export interface KubernetesPort {
  /** GET /api/v1/nodes?labelSelector=eks.amazonaws.com/nodegroup=<name>, all pages */
  listNodegroupNodes(target: KubernetesTarget, nodegroupName: string): Promise<NodeInfo[]>;
  /** kube-system/aws-auth mapRoles; null when the ConfigMap does not exist */
  readAwsAuthRoleMappings?(target: KubernetesTarget): Promise<AwsAuthRoleMapping[] | null>;
  /** Validating and Mutating webhook configurations, every webhook */
  listAdmissionWebhooks?(target: KubernetesTarget): Promise<WebhookInfo[]>;
  /** ready endpoints of a Service, from its EndpointSlices */
  serviceEndpoints?(target: KubernetesTarget, namespace: string, serviceName: string): Promise<ServiceEndpoints>;
}

/** IAM reads about the node role (lambda/aws/iam.ts). */
export interface IamPort {
  /** GetRole by name; the trust policy decoded */
  getRole(roleName: string): Promise<IamRoleInfo>;
  getInstanceProfile(instanceProfileName: string): Promise<InstanceProfileInfo>;
  /** SimulatePrincipalPolicy of `policySourceArn` for `actions` (resource *) */
  simulatePrincipalPolicy(policySourceArn: string, actions: readonly string[]): Promise<PermissionDecision[]>;
}

/** One management event as CloudTrail LookupEvents returns it, reduced to what the diagnosis reads. */
export interface CloudTrailEventInfo {
  eventId: string;
  eventName: string;
  /** ISO-8601 */
  eventTime: string;
  /** e.g. ec2.amazonaws.com */
  eventSource?: string;
  /** userIdentity.arn from the CloudTrailEvent JSON, else the event's Username */
  callerArn?: string;
  /** the event's Resources (ResourceName: rtb-..., subnet-..., nat-...) */
  resourceNames: string[];
  /** the call failed (errorCode in the CloudTrailEvent JSON): it changed nothing */
  errorCode?: string;
}

export interface CloudTrailPort {
  /**
   * LookupEvents with LookupAttributes ResourceName=`resourceName`, between `startTime` and
   * `endTime`, newest first; at most `maxEvents` (bounded paging). Management events, 90 days.
   */
  lookupResourceEvents(resourceName: string, startTime: Date, endTime: Date, maxEvents?: number): Promise<CloudTrailEventInfo[]>;
}

export interface Ports {
  eks: EksPort;
  ec2: Ec2Port;
  autoscaling: AutoScalingPort;
  kubernetes: KubernetesPort;
  /** absent: the IAM checks are not made */
  iam?: IamPort;
  /** optional: without it, INSTANCES_BOOTED_BEFORE_FIX relies on the ledger and NAT gateway creation times */
  cloudtrail?: CloudTrailPort;
}

/** One finished report as a notification: a subject, the JSON report for machines, a text for people. */
export interface ReportNotification {
  subject: string;
  /** the report of contract section 2, serialized */
  json: string;
  /** a readable rendering (lambda/render.ts), for e-mail */
  text: string;
}

/** Where finished reports go besides the log (SNS in Lambda; nothing in the CLI). */
export interface ReportPublisher {
  publish(notification: ReportNotification): Promise<void>;
}

// --- Deployed shape (contract section 8): leases, the remediation ledger, re-checks --------------

/** One record of the remediation ledger: what this tool did or concluded for one node group. */
export type LedgerRecord =
  | {
      kind: 'action';
      clusterName: string;
      nodegroupName: string;
      /** ISO-8601 */
      time: string;
      remediationId: string;
      trigger: TriggerKind;
      /** the finding code that motivated the action (e.g. NO_DEFAULT_ROUTE, INSTANCES_BOOTED_BEFORE_FIX) */
      cause: string;
      /** the action as reported (status done | failed), detail included: a SCALE_CYCLE's `original` scaling */
      action: Action;
    }
  | {
      kind: 'outcome';
      clusterName: string;
      nodegroupName: string;
      time: string;
      remediationId: string;
      trigger: TriggerKind;
      outcome: Outcome;
      reason: string;
    };

export type LeaseResult =
  | { acquired: true }
  | { acquired: false; heldBy: string; /** ISO-8601 */ expiresAt: string };

/**
 * Leases and the remediation ledger, one DynamoDB table in the deployed shape
 * (lambda/aws/dynamodb.ts); an in-memory one for the CLI and tests (lambda/ledger/memory.ts).
 */
export interface LedgerPort {
  /** true when records outlive this process (a table); false for the in-memory ledger */
  readonly durable: boolean;
  /** appends one record; never overwrites another */
  append(record: LedgerRecord): Promise<void>;
  /** records of one node group, newest first; `since` (ISO-8601) bounds how far back */
  history(clusterName: string, nodegroupName: string, options?: { since?: string; limit?: number }): Promise<LedgerRecord[]>;
  /** conditional write with expiry: acquired when free, expired, or already held by `owner` */
  acquireLease(clusterName: string, nodegroupName: string, owner: string, ttlSeconds: number, now: Date): Promise<LeaseResult>;
  /** releases only a lease `owner` holds */
  releaseLease(clusterName: string, nodegroupName: string, owner: string): Promise<void>;
}

/** The `recheck` payload of contract section 6, input 5. */
export interface RecheckRequest {
  clusterName: string;
  nodegroupName: string;
  remediationId: string;
  reason: 'grace-period' | 'verify' | 'lease-held' | 'continuation';
  /** continuation: the node groups of a sweep not yet examined */
  pending?: { clusterName: string; nodegroupName: string }[];
  /** verify: instances the remediation took away (their lingering Nodes do not count as joined) */
  replacedInstanceIds?: string[];
  /** ISO-8601: when the remediation stops re-checking and reports verification pending */
  verifyUntil?: string;
  /** dry-run state of the run being continued */
  dryRun?: boolean;
}

/** One-time EventBridge Scheduler schedules that invoke the function with `{"recheck": ...}`. */
export interface SchedulerPort {
  /** returns the schedule's name */
  scheduleRecheck(at: Date, recheck: RecheckRequest): Promise<string>;
  deleteSchedule(name: string): Promise<void>;
}
