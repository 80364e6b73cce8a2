/**
 * What the network cause checks share (pure): which subnets the unregistered instances sit in,
 * whether a subnet is endpoint-only by design (contract section 3), which VPC endpoints a
 * bootstrapping node relies on, and where its traffic leaves the VPC from.
 *
 * A finding is a blocker only when it is on the path of the unregistered instances; these
 * helpers say what that path is.
 */
import type { ClusterInfo, InstanceInfo, RouteTableInfo, Snapshot, SubnetInfo, VpcEndpointInfo } from '../model';
import { cidrContainsIp } from '../net/cidr';
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
