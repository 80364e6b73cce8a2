/**
 * The world as the engine sees it: a read-only snapshot gathered by the adapters,
 * then diagnosed and planned by pure functions. Field names follow the AWS APIs
 * (camelCased) so that adapters stay thin.
 */
import type { IdentitySnapshot } from './identity-model';
import type { Action, ActionStatus, ActionType, Finding, InstanceReport, RegistrationSource, Trigger } from './report';

// --- Facts of AWS/EKS the engine relies on, defined once --------------------------------------

/** The IPv4 default route: the only destination this tool ever writes (contract section 3). */
export const DEFAULT_ROUTE_CIDR = '0.0.0.0/0';

/** EKS cluster names: 1-100 of letters, digits, - and _, starting with a letter or digit (CreateCluster `name`). */
export const CLUSTER_NAME_PATTERN = /^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/;
/** EKS node group names: 1-63 of letters, digits, - and _, starting with a letter or digit (CreateNodegroup `nodegroupName`). */
export const NODEGROUP_NAME_PATTERN = /^[0-9A-Za-z][A-Za-z0-9\-_]{0,62}$/;

/** Node group states in which EKS accepts UpdateNodegroupConfig (so a scale cycle can run). */
export const SCALABLE_NODEGROUP_STATUSES: ReadonlySet<string> = new Set(['ACTIVE', 'DEGRADED']);

/**
 * Auto Scaling lifecycle states of an instance leaving its group: Terminating(:Wait|:Proceed),
 * Terminated, Detaching, Detached, EnteringStandby, Standby, Warmed:* (warm pool). Such an
 * instance is not judged, never counts as a joined node, and does not hold up a drain.
 * (https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-lifecycle.html)
 */
const LEAVING_LIFECYCLE = /^(Terminat|Detach|EnteringStandby|Standby|Warmed)/;

export function isLeavingItsGroup(lifecycleState: string): boolean {
  return LEAVING_LIFECYCLE.test(lifecycleState);
}

/** Which input kind asked for the run (contract section 6). */
export type TriggerKind = Trigger['kind'];

/** One node group to examine. `nodegroupName` absent = every node group of the cluster. */
export interface Target {
  clusterName: string;
  nodegroupName?: string;
  trigger: TriggerKind;
  /** Per-invocation dry-run override (manual payload `dryRun`). */
  dryRun?: boolean;
  /** Free-form description of the triggering event, for logs. */
  triggerDetail?: string;
  /** The report's `trigger` (event id / caller / instance id); default: built from `trigger` and `triggerDetail`. */
  triggeredBy?: Trigger;
  /** A re-check continues this remediation (contract section 8): its reports carry the same id. */
  remediationId?: string;
}

/** An input the handler must not act on, with the reason (outcome SKIPPED). */
export interface SkippedInput {
  skipped: true;
  clusterName?: string;
  nodegroupName?: string;
  reason: string;
  /** the manual payload's dry-run override, so the SKIPPED report shows the run that was asked for */
  dryRun?: boolean;
}

export interface ScalingConfig {
  minSize: number;
  maxSize: number;
  desiredSize: number;
}

export interface HealthIssue {
  code: string;
  message?: string;
  resourceIds: string[];
}

export interface NodegroupInfo {
  clusterName: string;
  nodegroupName: string;
  /** EKS status: CREATING | ACTIVE | UPDATING | DELETING | CREATE_FAILED | DELETE_FAILED | DEGRADED */
  status: string;
  subnetIds: string[];
  scalingConfig: ScalingConfig;
  tags: Record<string, string>;
  autoScalingGroupNames: string[];
  healthIssues: HealthIssue[];
  /** IAM role ARN the node group's instances use (DescribeNodegroup nodeRole) */
  nodeRole?: string;
  /** AL2_x86_64 | AL2023_x86_64_STANDARD | BOTTLEROCKET_... | WINDOWS_... | CUSTOM */
  amiType?: string;
}

