/**
 * The simulated AWS account: VPC networking, EC2 instances, Auto Scaling groups, EKS clusters
 * and node groups, and the Kubernetes nodes that register. It owns the state and the timers;
 * the protocol layer (emulator/services/*) reads it and calls its mutators.
 *
 * Lifecycle of a node group instance: launched `pending` by its ASG; after instanceBootSeconds
 * it is `running` and its kubelet looks for a path to the AWS APIs (network.ts); with one, a
 * Node registers nodeJoinSeconds later; without one, it never registers until replaced.
 */
import { AWS_RESERVED_ADDRESSES_PER_SUBNET, cidrSize, intToIp, parseCidr } from '../cidr';
import { AwsApiError } from '../errors';
import { EventLog, eventTime, instanceLifecycleEvent } from '../events';
import type { Scenario, ScenarioNodegroup, ScenarioNodegroupInstance, ScenarioScalingConfig } from '../scenario';
import { SimulationClock } from './clock';
import { IdFactory } from './ids';
import { type NetworkFacts, egressVerdict } from './network';
import { AMAZON_PROVIDED_DNS } from '../../lambda/diagnosis/dns';
import { ensureClusterSecurityGroup, imagePullFailureConsole, joinConditions, loadNetworkControls, networkFailureConsole, nodeSecurityGroups } from './network-conditions';
import { type KubernetesNode, buildNode, privateDnsName } from './nodes';
import { IamWorld, nodeIdentityVerdict, roleArnWithoutPath, type IdentityVerdict } from './identity';
import type { ScenarioHealthIssue } from '../scenario-identity';
import { worldSnapshot } from './snapshot';
import type {
  AsgTagRecord,
  AutoScalingGroupRecord,
  ClusterRecord,
  InstanceRecord,
  InternetGatewayRecord,
  NatGatewayRecord,
  NodegroupRecord,
  NodegroupUpdateRecord,
  RouteRecord,
  RouteTableRecord,
  NetworkAclRecord,
  PrefixListRecord,
  ScalingActivityRecord,
  SecurityGroupRecord,
  SubnetRecord,
  Tags,
  VpcEndpointRecord,
  VpcRecord,
} from './state';

export interface WorldTiming {
  instanceBootSeconds: number;
  nodeJoinSeconds: number;
  nodegroupUpdateSeconds: number;
  instanceAgeSeconds: number;
  nodeCreationFailureSeconds: number;
  instanceTerminateSeconds: number;
  natGatewayDeleteSeconds: number;
}

export interface HealthIssueView {
  code: string;
  message: string;
  resourceIds: string[];
}

/** Route targets a caller may set (CreateRoute / ReplaceRoute). */
export interface RouteTarget {
  gatewayId?: string;
  natGatewayId?: string;
  transitGatewayId?: string;
  networkInterfaceId?: string;
  vpcPeeringConnectionId?: string;
  instanceId?: string;
}

export interface CreateNodegroupInput {
  /** false: EKS does not admit the node role (no access entry, no aws-auth mapping) — scenario only */
  nodeAccessEntry?: boolean;
  metadataHttpEndpoint?: 'enabled' | 'disabled';
  health?: ScenarioHealthIssue[];
  instanceProfileName?: string;
  nodegroupName: string;
  subnets: string[];
  nodeRole: string;
  scalingConfig?: Partial<ScenarioScalingConfig>;
  instanceTypes?: string[];
  amiType?: string;
  capacityType?: string;
  labels?: Tags;
  tags?: Tags;
  version?: string;
  releaseVersion?: string;
  diskSize?: number;
  /** launch-template security groups (scenario extension) */
  securityGroupIds?: string[];
}

export interface NodegroupConfigChange {
  scalingConfig?: Partial<ScenarioScalingConfig>;
  labels?: { addOrUpdateLabels?: Tags; removeLabels?: string[] };
}

const LIVE_STATES = new Set(['pending', 'running']);
const MS = 1000;

/** The AWS-style cause text prefix of ASG activities: "At 2024-06-12T08:14:45Z ...". */
function at(ms: number): string {
  return `At ${eventTime(ms)}`;
}

export class World {
  readonly region: string;
  readonly accountId: string;
  readonly timing: WorldTiming;
  readonly clock: SimulationClock;
  readonly ids: IdFactory;
  readonly events: EventLog;
  readonly startedAt: number;

  readonly vpcs = new Map<string, VpcRecord>();
  readonly subnets = new Map<string, SubnetRecord>();
  readonly internetGateways = new Map<string, InternetGatewayRecord>();
  readonly natGateways = new Map<string, NatGatewayRecord>();
  readonly routeTables = new Map<string, RouteTableRecord>();
  readonly vpcEndpoints = new Map<string, VpcEndpointRecord>();
  readonly securityGroups = new Map<string, SecurityGroupRecord>();
  readonly networkAcls = new Map<string, NetworkAclRecord>();
  readonly prefixLists = new Map<string, PrefixListRecord>();
  readonly instances = new Map<string, InstanceRecord>();
  readonly autoScalingGroups = new Map<string, AutoScalingGroupRecord>();
  /** newest last */
  readonly activities: ScalingActivityRecord[] = [];
  readonly clusters = new Map<string, ClusterRecord>();
  /** key: `${cluster}/${nodegroup}` */
  readonly nodegroups = new Map<string, NodegroupRecord>();
  /** Node objects by node name, with the cluster they belong to */
  private readonly nodes = new Map<string, { clusterName: string; instanceId: string; node: KubernetesNode }>();
  private readonly usedIps = new Map<string, Set<string>>();
  private resourceVersion = 1000;
  /** IAM roles, instance profiles and managed policies (world/identity.ts) */
  readonly iam: IamWorld;

  constructor(scenario: Scenario, options: { clock?: SimulationClock; events?: EventLog; trust?: ReadonlyMap<string, boolean> } = {}) {
    this.region = scenario.region;
    this.accountId = scenario.accountId;
    this.clock = options.clock ?? new SimulationClock();
    this.events = options.events ?? new EventLog();
    this.ids = new IdFactory(scenario.randomSeed ?? 1);
    this.startedAt = this.clock.now();
    const t = scenario.timing;
    this.timing = {
      ...t,
      instanceTerminateSeconds: t.instanceTerminateSeconds ?? t.instanceBootSeconds,
      natGatewayDeleteSeconds: t.natGatewayDeleteSeconds ?? t.instanceBootSeconds,
    };
    this.iam = new IamWorld(scenario.accountId, this.startedAt, scenario.iam, options.trust);
    this.loadNetwork(scenario);
    this.loadClusters(scenario);
    // Boots and joins of instances launched "in the past" happen now, in order.
    this.clock.runDue();
  }

  get facts(): NetworkFacts {
    return this;
  }

  close(): void {
    this.clock.close();
    this.events.clearListeners();
  }

  // ---------------------------------------------------------------- loading

