/**
 * The world's network conditions beyond the route (contract section 7.1): DNS attributes, VPC
 * endpoint service (private DNS, security groups), security groups and network ACLs both ways,
 * the cluster endpoint's public access CIDRs. A node joins only if every condition holds; each
 * failing condition writes to the instance's serial console what nodeadm / kubelet would print
 * (GetConsoleOutput).
 *
 * Security group and ACL semantics come from the product's pure rule evaluators
 * (lambda/net/traffic.ts): one definition of how AWS filters a flow.
 */
import { AMAZON_PROVIDED_DNS } from '../../lambda/diagnosis/dns';
import type { NetworkAclInfo, PrefixListInfo, SecurityGroupInfo } from '../../lambda/model';
import { cidrContainsIp } from '../../lambda/net/cidr';
import { nodeFlowProblems } from '../../lambda/net/node-flows';
import { cidrSize, parseCidr, AWS_RESERVED_ADDRESSES_PER_SUBNET } from '../cidr';
import type { Scenario } from '../scenario';
import type { EgressVerdict } from './network';
import { effectiveRouteTable } from './network';
import type {
  ClusterRecord,
  InstanceRecord,
  NetworkAclRecord,
  NodegroupRecord,
  SecurityGroupRecord,
  SecurityGroupRuleRecord,
  VpcEndpointRecord,
} from './state';
import { IdFactory } from './ids';
import type { World } from './world';

/** AWS-managed prefix lists of the gateway endpoint services, as us-west-2 numbers them. */
const MANAGED_PREFIX_LISTS: Record<string, { id: string; cidrs: string[] }> = {
  s3: { id: 'pl-68a54001', cidrs: ['3.5.76.0/22', '18.34.48.0/20', '18.34.244.0/22', '52.92.128.0/17', '52.218.128.0/17'] },
  dynamodb: { id: 'pl-00a54069', cidrs: ['35.71.64.0/22', '52.94.0.0/22', '52.119.224.0/20'] },
};

const PROTOCOL_NUMBERS: Record<string, string> = { tcp: '6', udp: '17', icmp: '1', '-1': '-1' };

/**
 * Ids of the network controls come from their own seeded generator, so that adding them does not
 * shift the ids of everything else the world makes (instances, Auto Scaling groups...): a scenario
 * keeps the ids it always had.
 */
const controlIds = new WeakMap<World, IdFactory>();
function idsOf(world: World): IdFactory {
  let ids = controlIds.get(world);
  if (!ids) {
    ids = new IdFactory(0x5eed_ac15);
    controlIds.set(world, ids);
  }
  return ids;
}

// ------------------------------------------------------------------------------------ loading