export interface ClusterInfo {
  name: string;
  status: string;
  /** https URL of the Kubernetes API */
  endpoint?: string;
  /** base64 PEM bundle, as DescribeCluster returns it */
  certificateAuthorityData?: string;
  vpcId: string;
  endpointPublicAccess: boolean;
  endpointPrivateAccess: boolean;
  /** resourcesVpcConfig.publicAccessCidrs (EKS default ["0.0.0.0/0"]); absent when not read */
  publicAccessCidrs?: string[];
  /** resourcesVpcConfig.clusterSecurityGroupId: the group EKS puts on the endpoint ENIs and, by default, on nodes */
  clusterSecurityGroupId?: string;
  /** resourcesVpcConfig.securityGroupIds: extra groups on the endpoint ENIs */
  securityGroupIds?: string[];
  /** accessConfig.authenticationMode: API | API_AND_CONFIG_MAP | CONFIG_MAP */
  authenticationMode?: string;
  /** health.issues of the cluster (DescribeCluster) */
  healthIssues?: HealthIssue[];
}

export interface AutoScalingGroupInfo {
  name: string;
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  tags: Record<string, string>;
  instances: { instanceId: string; lifecycleState: string; healthStatus: string; availabilityZone: string }[];
  /** subnets the group launches into (VPCZoneIdentifier); absent when the adapter did not read it */
  subnetIds?: string[];
}

export interface InstanceInfo {
  instanceId: string;
  /** pending | running | shutting-down | terminated | stopping | stopped */
  state: string;
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  /** ISO-8601 */
  launchTime: string;
  publicIpAddress?: string;
  privateDnsName?: string;
  autoScalingGroupName?: string;
  privateIpAddress?: string;
  /** ids of the instance's security groups (launch template or EKS default: the cluster security group) */
  securityGroupIds?: string[];
  /** IamInstanceProfile.Arn */
  iamInstanceProfileArn?: string;
  /** MetadataOptions.HttpEndpoint: enabled | disabled */
  metadataHttpEndpoint?: string;
}

export interface SubnetInfo {
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  cidrBlock: string;
  mapPublicIpOnLaunch: boolean;
  /** DescribeSubnets AvailableIpAddressCount: free IPv4 addresses now */
  availableIpAddressCount?: number;
}

export interface RouteInfo {
  destinationCidrBlock?: string;
  destinationIpv6CidrBlock?: string;
  destinationPrefixListId?: string;
  gatewayId?: string;
  natGatewayId?: string;
  transitGatewayId?: string;
  networkInterfaceId?: string;
  vpcPeeringConnectionId?: string;
  instanceId?: string;
  localGatewayId?: string;
  carrierGatewayId?: string;
  egressOnlyInternetGatewayId?: string;
  coreNetworkArn?: string;
  /** active | blackhole */
  state: string;
  /** CreateRouteTable | CreateRoute | EnableVgwRoutePropagation */
  origin?: string;
}

export interface RouteTableInfo {
  routeTableId: string;
  vpcId: string;
  /** true when this is the VPC's main route table */
  main: boolean;
  /** subnets explicitly associated with this table */
  subnetIds: string[];
  routes: RouteInfo[];
}

export interface NatGatewayInfo {
  natGatewayId: string;
  subnetId: string;
  vpcId: string;
  /** pending | failed | available | deleting | deleted */
  state: string;
  /** public | private */
  connectivityType: string;
  /** the Elastic IP the NAT gateway sends traffic from (public NAT gateways) */
  publicIp?: string;
  /** ISO-8601 CreateTime (absent when EC2 did not return it) */
  createTime?: string;
}

export interface InternetGatewayInfo {
  internetGatewayId: string;
  /** VPCs the gateway is attached to (attachment state available/attached) */
  attachedVpcIds: string[];
}

