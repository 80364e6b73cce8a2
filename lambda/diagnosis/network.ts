/**
 * Small, pure facts about a VPC's routing, shared by the route diagnosis, the NAT choice and
 * the plan: which table a subnet really uses, its 0.0.0.0/0 route, what that route targets.
 */
import type { NetworkSnapshot, RouteInfo, RouteTableInfo } from '../model';

import { DEFAULT_ROUTE_CIDR } from '../model';
export { DEFAULT_ROUTE_CIDR };

export interface EffectiveRouteTable {
  table: RouteTableInfo;
  /** false when the subnet has no explicit association and falls back to the main table */
  explicit: boolean;
}

/** The table a subnet uses: its explicit association, else the VPC's main table. */
export function effectiveRouteTable(subnetId: string, network: NetworkSnapshot): EffectiveRouteTable | undefined {
  const vpcTables = network.routeTables.filter((t) => t.vpcId === network.vpcId);
  const explicit = vpcTables
    .filter((t) => t.subnetIds.includes(subnetId))
    .sort((a, b) => a.routeTableId.localeCompare(b.routeTableId))[0];
  if (explicit) return { table: explicit, explicit: true };
  const main = vpcTables.find((t) => t.main);
  return main ? { table: main, explicit: false } : undefined;
}

export function defaultRouteOf(table: RouteTableInfo): RouteInfo | undefined {
  return table.routes.find((r) => r.destinationCidrBlock === DEFAULT_ROUTE_CIDR);
}

export type RouteTargetKind =
  | 'local'
  | 'nat-gateway'
  | 'internet-gateway'
  | 'virtual-private-gateway'
  | 'gateway-endpoint'
  | 'transit-gateway'
  | 'network-interface'
  | 'vpc-peering'
  | 'instance'
  | 'local-gateway'
  | 'carrier-gateway'
  | 'egress-only-internet-gateway'
  | 'core-network'
  | 'gateway'
  | 'unknown';

export interface RouteTarget {
  kind: RouteTargetKind;
  id: string;
}

/** What a route points at. NAT first: a route never carries two targets, but be explicit. */
export function routeTarget(route: RouteInfo): RouteTarget {
  if (route.natGatewayId) return { kind: 'nat-gateway', id: route.natGatewayId };
  if (route.transitGatewayId) return { kind: 'transit-gateway', id: route.transitGatewayId };
  if (route.vpcPeeringConnectionId) return { kind: 'vpc-peering', id: route.vpcPeeringConnectionId };
  if (route.instanceId) return { kind: 'instance', id: route.instanceId };
  if (route.networkInterfaceId) return { kind: 'network-interface', id: route.networkInterfaceId };
  if (route.localGatewayId) return { kind: 'local-gateway', id: route.localGatewayId };
  if (route.carrierGatewayId) return { kind: 'carrier-gateway', id: route.carrierGatewayId };
  if (route.egressOnlyInternetGatewayId) return { kind: 'egress-only-internet-gateway', id: route.egressOnlyInternetGatewayId };
  if (route.coreNetworkArn) return { kind: 'core-network', id: route.coreNetworkArn };
  const gateway = route.gatewayId;
  if (gateway === 'local') return { kind: 'local', id: 'local' };
  if (gateway?.startsWith('igw-')) return { kind: 'internet-gateway', id: gateway };
  if (gateway?.startsWith('vgw-')) return { kind: 'virtual-private-gateway', id: gateway };
  if (gateway?.startsWith('vpce-')) return { kind: 'gateway-endpoint', id: gateway };
  if (gateway) return { kind: 'gateway', id: gateway };
  return { kind: 'unknown', id: 'unknown' };
}

const TARGET_WORDS: Record<RouteTargetKind, string> = {
  local: 'the local VPC',
  'nat-gateway': 'NAT gateway',
  'internet-gateway': 'internet gateway',
  'virtual-private-gateway': 'virtual private gateway',
  'gateway-endpoint': 'gateway load balancer / gateway endpoint',
  'transit-gateway': 'transit gateway',
  'network-interface': 'network interface',
  'vpc-peering': 'VPC peering connection',
  instance: 'instance',
  'local-gateway': 'local gateway',
  'carrier-gateway': 'carrier gateway',
  'egress-only-internet-gateway': 'egress-only internet gateway',
  'core-network': 'Cloud WAN core network',
  gateway: 'gateway',
  unknown: 'an unknown target',
};

/** "transit gateway tgw-1", for messages. */
export function describeTarget(target: RouteTarget): string {
  if (target.kind === 'local' || target.kind === 'unknown') return TARGET_WORDS[target.kind];
  return `${TARGET_WORDS[target.kind]} ${target.id}`;
}

/** Compact route text for evidence: "10.42.0.0/16 -> local", "0.0.0.0/0 -> nat-1 (blackhole)". */
export function describeRoute(route: RouteInfo): string {
  const destination =
    route.destinationCidrBlock ?? route.destinationIpv6CidrBlock ?? route.destinationPrefixListId ?? '(unknown)';
  const state = route.state && route.state !== 'active' ? ` (${route.state})` : '';
  return `${destination} -> ${routeTarget(route).id}${state}`;
}

/** The internet gateway with this id, when it is attached to the VPC. */
export function attachedInternetGateway(internetGatewayId: string, network: NetworkSnapshot) {
  return network.internetGateways.find(
    (g) => g.internetGatewayId === internetGatewayId && g.attachedVpcIds.includes(network.vpcId),
  );
}

export interface RouteTableSharing {
  /** the table is the VPC's main table, or also serves subnets outside the node group */
  shared: boolean;
  main: boolean;
  /** explicitly associated subnets that are not the node group's */
  otherSubnetIds: string[];
}

/**
 * Whether changing this table reaches beyond the node group. The node group's own subnets all
 * need the same egress to bootstrap, so a table serving only them is not shared; any other
 * subnet may be isolated on purpose, and the main table serves every unassociated subnet.
 */
export function routeTableSharing(table: RouteTableInfo, nodegroupSubnetIds: readonly string[]): RouteTableSharing {
  const otherSubnetIds = table.subnetIds.filter((id) => !nodegroupSubnetIds.includes(id)).sort();
  return { shared: table.main || otherSubnetIds.length > 0, main: table.main, otherSubnetIds };
}