export function loadNetworkControls(world: World, s: Scenario): void {
  for (const [service, list] of Object.entries(MANAGED_PREFIX_LISTS)) {
    world.prefixLists.set(list.id, { prefixListId: list.id, prefixListName: `com.amazonaws.${world.region}.${service}`, cidrs: list.cidrs, ownerId: 'AWS' });
  }
  for (const l of s.prefixLists ?? []) {
    world.prefixLists.set(l.prefixListId, { prefixListId: l.prefixListId, prefixListName: l.prefixListName ?? l.prefixListId, cidrs: l.cidrs, ownerId: world.accountId });
  }
  for (const vpc of world.vpcs.values()) {
    // Every VPC has a default security group (members talk to each other) and a default ACL (allow all).
    const groupId = idsOf(world).resourceId('sg');
    world.securityGroups.set(groupId, {
      groupId,
      groupName: 'default',
      description: 'default VPC security group',
      vpcId: vpc.vpcId,
      ingress: [{ ruleId: idsOf(world).resourceId('sgr'), protocol: '-1', groupId }],
      egress: [allEgress(world)],
      tags: {},
    });
    const networkAclId = idsOf(world).resourceId('acl');
    world.networkAcls.set(networkAclId, {
      networkAclId,
      vpcId: vpc.vpcId,
      isDefault: true,
      subnetIds: [],
      entries: [
        { ruleNumber: 100, egress: false, protocol: '-1', cidrBlock: '0.0.0.0/0', ruleAction: 'allow' },
        { ruleNumber: 100, egress: true, protocol: '-1', cidrBlock: '0.0.0.0/0', ruleAction: 'allow' },
      ],
      tags: {},
    });
  }
  for (const g of s.securityGroups ?? []) {
    world.securityGroups.set(g.groupId, {
      groupId: g.groupId,
      groupName: g.groupName ?? g.groupId,
      description: g.description ?? `security group ${g.groupId}`,
      vpcId: g.vpcId,
      ingress: (g.ingress ?? []).map((r) => ruleRecord(world, r, r.sourceGroupId)),
      egress: g.egress ? g.egress.map((r) => ruleRecord(world, r, r.destinationGroupId)) : [allEgress(world)],
      tags: {},
    });
  }
  for (const a of s.networkAcls ?? []) {
    world.networkAcls.set(a.networkAclId, {
      networkAclId: a.networkAclId,
      vpcId: a.vpcId,
      isDefault: false,
      subnetIds: [...a.subnetIds],
      entries: a.entries.map((e) => ({
        ruleNumber: e.ruleNumber,
        egress: e.egress,
        protocol: PROTOCOL_NUMBERS[e.protocol] ?? e.protocol,
        ...(e.portRange && e.protocol !== '-1' ? { portRange: { ...e.portRange } } : {}),
        cidrBlock: e.cidrBlock,
        ruleAction: e.ruleAction,
      })),
      tags: {},
    });
  }
  // availableIpAddressCount: free addresses before the node groups' instances launch.
  for (const sub of s.subnets) {
    if (sub.availableIpAddressCount === undefined) continue;
    const subnet = world.subnets.get(sub.subnetId);
    const cidr = parseCidr(sub.cidrBlock);
    if (!subnet || !cidr) continue;
    const freeNow = world.availableIpAddressCount(sub.subnetId);
    subnet.unmodelledAddresses = Math.max(0, Math.min(freeNow, cidrSize(cidr) - AWS_RESERVED_ADDRESSES_PER_SUBNET) - sub.availableIpAddressCount);
  }
}

function allEgress(world: World): SecurityGroupRuleRecord {
  return { ruleId: idsOf(world).resourceId('sgr'), protocol: '-1', cidr: '0.0.0.0/0' };
}

function ruleRecord(
  world: World,
  r: { protocol: string; fromPort?: number; toPort?: number; cidr?: string; prefixListId?: string; description?: string },
  groupId: string | undefined,
): SecurityGroupRuleRecord {
  const protocol = r.protocol === '6' ? 'tcp' : r.protocol === '17' ? 'udp' : r.protocol === '1' ? 'icmp' : r.protocol;
  return Object.fromEntries(
    Object.entries({
      ruleId: idsOf(world).resourceId('sgr'),
      protocol,
      fromPort: protocol === '-1' ? undefined : r.fromPort,
      toPort: protocol === '-1' ? undefined : r.toPort,
      cidr: r.cidr,
      groupId,
      prefixListId: r.prefixListId,
      description: r.description,
    }).filter(([, v]) => v !== undefined),
  ) as unknown as SecurityGroupRuleRecord;
}

/** The security group EKS creates for a cluster: all traffic from itself, all egress. */
export function ensureClusterSecurityGroup(world: World, cluster: ClusterRecord): void {
  if (world.securityGroups.has(cluster.clusterSecurityGroupId)) return;
  world.securityGroups.set(cluster.clusterSecurityGroupId, {
    groupId: cluster.clusterSecurityGroupId,
    groupName: clusterSecurityGroupName(cluster),
    description: 'EKS created security group applied to ENI that is attached to EKS Control Plane master nodes, as well as any managed workloads.',
    vpcId: cluster.vpcId,
    ingress: [{ ruleId: idsOf(world).resourceId('sgr'), protocol: '-1', groupId: cluster.clusterSecurityGroupId }],
    egress: [allEgress(world)],
    tags: { 'aws:eks:cluster-name': cluster.name, [`kubernetes.io/cluster/${cluster.name}`]: 'owned' },
  });
}

function clusterSecurityGroupName(cluster: ClusterRecord): string {
  return `eks-cluster-sg-${cluster.name}-${cluster.clusterSecurityGroupId.slice(-10).replace(/[a-f]/g, '7')}`;
}

