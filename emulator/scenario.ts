/**
 * The scenario file (contract section 7): the world the emulator starts from. `parseScenario`
 * validates it once and names the field at fault; everything after that trusts the types.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { cidrContainsCidr, parseCidr } from './cidr';
import {
  checkIdentityReferences,
  readAccessEntry,
  readClusterIdentity,
  readIam,
  readNodegroupIdentity,
  type ScenarioClusterIdentity,
  type ScenarioIam,
  type ScenarioNodegroupIdentity,
} from './scenario-identity';

export interface ScenarioPrincipal {
  name: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** IAM role (or user) ARN; a role caller shows up as an assumed-role session */
  arn: string;
  /** session name in CloudTrail events and GetCallerIdentity (default: the principal's name) */
  sessionName?: string;
}

export interface ScenarioTiming {
  instanceBootSeconds: number;
  nodeJoinSeconds: number;
  nodegroupUpdateSeconds: number;
  /** age of the instances launched at start */
  instanceAgeSeconds: number;
  nodeCreationFailureSeconds: number;
  /** shutting-down -> terminated (extension; default instanceBootSeconds) */
  instanceTerminateSeconds?: number;
  /** NAT gateway deleting -> deleted (extension; default instanceBootSeconds) */
  natGatewayDeleteSeconds?: number;
}

export interface ScenarioVpc {
  vpcId: string;
  cidrBlock: string;
  tags?: Record<string, string>;
  /** DescribeVpcAttribute enableDnsSupport (default true) */
  enableDnsSupport?: boolean;
  /** DescribeVpcAttribute enableDnsHostnames (default true) */
  enableDnsHostnames?: boolean;
  /** the VPC's DHCP options (default domain-name-servers AmazonProvidedDNS) */
  dhcpOptions?: { domainNameServers: string[] };
}

export interface ScenarioInternetGateway {
  internetGatewayId: string;
  /** the VPC it is attached to; null = detached */
  vpcId: string | null;
  tags?: Record<string, string>;
}

export interface ScenarioSubnet {
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  cidrBlock: string;
  mapPublicIpOnLaunch: boolean;
  tags?: Record<string, string>;
  /** free IPv4 addresses before the node groups' instances launch (default: the CIDR less AWS's 5 and what is in it) */
  availableIpAddressCount?: number;
}

/**
 * A security group rule (contract 7.1). protocol "tcp" | "udp" | "-1" (all; ports ignored);
 * the peer is one of cidr, sourceGroupId (ingress) / destinationGroupId (egress), prefixListId.
 */
export interface ScenarioSecurityGroupRule {
  protocol: string;
  fromPort?: number;
  toPort?: number;
  cidr?: string;
  sourceGroupId?: string;
  destinationGroupId?: string;
  prefixListId?: string;
  description?: string;
}

export interface ScenarioSecurityGroup {
  groupId: string;
  vpcId: string;
  groupName?: string;
  description?: string;
  /** default: none */
  ingress?: ScenarioSecurityGroupRule[];
  /** default: all traffic to 0.0.0.0/0 */
  egress?: ScenarioSecurityGroupRule[];
}

export interface ScenarioPrefixList {
  prefixListId: string;
  prefixListName?: string;
  cidrs: string[];
}

export interface ScenarioNetworkAclEntry {
  ruleNumber: number;
  egress: boolean;
  /** "tcp" | "udp" | "-1", or AWS's numbers "6", "17", "-1" */
  protocol: string;
  portRange?: { from: number; to: number };
  cidrBlock: string;
  ruleAction: 'allow' | 'deny';
}

export interface ScenarioNetworkAcl {
  networkAclId: string;
  vpcId: string;
  subnetIds: string[];
  entries: ScenarioNetworkAclEntry[];
}

export type NatGatewayState = 'pending' | 'failed' | 'available' | 'deleting' | 'deleted';

export interface ScenarioNatGateway {
  natGatewayId: string;
  subnetId: string;
  state: NatGatewayState;
  connectivityType: 'public' | 'private';
  publicIp?: string;
  tags?: Record<string, string>;
  /** ISO-8601 CreateTime (contract 7.1) ... */
  createTime?: string;
  /** ... or seconds before the emulator's start; neither: 30 days before start */
  createdSecondsAgo?: number;
}

/** One event of the account's earlier CloudTrail history (contract 7.1), served by LookupEvents. */
export interface ScenarioCloudTrailEvent {
  eventName: string;
  /** ISO-8601 ... */
  eventTime?: string;
  /** ... or seconds before the emulator's start */
  eventSecondsAgo?: number;
  /** default ec2.amazonaws.com */
  eventSource?: string;
  requestParameters?: Record<string, unknown>;
  resources?: { resourceType: string; resourceName: string }[];
  userIdentity?: { arn: string };
}

export interface ScenarioRoute {
  destinationCidrBlock: string;
  gatewayId?: string;
  natGatewayId?: string;
  transitGatewayId?: string;
  networkInterfaceId?: string;
  vpcPeeringConnectionId?: string;
  instanceId?: string;
  /** force a blackhole for targets the scenario does not model (TGW, ENI, peering) */
  state?: 'active' | 'blackhole';
  origin?: 'CreateRoute' | 'CreateRouteTable' | 'EnableVgwRoutePropagation';
}