  private loadNetwork(s: Scenario): void {
    const longAgo = this.startedAt - 30 * 24 * 3600 * MS;
    for (const v of s.vpcs) {
      this.vpcs.set(v.vpcId, {
        vpcId: v.vpcId,
        cidrBlock: v.cidrBlock,
        tags: v.tags ?? {},
        cidrAssociationId: this.ids.resourceId('vpc-cidr-assoc'),
        dhcpOptionsId: this.ids.resourceId('dopt'),
        enableDnsSupport: v.enableDnsSupport ?? true,
        enableDnsHostnames: v.enableDnsHostnames ?? true,
        domainNameServers: v.dhcpOptions?.domainNameServers ?? [AMAZON_PROVIDED_DNS],
      });
    }
    for (const sub of s.subnets) {
      this.subnets.set(sub.subnetId, { ...sub, mapPublicIpOnLaunch: sub.mapPublicIpOnLaunch ?? false, tags: sub.tags ?? {} });
    }
    for (const g of s.internetGateways) {
      this.internetGateways.set(g.internetGatewayId, { internetGatewayId: g.internetGatewayId, vpcId: g.vpcId ?? undefined, tags: g.tags ?? {} });
    }
    for (const n of s.natGateways) {
      const subnet = this.subnets.get(n.subnetId) as SubnetRecord;
      const isPublic = n.connectivityType === 'public';
      this.natGateways.set(n.natGatewayId, {
        natGatewayId: n.natGatewayId,
        subnetId: n.subnetId,
        vpcId: subnet.vpcId,
        state: n.state,
        connectivityType: n.connectivityType,
        createTime:
          n.createTime !== undefined
            ? Date.parse(n.createTime)
            : n.createdSecondsAgo !== undefined
              ? this.startedAt - n.createdSecondsAgo * MS
              : longAgo,
        deleteTime: n.state === 'deleted' ? this.startedAt - 3600 * MS : undefined,
        privateIp: this.allocatePrivateIp(subnet),
        publicIp: isPublic ? (n.publicIp ?? this.randomPublicIp()) : undefined,
        allocationId: isPublic ? this.ids.resourceId('eipalloc') : undefined,
        associationId: isPublic ? this.ids.resourceId('eipassoc') : undefined,
        networkInterfaceId: this.ids.resourceId('eni'),
        tags: n.tags ?? {},
      });
    }
    for (const t of s.routeTables) {
      const vpc = this.vpcs.get(t.vpcId) as VpcRecord;
      const routes: RouteRecord[] = t.routes
        // the local route is implied; a scenario that spells it out does not get two
        .filter((r) => !(r.gatewayId === 'local' || (r.destinationCidrBlock === vpc.cidrBlock && r.gatewayId === undefined && r.natGatewayId === undefined)))
        .map((r) => ({
          destinationCidrBlock: r.destinationCidrBlock,
          gatewayId: r.gatewayId,
          natGatewayId: r.natGatewayId,
          transitGatewayId: r.transitGatewayId,
          networkInterfaceId: r.networkInterfaceId,
          vpcPeeringConnectionId: r.vpcPeeringConnectionId,
          instanceId: r.instanceId,
          origin: r.origin ?? 'CreateRoute',
          declaredBlackhole: r.state === 'blackhole' ? true : undefined,
        }));
      this.routeTables.set(t.routeTableId, {
        routeTableId: t.routeTableId,
        vpcId: t.vpcId,
        main: t.main,
        mainAssociationId: t.main ? this.ids.resourceId('rtbassoc') : undefined,
        associations: t.subnetIds.map((subnetId) => ({ associationId: this.ids.resourceId('rtbassoc'), subnetId })),
        routes,
        tags: t.tags ?? {},
      });
    }
    // Every VPC has a main route table; one the scenario leaves out has only the local route.
    for (const vpc of this.vpcs.values()) {
      if (![...this.routeTables.values()].some((t) => t.vpcId === vpc.vpcId && t.main)) {
        const routeTableId = this.ids.resourceId('rtb');
        this.routeTables.set(routeTableId, {
          routeTableId,
          vpcId: vpc.vpcId,
          main: true,
          mainAssociationId: this.ids.resourceId('rtbassoc'),
          associations: [],
          routes: [],
          tags: {},
        });
      }
    }
    for (const e of s.vpcEndpoints) {
      this.vpcEndpoints.set(e.vpcEndpointId, {
        vpcEndpointId: e.vpcEndpointId,
        vpcId: e.vpcId,
        serviceName: e.serviceName,
        vpcEndpointType: e.vpcEndpointType,
        state: e.state ?? 'available',
        subnetIds: e.subnetIds ?? [],
        routeTableIds: e.routeTableIds ?? [],
        creationTimestamp: longAgo,
        privateDnsEnabled: e.vpcEndpointType === 'Interface' ? (e.privateDnsEnabled ?? true) : false,
        securityGroupIds: e.securityGroupIds ?? [],
      });
    }
    for (const i of s.instances ?? []) {
      const subnet = this.subnets.get(i.subnetId) as SubnetRecord;
      const instance = this.newInstance({
        instanceId: i.instanceId,
        subnet,
        instanceType: i.instanceType ?? 't3.micro',
        imageId: this.ids.resourceId('ami'),
        launchTime: this.startedAt - this.timing.instanceAgeSeconds * MS,
        tags: i.tags ?? {},
        securityGroups: [{ groupId: this.ids.resourceId('sg'), groupName: 'default' }],
      });
      instance.state = i.state ?? 'running';
      instance.bootstrap = 'not-a-node';
    }
    loadNetworkControls(this, s);
  }

  private loadClusters(s: Scenario): void {
    for (const c of s.clusters) {
      const subnetIds = c.subnetIds ?? [...new Set(c.nodegroups.flatMap((n) => n.subnetIds))];
      const cluster: ClusterRecord = {
        name: c.name,
        arn: `arn:aws:eks:${this.region}:${this.accountId}:cluster/${c.name}`,
        version: c.version,
        vpcId: c.vpcId,
        subnetIds,
        endpointPublicAccess: c.endpointPublicAccess,
        endpointPrivateAccess: c.endpointPrivateAccess,
        publicAccessCidrs: c.publicAccessCidrs ?? ['0.0.0.0/0'],
        accessEntries: c.accessEntries.map((e) => ({ ...e })),
        authenticationMode: c.authenticationMode ?? 'API_AND_CONFIG_MAP',
        awsAuthMapRoles: c.awsAuth ? c.awsAuth.mapRoles.map((m) => ({ ...m, groups: [...m.groups] })) : null,
        health: c.health ?? [],
        webhooks: c.webhooks ?? [],
        createdAt: this.startedAt - 90 * 24 * 3600 * MS,
        status: 'ACTIVE',
        securityGroupId: this.ids.resourceId('sg'),
        clusterSecurityGroupId: c.clusterSecurityGroupId ?? this.ids.resourceId('sg'),
        roleArn: `arn:aws:iam::${this.accountId}:role/${c.name}-cluster-role`,
        oidcId: this.ids.hex(32).toUpperCase(),
        tags: c.tags ?? {},
      };
      this.clusters.set(c.name, cluster);
      ensureClusterSecurityGroup(this, cluster);
      for (const ng of c.nodegroups) this.loadNodegroup(cluster, ng);
    }
  }

  private loadNodegroup(cluster: ClusterRecord, ng: ScenarioNodegroup): void {
    const createdAt = this.startedAt - (this.timing.instanceAgeSeconds + 60) * MS;
    const record = this.newNodegroup(cluster, {
      nodegroupName: ng.nodegroupName,
      subnets: ng.subnetIds,
      nodeRole: ng.nodeRole ?? `arn:aws:iam::${this.accountId}:role/${cluster.name}-nodegroup-role`,
      scalingConfig: ng.scalingConfig,
      instanceTypes: ng.instanceTypes,
      amiType: ng.amiType,
      capacityType: ng.capacityType,
      labels: ng.labels,
      tags: ng.tags,
      releaseVersion: ng.releaseVersion,
      securityGroupIds: ng.securityGroupIds,
      nodeAccessEntry: ng.nodeAccessEntry,
      metadataHttpEndpoint: ng.metadataHttpEndpoint,
      health: ng.health,
      instanceProfileName: ng.instanceProfileName,
    }, createdAt, 'ACTIVE');
    const asg = this.autoScalingGroups.get(record.autoScalingGroupName) as AutoScalingGroupRecord;
    asg.forcedJoin = ng.joins;
    const specs: ScenarioNodegroupInstance[] = ng.instances ?? Array.from({ length: ng.scalingConfig.desiredSize }, () => ({}));
    specs.forEach((spec, index) => {
      const age = spec.ageSeconds ?? this.timing.instanceAgeSeconds;
      this.launchIntoGroup(asg, {
        instanceId: spec.instanceId,
        subnetId: spec.subnetId,
        forcedJoin: spec.joins ?? ng.joins,
        launchTime: this.clock.now() - age * MS,
        cause: `${at(createdAt)} a user request created an AutoScalingGroup changing the desired capacity from 0 to ${specs.length}.`,
        capacityFrom: index,
      });
    });
  }

  // ---------------------------------------------------------------- records