/** A node's groups: the launch template's when given (EKS then adds nothing), else the cluster security group. */
export function nodeSecurityGroups(world: World, cluster: ClusterRecord, nodegroup: NodegroupRecord | undefined): InstanceRecord['securityGroups'] {
  if (nodegroup?.securityGroupIds && nodegroup.securityGroupIds.length > 0) {
    return nodegroup.securityGroupIds.map((groupId) => ({ groupId, groupName: world.securityGroups.get(groupId)?.groupName ?? groupId }));
  }
  return [{ groupId: cluster.clusterSecurityGroupId, groupName: clusterSecurityGroupName(cluster) }];
}

// ------------------------------------------------------------------------------------ model views

/** The product's view of a security group record (lambda/model.ts), for the shared rule evaluators. */
export function securityGroupInfo(g: SecurityGroupRecord): SecurityGroupInfo {
  const rule = (r: SecurityGroupRuleRecord) => ({
    protocol: r.protocol,
    ...(r.fromPort !== undefined ? { fromPort: r.fromPort } : {}),
    ...(r.toPort !== undefined ? { toPort: r.toPort } : {}),
    ...(r.cidr ? { cidrIpv4: r.cidr } : {}),
    ...(r.groupId ? { referencedGroupId: r.groupId } : {}),
    ...(r.prefixListId ? { prefixListId: r.prefixListId } : {}),
  });
  return { groupId: g.groupId, groupName: g.groupName, vpcId: g.vpcId, ingress: g.ingress.map(rule), egress: g.egress.map(rule) };
}

export function networkAclInfo(a: NetworkAclRecord): NetworkAclInfo {
  return {
    networkAclId: a.networkAclId,
    vpcId: a.vpcId,
    isDefault: a.isDefault,
    subnetIds: a.subnetIds,
    entries: a.entries.map((e) => ({
      ruleNumber: e.ruleNumber,
      egress: e.egress,
      protocol: e.protocol,
      ...(e.portRange ? { fromPort: e.portRange.from, toPort: e.portRange.to } : {}),
      cidrBlock: e.cidrBlock,
      ruleAction: e.ruleAction,
    })),
  };
}

/** The ACL a subnet uses: its explicit one, else its VPC's default ACL. */
export function networkAclOfSubnet(world: World, subnetId: string): NetworkAclRecord | undefined {
  const subnet = world.subnets.get(subnetId);
  const acls = [...world.networkAcls.values()];
  return acls.find((a) => a.subnetIds.includes(subnetId)) ?? acls.find((a) => a.isDefault && a.vpcId === subnet?.vpcId);
}

// ------------------------------------------------------------------------------------ conditions

export type JoinCause =
  | 'path'
  | 'dns'
  | 'endpoint-service'
  | 'endpoint-access'
  | 'security-group'
  | 'network-acl';

export interface JoinFailure {
  cause: JoinCause;
  /** one sentence for /_emulator/state */
  detail: string;
  /** what nodeadm / kubelet prints for it */
  consoleLines: string[];
}

function serviceOf(e: VpcEndpointRecord): string {
  return e.serviceName.split('.').slice(3).join('.');
}

/**
 * Every network condition besides the route that stops a node from joining, given that the
 * route path (`verdict`) works. Empty = the node joins.
 */
