/**
 * The records the simulated world keeps. Times are epoch milliseconds of the simulation clock.
 * Derived facts (route states, the implied local route, health issues) are computed on read.
 */
import type { NatGatewayState, ScenarioAccessEntry, ScenarioScalingConfig } from '../scenario';
import type { AuthenticationMode, ScenarioHealthIssue, ScenarioRoleMapping, ScenarioWebhook } from '../scenario-identity';

export type Tags = Record<string, string>;

export interface VpcRecord {
  vpcId: string;
  cidrBlock: string;
  tags: Tags;
  cidrAssociationId: string;
  dhcpOptionsId: string;
  enableDnsSupport: boolean;
  enableDnsHostnames: boolean;
  /** domain-name-servers of its DHCP options set */
  domainNameServers: string[];
}

/** One security group rule, one peer (the scenario's shape). protocol "tcp" | "udp" | "icmp" | "-1". */
export interface SecurityGroupRuleRecord {
  ruleId: string;
  protocol: string;
  fromPort?: number;
  toPort?: number;
  cidr?: string;
  /** sourceGroupId (ingress) or destinationGroupId (egress) */
  groupId?: string;
  prefixListId?: string;
  description?: string;
}

export interface SecurityGroupRecord {
  groupId: string;
  groupName: string;
  description: string;
  vpcId: string;
  ingress: SecurityGroupRuleRecord[];
  egress: SecurityGroupRuleRecord[];
  tags: Tags;
}

export interface PrefixListRecord {
  prefixListId: string;
  prefixListName: string;
  cidrs: string[];
  /** AWS-managed (com.amazonaws.REGION.s3 ...) or customer-managed */
  ownerId: string;
}

export interface NetworkAclEntryRecord {
  ruleNumber: number;
  egress: boolean;
  /** as the EC2 API shows it: "6", "17", "1" or "-1" */
  protocol: string;
  portRange?: { from: number; to: number };
  cidrBlock: string;
  ruleAction: 'allow' | 'deny';
}

export interface NetworkAclRecord {
  networkAclId: string;
  vpcId: string;
  isDefault: boolean;
  /** explicitly associated subnets (the default ACL: every other subnet of the VPC) */
  subnetIds: string[];
  /** entries without the implicit final `*` deny (32767), which is always there */
  entries: NetworkAclEntryRecord[];
  tags: Tags;
}

export interface SubnetRecord {
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  cidrBlock: string;
  mapPublicIpOnLaunch: boolean;
  tags: Tags;
  /** addresses held by what the world does not model (the scenario's availableIpAddressCount) */
  unmodelledAddresses?: number;
}

export interface InternetGatewayRecord {
  internetGatewayId: string;
  vpcId?: string;
  tags: Tags;
}

export interface NatGatewayRecord {
  natGatewayId: string;
  subnetId: string;
  vpcId: string;
  state: NatGatewayState;
  connectivityType: 'public' | 'private';
  createTime: number;
  deleteTime?: number;
  privateIp: string;
  publicIp?: string;
  allocationId?: string;
  associationId?: string;
  networkInterfaceId: string;
  tags: Tags;
}

export type RouteOrigin = 'CreateRouteTable' | 'CreateRoute' | 'EnableVgwRoutePropagation';

export interface RouteRecord {
  destinationCidrBlock: string;
  gatewayId?: string;
  natGatewayId?: string;
  transitGatewayId?: string;
  networkInterfaceId?: string;
  vpcPeeringConnectionId?: string;
  instanceId?: string;
  origin: RouteOrigin;
  /** the scenario declared this target gone (kinds the world does not model) */
  declaredBlackhole?: boolean;
}

export interface RouteTableAssociationRecord {
  associationId: string;
  subnetId: string;
}

export interface RouteTableRecord {
  routeTableId: string;
  vpcId: string;
  main: boolean;
  mainAssociationId?: string;
  associations: RouteTableAssociationRecord[];
  /** explicit routes; the VPC's local route is implied */
  routes: RouteRecord[];
  tags: Tags;
}

export interface VpcEndpointRecord {
  vpcEndpointId: string;
  vpcId: string;
  serviceName: string;
  vpcEndpointType: 'Interface' | 'Gateway' | 'GatewayLoadBalancer';
  state: string;
  subnetIds: string[];
  routeTableIds: string[];
  creationTimestamp: number;
  privateDnsEnabled: boolean;
  /** interface endpoints: empty = admits TCP 443 from the VPC's CIDR (scenario default) */
  securityGroupIds: string[];
}

export type InstanceState = 'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';

/** What happened to the kubelet of an instance. */
export type BootstrapOutcome =
  | 'not-booted'
  /** booted with a path to the AWS APIs; the node registers after nodeJoinSeconds */
  | 'joining'
  | 'joined'
  /** booted without a path: kubelet gave up and never registers */
  | 'no-path'
  /** a standalone instance (not in a node group) */
  | 'not-a-node'
  /** nodeadm failed (metadata, credentials, permissions): never registers until replaced */
  | 'bootstrap-failed'
  /** the cluster refused the node (identity, webhook): kubelet keeps retrying */
  | 'refused';