export interface ScenarioRouteTable {
  routeTableId: string;
  vpcId: string;
  main: boolean;
  subnetIds: string[];
  routes: ScenarioRoute[];
  tags?: Record<string, string>;
}

export interface ScenarioVpcEndpoint {
  vpcEndpointId: string;
  vpcId: string;
  serviceName: string;
  vpcEndpointType: 'Interface' | 'Gateway' | 'GatewayLoadBalancer';
  state?: string;
  subnetIds?: string[];
  routeTableIds?: string[];
  /** interface endpoints: default true */
  privateDnsEnabled?: boolean;
  /** interface endpoints: absent = admits TCP 443 from the VPC's CIDR */
  securityGroupIds?: string[];
}

export interface ScenarioAccessEntry {
  principalArn: string;
  kubernetesGroups: string[];
  accessPolicies: string[];
  /** STANDARD (default) | EC2_LINUX | EC2_WINDOWS */
  type?: 'STANDARD' | 'EC2_LINUX' | 'EC2_WINDOWS';
}

export interface ScenarioScalingConfig {
  minSize: number;
  maxSize: number;
  desiredSize: number;
}

/** An instance launched at start (extension): overrides where and how one of desiredSize boots. */
export interface ScenarioNodegroupInstance {
  instanceId?: string;
  subnetId?: string;
  ageSeconds?: number;
  /** force the outcome regardless of the network (e.g. a node that joined before a route broke) */
  joins?: boolean;
}

export interface ScenarioNodegroup extends ScenarioNodegroupIdentity {
  nodegroupName: string;
  subnetIds: string[];
  scalingConfig: ScenarioScalingConfig;
  tags: Record<string, string>;
  labels?: Record<string, string>;
  instanceTypes?: string[];
  amiType?: string;
  capacityType?: string;
  releaseVersion?: string;
  nodeRole?: string;
  instances?: ScenarioNodegroupInstance[];
  /** launch-template security groups: when given, EKS does not add the cluster security group */
  securityGroupIds?: string[];
  /**
   * Extension: force the outcome of every instance the node group ever launches, replacements
   * included (`false`: they never register, for a cause the world does not model). An instance's
   * own `joins` wins.
   */
  joins?: boolean;
}

export interface ScenarioCluster extends ScenarioClusterIdentity {
  name: string;
  version: string;
  vpcId: string;
  endpointPublicAccess: boolean;
  endpointPrivateAccess: boolean;
  accessEntries: ScenarioAccessEntry[];
  nodegroups: ScenarioNodegroup[];
  /** cluster subnets (default: every subnet of its node groups) */
  subnetIds?: string[];
  tags?: Record<string, string>;
  /** the security group EKS creates for the cluster (default: a generated id) */
  clusterSecurityGroupId?: string;
  /** resourcesVpcConfig.publicAccessCidrs (default ["0.0.0.0/0"]) */
  publicAccessCidrs?: string[];
}

/** A standalone EC2 instance outside any node group (extension), e.g. a bastion. */
export interface ScenarioInstance {
  instanceId?: string;
  subnetId: string;
  instanceType?: string;
  state?: 'running' | 'stopped';
  tags?: Record<string, string>;
}

export type FaultError = 'throttle' | '5xx' | 'access-denied';

export interface ScenarioFault {
  /** "DescribeRouteTables", or "*" for every operation */
  operation: string;
  /** ec2 | autoscaling | eks | sts | dynamodb | scheduler | sns; absent = any */
  service?: string;
  /** absent = latency only */
  error?: FaultError;
  /** how many matching calls it affects; absent = every one */
  count?: number;
  latencyMs?: number;
  /** only calls by this principal */
  principalArn?: string;
}

export interface Scenario {
  region: string;
  accountId: string;
  principals: ScenarioPrincipal[];
  timing: ScenarioTiming;
  vpcs: ScenarioVpc[];
  internetGateways: ScenarioInternetGateway[];
  subnets: ScenarioSubnet[];
  natGateways: ScenarioNatGateway[];
  routeTables: ScenarioRouteTable[];
  vpcEndpoints: ScenarioVpcEndpoint[];
  clusters: ScenarioCluster[];
  securityGroups?: ScenarioSecurityGroup[];
  prefixLists?: ScenarioPrefixList[];
  networkAcls?: ScenarioNetworkAcl[];
  instances?: ScenarioInstance[];
  /** earlier CloudTrail history (contract 7.1) */
  cloudTrail?: ScenarioCloudTrailEvent[];
  faults?: ScenarioFault[];
  /** IAM roles and instance profiles (section 7.1); node roles not listed exist with EKS's defaults */
  iam?: ScenarioIam;
  /** seed of the id generator (default 1): same scenario, same ids */
  randomSeed?: number;
  /** check SigV4 signatures with the principals' secrets (default true) */
  verifySignatures?: boolean;
  description?: string;
}

