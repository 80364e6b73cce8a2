/**
 * takeSnapshot: everything the diagnosis needs about one node group, read through the ports.
 * Independent reads run concurrently, and every read is batched or filtered by VPC, so a
 * snapshot costs the same handful of calls whether the node group has one instance in one
 * subnet or hundreds across many (only pagination adds calls):
 *
 *   1. DescribeCluster ‖ DescribeNodegroup
 *   2. DescribeAutoScalingGroups → DescribeInstances ─┐
 *      DescribeNatGateways(vpc) ──────────────────────┴→ DescribeSubnets(their subnets)
 *      ‖ DescribeRouteTables(vpc) ‖ DescribeInternetGateways(vpc) ‖ DescribeVpcEndpoints(vpc)
 *      ‖ Kubernetes: nodes of the node group
 *   3. network controls of the VPC (gatherNetworkControls): DescribeVpcs ‖ DescribeVpcAttribute x2
 *      → DescribeDhcpOptions ‖ DescribeSecurityGroups(vpc) → GetManagedPrefixListEntries (one per
 *      prefix list the rules reference) ‖ DescribeNetworkAcls(vpc)
 */
import { assessRegistration } from './diagnosis/registration';
import { KubernetesApiError } from './errors';
import { gatherConsoleEvidence, gatherIdentity } from './identity-snapshot';
import type {
  AutoScalingGroupInfo,
  ClusterInfo,
  InstanceInfo,
  NetworkSnapshot,
  NodegroupInfo,
  RegistrationSnapshot,
  Snapshot,
} from './model';
import type { Ports } from './ports';

export interface SnapshotRequest {
  clusterName: string;
  nodegroupName: string;
  region: string;
  /** the diagnosis's clock (Snapshot.takenAt) */
  now: Date;
  /** --read-console-output: read the serial console of instances older than this grace with no Node */
  consoleOutput?: { graceSeconds: number };
}

/**
 * The number of AWS API calls one snapshot makes when nothing paginates — independent of how
 * many subnets and instances the node group has (asserted by the tests). Each prefix list the
 * VPC's security group rules reference adds one GetManagedPrefixListEntries call.
 */
export const SNAPSHOT_AWS_CALLS = 15;
/**
 * Calls the identity side adds at most (lambda/identity-snapshot.ts), also independent of the
 * instance count: ListAccessEntries, DescribeAccessEntry, GetRole, SimulatePrincipalPolicy and
 * GetInstanceProfile per distinct profile (at most 3), plus GetConsoleOutput for at most 3
 * instances with --read-console-output.
 */
export const IDENTITY_AWS_CALLS_MAX = 10;

export async function takeSnapshot(ports: Ports, request: SnapshotRequest): Promise<Snapshot> {
  const { clusterName, nodegroupName, region } = request;
  const [cluster, nodegroup] = await Promise.all([
    ports.eks.describeCluster(clusterName),
    ports.eks.describeNodegroup(clusterName, nodegroupName),
  ]);
  const vpcId = cluster.vpcId;

  const members = gatherInstances(ports, nodegroup);
  const natGateways = ports.ec2.describeNatGateways(vpcId);
  // Subnets of the node group, of its instances and of the NAT gateways (whose AZ decides
  // which NAT gateway to prefer): one filtered call once both lists are known.
  const subnets = Promise.all([members, natGateways]).then(([{ instances }, nats]) =>
    ports.ec2.describeSubnets([
      ...nodegroup.subnetIds,
      ...instances.map((i) => i.subnetId),
      ...nats.map((n) => n.subnetId),
    ]),
  );

  const [{ autoScalingGroups, instances }, nats, subnetList, routeTables, internetGateways, vpcEndpoints, registration, controls] =
    await Promise.all([
      members,
      natGateways,
      subnets,
      ports.ec2.describeRouteTables(vpcId),
      ports.ec2.describeInternetGateways(vpcId),
      ports.ec2.describeVpcEndpoints(vpcId),
      gatherRegistration(ports, cluster, nodegroupName, region),
      gatherNetworkControls(ports, vpcId),
    ]);

  const snapshot: Snapshot = {
    region,
    takenAt: request.now.toISOString(),
    cluster,
    nodegroup,
    autoScalingGroups,
    instances,
    registration,
    network: { vpcId, subnets: subnetList, routeTables, natGateways: nats, internetGateways, vpcEndpoints, ...controls },
  };
  snapshot.identity = await gatherIdentity(ports, { cluster, nodegroup, instances, region });
  if (request.consoleOutput) {
    const { unregisteredInstanceIds } = assessRegistration(snapshot, request.consoleOutput);
    if (unregisteredInstanceIds.length > 0) snapshot.identity.consoleOutput = await gatherConsoleEvidence(ports, unregisteredInstanceIds);
  }
  return snapshot;
}