  private newNodegroup(
    cluster: ClusterRecord,
    input: CreateNodegroupInput,
    createdAt: number,
    status: NodegroupRecord['status'],
  ): NodegroupRecord {
    const uuid = this.ids.uuid();
    const scaling = {
      minSize: input.scalingConfig?.minSize ?? 1,
      maxSize: input.scalingConfig?.maxSize ?? 2,
      desiredSize: input.scalingConfig?.desiredSize ?? input.scalingConfig?.minSize ?? 1,
    };
    const version = input.version ?? cluster.version;
    const record: NodegroupRecord = {
      clusterName: cluster.name,
      nodegroupName: input.nodegroupName,
      arn: `arn:aws:eks:${this.region}:${this.accountId}:nodegroup/${cluster.name}/${input.nodegroupName}/${uuid}`,
      uuid,
      status,
      scalingConfig: scaling,
      subnetIds: [...input.subnets],
      tags: input.tags ?? {},
      labels: input.labels ?? {},
      taints: [],
      instanceTypes: input.instanceTypes ?? ['t3.medium'],
      amiType: input.amiType ?? 'AL2023_x86_64_STANDARD',
      capacityType: input.capacityType ?? 'ON_DEMAND',
      version,
      releaseVersion: input.releaseVersion ?? `${version}.4-20240917`,
      nodeRole: input.nodeRole,
      createdAt,
      modifiedAt: createdAt,
      autoScalingGroupName: `eks-${input.nodegroupName}-${uuid}`,
      diskSize: input.diskSize ?? 20,
      updates: [],
      ...(input.securityGroupIds ? { securityGroupIds: [...input.securityGroupIds] } : {}),
      ...(input.metadataHttpEndpoint ? { metadataHttpEndpoint: input.metadataHttpEndpoint } : {}),
      ...(input.health ? { declaredHealth: input.health } : {}),
    };
    this.nodegroups.set(`${cluster.name}/${input.nodegroupName}`, record);
    this.admitNodeRole(cluster, record, input);
    const asgUuid = this.ids.uuid();
    const tags: AsgTagRecord[] = [
      { key: 'eks:cluster-name', value: cluster.name, propagateAtLaunch: true },
      { key: 'eks:nodegroup-name', value: input.nodegroupName, propagateAtLaunch: true },
      { key: 'k8s.io/cluster-autoscaler/enabled', value: 'true', propagateAtLaunch: true },
      { key: `k8s.io/cluster-autoscaler/${cluster.name}`, value: 'owned', propagateAtLaunch: true },
      { key: `kubernetes.io/cluster/${cluster.name}`, value: 'owned', propagateAtLaunch: true },
    ];
    this.autoScalingGroups.set(record.autoScalingGroupName, {
      name: record.autoScalingGroupName,
      arn: `arn:aws:autoscaling:${this.region}:${this.accountId}:autoScalingGroup:${asgUuid}:autoScalingGroupName/${record.autoScalingGroupName}`,
      minSize: scaling.minSize,
      maxSize: scaling.maxSize,
      desiredCapacity: scaling.desiredSize,
      subnetIds: [...input.subnets],
      createdTime: createdAt,
      tags,
      instanceIds: [],
      launchTemplate: { id: this.ids.resourceId('lt'), name: `eks-${uuid}`, version: '1' },
      instanceType: record.instanceTypes[0] ?? 't3.medium',
      imageId: this.ids.resourceId('ami'),
      clusterName: cluster.name,
      nodegroupName: input.nodegroupName,
    });
    return record;
  }

  private newInstance(input: {
    instanceId?: string;
    subnet: SubnetRecord;
    instanceType: string;
    imageId: string;
    launchTime: number;
    tags: Tags;
    securityGroups: InstanceRecord['securityGroups'];
    iamInstanceProfileArn?: string;
  }): InstanceRecord {
    const instanceId = input.instanceId ?? this.ids.resourceId('i');
    const instance: InstanceRecord = {
      instanceId,
      reservationId: this.ids.resourceId('r'),
      imageId: input.imageId,
      instanceType: input.instanceType,
      state: 'pending',
      stateTransitionReason: '',
      launchTime: input.launchTime,
      subnetId: input.subnet.subnetId,
      vpcId: input.subnet.vpcId,
      availabilityZone: input.subnet.availabilityZone,
      privateIp: this.allocatePrivateIp(input.subnet),
      publicIp: input.subnet.mapPublicIpOnLaunch ? this.randomPublicIp() : undefined,
      networkInterfaceId: this.ids.resourceId('eni'),
      securityGroups: input.securityGroups,
      iamInstanceProfileArn: input.iamInstanceProfileArn,
      tags: input.tags,
      bootstrap: 'not-booted',
    };
    this.instances.set(instanceId, instance);
    return instance;
  }

  private allocatePrivateIp(subnet: SubnetRecord): string {
    const cidr = parseCidr(subnet.cidrBlock);
    if (!cidr) throw new Error(`subnet ${subnet.subnetId} has an invalid CIDR`);
    const used = this.usedIps.get(subnet.subnetId) ?? new Set<string>();
    this.usedIps.set(subnet.subnetId, used);
    const size = cidrSize(cidr);
    for (let attempt = 0; attempt < 64; attempt += 1) {
      const ip = intToIp(cidr.network + this.ids.integer(4, Math.max(4, size - 2)));
      if (!used.has(ip)) {
        used.add(ip);
        return ip;
      }
    }
    for (let offset = 4; offset < size - 1; offset += 1) {
      const ip = intToIp(cidr.network + offset);
      if (!used.has(ip)) {
        used.add(ip);
        return ip;
      }
    }
    throw new AwsApiError('InsufficientFreeAddressesInSubnet', `There are not enough free addresses in subnet '${subnet.subnetId}' to satisfy the requested number of instances.`);
  }

  private randomPublicIp(): string {
    const first = [34, 35, 44, 52, 54][this.ids.integer(0, 4)] ?? 54;
    return `${first}.${this.ids.integer(0, 255)}.${this.ids.integer(0, 255)}.${this.ids.integer(1, 254)}`;
  }

  // ---------------------------------------------------------------- reads

  nodegroup(clusterName: string, nodegroupName: string): NodegroupRecord | undefined {
    return this.nodegroups.get(`${clusterName}/${nodegroupName}`);
  }

  nodegroupsOf(clusterName: string): NodegroupRecord[] {
    return [...this.nodegroups.values()].filter((n) => n.clusterName === clusterName);
  }

  /** Kubernetes Node objects of a cluster, as its API server would list them. */
  nodesOf(clusterName: string): KubernetesNode[] {
    return [...this.nodes.values()].filter((n) => n.clusterName === clusterName).map((n) => structuredClone(n.node));
  }

  /** Free addresses as DescribeSubnets counts them (the seed's 8186 for a /19 with one instance). */
  availableIpAddressCount(subnetId: string): number {
    const subnet = this.subnets.get(subnetId);
    const cidr = subnet ? parseCidr(subnet.cidrBlock) : undefined;
    if (!subnet || !cidr) return 0;
    const liveInstances = [...this.instances.values()].filter((i) => i.subnetId === subnetId && i.state !== 'terminated').length;
    const liveNats = [...this.natGateways.values()].filter((n) => n.subnetId === subnetId && n.state !== 'deleted').length;
    return Math.max(0, cidrSize(cidr) - AWS_RESERVED_ADDRESSES_PER_SUBNET - (subnet.unmodelledAddresses ?? 0) - liveInstances - liveNats);
  }

  /** NodeCreationFailure for live instances that never registered within nodeCreationFailureSeconds. */
  healthIssues(nodegroup: NodegroupRecord): HealthIssueView[] {
    const asg = this.autoScalingGroups.get(nodegroup.autoScalingGroupName);
    const now = this.clock.now();
    const failed = (asg?.instanceIds ?? [])
      .map((id) => this.instances.get(id))
      .filter((i): i is InstanceRecord => !!i && LIVE_STATES.has(i.state) && i.bootstrap !== 'joined')
      .filter((i) => now - i.launchTime >= this.timing.nodeCreationFailureSeconds * MS)
      .map((i) => i.instanceId);
    const declared = (nodegroup.declaredHealth ?? []).map((h) => ({ code: h.code, message: h.message ?? '', resourceIds: [] as string[] }));
    const issues: HealthIssueView[] = failed.length
      ? [{ code: 'NodeCreationFailure', message: 'Instances failed to join the kubernetes cluster', resourceIds: failed }, ...declared]
      : declared;
    if (nodegroup.addressShortSubnetIds && nodegroup.addressShortSubnetIds.length > 0) {
      issues.push({
        code: 'InsufficientFreeAddresses',
        message: 'One or more of the subnets associated with your managed node group does not have enough available IP addresses for new nodes.',
        resourceIds: [...nodegroup.addressShortSubnetIds],
      });
    }
    return issues;
  }

