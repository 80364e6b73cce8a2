/**
 * What the network cause checks share (pure): which subnets the unregistered instances sit in,
 * whether a subnet is endpoint-only by design (contract section 3), which VPC endpoints a
 * bootstrapping node relies on, and where its traffic leaves the VPC from.
 *
 * A finding is a blocker only when it is on the path of the unregistered instances; these
 * helpers say what that path is.
 */
import type { ClusterInfo, InstanceInfo, RouteTableInfo, Snapshot, SubnetInfo, SubnetPath, VpcEndpointInfo } from '../model';
import { cidrContainsIp } from '../net/cidr';
import { nodeFlowProblems, type FlowProblem, type NodeFlowInput } from '../net/node-flows';
import { defaultRouteOf, effectiveRouteTable } from './network';

/** Services a node needs over interface endpoints when it has no internet egress (EKS private clusters guide). */
export const INTERFACE_ENDPOINT_SERVICES = ['ec2', 'ecr.api', 'ecr.dkr', 'sts'] as const;
export type EndpointService = (typeof INTERFACE_ENDPOINT_SERVICES)[number] | 's3';

/** "com.amazonaws.us-west-2.ecr.api" -> "ecr.api" (also for "aws.sagemaker..."-style names: the part after the region). */
export function endpointServiceOf(endpoint: Pick<VpcEndpointInfo, 'serviceName'>): string {
  return endpoint.serviceName.split('.').slice(3).join('.');
}

export function isInterfaceEndpoint(endpoint: VpcEndpointInfo): boolean {
  return endpoint.vpcEndpointType.toLowerCase() === 'interface';
}

export function isGatewayEndpoint(endpoint: VpcEndpointInfo): boolean {
  return endpoint.vpcEndpointType.toLowerCase() === 'gateway';
}

/** The DescribeVpcEndpoints fields a VPC endpoint finding is judged from (its evidence). */
export function endpointEvidence(endpoint: VpcEndpointInfo): Record<string, unknown> {
  return { vpcEndpointId: endpoint.vpcEndpointId, serviceName: endpoint.serviceName, vpcEndpointType: endpoint.vpcEndpointType, state: endpoint.state };
}

/** The VPC's interface endpoints for the bootstrap services (any state). */
export function bootstrapInterfaceEndpoints(snapshot: Snapshot): VpcEndpointInfo[] {
  const services: readonly string[] = INTERFACE_ENDPOINT_SERVICES;
  return snapshot.network.vpcEndpoints.filter(
    (e) => e.vpcId === snapshot.network.vpcId && isInterfaceEndpoint(e) && services.includes(endpointServiceOf(e)),
  );
}

/** The S3 gateway endpoints whose route tables include `routeTableId` (any state). */
export function s3GatewayEndpointsOn(routeTableId: string, snapshot: Snapshot): VpcEndpointInfo[] {
  return snapshot.network.vpcEndpoints.filter(
    (e) => e.vpcId === snapshot.network.vpcId && isGatewayEndpoint(e) && endpointServiceOf(e) === 's3' && e.routeTableIds.includes(routeTableId),
  );
}

/**
 * Endpoint-only by design (contract section 3): the table has no 0.0.0.0/0 route, and either an
 * S3 gateway endpoint is on it or interface endpoints for any of ec2, ecr.api, ecr.dkr, sts
 * exist in the VPC.
 */
export function isEndpointOnly(table: RouteTableInfo, snapshot: Snapshot): boolean {
  if (defaultRouteOf(table)) return false;
  return s3GatewayEndpointsOn(table.routeTableId, snapshot).length > 0 || bootstrapInterfaceEndpoints(snapshot).length > 0;
}