/** The scenario is malformed; `field` is a path such as `subnets[2].cidrBlock`. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  constructor(
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`scenario field "${field}": ${message}`, options);
  }
}

const NAT_STATES: NatGatewayState[] = ['pending', 'failed', 'available', 'deleting', 'deleted'];
const FAULT_ERRORS: FaultError[] = ['throttle', '5xx', 'access-denied'];

type Json = Record<string, unknown>;

/** Reads typed values at a path, failing with the path when a value is missing or ill-typed. */
export class FieldReader {
  /** keys some accessor asked for: every other key is unknown (checkUnknown) */
  private readonly seen = new Set<string>();
  /** readers of nested objects, checked with this one */
  private readonly children: FieldReader[] = [];

  constructor(
    private readonly value: Json,
    readonly at: string,
  ) {}

  private get(key: string): unknown {
    this.seen.add(key);
    return this.value[key];
  }

  /**
   * Unknown scenario fields are an error naming their path (contract section 7.1), never
   * silently ignored: a typo like `"join": false` must not change nothing quietly.
   */
  checkUnknown(): void {
    for (const key of Object.keys(this.value)) {
      if (!this.seen.has(key)) throw new ScenarioError(this.path(key), 'is not a known scenario field');
    }
    for (const child of this.children) child.checkUnknown();
  }

  private child(reader: FieldReader): FieldReader {
    this.children.push(reader);
    return reader;
  }