/** DNS attributes, security groups (with the prefix lists they reference) and network ACLs of the VPC. */
async function gatherNetworkControls(
  ports: Ports,
  vpcId: string,
): Promise<Pick<NetworkSnapshot, 'vpc' | 'securityGroups' | 'networkAcls' | 'prefixLists'>> {
  const groupsWithLists = ports.ec2.describeSecurityGroups(vpcId).then(async (securityGroups) => {
    const referenced = securityGroups.flatMap((g) => [...g.ingress, ...g.egress]).flatMap((r) => (r.prefixListId ? [r.prefixListId] : []));
    const prefixLists = referenced.length > 0 ? await ports.ec2.describePrefixListEntries(referenced) : [];
    return { securityGroups, prefixLists };
  });
  const [vpc, { securityGroups, prefixLists }, networkAcls] = await Promise.all([
    ports.ec2.describeVpc(vpcId),
    groupsWithLists,
    ports.ec2.describeNetworkAcls(vpcId),
  ]);
  return { ...(vpc ? { vpc } : {}), securityGroups, networkAcls, prefixLists };
}

/** The node group's Auto Scaling groups and their live instances (terminated ones left out). */
async function gatherInstances(
  ports: Ports,
  nodegroup: NodegroupInfo,
): Promise<{ autoScalingGroups: AutoScalingGroupInfo[]; instances: InstanceInfo[] }> {
  if (nodegroup.autoScalingGroupNames.length === 0) return { autoScalingGroups: [], instances: [] };
  const autoScalingGroups = await ports.autoscaling.describeAutoScalingGroups(nodegroup.autoScalingGroupNames);
  const groupOf = new Map<string, string>();
  for (const group of autoScalingGroups) for (const member of group.instances) groupOf.set(member.instanceId, group.name);
  if (groupOf.size === 0) return { autoScalingGroups, instances: [] };

  const described = await ports.ec2.describeInstances([...groupOf.keys()]);
  const instances = described
    .filter((instance) => instance.state !== 'terminated')
    .map((instance) => {
      const group = instance.autoScalingGroupName ?? groupOf.get(instance.instanceId);
      return group ? { ...instance, autoScalingGroupName: group } : instance;
    });
  return { autoScalingGroups, instances };
}

/**
 * Nodes from the Kubernetes API when it can be used. When it cannot (no endpoint yet, or a
 * KubernetesApiError: unreachable, TLS, 401/403...), registration falls back to the node
 * group's health — which proves failures, never success, so nothing is guessed healthy.
 * Any other error is a bug or an AWS failure and propagates.
 */
async function gatherRegistration(
  ports: Ports,
  cluster: ClusterInfo,
  nodegroupName: string,
  region: string,
): Promise<RegistrationSnapshot> {
  if (!cluster.endpoint || !cluster.certificateAuthorityData) {
    return {
      source: 'nodegroup-health',
      nodes: [],
      unavailableReason: `DescribeCluster returned no API endpoint or certificate authority for ${cluster.name} (status ${cluster.status})`,
    };
  }
  try {
    const nodes = await ports.kubernetes.listNodegroupNodes(
      { clusterName: cluster.name, endpoint: cluster.endpoint, certificateAuthorityData: cluster.certificateAuthorityData, region },
      nodegroupName,
    );
    return { source: 'kubernetes-api', nodes };
  } catch (error) {
    if (error instanceof KubernetesApiError) {
      return { source: 'nodegroup-health', nodes: [], unavailableReason: error.message };
    }
    throw error;
  }
}