export interface InstanceRecord {
  instanceId: string;
  reservationId: string;
  imageId: string;
  instanceType: string;
  state: InstanceState;
  stateTransitionReason: string;
  launchTime: number;
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  privateIp: string;
  publicIp?: string;
  networkInterfaceId: string;
  securityGroups: { groupId: string; groupName: string }[];
  iamInstanceProfileArn?: string;
  tags: Tags;
  autoScalingGroupName?: string;
  clusterName?: string;
  nodegroupName?: string;
  bootstrap: BootstrapOutcome;
  /** why the bootstrap went the way it did (for /_emulator/state) */
  bootstrapDetail?: string;
  /** scenario override of the network rule */
  forcedJoin?: boolean;
  /** false: booted without an S3 path (registers, never Ready: images cannot be pulled) */
  s3Path?: boolean;
  nodeName?: string;
  terminatedAt?: number;
  /** MetadataOptions.HttpEndpoint (default enabled) */
  metadataHttpEndpoint?: 'enabled' | 'disabled';
  /** serial console lines, oldest first (GetConsoleOutput) */
  consoleOutput?: string[];
}

export interface AsgTagRecord {
  key: string;
  value: string;
  propagateAtLaunch: boolean;
}

export interface AutoScalingGroupRecord {
  name: string;
  arn: string;
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  subnetIds: string[];
  createdTime: number;
  tags: AsgTagRecord[];
  /** members (not yet terminated) in launch order */
  instanceIds: string[];
  launchTemplate: { id: string; name: string; version: string };
  instanceType: string;
  imageId: string;
  clusterName?: string;
  nodegroupName?: string;
  /** the scenario node group's `joins` (extension): forced outcome of every instance it launches */
  forcedJoin?: boolean;
}

export interface ScalingActivityRecord {
  activityId: string;
  autoScalingGroupName: string;
  autoScalingGroupArn: string;
  description: string;
  cause: string;
  startTime: number;
  endTime?: number;
  statusCode: 'PreInService' | 'InProgress' | 'Successful' | 'Failed' | 'Cancelled' | 'WaitingForSpotInstanceId';
  progress: number;
  details: Record<string, string>;
  instanceId?: string;
}

export interface NodegroupUpdateRecord {
  id: string;
  clusterName: string;
  nodegroupName: string;
  status: 'InProgress' | 'Successful' | 'Failed' | 'Cancelled';
  type: 'ConfigUpdate' | 'VersionUpdate';
  params: { type: string; value: string }[];
  createdAt: number;
  errors: { errorCode: string; errorMessage: string; resourceIds: string[] }[];
}

export type NodegroupStatus = 'CREATING' | 'ACTIVE' | 'UPDATING' | 'DELETING' | 'CREATE_FAILED' | 'DELETE_FAILED' | 'DEGRADED';

export interface NodegroupRecord {
  clusterName: string;
  nodegroupName: string;
  arn: string;
  uuid: string;
  status: NodegroupStatus;
  scalingConfig: ScenarioScalingConfig;
  subnetIds: string[];
  tags: Tags;
  labels: Tags;
  taints: { key: string; value?: string; effect: string }[];
  instanceTypes: string[];
  amiType: string;
  capacityType: string;
  version: string;
  releaseVersion: string;
  nodeRole: string;
  createdAt: number;
  modifiedAt: number;
  autoScalingGroupName: string;
  diskSize: number;
  updates: NodegroupUpdateRecord[];
  /** launch-template security groups (EKS then does not add the cluster security group) */
  securityGroupIds?: string[];
  /** subnets where a launch failed for lack of free addresses (health issue InsufficientFreeAddresses) */
  addressShortSubnetIds?: string[];
  /** launch template MetadataOptions.HttpEndpoint of its instances */
  metadataHttpEndpoint?: 'enabled' | 'disabled';
  /** health issues the scenario declares (NodeCreationFailure is derived) */
  declaredHealth?: ScenarioHealthIssue[];
  /** the instance profile its instances get */
  instanceProfileName?: string;
}

export interface ClusterRecord {
  name: string;
  arn: string;
  version: string;
  vpcId: string;
  subnetIds: string[];
  endpointPublicAccess: boolean;
  endpointPrivateAccess: boolean;
  publicAccessCidrs: string[];
  accessEntries: ScenarioAccessEntry[];
  authenticationMode: AuthenticationMode;
  /** kube-system/aws-auth mapRoles; null: the ConfigMap does not exist */
  awsAuthMapRoles: ScenarioRoleMapping[] | null;
  health: ScenarioHealthIssue[];
  webhooks: ScenarioWebhook[];
  createdAt: number;
  status: 'ACTIVE';
  securityGroupId: string;
  clusterSecurityGroupId: string;
  roleArn: string;
  oidcId: string;
  tags: Tags;
  /** the Kubernetes API of the cluster, set once it is listening */
  endpoint?: string;
  certificateAuthorityData?: string;
}