/** The unregistered instances, grouped by subnet (subnets sorted). */
export function unregisteredBySubnet(snapshot: Snapshot, unregisteredInstanceIds: readonly string[]): Map<string, InstanceInfo[]> {
  const ids = new Set(unregisteredInstanceIds);
  const bySubnet = new Map<string, InstanceInfo[]>();
  for (const instance of snapshot.instances) {
    if (!ids.has(instance.instanceId)) continue;
    bySubnet.set(instance.subnetId, [...(bySubnet.get(instance.subnetId) ?? []), instance]);
  }
  return new Map([...bySubnet.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

export function subnetOf(subnetId: string, snapshot: Snapshot): SubnetInfo | undefined {
  return snapshot.network.subnets.find((s) => s.subnetId === subnetId);
}

/** The table the subnet uses (explicit association, else the main table). */
export function routeTableOfSubnet(subnetId: string, snapshot: Snapshot): RouteTableInfo | undefined {
  return effectiveRouteTable(subnetId, snapshot.network)?.table;
}

/** How nodes reach the cluster endpoint: inside the VPC (private access on) or over the internet. */
export function clusterEndpointIsPublicOnly(cluster: ClusterInfo): boolean {
  return cluster.endpointPublicAccess && !cluster.endpointPrivateAccess;
}

/** EKS's default when the field is absent: every address. */
export function publicAccessCidrsOf(cluster: ClusterInfo): string[] {
  return cluster.publicAccessCidrs && cluster.publicAccessCidrs.length > 0 ? cluster.publicAccessCidrs : ['0.0.0.0/0'];
}

/** Whether the public cluster endpoint admits traffic from `ip` (a public IPv4 address). */
export function publicAccessAllows(cluster: ClusterInfo, ip: string): boolean {
  return publicAccessCidrsOf(cluster).some((cidr) => cidrContainsIp(cidr, ip));
}

/** "us-west-2" from the snapshot, for fix commands. */
export function regionOf(snapshot: Snapshot): string {
  return snapshot.region;
}

/** Findings on the path of unregistered instances are errors; elsewhere they are warnings. */
export function severityOnPath(onPath: boolean): 'error' | 'warning' {
  return onPath ? 'error' : 'warning';
}

/**
 * The flows one unregistered instance needs, as lambda/net/node-flows.ts judges them, or
 * undefined when the snapshot lacks what is needed to judge (no VPC facts, no security groups,
 * no cluster security group, unknown instance groups).
 */
export function nodeFlowInputFor(snapshot: Snapshot, instance: InstanceInfo, egress: SubnetPath['egress'] | undefined): NodeFlowInput | undefined {
  const { network, cluster } = snapshot;
  if (!network.vpc || !network.securityGroups || !cluster.clusterSecurityGroupId || !instance.securityGroupIds) return undefined;
  const table = routeTableOfSubnet(instance.subnetId, snapshot);
  const endpointOnly = table !== undefined && isEndpointOnly(table, snapshot);
  const apis: NodeFlowInput['apis'] = egress === 'vpc-endpoints' || endpointOnly ? 'vpc-endpoints' : 'internet';
  let natSubnetId: string | undefined;
  if (apis === 'internet' && table) {
    const natId = defaultRouteOf(table)?.natGatewayId;
    natSubnetId = natId ? network.natGateways.find((n) => n.natGatewayId === natId)?.subnetId : undefined;
  }
  const s3Route = table?.routes.find(
    (r) => r.destinationPrefixListId && r.gatewayId && s3GatewayEndpointsOn(table.routeTableId, snapshot).some((e) => e.vpcEndpointId === r.gatewayId),
  );
  return {
    vpcId: network.vpcId,
    vpcCidr: network.vpc.cidrBlock,
    node: { subnetId: instance.subnetId, ...(instance.privateIpAddress ? { privateIp: instance.privateIpAddress } : {}), groupIds: instance.securityGroupIds },
    apis,
    ...(natSubnetId ? { natSubnetId } : {}),
    clusterEndpointPrivate: cluster.endpointPrivateAccess,
    clusterEndpointGroupIds: [cluster.clusterSecurityGroupId, ...(cluster.securityGroupIds ?? [])],
    interfaceEndpoints:
      apis === 'vpc-endpoints'
        ? bootstrapInterfaceEndpoints(snapshot)
            .filter((e) => e.state.toLowerCase() === 'available')
            .map((e) => ({ vpcEndpointId: e.vpcEndpointId, service: endpointServiceOf(e), groupIds: e.securityGroupIds ?? [] }))
        : [],
    ...(s3Route?.destinationPrefixListId ? { s3PrefixListId: s3Route.destinationPrefixListId } : {}),
  };
}

/** The flow problems of every unregistered instance, each with the instances it stops. */
export function unregisteredFlowProblems(
  snapshot: Snapshot,
  unregisteredInstanceIds: readonly string[],
  subnetPaths: readonly SubnetPath[],
): { problem: FlowProblem; instanceIds: string[] }[] {
  const byKey = new Map<string, { problem: FlowProblem; instanceIds: string[] }>();
  for (const [subnetId, instances] of unregisteredBySubnet(snapshot, unregisteredInstanceIds)) {
    const egress = subnetPaths.find((p) => p.subnetId === subnetId)?.egress;
    for (const instance of instances) {
      const input = nodeFlowInputFor(snapshot, instance, egress);
      if (!input) continue;
      const problems = nodeFlowProblems(input, snapshot.network.securityGroups ?? [], snapshot.network.networkAcls ?? [], snapshot.network.prefixLists ?? []);
      for (const problem of problems) {
        const e = problem.evidence;
        const key = [problem.kind, problem.resourceId, e['destination'], e['direction'], e['cidr'], e['subnetId']].join('|');
        const entry = byKey.get(key) ?? { problem, instanceIds: [] };
        entry.instanceIds.push(instance.instanceId);
        byKey.set(key, entry);
      }
    }
  }
  return [...byKey.values()];
}