  /** ASG members as DescribeAutoScalingGroups lists them. */
  asgMembers(asg: AutoScalingGroupRecord): InstanceRecord[] {
    return asg.instanceIds.map((id) => this.instances.get(id)).filter((i): i is InstanceRecord => !!i);
  }

  // ---------------------------------------------------------------- instance lifecycle

  private launchIntoGroup(
    asg: AutoScalingGroupRecord,
    options: { instanceId?: string; subnetId?: string; forcedJoin?: boolean; launchTime?: number; cause: string; capacityFrom: number },
  ): InstanceRecord | undefined {
    const subnet = this.subnets.get(options.subnetId ?? this.pickSubnet(asg)) as SubnetRecord;
    const cluster = asg.clusterName ? this.clusters.get(asg.clusterName) : undefined;
    const nodegroup = asg.clusterName && asg.nodegroupName ? this.nodegroup(asg.clusterName, asg.nodegroupName) : undefined;
    if (this.availableIpAddressCount(subnet.subnetId) <= 0) {
      this.failLaunchForAddresses(asg, subnet, nodegroup, options.launchTime ?? this.clock.now(), options.cause);
      return undefined;
    }
    const launchTime = options.launchTime ?? this.clock.now();
    const tags: Tags = Object.fromEntries(asg.tags.filter((t) => t.propagateAtLaunch).map((t) => [t.key, t.value]));
    tags['aws:autoscaling:groupName'] = asg.name;
    tags['aws:ec2launchtemplate:id'] = asg.launchTemplate.id;
    tags['aws:ec2launchtemplate:version'] = asg.launchTemplate.version;
    const instance = this.newInstance({
      instanceId: options.instanceId,
      subnet,
      instanceType: asg.instanceType,
      imageId: asg.imageId,
      launchTime,
      tags,
      securityGroups: cluster ? nodeSecurityGroups(this, cluster, nodegroup) : [],
      iamInstanceProfileArn: this.instanceProfileArnOf(asg),
    });
    const ofGroup = asg.clusterName && asg.nodegroupName ? this.nodegroup(asg.clusterName, asg.nodegroupName) : undefined;
    if (ofGroup?.metadataHttpEndpoint) instance.metadataHttpEndpoint = ofGroup.metadataHttpEndpoint;
    instance.autoScalingGroupName = asg.name;
    instance.clusterName = asg.clusterName;
    instance.nodegroupName = asg.nodegroupName;
    instance.forcedJoin = options.forcedJoin ?? asg.forcedJoin;
    asg.instanceIds.push(instance.instanceId);

    const activity = this.recordActivity(asg, {
      description: `Launching a new EC2 instance: ${instance.instanceId}`,
      cause: `${options.cause}  ${at(launchTime)} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from ${options.capacityFrom} to ${options.capacityFrom + 1}.`,
      startTime: launchTime,
      statusCode: 'InProgress',
      details: { 'Subnet ID': subnet.subnetId, 'Availability Zone': subnet.availabilityZone },
      instanceId: instance.instanceId,
    });
    this.events.emit(
      instanceLifecycleEvent({
        id: this.ids.uuid(),
        kind: 'launch',
        account: this.accountId,
        region: this.region,
        autoScalingGroupName: asg.name,
        autoScalingGroupArn: asg.arn,
        instanceId: instance.instanceId,
        activityId: activity.activityId,
        description: activity.description,
        cause: activity.cause,
        availabilityZone: subnet.availabilityZone,
        subnetId: subnet.subnetId,
        startMs: launchTime,
        endMs: launchTime + 500,
      }),
    );
    this.clock.scheduleAt(launchTime + this.timing.instanceBootSeconds * MS, `boot ${instance.instanceId}`, () =>
      this.boot(instance.instanceId, activity),
    );
    return instance;
  }

  /**
   * A launch that finds no free address fails as Auto Scaling reports it (a Failed scaling
   * activity) and EKS shows the health issue InsufficientFreeAddresses; no instance is made.
   */
  private failLaunchForAddresses(
    asg: AutoScalingGroupRecord,
    subnet: SubnetRecord,
    nodegroup: NodegroupRecord | undefined,
    time: number,
    cause: string,
  ): void {
    this.recordActivity(asg, {
      description: 'Launching a new EC2 instance.  Status Reason: There are not enough free addresses in subnet ' +
        `'${subnet.subnetId}' to satisfy the requested number of instances. Launching EC2 instance failed.`,
      cause: `${cause}  ${at(time)} an instance was started in response to a difference between desired and actual capacity.`,
      startTime: time,
      statusCode: 'Failed',
      details: { 'Subnet ID': subnet.subnetId, 'Availability Zone': subnet.availabilityZone },
    });
    const last = this.activities[this.activities.length - 1];
    if (last) last.endTime = time;
    if (nodegroup) nodegroup.addressShortSubnetIds = [...new Set([...(nodegroup.addressShortSubnetIds ?? []), subnet.subnetId])];
  }

  /** The subnet with the fewest live members of the group (AZ balance), first listed on ties. */
  private pickSubnet(asg: AutoScalingGroupRecord): string {
    const members = this.asgMembers(asg).filter((i) => LIVE_STATES.has(i.state));
    const counts = asg.subnetIds.map((id) => members.filter((m) => m.subnetId === id).length);
    const fewest = Math.min(...counts);
    return asg.subnetIds[counts.indexOf(fewest)] ?? (asg.subnetIds[0] as string);
  }

  private boot(instanceId: string, launchActivity: ScalingActivityRecord): void {
    const instance = this.instances.get(instanceId);
    if (!instance || instance.state !== 'pending') return;
    const bootTime = instance.launchTime + this.timing.instanceBootSeconds * MS;
    instance.state = 'running';
    launchActivity.statusCode = 'Successful';
    launchActivity.progress = 100;
    launchActivity.endTime = bootTime;
    const cluster = instance.clusterName ? this.clusters.get(instance.clusterName) : undefined;
    const verdict = egressVerdict(this.facts, instance.subnetId, {
      hasPublicIp: instance.publicIp !== undefined,
      clusterEndpointPrivateAccess: cluster?.endpointPrivateAccess ?? false,
    });
    // Every other network condition (DNS, endpoint service, security groups, ACLs, access CIDRs).
    const failures = cluster ? joinConditions(this, instance, cluster, verdict) : [];
    const joins = instance.forcedJoin ?? (verdict.works && failures.length === 0);
    const detail = verdict.works && failures.length > 0 ? failures.map((f) => f.detail).join('; ') : verdict.detail;
    instance.bootstrapDetail = instance.forcedJoin !== undefined ? `scenario: joins=${String(instance.forcedJoin)} (network: ${detail})` : detail;
    this.console(instance, ['[    0.000000] Linux version 6.1.102-111.182.amzn2023.x86_64', 'cloud-init[1620]: Cloud-init v. 22.2.2 running \'modules:final\'', 'nodeadm[1842]: {"level":"info","msg":"Loading configuration..."}']);
    if (!joins) {
      instance.bootstrap = 'no-path';
      if (instance.forcedJoin === undefined) {
        this.console(instance, networkFailureConsole(this, cluster, verdict.works ? failures : [{ cause: 'path', detail: verdict.detail, consoleLines: [] }]));
      }
      return;
    }
    if (instance.forcedJoin === undefined && this.refusedForIdentity(instance)) return;
    if (instance.forcedJoin === undefined && verdict.s3Path === false) instance.s3Path = false;
    instance.bootstrap = 'joining';
    this.clock.scheduleAt(bootTime + this.timing.nodeJoinSeconds * MS, `join ${instanceId}`, () => this.join(instanceId, bootTime));
  }

  // ---------------------------------------------------------------- identity (world/identity.ts)

  /** Serial console lines (GetConsoleOutput shows them). */
  private console(instance: InstanceRecord, lines: string[]): void {
    instance.consoleOutput = [...(instance.consoleOutput ?? []), ...lines];
  }