export interface VpcEndpointInfo {
  vpcEndpointId: string;
  vpcId: string;
  serviceName: string;
  vpcEndpointType: string;
  state: string;
  subnetIds: string[];
  routeTableIds: string[];
  /** interface endpoints: whether the service's default DNS name resolves to the endpoint */
  privateDnsEnabled?: boolean;
  /** interface endpoints: the groups on the endpoint network interfaces */
  securityGroupIds?: string[];
}

/** The VPC's DNS facts: DescribeVpcs + DescribeVpcAttribute (x2) + DescribeDhcpOptions. */
export interface VpcInfo {
  vpcId: string;
  cidrBlock: string;
  /** enableDnsSupport: the Amazon DNS server (VPC base + 2) answers */
  enableDnsSupport: boolean;
  /** enableDnsHostnames: needed for private DNS of interface endpoints and the private cluster endpoint */
  enableDnsHostnames: boolean;
  dhcpOptionsId?: string;
  /** domain-name-servers of the DHCP options set (["AmazonProvidedDNS"] by default) */
  domainNameServers: string[];
}

/**
 * One security group rule as DescribeSecurityGroups returns it, flattened to one peer.
 * protocol: "tcp" | "udp" | "icmp" | "-1" (all protocols, ports ignored) or an IANA number.
 */
export interface SecurityGroupRuleInfo {
  protocol: string;
  fromPort?: number;
  toPort?: number;
  cidrIpv4?: string;
  /** the peer is every network interface carrying this group */
  referencedGroupId?: string;
  /** the peer is the CIDRs of this managed prefix list */
  prefixListId?: string;
}

export interface SecurityGroupInfo {
  groupId: string;
  groupName?: string;
  vpcId: string;
  ingress: SecurityGroupRuleInfo[];
  egress: SecurityGroupRuleInfo[];
}

/** One network ACL entry. protocol as for security group rules; ports ignored for "-1". */
export interface NetworkAclEntryInfo {
  ruleNumber: number;
  egress: boolean;
  protocol: string;
  fromPort?: number;
  toPort?: number;
  cidrBlock?: string;
  ruleAction: 'allow' | 'deny';
}

export interface NetworkAclInfo {
  networkAclId: string;
  vpcId: string;
  /** the VPC's default ACL: used by every subnet without an explicit association */
  isDefault: boolean;
  subnetIds: string[];
  entries: NetworkAclEntryInfo[];
}

/** A managed prefix list (GetManagedPrefixListEntries), e.g. com.amazonaws.us-west-2.s3. */
export interface PrefixListInfo {
  prefixListId: string;
  prefixListName?: string;
  cidrs: string[];
}

/** The network facts of one VPC, enough to resolve any subnet's egress path. */
export interface NetworkSnapshot {
  vpcId: string;
  subnets: SubnetInfo[];
  /** every route table of the VPC (so the main table and NAT subnets' tables are known) */
  routeTables: RouteTableInfo[];
  natGateways: NatGatewayInfo[];
  internetGateways: InternetGatewayInfo[];
  vpcEndpoints: VpcEndpointInfo[];
  /** DNS attributes and DHCP options; absent when not read (older snapshots): DNS checks skip */
  vpc?: VpcInfo;
  /** every security group of the VPC; absent when not read: security group checks skip */
  securityGroups?: SecurityGroupInfo[];
  /** every network ACL of the VPC; absent when not read: network ACL checks skip */
  networkAcls?: NetworkAclInfo[];
  /** the prefix lists referenced by the VPC's security group rules */
  prefixLists?: PrefixListInfo[];
}

export interface NodeInfo {
  name: string;
  providerID?: string;
  /** instance id parsed from providerID, when it is an EC2 instance */
  instanceId?: string;
  ready: boolean;
}

/** How registration was established. */
export interface RegistrationSnapshot {
  source: RegistrationSource;
  /** Nodes of the node group (kubernetes-api source only). */
  nodes: NodeInfo[];
  /** Why the Kubernetes API could not be used (nodegroup-health source only). */
  unavailableReason?: string;
}