export function joinConditions(world: World, instance: InstanceRecord, cluster: ClusterRecord, verdict: EgressVerdict): JoinFailure[] {
  const failures: JoinFailure[] = [];
  const vpc = world.vpcs.get(instance.vpcId);
  if (!vpc) return failures;
  const region = world.region;
  const viaEndpoints = verdict.via === 'vpc-endpoints';
  const ec2Host = `ec2.${region}.amazonaws.com`;

  // DNS.
  if (!vpc.enableDnsSupport && vpc.domainNameServers.includes(AMAZON_PROVIDED_DNS)) {
    failures.push({
      cause: 'dns',
      detail: `enableDnsSupport is off in ${vpc.vpcId}: nothing answers DNS`,
      consoleLines: [nodeadmFatal(`operation error EC2: DescribeInstances, exceeded maximum number of attempts, 3, https response error StatusCode: 0, RequestID: , request send failed, Post "https://${ec2Host}/": dial tcp: lookup ${ec2Host} on ${dnsServer(vpc.cidrBlock)}:53: read udp ${instance.privateIp}:41923->${dnsServer(vpc.cidrBlock)}:53: i/o timeout`)],
    });
    return failures; // nothing else can even be tried
  }
  const privateOnly = !cluster.endpointPublicAccess && cluster.endpointPrivateAccess;
  if (!vpc.enableDnsHostnames && (viaEndpoints || privateOnly)) {
    failures.push({
      cause: 'dns',
      detail: `enableDnsHostnames is off in ${vpc.vpcId} and the node depends on private DNS`,
      consoleLines: [nodeadmFatal(`operation error EC2: DescribeInstances, https response error StatusCode: 0, RequestID: , request send failed, Post "https://${ec2Host}/": dial tcp 52.94.${instance.privateIp.split('.')[3]}.10:443: i/o timeout`)],
    });
  }

  const groups = [...world.securityGroups.values()].map(securityGroupInfo);
  const prefixLists: PrefixListInfo[] = [...world.prefixLists.values()].map((l) => ({ prefixListId: l.prefixListId, cidrs: l.cidrs }));
  const nodeGroupIds = instance.securityGroups.map((g) => g.groupId);

  // VPC endpoint service: private DNS on, security groups admitting TCP 443 from the node.
  if (viaEndpoints) {
    for (const e of [...world.vpcEndpoints.values()].filter((x) => x.vpcId === vpc.vpcId && x.vpcEndpointType === 'Interface' && x.state === 'available')) {
      const service = serviceOf(e);
      if (!['ec2', 'ecr.api', 'ecr.dkr', 'sts'].includes(service)) continue;
      const host = `${service === 'ecr.dkr' ? `123456789012.dkr.ecr` : service === 'ecr.api' ? 'api.ecr' : service}.${region}.amazonaws.com`;
      if (!e.privateDnsEnabled) {
        failures.push({
          cause: 'endpoint-service',
          detail: `interface endpoint ${e.vpcEndpointId} (${service}) has private DNS off`,
          consoleLines: [nodeadmFatal(`request send failed, Post "https://${host}/": dial tcp 52.94.1.${service.length}:443: i/o timeout`)],
        });
        continue;
      }
    }
  }

  // The cluster endpoint: public access CIDRs when it is public only.
  const publicOnly = cluster.endpointPublicAccess && !cluster.endpointPrivateAccess;
  if (publicOnly && !viaEndpoints) {
    const source = verdict.via === 'nat-gateway' ? natOfSubnet(world, instance.subnetId)?.publicIp : instance.publicIp;
    if (source && !cluster.publicAccessCidrs.some((c) => cidrContainsIp(c, source))) {
      failures.push({
        cause: 'endpoint-access',
        detail: `the node leaves from ${source}, outside the publicAccessCidrs of ${cluster.name} (${cluster.publicAccessCidrs.join(', ')})`,
        consoleLines: [kubeletError(cluster, `dial tcp 35.160.${source.split('.')[3]}.12:443: i/o timeout`)],
      });
    }
  }

  // Security groups both ways and network ACLs both ways, as the product judges them.
  const nat = verdict.via === 'nat-gateway' ? natOfSubnet(world, instance.subnetId) : undefined;
  const s3 = viaEndpoints ? [...world.prefixLists.values()].find((l) => l.prefixListName === `com.amazonaws.${region}.s3`) : undefined;
  const problems = nodeFlowProblems(
    {
      vpcId: vpc.vpcId,
      vpcCidr: vpc.cidrBlock,
      node: { subnetId: instance.subnetId, privateIp: instance.privateIp, groupIds: nodeGroupIds },
      apis: viaEndpoints ? 'vpc-endpoints' : 'internet',
      ...(nat ? { natSubnetId: nat.subnetId } : {}),
      clusterEndpointPrivate: cluster.endpointPrivateAccess,
      clusterEndpointGroupIds: [cluster.clusterSecurityGroupId],
      interfaceEndpoints: viaEndpoints
        ? [...world.vpcEndpoints.values()]
            .filter((e) => e.vpcId === vpc.vpcId && e.vpcEndpointType === 'Interface' && e.state === 'available' && ['ec2', 'ecr.api', 'ecr.dkr', 'sts'].includes(serviceOf(e)))
            .map((e) => ({ vpcEndpointId: e.vpcEndpointId, service: serviceOf(e), groupIds: e.securityGroupIds }))
        : [],
      ...(s3 ? { s3PrefixListId: s3.prefixListId } : {}),
    },
    groups,
    [...world.networkAcls.values()].map(networkAclInfo),
    prefixLists,
  );
  for (const problem of problems) {
    const cause: JoinCause = problem.kind === 'network-acl' ? 'network-acl' : problem.kind === 'endpoint-ingress' ? 'endpoint-service' : 'security-group';
    const target = problem.what.includes('cluster endpoint') ? 'cluster' : 'ec2';
    failures.push({
      cause,
      detail: `${problem.resourceId} stops ${problem.what}`,
      consoleLines: [
        target === 'cluster'
          ? kubeletError(cluster, `dial tcp 10.42.${instance.privateIp.split('.')[2]}.91:443: i/o timeout`)
          : nodeadmFatal(`operation error EC2: DescribeInstances, exceeded maximum number of attempts, 3, https response error StatusCode: 0, RequestID: , request send failed, Post "https://${ec2Host}/": dial tcp 52.94.28.115:443: i/o timeout`),
      ],
    });
  }
  return failures;
}