  /** The node's identity verdict now: access entry / aws-auth, IAM, metadata, webhooks, health. */
  identityVerdictOf(instance: InstanceRecord): IdentityVerdict {
    const cluster = instance.clusterName ? this.clusters.get(instance.clusterName) : undefined;
    const nodegroup = instance.clusterName && instance.nodegroupName ? this.nodegroup(instance.clusterName, instance.nodegroupName) : undefined;
    if (!cluster || !nodegroup) return { joins: true };
    const profileName = instance.iamInstanceProfileArn?.slice(instance.iamInstanceProfileArn.lastIndexOf('/') + 1);
    return nodeIdentityVerdict({
      clusterName: cluster.name,
      region: this.region,
      authenticationMode: cluster.authenticationMode,
      accessEntries: cluster.accessEntries,
      awsAuthMapRoles: cluster.awsAuthMapRoles,
      clusterHealthCodes: cluster.health.map((h) => h.code),
      nodegroupHealthCodes: (nodegroup.declaredHealth ?? []).map((h) => h.code),
      metadataHttpEndpoint: instance.metadataHttpEndpoint ?? 'enabled',
      amiType: nodegroup.amiType,
      instanceProfile: profileName ? this.iam.instanceProfiles.get(profileName) : undefined,
      instanceProfileArn: instance.iamInstanceProfileArn,
      blockingWebhooks: cluster.webhooks
        .filter((w) => w.failurePolicy === 'Fail' && !w.serviceReady && ['nodes', '*'].includes(w.rules) && (w.operations ?? ['CREATE']).some((o) => o === 'CREATE' || o === '*'))
        .map((w) => w.name),
      iam: this.iam,
      privateDnsName: privateDnsName(instance.privateIp, this.region),
    });
  }

  /**
   * True when the node cannot join for an identity cause: nodeadm failures are final; a node the
   * cluster refuses keeps retrying (kubelet) every nodeJoinSeconds and registers once the cause is gone.
   */
  private refusedForIdentity(instance: InstanceRecord): boolean {
    const verdict = this.identityVerdictOf(instance);
    if (verdict.joins) return false;
    instance.bootstrapDetail = `${instance.bootstrapDetail ?? ''}; identity: ${verdict.cause}`;
    this.console(instance, verdict.console);
    if (verdict.final) {
      instance.bootstrap = 'bootstrap-failed';
      return true;
    }
    instance.bootstrap = 'refused';
    this.scheduleRegistrationRetry(instance.instanceId);
    return true;
  }

  private scheduleRegistrationRetry(instanceId: string): void {
    this.clock.scheduleIn(Math.max(1, this.timing.nodeJoinSeconds), `kubelet retry ${instanceId}`, () => {
      const instance = this.instances.get(instanceId);
      if (!instance || instance.state !== 'running' || instance.bootstrap !== 'refused') return;
      const verdict = this.identityVerdictOf(instance);
      if (verdict.joins) {
        instance.bootstrap = 'joining';
        this.join(instanceId, this.clock.now() - this.timing.nodeJoinSeconds * MS);
        return;
      }
      if (verdict.final) {
        instance.bootstrap = 'bootstrap-failed';
        this.console(instance, verdict.console);
        return;
      }
      this.scheduleRegistrationRetry(instanceId);
    });
  }

  /**
   * What EKS does for a node group's role at creation: an EC2_LINUX / EC2_WINDOWS access entry
   * (API modes) and an aws-auth mapping (CONFIG_MAP modes), unless the scenario says
   * nodeAccessEntry: false; the role itself (if the scenario does not declare it) and an instance
   * profile holding it (unless the scenario names one).
   */
  private admitNodeRole(cluster: ClusterRecord, record: NodegroupRecord, input: CreateNodegroupInput): void {
    const role = this.iam.ensureNodeRole(input.nodeRole);
    if (input.instanceProfileName) {
      record.instanceProfileName = input.instanceProfileName;
    } else {
      const name = `eks-${record.uuid}`;
      if (!this.iam.instanceProfiles.has(name)) this.iam.addInstanceProfile(name, [role.roleName]);
      record.instanceProfileName = name;
    }
    if (input.nodeAccessEntry === false) return;
    const mode = cluster.authenticationMode;
    if (mode !== 'CONFIG_MAP' && !cluster.accessEntries.some((e) => roleArnWithoutPath(e.principalArn) === roleArnWithoutPath(input.nodeRole))) {
      cluster.accessEntries.push({
        principalArn: input.nodeRole,
        kubernetesGroups: [],
        accessPolicies: [],
        type: record.amiType.startsWith('WINDOWS_') ? 'EC2_WINDOWS' : 'EC2_LINUX',
      });
    }
    if (mode !== 'API') {
      const rolearn = roleArnWithoutPath(input.nodeRole);
      const mapRoles = cluster.awsAuthMapRoles ?? [];
      if (!mapRoles.some((m) => m.rolearn === rolearn)) {
        mapRoles.push({ rolearn, username: 'system:node:{{EC2PrivateDNSName}}', groups: ['system:bootstrappers', 'system:nodes'] });
      }
      cluster.awsAuthMapRoles = mapRoles;
    }
  }

  private instanceProfileArnOf(asg: AutoScalingGroupRecord): string | undefined {
    const nodegroup = asg.clusterName && asg.nodegroupName ? this.nodegroup(asg.clusterName, asg.nodegroupName) : undefined;
    const name = nodegroup?.instanceProfileName ?? `eks-${asg.name.slice(-36)}`;
    return this.iam.instanceProfiles.get(name)?.arn ?? `arn:aws:iam::${this.accountId}:instance-profile/${name}`;
  }

  /**
   * eks:CreateAccessEntry. EC2_LINUX / EC2_WINDOWS entries take no Kubernetes groups (EKS maps
   * them to system:nodes); only API and API_AND_CONFIG_MAP clusters accept access entries.
   */
  createAccessEntry(clusterName: string, input: { principalArn: string; type?: string; kubernetesGroups?: string[]; username?: string }): ClusterRecord['accessEntries'][number] {
    const cluster = this.clusterOrThrow(clusterName);
    if (cluster.authenticationMode === 'CONFIG_MAP') {
      throw new AwsApiError('InvalidRequestException', "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.", 400, { clusterName });
    }
    const type = input.type ?? 'STANDARD';
    if (!['STANDARD', 'EC2_LINUX', 'EC2_WINDOWS'].includes(type)) {
      throw new AwsApiError('InvalidParameterException', `The type ${type} is not supported by the emulator (STANDARD, EC2_LINUX, EC2_WINDOWS)`, 400, { clusterName });
    }
    if (!/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/.+/.test(input.principalArn)) {
      throw new AwsApiError('InvalidParameterException', `The specified principalArn is invalid: ${input.principalArn}`, 400, { clusterName });
    }
    if (type !== 'STANDARD' && (input.kubernetesGroups ?? []).length > 0) {
      throw new AwsApiError('InvalidParameterException', `Kubernetes groups cannot be specified for access entries of type ${type}`, 400, { clusterName });
    }
    if (cluster.accessEntries.some((e) => e.principalArn === input.principalArn)) {
      throw new AwsApiError('ResourceInUseException', `The specified access entry resource is already in use on this cluster.`, 409, { clusterName });
    }
    const entry = {
      principalArn: input.principalArn,
      kubernetesGroups: input.kubernetesGroups ?? [],
      accessPolicies: [],
      type: type as 'STANDARD' | 'EC2_LINUX' | 'EC2_WINDOWS',
    };
    cluster.accessEntries.push(entry);
    return entry;
  }

  private join(instanceId: string, bootTime: number): void {
    const instance = this.instances.get(instanceId);
    if (!instance || instance.state !== 'running' || instance.bootstrap !== 'joining') return;
    const nodegroup = instance.clusterName && instance.nodegroupName ? this.nodegroup(instance.clusterName, instance.nodegroupName) : undefined;
    const cluster = instance.clusterName ? this.clusters.get(instance.clusterName) : undefined;
    if (!nodegroup || !cluster) return;
    this.resourceVersion += 1;
    const node = buildNode({
      instance,
      nodegroup,
      region: this.region,
      clusterVersion: nodegroup.version,
      uid: this.ids.uuid(),
      machineId: this.ids.hex(32),
      bootId: this.ids.uuid(),
      resourceVersion: String(this.resourceVersion),
      registeredAt: new Date(bootTime + this.timing.nodeJoinSeconds * MS),
      ...(instance.s3Path === false ? { ready: false } : {}),
    });
    if (instance.s3Path === false) this.console(instance, imagePullFailureConsole(this.region, instance.privateIp));
    const name = privateDnsName(instance.privateIp, this.region);
    this.nodes.set(name, { clusterName: cluster.name, instanceId, node });
    instance.bootstrap = 'joined';
    instance.nodeName = name;
  }