/** Everything the diagnosis needs, gathered with a bounded number of calls. */
export interface Snapshot {
  region: string;
  /** ISO-8601 time the snapshot was taken: the diagnosis's clock. */
  takenAt: string;
  cluster: ClusterInfo;
  nodegroup: NodegroupInfo;
  autoScalingGroups: AutoScalingGroupInfo[];
  /** live instances of the node group's ASGs (terminated ones excluded) */
  instances: InstanceInfo[];
  registration: RegistrationSnapshot;
  network: NetworkSnapshot;
  /** the identity and bootstrap side (lambda/identity-snapshot.ts); absent when not gathered */
  identity?: IdentitySnapshot;
  /**
   * What changed on the paths of unregistered instances, and what this tool did to the node
   * group (lambda/history.ts). Absent when not gathered (no unregistered instance on a working path).
   */
  history?: PathHistory;
}

/** One change that can complete a node's path to the AWS APIs (a route, an association, a NAT gateway, an endpoint). */
export interface PathChange {
  /** where the fact comes from: this tool's ledger, CloudTrail LookupEvents, or DescribeNatGateways CreateTime */
  source: 'ledger' | 'cloudtrail' | 'nat-gateway-create-time';
  /** CreateRoute, ReplaceRoute, AssociateRouteTable, CreateNatGateway, ... */
  eventName: string;
  /** ISO-8601 */
  time: string;
  /** the caller's ARN (CloudTrail userIdentity.arn, or this tool for the ledger) */
  by?: string;
  /** ids the change touched (rtb-, subnet-, nat-, vpce-, igw-) */
  resourceIds: string[];
  eventId?: string;
}

/** A record of this tool's own remediation ledger, as the plan reads it. */
export interface LedgerEntry {
  time: string;
  remediationId: string;
  cause: string;
  action: Action;
}

export interface PathHistory {
  changes: PathChange[];
  /** done/failed actions this tool recorded for the node group (newest first), from the ledger */
  ledger: LedgerEntry[];
  /** false when the ledger lives only in this process (no ledger table) */
  ledgerDurable: boolean;
  /** set when CloudTrail could not be read (the other sources still count) */
  cloudTrailUnavailable?: string;
}

/** The effective egress path of one subnet, as diagnosed. */
export type EgressKind =
  | 'nat'
  | 'internet-gateway'
  | 'none'
  | 'blackhole'
  | 'nat-unavailable'
  | 'unverified'
  | 'vpc-endpoints';

export interface SubnetPath {
  subnetId: string;
  availabilityZone: string;
  routeTableId: string;
  /** the route table is the VPC's main table (no explicit association) */
  viaMainTable: boolean;
  /** the route table also serves other subnets, or is the main table */
  shared: boolean;
  egress: EgressKind;
  defaultRoute?: RouteInfo;
  /** the subnet has the interface/gateway endpoints nodes need without internet egress */
  hasPrivateEndpointPath: boolean;
}

export interface Diagnosis {
  instances: InstanceReport[];
  findings: Finding[];
  subnetPaths: SubnetPath[];
  /** instance ids older than the grace period with no Node */
  unregisteredInstanceIds: string[];
  /** instances that are still inside the grace period, not judged yet */
  youngInstanceIds: string[];
}

/** A plan is an ordered list of actions (status 'planned') plus why nothing else was planned. */
export interface Plan {
  actions: EngineAction[];
  /** set when a problem was found that the tool must not or cannot fix */
  unresolvedReason?: string;
}

/**
 * The `detail` of each action type: what execute needs, and what the report shows. Type aliases
 * (not interfaces) so that an `EngineAction` widens to the report's JSON `Action`
 * (`detail: Record<string, unknown>`) by plain assignment, at the report boundary only.
 */

/** Why an action failed (execute's `detail.error`). */
export type ActionErrorDetail = { name: string; code?: string; message: string };

/** Rule 10's cool-down, recorded on the recycle it allowed. */
export type CooldownDetail = { seconds: number; nextAllowedAt: string; scope: string };