function natOfSubnet(world: World, subnetId: string) {
  const table = effectiveRouteTable(world.facts, subnetId);
  const natId = table?.routes.find((r) => r.destinationCidrBlock === '0.0.0.0/0')?.natGatewayId;
  return natId ? world.natGateways.get(natId) : undefined;
}

function dnsServer(vpcCidr: string): string {
  const cidr = parseCidr(vpcCidr);
  if (!cidr) return '169.254.169.253';
  const n = cidr.network + 2;
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

// ------------------------------------------------------------------------------------ console

function nodeadmFatal(error: string): string {
  return `nodeadm[1873]: {"level":"fatal","ts":1732860000.123,"caller":"nodeadm/main.go:36","msg":"Command failed","error":${JSON.stringify(error)}}`;
}

function kubeletError(cluster: ClusterRecord, error: string): string {
  const host = cluster.endpoint ? new URL(cluster.endpoint).host : `${cluster.name}.gr7.eks.amazonaws.com`;
  return `kubelet[2208]: E1129 06:00:21.391822    2208 kubelet_node_status.go:96] "Unable to register node with API server" err="Post \\"https://${host}/api/v1/nodes\\": ${error}"`;
}

/** What nodeadm / kubelet print on the serial console for the network conditions that stopped a node. */
export function networkFailureConsole(world: World, cluster: ClusterRecord | undefined, failures: JoinFailure[]): string[] {
  return failures.flatMap((failure) =>
    failure.cause === 'path' || !cluster
      ? [nodeadmFatal(`operation error EC2: DescribeInstances, exceeded maximum number of attempts, 3, https response error StatusCode: 0, RequestID: , request send failed, Post "https://ec2.${world.region}.amazonaws.com/": dial tcp 52.94.28.115:443: i/o timeout`)]
      : failure.consoleLines,
  );
}

/**
 * What a node without an S3 path prints once registered: ECR serves image layers from S3
 * (prod-REGION-starport-layer-bucket), so containerd cannot pull the VPC CNI (aws-node) and
 * kube-proxy images, and kubelet keeps the node NotReady (CNI not initialized).
 */
export function imagePullFailureConsole(region: string, privateIp: string): string[] {
  const layer = `https://prod-${region}-starport-layer-bucket.s3.${region}.amazonaws.com/registry-v2/docker/registry/v2/blobs/sha256/3f/3f2a9b0c/data`;
  const pull = (image: string) =>
    `kubelet[2208]: E1129 06:01:02.118204    2208 pod_workers.go:1301] "Error syncing pod, skipping" err="failed to \\"StartContainer\\" with ErrImagePull: \\"failed to pull and unpack image \\\\\\"602401143452.dkr.ecr.${region}.amazonaws.com/${image}\\\\\\": failed to copy: httpReadSeeker: failed open: failed to do request: Get \\\\\\"${layer}\\\\\\": dial tcp 52.92.${privateIp.split('.')[3]}.58:443: i/o timeout\\""`;
  return [
    pull('amazon-k8s-cni:v1.18.3-eksbuild.2'),
    pull('eks/kube-proxy:v1.30.3-minimal-eksbuild.5'),
    `kubelet[2208]: E1129 06:01:07.402913    2208 kubelet.go:2901] "Container runtime network not ready" networkReady="NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized"`,
  ];
}