  /** shutting-down now (its Node goes away), terminated after instanceTerminateSeconds. */
  private beginTermination(instance: InstanceRecord, reason: string, onTerminated: () => void): void {
    if (!LIVE_STATES.has(instance.state)) return;
    instance.state = 'shutting-down';
    instance.stateTransitionReason = `${reason} (${eventTime(this.clock.now()).replace('T', ' ').replace('Z', ' GMT')})`;
    if (instance.nodeName) this.nodes.delete(instance.nodeName);
    this.clock.scheduleIn(this.timing.instanceTerminateSeconds, `terminate ${instance.instanceId}`, () => {
      instance.state = 'terminated';
      instance.terminatedAt = this.clock.now();
      this.usedIps.get(instance.subnetId)?.delete(instance.privateIp);
      onTerminated();
    });
  }

  private terminateFromGroup(asg: AutoScalingGroupRecord, instance: InstanceRecord, cause: string): ScalingActivityRecord {
    const startTime = this.clock.now();
    const activity = this.recordActivity(asg, {
      description: `Terminating EC2 instance: ${instance.instanceId}`,
      cause,
      startTime,
      statusCode: 'InProgress',
      details: { 'Subnet ID': instance.subnetId, 'Availability Zone': instance.availabilityZone },
      instanceId: instance.instanceId,
    });
    this.beginTermination(instance, 'User initiated', () => {
      asg.instanceIds = asg.instanceIds.filter((id) => id !== instance.instanceId);
      activity.statusCode = 'Successful';
      activity.progress = 100;
      activity.endTime = this.clock.now();
      this.events.emit(
        instanceLifecycleEvent({
          id: this.ids.uuid(),
          kind: 'terminate',
          account: this.accountId,
          region: this.region,
          autoScalingGroupName: asg.name,
          autoScalingGroupArn: asg.arn,
          instanceId: instance.instanceId,
          activityId: activity.activityId,
          description: activity.description,
          cause: activity.cause,
          availabilityZone: instance.availabilityZone,
          subnetId: instance.subnetId,
          startMs: startTime,
          endMs: activity.endTime,
        }),
      );
    });
    return activity;
  }

  private recordActivity(
    asg: AutoScalingGroupRecord,
    input: Pick<ScalingActivityRecord, 'description' | 'cause' | 'startTime' | 'statusCode' | 'details' | 'instanceId'>,
  ): ScalingActivityRecord {
    const activity: ScalingActivityRecord = {
      activityId: this.ids.uuid(),
      autoScalingGroupName: asg.name,
      autoScalingGroupArn: asg.arn,
      progress: input.statusCode === 'Successful' ? 100 : 0,
      ...input,
    };
    this.activities.push(activity);
    return activity;
  }

  /** Launches or terminates members until the live count equals the desired capacity. */
  private reconcile(asg: AutoScalingGroupRecord, causePrefix: string): void {
    const live = (): InstanceRecord[] => this.asgMembers(asg).filter((i) => LIVE_STATES.has(i.state));
    let count = live().length;
    while (count < asg.desiredCapacity) {
      // A failed launch (no free address) is retried by Auto Scaling later, not in a loop now.
      if (!this.launchIntoGroup(asg, { cause: causePrefix, capacityFrom: count })) break;
      count += 1;
    }
    while (count > asg.desiredCapacity) {
      const victim = this.pickVictim(live());
      if (!victim) break;
      this.terminateFromGroup(
        asg,
        victim,
        `${causePrefix}  ${at(this.clock.now())} an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from ${count} to ${count - 1}.  ${at(this.clock.now())} instance ${victim.instanceId} was selected for termination.`,
      );
      count -= 1;
    }
  }

  /** Default termination policy, simplified: the most crowded AZ, then the oldest instance. */
  private pickVictim(live: InstanceRecord[]): InstanceRecord | undefined {
    const perAz = new Map<string, number>();
    for (const i of live) perAz.set(i.availabilityZone, (perAz.get(i.availabilityZone) ?? 0) + 1);
    return [...live].sort(
      (a, b) => (perAz.get(b.availabilityZone) ?? 0) - (perAz.get(a.availabilityZone) ?? 0) || a.launchTime - b.launchTime,
    )[0];
  }

  // ---------------------------------------------------------------- EC2 mutators

  private routeTableOrThrow(routeTableId: string): RouteTableRecord {
    const table = this.routeTables.get(routeTableId);
    if (!table) throw new AwsApiError('InvalidRouteTableID.NotFound', `The routeTable ID '${routeTableId}' does not exist`);
    return table;
  }

  private checkRouteTarget(table: RouteTableRecord, target: RouteTarget): void {
    const set = Object.entries(target).filter(([, v]) => v !== undefined);
    if (set.length === 0) {
      throw new AwsApiError(
        'InvalidParameterCombination',
        'The request must contain exactly one of gatewayId, natGatewayId, networkInterfaceId, vpcPeeringConnectionId, transitGatewayId or instanceId',
      );
    }
    if (set.length > 1) {
      throw new AwsApiError('InvalidParameterCombination', `The parameter ${set[0]?.[0]} cannot be used with the parameter ${set[1]?.[0]}`);
    }
    if (target.natGatewayId !== undefined) {
      const nat = this.natGateways.get(target.natGatewayId);
      if (!nat || nat.state === 'deleted') {
        throw new AwsApiError('InvalidNatGatewayID.NotFound', `The natGateway ID '${target.natGatewayId}' does not exist`);
      }
      if (nat.vpcId !== table.vpcId) {
        throw new AwsApiError('InvalidParameterValue', `route table ${table.routeTableId} and network gateway ${nat.natGatewayId} belong to different networks`);
      }
    }
    if (target.gatewayId !== undefined) {
      if (target.gatewayId === 'local') {
        throw new AwsApiError('InvalidParameterValue', 'The local route cannot be created or replaced this way');
      }
      const igw = this.internetGateways.get(target.gatewayId);
      if (!igw) throw new AwsApiError('InvalidGatewayID.NotFound', `The gateway ID '${target.gatewayId}' does not exist`);
      if (igw.vpcId !== table.vpcId) {
        throw new AwsApiError('InvalidParameterValue', `route table ${table.routeTableId} and network gateway ${igw.internetGatewayId} belong to different networks`);
      }
    }
    if (target.instanceId !== undefined && !this.instances.has(target.instanceId)) {
      throw new AwsApiError('InvalidInstanceID.NotFound', `The instance ID '${target.instanceId}' does not exist`);
    }
  }

  private checkDestination(destinationCidrBlock: string): void {
    if (!parseCidr(destinationCidrBlock)) {
      throw new AwsApiError('InvalidParameterValue', `Value (${destinationCidrBlock}) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.`);
    }
  }

  private isLocalDestination(table: RouteTableRecord, destinationCidrBlock: string): boolean {
    return this.vpcs.get(table.vpcId)?.cidrBlock === destinationCidrBlock;
  }

  createRoute(routeTableId: string, destinationCidrBlock: string, target: RouteTarget): void {
    const table = this.routeTableOrThrow(routeTableId);
    this.checkDestination(destinationCidrBlock);
    if (this.isLocalDestination(table, destinationCidrBlock) || table.routes.some((r) => r.destinationCidrBlock === destinationCidrBlock)) {
      throw new AwsApiError('RouteAlreadyExists', `The route identified by ${destinationCidrBlock} already exists.`);
    }
    this.checkRouteTarget(table, target);
    table.routes.push({ destinationCidrBlock, ...withoutUndefined(target), origin: 'CreateRoute' });
  }