export type RouteActionDetail = {
  routeTableId: string;
  destinationCidrBlock: typeof DEFAULT_ROUTE_CIDR;
  natGatewayId: string;
  /** subnets whose unregistered instances this route serves */
  subnetIds: string[];
  /** the route being replaced (REPLACE_ROUTE only) */
  previousRoute?: RouteInfo;
  /** planned for a subnet a replacement can launch in (rule 11) */
  launchSubnet?: true;
  // progress recorded by execute
  alreadyPresent?: boolean;
  existingRoute?: RouteInfo;
  previousRouteGone?: boolean;
  replacedRoute?: RouteInfo;
  error?: ActionErrorDetail;
};

export type ReplaceInstancesDetail = {
  instanceIds: string[];
  autoScalingGroupNames: string[];
  /** set when a scale cycle was asked for but refused (rule 6) */
  fallbackFrom?: 'scale-cycle';
  fallbackReason?: string | undefined;
  /** the finding code the recycle is recorded under (the cool-down's key) */
  cause?: string;
  cooldown?: CooldownDetail;
  // progress recorded by execute
  terminatedInstanceIds?: string[];
  registeredSinceSnapshotInstanceIds?: string[];
  alreadyGoneInstanceIds?: string[];
  note?: string;
  registrationRecheck?: string;
  error?: ActionErrorDetail;
};

export type ScaleCycleDetail = {
  clusterName: string;
  nodegroupName: string;
  /** the scaling config to restore after desiredSize 0 */
  original: ScalingConfig;
  cause?: string;
  cooldown?: CooldownDetail;
  // progress recorded by execute
  updateIds?: string[];
  scaledDownTo?: ScalingConfig;
  restoredTo?: ScalingConfig;
  nodegroupLeftAt?: ScalingConfig;
  restoreCommand?: string;
  registrationRecheck?: string;
  error?: ActionErrorDetail;
};

export type RestoreScalingDetail = {
  clusterName: string;
  nodegroupName: string;
  /** the scaling the earlier scale cycle recorded, put back */
  original: ScalingConfig;
  current: ScalingConfig;
  strandedBy: { remediationId: string; time: string };
  cause: string;
  // progress recorded by execute
  restoreCommand?: string;
  updateIds?: string[];
  restoredTo?: ScalingConfig;
  error?: ActionErrorDetail;
};

export type CreateAccessEntryDetail = {
  clusterName: string;
  principalArn: string;
  type: 'EC2_LINUX' | 'EC2_WINDOWS';
  authenticationMode: string;
  // progress recorded by execute
  alreadyPresent?: boolean;
  error?: ActionErrorDetail;
};

type ActionOf<T extends ActionType, D> = { type: T; resourceId: string; status: ActionStatus; detail: D };
export type CreateRouteAction = ActionOf<'CREATE_ROUTE', RouteActionDetail>;
export type ReplaceRouteAction = ActionOf<'REPLACE_ROUTE', RouteActionDetail>;
export type ReplaceInstancesAction = ActionOf<'REPLACE_INSTANCES', ReplaceInstancesDetail>;
export type ScaleCycleAction = ActionOf<'SCALE_CYCLE', ScaleCycleDetail>;
export type CreateAccessEntryAction = ActionOf<'CREATE_ACCESS_ENTRY', CreateAccessEntryDetail>;
export type RestoreScalingAction = ActionOf<'RESTORE_SCALING', RestoreScalingDetail>;

/** An action inside the engine (plan -> execute -> verify), typed per `type`; a report's `Action` is its JSON widening. */
export type EngineAction =
  | CreateRouteAction
  | ReplaceRouteAction
  | ReplaceInstancesAction
  | ScaleCycleAction
  | CreateAccessEntryAction
  | RestoreScalingAction;

/**
 * A report's action read back as the engine's (a report this engine wrote, e.g. for rendering):
 * the one narrowing from JSON, trusted because only the engine writes reports.
 */
export function asEngineAction(action: Action): EngineAction {
  return action as EngineAction;
}