  static object(value: unknown, at: string): FieldReader {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ScenarioError(at || '(root)', value === undefined ? 'is required (an object)' : `expected an object, got ${describe(value)}`);
    }
    return new FieldReader(value as Json, at);
  }

  path(key: string): string {
    return this.at ? `${this.at}.${key}` : key;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  string(key: string): string {
    const v = this.get(key);
    if (typeof v !== 'string' || v.length === 0) throw this.error(key, 'a non-empty string');
    return v;
  }

  /** Required key; `null` is an explicit "none" (`meaning` says what it stands for). */
  stringOrNull(key: string, meaning: string): string | null {
    if (this.get(key) === null) return null;
    if (!this.has(key)) throw this.error(key, `a non-empty string, or ${meaning}`);
    return this.string(key);
  }

  optionalString(key: string): string | undefined {
    return this.has(key) ? this.string(key) : undefined;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T {
    const v = this.string(key);
    if (!allowed.includes(v as T)) {
      throw new ScenarioError(this.path(key), `expected one of ${allowed.join(', ')}, got "${v}"`);
    }
    return v as T;
  }

  optionalOneOf<T extends string>(key: string, allowed: readonly T[]): T | undefined {
    return this.has(key) ? this.oneOf(key, allowed) : undefined;
  }

  boolean(key: string): boolean {
    const v = this.get(key);
    if (typeof v !== 'boolean') throw this.error(key, 'true or false');
    return v;
  }

  /** An ISO-8601 time string. */
  optionalTime(key: string): string | undefined {
    const v = this.optionalString(key);
    if (v !== undefined && Number.isNaN(Date.parse(v))) throw this.error(key, 'an ISO-8601 time');
    return v;
  }

  /** A free-form JSON object (e.g. CloudTrail requestParameters), copied as given. */
  optionalRecord(key: string): Record<string, unknown> | undefined {
    if (!this.has(key)) return undefined;
    return structuredClone(FieldReader.object(this.value[key], this.path(key)).value) as Record<string, unknown>;
  }

  optionalBoolean(key: string): boolean | undefined {
    return this.has(key) ? this.boolean(key) : undefined;
  }

  number(key: string, { integer = false, min = 0 } = {}): number {
    const v = this.get(key);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) {
      throw this.error(key, `${integer ? 'an integer' : 'a number'} >= ${min}`);
    }
    return v;
  }

  optionalNumber(key: string, options?: { integer?: boolean; min?: number }): number | undefined {
    return this.has(key) ? this.number(key, options) : undefined;
  }

  object(key: string): FieldReader {
    return this.child(FieldReader.object(this.get(key), this.path(key)));
  }

  array(key: string): unknown[] {
    const v = this.get(key);
    if (!Array.isArray(v)) throw this.error(key, 'an array');
    return v;
  }

  objects<T>(key: string, read: (item: FieldReader) => T): T[] {
    return this.array(key).map((item, i) => read(this.child(FieldReader.object(item, `${this.path(key)}[${i}]`))));
  }

  optionalObjects<T>(key: string, read: (item: FieldReader) => T): T[] | undefined {
    return this.has(key) ? this.objects(key, read) : undefined;
  }

  strings(key: string): string[] {
    return this.array(key).map((item, i) => {
      if (typeof item !== 'string' || item.length === 0) {
        throw new ScenarioError(`${this.path(key)}[${i}]`, `expected a non-empty string, got ${describe(item)}`);
      }
      return item;
    });
  }

  optionalStrings(key: string): string[] | undefined {
    return this.has(key) ? this.strings(key) : undefined;
  }

  stringMap(key: string): Record<string, string> {
    const reader = this.object(key);
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(reader.value)) {
      reader.seen.add(k);
      if (typeof v !== 'string') throw new ScenarioError(reader.path(k), `expected a string, got ${describe(v)}`);
      out[k] = v;
    }
    return out;
  }

  optionalStringMap(key: string): Record<string, string> | undefined {
    return this.has(key) ? this.stringMap(key) : undefined;
  }

  /** The raw value at `key` (documents kept as JSON, e.g. IAM policies). */
  raw(key: string): unknown {
    return this.value[key];
  }

  error(key: string, expected: string): ScenarioError {
    const v = this.get(key);
    return new ScenarioError(this.path(key), v === undefined ? `is required (${expected})` : `expected ${expected}, got ${describe(v)}`);
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function cidr(reader: FieldReader, key: string): string {
  const text = reader.string(key);
  if (!parseCidr(text)) {
    throw new ScenarioError(reader.path(key), `expected an IPv4 CIDR block like "10.42.0.0/16", got "${text}"`);
  }
  return text;
}

function readPrincipal(r: FieldReader): ScenarioPrincipal {
  const arn = r.string('arn');
  if (!/^arn:aws[a-z-]*:(iam|sts)::\d{12}:/.test(arn)) {
    throw new ScenarioError(r.path('arn'), `expected an IAM role or user ARN, got "${arn}"`);
  }
  return withoutUndefined({
    name: r.string('name'),
    accessKeyId: r.string('accessKeyId'),
    secretAccessKey: r.string('secretAccessKey'),
    arn,
    sessionName: r.optionalString('sessionName'),
  });
}

function readTiming(r: FieldReader): ScenarioTiming {
  return withoutUndefined({
    instanceBootSeconds: r.number('instanceBootSeconds'),
    nodeJoinSeconds: r.number('nodeJoinSeconds'),
    nodegroupUpdateSeconds: r.number('nodegroupUpdateSeconds'),
    instanceAgeSeconds: r.number('instanceAgeSeconds'),
    nodeCreationFailureSeconds: r.number('nodeCreationFailureSeconds'),
    instanceTerminateSeconds: r.optionalNumber('instanceTerminateSeconds'),
    natGatewayDeleteSeconds: r.optionalNumber('natGatewayDeleteSeconds'),
  });
}

function readRoute(r: FieldReader): ScenarioRoute {
  const route: ScenarioRoute = withoutUndefined({
    destinationCidrBlock: cidr(r, 'destinationCidrBlock'),
    gatewayId: r.optionalString('gatewayId'),
    natGatewayId: r.optionalString('natGatewayId'),
    transitGatewayId: r.optionalString('transitGatewayId'),
    networkInterfaceId: r.optionalString('networkInterfaceId'),
    vpcPeeringConnectionId: r.optionalString('vpcPeeringConnectionId'),
    instanceId: r.optionalString('instanceId'),
    state: r.optionalOneOf('state', ['active', 'blackhole'] as const),
    origin: r.optionalOneOf('origin', ['CreateRoute', 'CreateRouteTable', 'EnableVgwRoutePropagation'] as const),
  });
  const targets = ROUTE_TARGET_KEYS.filter((k) => route[k] !== undefined);
  if (targets.length !== 1) {
    throw new ScenarioError(
      r.at,
      `a route needs exactly one target (${ROUTE_TARGET_KEYS.join(', ')}), got ${targets.length ? targets.join(' and ') : 'none'}`,
    );
  }
  return route;
}

export const ROUTE_TARGET_KEYS = [
  'gatewayId',
  'natGatewayId',
  'transitGatewayId',
  'networkInterfaceId',
  'vpcPeeringConnectionId',
  'instanceId',
] as const;

function readScalingConfig(r: FieldReader): ScenarioScalingConfig {
  const config = {
    minSize: r.number('minSize', { integer: true }),
    maxSize: r.number('maxSize', { integer: true, min: 1 }),
    desiredSize: r.number('desiredSize', { integer: true }),
  };
  if (config.minSize > config.maxSize) throw new ScenarioError(r.path('minSize'), 'must not be greater than maxSize');
  if (config.desiredSize < config.minSize || config.desiredSize > config.maxSize) {
    throw new ScenarioError(r.path('desiredSize'), 'must be between minSize and maxSize');
  }
  return config;
}

function readNodegroup(r: FieldReader): ScenarioNodegroup {
  const nodegroup: ScenarioNodegroup = withoutUndefined({
    nodegroupName: r.string('nodegroupName'),
    subnetIds: r.strings('subnetIds'),
    scalingConfig: readScalingConfig(r.object('scalingConfig')),
    tags: r.stringMap('tags'),
    labels: r.optionalStringMap('labels'),
    instanceTypes: r.optionalStrings('instanceTypes'),
    amiType: r.optionalString('amiType'),
    capacityType: r.optionalString('capacityType'),
    releaseVersion: r.optionalString('releaseVersion'),
    nodeRole: r.optionalString('nodeRole'),
    securityGroupIds: r.optionalStrings('securityGroupIds'),
    ...readNodegroupIdentity(r),
    joins: r.optionalBoolean('joins'),
    instances: r.optionalObjects('instances', (i) =>
      withoutUndefined({
        instanceId: i.optionalString('instanceId'),
        subnetId: i.optionalString('subnetId'),
        ageSeconds: i.optionalNumber('ageSeconds'),
        joins: i.optionalBoolean('joins'),
      }),
    ),
  });
  if (nodegroup.subnetIds.length === 0) throw new ScenarioError(r.path('subnetIds'), 'needs at least one subnet');
  if (nodegroup.instances && nodegroup.instances.length !== nodegroup.scalingConfig.desiredSize) {
    throw new ScenarioError(r.path('instances'), `lists ${nodegroup.instances.length} instance(s) but desiredSize is ${nodegroup.scalingConfig.desiredSize}`);
  }
  return nodegroup;
}

function readCluster(r: FieldReader): ScenarioCluster {
  return withoutUndefined({
    name: r.string('name'),
    version: r.string('version'),
    vpcId: r.string('vpcId'),
    endpointPublicAccess: r.boolean('endpointPublicAccess'),
    endpointPrivateAccess: r.boolean('endpointPrivateAccess'),
    accessEntries: r.objects('accessEntries', readAccessEntry),
    ...readClusterIdentity(r),
    nodegroups: r.objects('nodegroups', readNodegroup),
    subnetIds: r.optionalStrings('subnetIds'),
    tags: r.optionalStringMap('tags'),
    clusterSecurityGroupId: r.optionalString('clusterSecurityGroupId'),
    publicAccessCidrs: r.has('publicAccessCidrs') ? r.strings('publicAccessCidrs').map((_, i) => cidrAt(r, 'publicAccessCidrs', i)) : undefined,
  });
}

/** The i-th CIDR of a string list, validated. */
function cidrAt(r: FieldReader, key: string, i: number): string {
  const text = r.strings(key)[i] as string;
  if (!parseCidr(text)) throw new ScenarioError(`${r.path(key)}[${i}]`, `expected an IPv4 CIDR block like "10.42.0.0/16", got "${text}"`);
  return text;
}

const RULE_PROTOCOLS = ['tcp', 'udp', 'icmp', '-1', '6', '17', '1'] as const;

function readPorts(r: FieldReader, protocol: string): { fromPort?: number; toPort?: number } {
  const fromPort = r.optionalNumber('fromPort', { integer: true, min: -1 });
  const toPort = r.optionalNumber('toPort', { integer: true, min: -1 });
  if (protocol !== '-1' && (fromPort === undefined || toPort === undefined)) {
    throw new ScenarioError(r.at, `a "${protocol}" rule needs fromPort and toPort (only protocol "-1" covers every port)`);
  }
  if (fromPort !== undefined && toPort !== undefined && fromPort > toPort) throw new ScenarioError(r.path('fromPort'), 'must not be greater than toPort');
  return withoutUndefined({ fromPort, toPort });
}

function readSecurityGroupRule(r: FieldReader, direction: 'ingress' | 'egress'): ScenarioSecurityGroupRule {
  const protocol = r.oneOf('protocol', RULE_PROTOCOLS);
  const rule: ScenarioSecurityGroupRule = withoutUndefined({
    protocol,
    ...readPorts(r, protocol),
    cidr: r.has('cidr') ? cidr(r, 'cidr') : undefined,
    sourceGroupId: direction === 'ingress' ? r.optionalString('sourceGroupId') : undefined,
    destinationGroupId: direction === 'egress' ? r.optionalString('destinationGroupId') : undefined,
    prefixListId: r.optionalString('prefixListId'),
    description: r.optionalString('description'),
  });
  const peers = ['cidr', 'sourceGroupId', 'destinationGroupId', 'prefixListId'].filter((k) => (rule as unknown as Json)[k] !== undefined);
  if (peers.length !== 1) {
    const names = direction === 'ingress' ? 'cidr, sourceGroupId, prefixListId' : 'cidr, destinationGroupId, prefixListId';
    throw new ScenarioError(r.at, `a ${direction} rule needs exactly one peer (${names}), got ${peers.length ? peers.join(' and ') : 'none'}`);
  }
  return rule;
}

function readNetworkAclEntry(r: FieldReader): ScenarioNetworkAclEntry {
  const protocol = r.oneOf('protocol', RULE_PROTOCOLS);
  const entry: ScenarioNetworkAclEntry = withoutUndefined({
    ruleNumber: r.number('ruleNumber', { integer: true, min: 1 }),
    egress: r.boolean('egress'),
    protocol,
    portRange: r.has('portRange')
      ? (() => {
          const p = r.object('portRange');
          return { from: p.number('from', { integer: true }), to: p.number('to', { integer: true }) };
        })()
      : undefined,
    cidrBlock: cidr(r, 'cidrBlock'),
    ruleAction: r.oneOf('ruleAction', ['allow', 'deny'] as const),
  });
  if (entry.ruleNumber > 32766) throw new ScenarioError(r.path('ruleNumber'), 'must be at most 32766 (32767 is the implicit final deny)');
  if (protocol !== '-1' && !entry.portRange) throw new ScenarioError(r.path('portRange'), `is required for protocol "${protocol}"`);
  return entry;
}

function readCloudTrailEvent(r: FieldReader): ScenarioCloudTrailEvent {
  const event: ScenarioCloudTrailEvent = withoutUndefined({
    eventName: r.string('eventName'),
    eventTime: r.optionalTime('eventTime'),
    eventSecondsAgo: r.optionalNumber('eventSecondsAgo'),
    eventSource: r.optionalString('eventSource'),
    requestParameters: r.optionalRecord('requestParameters'),
    resources: r.optionalObjects('resources', (x) => ({ resourceType: x.string('resourceType'), resourceName: x.string('resourceName') })),
    userIdentity: r.has('userIdentity') ? { arn: r.object('userIdentity').string('arn') } : undefined,
  });
  if ((event.eventTime === undefined) === (event.eventSecondsAgo === undefined)) {
    throw new ScenarioError(r.path('eventTime'), 'give exactly one of eventTime and eventSecondsAgo');
  }
  return event;
}

function readFault(r: FieldReader): ScenarioFault {
  const fault: ScenarioFault = withoutUndefined({
    operation: r.string('operation'),
    service: r.optionalOneOf('service', ['ec2', 'autoscaling', 'eks', 'sts', 'iam', 'dynamodb', 'scheduler', 'sns'] as const),
    error: r.optionalOneOf('error', FAULT_ERRORS),
    count: r.optionalNumber('count', { integer: true, min: 1 }),
    latencyMs: r.optionalNumber('latencyMs'),
    principalArn: r.optionalString('principalArn'),
  });
  if (!fault.error && fault.latencyMs === undefined) {
    throw new ScenarioError(r.at, 'a fault needs an error, a latencyMs, or both');
  }
  return fault;
}

export function parseFault(value: unknown, at = 'fault'): ScenarioFault {
  const reader = FieldReader.object(value, at);
  const fault = readFault(reader);
  reader.checkUnknown();
  return fault;
}

/** Validates a parsed scenario document; throws ScenarioError naming the first bad field. */
export function parseScenario(document: unknown): Scenario {
  const r = FieldReader.object(document, '');
  const scenario: Scenario = withoutUndefined({
    region: r.string('region'),
    accountId: r.string('accountId'),
    principals: r.objects('principals', readPrincipal),
    timing: readTiming(r.object('timing')),
    vpcs: r.objects('vpcs', (v) =>
      withoutUndefined({
        vpcId: v.string('vpcId'),
        cidrBlock: cidr(v, 'cidrBlock'),
        tags: v.optionalStringMap('tags'),
        enableDnsSupport: v.optionalBoolean('enableDnsSupport'),
        enableDnsHostnames: v.optionalBoolean('enableDnsHostnames'),
        dhcpOptions: v.has('dhcpOptions') ? { domainNameServers: v.object('dhcpOptions').strings('domainNameServers') } : undefined,
      }),
    ),
    internetGateways: r.objects('internetGateways', (g) =>
      withoutUndefined({
        internetGatewayId: g.string('internetGatewayId'),
        vpcId: g.stringOrNull('vpcId', 'null for a detached gateway'),
        tags: g.optionalStringMap('tags'),
      }),
    ),
    subnets: r.objects('subnets', (s) =>
      withoutUndefined({
        subnetId: s.string('subnetId'),
        vpcId: s.string('vpcId'),
        availabilityZone: s.string('availabilityZone'),
        cidrBlock: cidr(s, 'cidrBlock'),
        mapPublicIpOnLaunch: s.boolean('mapPublicIpOnLaunch'),
        tags: s.optionalStringMap('tags'),
        availableIpAddressCount: s.optionalNumber('availableIpAddressCount', { integer: true }),
      }),
    ),
    natGateways: r.objects('natGateways', (n) =>
      withoutUndefined({
        natGatewayId: n.string('natGatewayId'),
        subnetId: n.string('subnetId'),
        state: n.oneOf('state', NAT_STATES),
        connectivityType: n.oneOf('connectivityType', ['public', 'private'] as const),
        publicIp: n.optionalString('publicIp'),
        tags: n.optionalStringMap('tags'),
        createTime: n.optionalTime('createTime'),
        createdSecondsAgo: n.optionalNumber('createdSecondsAgo'),
      }),
    ),
    routeTables: r.objects('routeTables', (t) =>
      withoutUndefined({
        routeTableId: t.string('routeTableId'),
        vpcId: t.string('vpcId'),
        main: t.boolean('main'),
        subnetIds: t.strings('subnetIds'),
        routes: t.objects('routes', readRoute),
        tags: t.optionalStringMap('tags'),
      }),
    ),
    vpcEndpoints: r.objects('vpcEndpoints', (e) =>
      withoutUndefined({
        vpcEndpointId: e.string('vpcEndpointId'),
        vpcId: e.string('vpcId'),
        serviceName: e.string('serviceName'),
        vpcEndpointType: e.oneOf('vpcEndpointType', ['Interface', 'Gateway', 'GatewayLoadBalancer'] as const),
        state: e.optionalString('state'),
        subnetIds: e.optionalStrings('subnetIds'),
        routeTableIds: e.optionalStrings('routeTableIds'),
        privateDnsEnabled: e.optionalBoolean('privateDnsEnabled'),
        securityGroupIds: e.optionalStrings('securityGroupIds'),
      }),
    ),
    clusters: r.objects('clusters', readCluster),
    securityGroups: r.optionalObjects('securityGroups', (g) =>
      withoutUndefined({
        groupId: g.string('groupId'),
        vpcId: g.string('vpcId'),
        groupName: g.optionalString('groupName'),
        description: g.optionalString('description'),
        ingress: g.optionalObjects('ingress', (rule) => readSecurityGroupRule(rule, 'ingress')),
        egress: g.optionalObjects('egress', (rule) => readSecurityGroupRule(rule, 'egress')),
      }),
    ),
    prefixLists: r.optionalObjects('prefixLists', (l) =>
      withoutUndefined({
        prefixListId: l.string('prefixListId'),
        prefixListName: l.optionalString('prefixListName'),
        cidrs: l.strings('cidrs').map((_, i) => cidrAt(l, 'cidrs', i)),
      }),
    ),
    networkAcls: r.optionalObjects('networkAcls', (a) => ({
      networkAclId: a.string('networkAclId'),
      vpcId: a.string('vpcId'),
      subnetIds: a.strings('subnetIds'),
      entries: a.objects('entries', readNetworkAclEntry),
    })),
    instances: r.optionalObjects('instances', (i) =>
      withoutUndefined({
        instanceId: i.optionalString('instanceId'),
        subnetId: i.string('subnetId'),
        instanceType: i.optionalString('instanceType'),
        state: i.optionalOneOf('state', ['running', 'stopped'] as const),
        tags: i.optionalStringMap('tags'),
      }),
    ),
    cloudTrail: r.optionalObjects('cloudTrail', readCloudTrailEvent),
    faults: r.optionalObjects('faults', readFault),
    iam: r.has('iam') ? readIam(r.object('iam')) : undefined,
    randomSeed: r.optionalNumber('randomSeed', { integer: true }),
    verifySignatures: r.optionalBoolean('verifySignatures'),
    description: r.optionalString('description'),
  });
  if (!/^\d{12}$/.test(scenario.accountId)) {
    throw new ScenarioError('accountId', `expected 12 digits, got "${scenario.accountId}"`);
  }
  if (scenario.principals.length === 0) throw new ScenarioError('principals', 'needs at least one principal');
  r.checkUnknown();
  checkReferences(scenario);
  checkIdentityReferences(scenario);
  return scenario;
}

/** Cross-references: every id a record points at exists, and nothing is declared twice. */
function checkReferences(s: Scenario): void {
  unique('principals', s.principals.map((p) => p.accessKeyId), 'accessKeyId');
  unique('vpcs', s.vpcs.map((v) => v.vpcId), 'vpcId');
  unique('subnets', s.subnets.map((v) => v.subnetId), 'subnetId');
  unique('natGateways', s.natGateways.map((v) => v.natGatewayId), 'natGatewayId');
  unique('routeTables', s.routeTables.map((v) => v.routeTableId), 'routeTableId');
  unique('internetGateways', s.internetGateways.map((v) => v.internetGatewayId), 'internetGatewayId');
  unique('clusters', s.clusters.map((v) => v.name), 'name');

  const vpcs = new Map(s.vpcs.map((v) => [v.vpcId, v]));
  const subnets = new Map(s.subnets.map((v) => [v.subnetId, v]));
  const needVpc = (field: string, vpcId: string | undefined): void => {
    if (vpcId !== undefined && !vpcs.has(vpcId)) throw new ScenarioError(field, `"${vpcId}" is not a VPC of the scenario`);
  };
  const needSubnet = (field: string, subnetId: string): void => {
    if (!subnets.has(subnetId)) throw new ScenarioError(field, `"${subnetId}" is not a subnet of the scenario`);
  };

  s.internetGateways.forEach((g, i) => needVpc(`internetGateways[${i}].vpcId`, g.vpcId ?? undefined));
  s.subnets.forEach((sub, i) => {
    needVpc(`subnets[${i}].vpcId`, sub.vpcId);
    const vpcCidr = parseCidr(vpcs.get(sub.vpcId)?.cidrBlock ?? '');
    const subnetCidr = parseCidr(sub.cidrBlock);
    if (vpcCidr && subnetCidr && !cidrContainsCidr(vpcCidr, subnetCidr)) {
      throw new ScenarioError(`subnets[${i}].cidrBlock`, `${sub.cidrBlock} is outside the VPC's ${vpcs.get(sub.vpcId)?.cidrBlock}`);
    }
  });
  s.natGateways.forEach((n, i) => needSubnet(`natGateways[${i}].subnetId`, n.subnetId));
  const associated = new Map<string, string>();
  s.routeTables.forEach((t, i) => {
    needVpc(`routeTables[${i}].vpcId`, t.vpcId);
    t.subnetIds.forEach((subnetId, j) => {
      const field = `routeTables[${i}].subnetIds[${j}]`;
      needSubnet(field, subnetId);
      if (subnets.get(subnetId)?.vpcId !== t.vpcId) throw new ScenarioError(field, `"${subnetId}" is in another VPC`);
      const previous = associated.get(subnetId);
      if (previous) throw new ScenarioError(field, `"${subnetId}" is already associated with ${previous}`);
      associated.set(subnetId, t.routeTableId);
    });
  });
  const mains = s.routeTables.filter((t) => t.main).map((t) => t.vpcId);
  const doubleMain = mains.find((v, i) => mains.indexOf(v) !== i);
  if (doubleMain) throw new ScenarioError('routeTables', `VPC ${doubleMain} has more than one main route table`);
  s.vpcEndpoints.forEach((e, i) => needVpc(`vpcEndpoints[${i}].vpcId`, e.vpcId));
  checkNetworkControls(s, needVpc, needSubnet);
  (s.instances ?? []).forEach((inst, i) => needSubnet(`instances[${i}].subnetId`, inst.subnetId));
  s.clusters.forEach((c, i) => {
    needVpc(`clusters[${i}].vpcId`, c.vpcId);
    unique(`clusters[${i}].nodegroups`, c.nodegroups.map((n) => n.nodegroupName), 'nodegroupName');
    c.nodegroups.forEach((ng, j) => {
      ng.subnetIds.forEach((subnetId, k) => {
        const field = `clusters[${i}].nodegroups[${j}].subnetIds[${k}]`;
        needSubnet(field, subnetId);
        if (subnets.get(subnetId)?.vpcId !== c.vpcId) throw new ScenarioError(field, `"${subnetId}" is not in the cluster's VPC ${c.vpcId}`);
      });
      (ng.instances ?? []).forEach((inst, k) => {
        if (inst.subnetId && !ng.subnetIds.includes(inst.subnetId)) {
          throw new ScenarioError(`clusters[${i}].nodegroups[${j}].instances[${k}].subnetId`, `"${inst.subnetId}" is not one of the node group's subnets`);
        }
      });
    });
  });
}

/** Security groups, prefix lists and network ACLs: ids unique, every reference resolvable. */
function checkNetworkControls(
  s: Scenario,
  needVpc: (field: string, vpcId: string | undefined) => void,
  needSubnet: (field: string, subnetId: string) => void,
): void {
  const groups = s.securityGroups ?? [];
  unique('securityGroups', groups.map((g) => g.groupId), 'groupId');
  unique('prefixLists', (s.prefixLists ?? []).map((l) => l.prefixListId), 'prefixListId');
  unique('networkAcls', (s.networkAcls ?? []).map((a) => a.networkAclId), 'networkAclId');
  // Groups EKS creates (cluster security groups) may be referenced without being declared.
  const known = new Set([...groups.map((g) => g.groupId), ...s.clusters.flatMap((c) => (c.clusterSecurityGroupId ? [c.clusterSecurityGroupId] : []))]);
  const lists = new Set((s.prefixLists ?? []).map((l) => l.prefixListId));
  const needGroup = (field: string, id: string): void => {
    if (!known.has(id)) throw new ScenarioError(field, `"${id}" is not a security group of the scenario`);
  };
  const needList = (field: string, id: string): void => {
    if (!lists.has(id) && !/^pl-/.test(id)) throw new ScenarioError(field, `"${id}" is not a prefix list of the scenario`);
  };
  groups.forEach((g, i) => {
    needVpc(`securityGroups[${i}].vpcId`, g.vpcId);
    for (const direction of ['ingress', 'egress'] as const) {
      (g[direction] ?? []).forEach((rule, j) => {
        const at = `securityGroups[${i}].${direction}[${j}]`;
        const peer = rule.sourceGroupId ?? rule.destinationGroupId;
        if (peer) needGroup(`${at}.${rule.sourceGroupId ? 'sourceGroupId' : 'destinationGroupId'}`, peer);
        if (rule.prefixListId) needList(`${at}.prefixListId`, rule.prefixListId);
      });
    }
  });
  const aclOf = new Map<string, string>();
  (s.networkAcls ?? []).forEach((a, i) => {
    needVpc(`networkAcls[${i}].vpcId`, a.vpcId);
    a.subnetIds.forEach((subnetId, j) => {
      const field = `networkAcls[${i}].subnetIds[${j}]`;
      needSubnet(field, subnetId);
      const previous = aclOf.get(subnetId);
      if (previous) throw new ScenarioError(field, `"${subnetId}" is already associated with ${previous}`);
      aclOf.set(subnetId, a.networkAclId);
    });
  });
  s.vpcEndpoints.forEach((e, i) => {
    (e.securityGroupIds ?? []).forEach((id, j) => needGroup(`vpcEndpoints[${i}].securityGroupIds[${j}]`, id));
    (e.subnetIds ?? []).forEach((id, j) => needSubnet(`vpcEndpoints[${i}].subnetIds[${j}]`, id));
  });
  s.clusters.forEach((c, i) =>
    c.nodegroups.forEach((ng, j) => (ng.securityGroupIds ?? []).forEach((id, k) => needGroup(`clusters[${i}].nodegroups[${j}].securityGroupIds[${k}]`, id))),
  );
}

function unique(field: string, values: string[], key: string): void {
  const seen = new Set<string>();
  values.forEach((v, i) => {
    if (seen.has(v)) throw new ScenarioError(`${field}[${i}].${key}`, `"${v}" is declared twice`);
    seen.add(v);
  });
}

/** The directory of the bundled scenarios (seed.json, healthy.json ...). */
export const BUNDLED_SCENARIO_DIR = path.join(__dirname, 'scenarios');

/**
 * Reads and validates a scenario file. A bare name such as "seed" that is not a file
 * resolves to the bundled emulator/scenarios/seed.json.
 */
export function loadScenarioFile(file: string): Scenario {
  const bundled = path.join(BUNDLED_SCENARIO_DIR, file.endsWith('.json') ? file : `${file}.json`);
  const resolved = existsSync(file) ? file : existsSync(bundled) ? bundled : file;
  let text: string;
  try {
    text = readFileSync(resolved, 'utf8');
  } catch (error) {
    throw new ScenarioError('(file)', `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new ScenarioError('(file)', `${resolved} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseScenario(document);
}