  replaceRoute(routeTableId: string, destinationCidrBlock: string, target: RouteTarget): void {
    const table = this.routeTableOrThrow(routeTableId);
    this.checkDestination(destinationCidrBlock);
    if (this.isLocalDestination(table, destinationCidrBlock)) {
      throw new AwsApiError('InvalidParameterValue', `cannot replace local route ${destinationCidrBlock} in route table ${routeTableId}`);
    }
    const index = table.routes.findIndex((r) => r.destinationCidrBlock === destinationCidrBlock);
    if (index < 0) {
      throw new AwsApiError('InvalidParameterValue', `There is no route defined for '${destinationCidrBlock}' in the route table. Use CreateRoute instead.`);
    }
    this.checkRouteTarget(table, target);
    table.routes[index] = { destinationCidrBlock, ...withoutUndefined(target), origin: 'CreateRoute' };
  }

  deleteRoute(routeTableId: string, destinationCidrBlock: string): void {
    const table = this.routeTableOrThrow(routeTableId);
    if (this.isLocalDestination(table, destinationCidrBlock)) {
      throw new AwsApiError('InvalidParameterValue', `cannot remove local route ${destinationCidrBlock} in route table ${routeTableId}`);
    }
    const index = table.routes.findIndex((r) => r.destinationCidrBlock === destinationCidrBlock);
    if (index < 0) {
      throw new AwsApiError('InvalidRoute.NotFound', `no route with destination-cidr-block ${destinationCidrBlock} in route table ${routeTableId}`);
    }
    table.routes.splice(index, 1);
  }

  /** deleting now (routes to it turn blackhole), deleted after natGatewayDeleteSeconds. */
  deleteNatGateway(natGatewayId: string): NatGatewayRecord {
    const nat = this.natGateways.get(natGatewayId);
    if (!nat || nat.state === 'deleted') throw new AwsApiError('NatGatewayNotFound', `The Nat Gateway ${natGatewayId} was not found`);
    if (nat.state !== 'deleting') {
      nat.state = 'deleting';
      this.clock.scheduleIn(this.timing.natGatewayDeleteSeconds, `delete ${natGatewayId}`, () => {
        nat.state = 'deleted';
        nat.deleteTime = this.clock.now();
        this.usedIps.get(nat.subnetId)?.delete(nat.privateIp);
      });
    }
    return nat;
  }

  // ---------------------------------------------------------------- Auto Scaling mutators

  private asgOrThrow(name: string): AutoScalingGroupRecord {
    const asg = this.autoScalingGroups.get(name);
    if (!asg) throw new AwsApiError('ValidationError', `AutoScalingGroup name not found - AutoScalingGroup '${name}' not found`);
    return asg;
  }

  terminateInstanceInAutoScalingGroup(instanceId: string, shouldDecrementDesiredCapacity: boolean): ScalingActivityRecord {
    const instance = this.instances.get(instanceId);
    const asg = instance?.autoScalingGroupName ? this.autoScalingGroups.get(instance.autoScalingGroupName) : undefined;
    if (!instance || !asg || !asg.instanceIds.includes(instanceId)) {
      throw new AwsApiError('ValidationError', `Instance Id not found - No managed instance found for instance ID: ${instanceId}`);
    }
    if (!LIVE_STATES.has(instance.state)) {
      // Already on its way out: AWS answers with the termination activity in progress.
      const existing = [...this.activities].reverse().find((a) => a.instanceId === instanceId && a.description.startsWith('Terminating'));
      if (existing) return existing;
    }
    const now = this.clock.now();
    const liveBefore = this.asgMembers(asg).filter((i) => LIVE_STATES.has(i.state)).length;
    if (shouldDecrementDesiredCapacity) {
      if (asg.desiredCapacity - 1 < asg.minSize) {
        throw new AwsApiError('ValidationError', `Currently, desired capacity is ${asg.desiredCapacity} and min size is ${asg.minSize}. Cannot decrement the desired capacity below min size.`);
      }
      this.setDesired(asg, asg.desiredCapacity - 1);
    }
    const cause = shouldDecrementDesiredCapacity
      ? `${at(now)} instance ${instanceId} was taken out of service in response to a user request, shrinking the capacity from ${liveBefore} to ${liveBefore - 1}.`
      : `${at(now)} instance ${instanceId} was taken out of service in response to a user request.`;
    const activity = this.terminateFromGroup(asg, instance, cause);
    // The replacement (when desired capacity did not drop) launches right away.
    this.reconcile(asg, `${at(now)} an instance was taken out of service in response to a user request.`);
    return activity;
  }

  setDesiredCapacity(name: string, desired: number): void {
    const asg = this.asgOrThrow(name);
    if (desired > asg.maxSize) {
      throw new AwsApiError('ValidationError', `New SetDesiredCapacity value ${desired} is above max value ${asg.maxSize} for the AutoScalingGroup.`);
    }
    if (desired < asg.minSize) {
      throw new AwsApiError('ValidationError', `New SetDesiredCapacity value ${desired} is below min value ${asg.minSize} for the AutoScalingGroup.`);
    }
    const before = asg.desiredCapacity;
    this.setDesired(asg, desired);
    this.reconcile(asg, `${at(this.clock.now())} a user request explicitly set group desired capacity changing the desired capacity from ${before} to ${desired}.`);
  }

  updateAutoScalingGroup(name: string, change: { minSize?: number; maxSize?: number; desiredCapacity?: number }): void {
    const asg = this.asgOrThrow(name);
    const minSize = change.minSize ?? asg.minSize;
    const maxSize = change.maxSize ?? asg.maxSize;
    const desired = change.desiredCapacity ?? Math.min(Math.max(asg.desiredCapacity, minSize), maxSize);
    if (minSize > maxSize) throw new AwsApiError('ValidationError', `Minimum capacity ${minSize} can't be greater than maximum capacity ${maxSize}`);
    if (desired < minSize || desired > maxSize) {
      throw new AwsApiError('ValidationError', `Desired capacity:${desired} must be between the specified min size:${minSize} and max size:${maxSize}`);
    }
    const before = asg.desiredCapacity;
    asg.minSize = minSize;
    asg.maxSize = maxSize;
    this.setDesired(asg, desired);
    this.reconcile(
      asg,
      `${at(this.clock.now())} a user request update of AutoScalingGroup constraints to min: ${minSize}, max: ${maxSize}, desired: ${desired} changing the desired capacity from ${before} to ${desired}.`,
    );
  }

  /** The node group's desiredSize follows its ASG (as EKS reports it). */
  private setDesired(asg: AutoScalingGroupRecord, desired: number): void {
    asg.desiredCapacity = desired;
    const nodegroup = asg.clusterName && asg.nodegroupName ? this.nodegroup(asg.clusterName, asg.nodegroupName) : undefined;
    if (nodegroup) nodegroup.scalingConfig = { minSize: asg.minSize, maxSize: asg.maxSize, desiredSize: desired };
  }

  // ---------------------------------------------------------------- EKS mutators

  clusterOrThrow(name: string): ClusterRecord {
    const cluster = this.clusters.get(name);
    if (!cluster) throw new AwsApiError('ResourceNotFoundException', `No cluster found for name: ${name}.`, 404, { clusterName: name });
    return cluster;
  }

  nodegroupOrThrow(clusterName: string, nodegroupName: string): NodegroupRecord {
    this.clusterOrThrow(clusterName);
    const nodegroup = this.nodegroup(clusterName, nodegroupName);
    if (!nodegroup) {
      throw new AwsApiError('ResourceNotFoundException', `No node group found for name: ${nodegroupName}.`, 404, { clusterName, nodegroupName });
    }
    return nodegroup;
  }

  private startUpdate(nodegroup: NodegroupRecord, type: NodegroupUpdateRecord['type'], params: NodegroupUpdateRecord['params'], apply: () => void): NodegroupUpdateRecord {
    if (nodegroup.status !== 'ACTIVE') {
      throw new AwsApiError('ResourceInUseException', 'Nodegroup cannot be updated as it is currently not in Active State', 409, {
        clusterName: nodegroup.clusterName,
        nodegroupName: nodegroup.nodegroupName,
      });
    }
    const now = this.clock.now();
    const update: NodegroupUpdateRecord = {
      id: this.ids.uuid(),
      clusterName: nodegroup.clusterName,
      nodegroupName: nodegroup.nodegroupName,
      status: 'InProgress',
      type,
      params,
      createdAt: now,
      errors: [],
    };
    nodegroup.updates.push(update);
    nodegroup.status = 'UPDATING';
    nodegroup.modifiedAt = now;
    apply();
    this.clock.scheduleIn(this.timing.nodegroupUpdateSeconds, `update ${update.id}`, () => {
      update.status = 'Successful';
      if (nodegroup.status === 'UPDATING') nodegroup.status = 'ACTIVE';
      nodegroup.modifiedAt = this.clock.now();
    });
    return update;
  }

  updateNodegroupConfig(clusterName: string, nodegroupName: string, change: NodegroupConfigChange): NodegroupUpdateRecord {
    const nodegroup = this.nodegroupOrThrow(clusterName, nodegroupName);
    const current = nodegroup.scalingConfig;
    const requested = change.scalingConfig ?? {};
    const next = {
      minSize: requested.minSize ?? current.minSize,
      maxSize: requested.maxSize ?? current.maxSize,
      desiredSize: requested.desiredSize ?? current.desiredSize,
    };
    if (next.maxSize < 1) throw new AwsApiError('InvalidParameterException', 'Maximum capacity should be greater than 0', 400, { clusterName, nodegroupName });
    if (next.minSize > next.maxSize) {
      throw new AwsApiError('InvalidParameterException', `Minimum capacity ${next.minSize} can't be greater than max size ${next.maxSize}`, 400, { clusterName, nodegroupName });
    }
    if (next.desiredSize > next.maxSize) {
      throw new AwsApiError('InvalidParameterException', `Desired capacity:${next.desiredSize} can't be greater than max size:${next.maxSize}`, 400, { clusterName, nodegroupName });
    }
    if (next.desiredSize < next.minSize) {
      throw new AwsApiError('InvalidParameterException', `Minimum capacity ${next.minSize} can't be greater than desired size ${next.desiredSize}`, 400, { clusterName, nodegroupName });
    }
    const params: NodegroupUpdateRecord['params'] = [];
    if (requested.minSize !== undefined) params.push({ type: 'MinSize', value: String(requested.minSize) });
    if (requested.maxSize !== undefined) params.push({ type: 'MaxSize', value: String(requested.maxSize) });
    if (requested.desiredSize !== undefined) params.push({ type: 'DesiredSize', value: String(requested.desiredSize) });
    if (change.labels?.addOrUpdateLabels) params.push({ type: 'LabelsToAdd', value: JSON.stringify(change.labels.addOrUpdateLabels) });
    if (change.labels?.removeLabels) params.push({ type: 'LabelsToRemove', value: JSON.stringify(change.labels.removeLabels) });
    if (params.length === 0) {
      throw new AwsApiError('InvalidParameterException', 'No changes needed', 400, { clusterName, nodegroupName });
    }
    return this.startUpdate(nodegroup, 'ConfigUpdate', params, () => {
      nodegroup.labels = { ...nodegroup.labels, ...(change.labels?.addOrUpdateLabels ?? {}) };
      for (const key of change.labels?.removeLabels ?? []) delete nodegroup.labels[key];
      const asg = this.autoScalingGroups.get(nodegroup.autoScalingGroupName);
      if (asg && change.scalingConfig) {
        this.updateAutoScalingGroup(asg.name, { minSize: next.minSize, maxSize: next.maxSize, desiredCapacity: next.desiredSize });
      }
      nodegroup.scalingConfig = next;
    });
  }

  /** Version bump only: instances are not rolled (see emulator/README.md). */
  updateNodegroupVersion(clusterName: string, nodegroupName: string, input: { version?: string; releaseVersion?: string }): NodegroupUpdateRecord {
    const nodegroup = this.nodegroupOrThrow(clusterName, nodegroupName);
    const cluster = this.clusterOrThrow(clusterName);
    const version = input.version ?? cluster.version;
    const releaseVersion = input.releaseVersion ?? `${version}.4-20240917`;
    return this.startUpdate(
      nodegroup,
      'VersionUpdate',
      [
        { type: 'Version', value: version },
        { type: 'ReleaseVersion', value: releaseVersion },
      ],
      () => {
        nodegroup.version = version;
        nodegroup.releaseVersion = releaseVersion;
      },
    );
  }

  createNodegroup(clusterName: string, input: CreateNodegroupInput): NodegroupRecord {
    const cluster = this.clusterOrThrow(clusterName);
    if (this.nodegroup(clusterName, input.nodegroupName)) {
      throw new AwsApiError('ResourceInUseException', `NodeGroup already exists with name ${input.nodegroupName} and cluster name ${clusterName}`, 409, {
        clusterName,
        nodegroupName: input.nodegroupName,
      });
    }
    if (input.subnets.length === 0) throw new AwsApiError('InvalidParameterException', 'Subnets are required', 400, { clusterName });
    for (const subnetId of input.subnets) {
      const subnet = this.subnets.get(subnetId);
      if (!subnet || subnet.vpcId !== cluster.vpcId) {
        throw new AwsApiError('InvalidParameterException', `The subnet ID '${subnetId}' does not exist (Service: AmazonEC2; Status Code: 400; Error Code: InvalidSubnetID.NotFound)`, 400, { clusterName });
      }
    }
    const s = input.scalingConfig ?? {};
    const scaling = { minSize: s.minSize ?? 1, maxSize: s.maxSize ?? 2, desiredSize: s.desiredSize ?? s.minSize ?? 1 };
    if (scaling.minSize > scaling.maxSize || scaling.desiredSize > scaling.maxSize || scaling.desiredSize < scaling.minSize) {
      throw new AwsApiError('InvalidParameterException', `Invalid scaling config: min ${scaling.minSize}, max ${scaling.maxSize}, desired ${scaling.desiredSize}`, 400, { clusterName });
    }
    const record = this.newNodegroup(cluster, { ...input, scalingConfig: scaling }, this.clock.now(), 'CREATING');
    const asg = this.autoScalingGroups.get(record.autoScalingGroupName) as AutoScalingGroupRecord;
    this.reconcile(asg, `${at(this.clock.now())} a user request created an AutoScalingGroup changing the desired capacity from 0 to ${scaling.desiredSize}.`);
    this.clock.scheduleIn(this.timing.nodegroupUpdateSeconds, `create ${clusterName}/${input.nodegroupName}`, () => {
      if (record.status === 'CREATING') record.status = 'ACTIVE';
      record.modifiedAt = this.clock.now();
    });
    return record;
  }

  deleteNodegroup(clusterName: string, nodegroupName: string): NodegroupRecord {
    const nodegroup = this.nodegroupOrThrow(clusterName, nodegroupName);
    if (nodegroup.status === 'DELETING') return nodegroup;
    if (nodegroup.status === 'UPDATING' || nodegroup.status === 'CREATING') {
      throw new AwsApiError('ResourceInUseException', `Nodegroup ${nodegroupName} is currently ${nodegroup.status.toLowerCase()}`, 409, { clusterName, nodegroupName });
    }
    nodegroup.status = 'DELETING';
    const asg = this.autoScalingGroups.get(nodegroup.autoScalingGroupName);
    if (asg) {
      asg.minSize = 0;
      this.setDesired(asg, 0);
      this.reconcile(asg, `${at(this.clock.now())} a user request update of AutoScalingGroup constraints to min: 0, max: ${asg.maxSize}, desired: 0.`);
    }
    this.clock.scheduleIn(this.timing.nodegroupUpdateSeconds + this.timing.instanceTerminateSeconds, `delete ${clusterName}/${nodegroupName}`, () => {
      this.nodegroups.delete(`${clusterName}/${nodegroupName}`);
      if (asg) this.autoScalingGroups.delete(asg.name);
    });
    return nodegroup;
  }

  // ---------------------------------------------------------------- state

  /** Every registered Node with its cluster and instance. */
  registeredNodes(): { clusterName: string; instanceId: string; node: KubernetesNode }[] {
    return [...this.nodes.values()].map((n) => ({ ...n, node: structuredClone(n.node) }));
  }

  /** The whole world as JSON (GET /_emulator/state). */
  snapshot(): Record<string, unknown> {
    return worldSnapshot(this);
  }
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
