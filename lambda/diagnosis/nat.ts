/**
 * Which NAT gateway a new 0.0.0.0/0 route may point at (contract section 3): `available`,
 * public, in the same VPC, and its own subnet routes 0.0.0.0/0 (active) to an internet
 * gateway attached to that VPC. The instance's AZ is preferred, then the lowest id, so the
 * choice is deterministic. An override is checked by the very same rule. When the cluster
 * endpoint is public only, the NAT gateway's public IP must also be inside the cluster's
 * `publicAccessCidrs` (else the route "fixes" nothing: the endpoint refuses the nodes).
 */
import type { NatGatewayInfo, NetworkSnapshot } from '../model';
import { cidrContainsIp } from '../net/cidr';
import { attachedInternetGateway, defaultRouteOf, describeTarget, effectiveRouteTable, routeTarget } from './network';

export interface NatCandidate {
  natGatewayId: string;
  subnetId: string;
  availabilityZone?: string;
  state: string;
  connectivityType: string;
  usable: boolean;
  rejectedBecause?: string;
}

export interface NatChoice {
  /** the NAT gateway to route to; absent when none is usable (or the override was rejected) */
  chosen?: NatCandidate;
  /** every NAT gateway considered, with the reason each unusable one was rejected */
  candidates: NatCandidate[];
  /** set when config.natGatewayId was given */
  override?: { natGatewayId: string; rejectedBecause?: string };
}

export interface NatRequest {
  /** AZs of the subnets the route will serve, most preferred first */
  preferredAvailabilityZones: string[];
  /** config.natGatewayId */
  overrideNatGatewayId?: string;
  /** the cluster's publicAccessCidrs when its endpoint is public only (see endpointAccessCidrs) */
  publicAccessCidrs?: readonly string[];
}

/**
 * The CIDRs a NAT gateway's public IP must fall in for nodes behind it to reach the cluster:
 * the publicAccessCidrs when the endpoint is public only and they do not admit every address,
 * else undefined (no constraint: with private access on, nodes in the VPC use the private endpoint).
 */
export function endpointAccessCidrs(cluster: {
  endpointPublicAccess: boolean;
  endpointPrivateAccess: boolean;
  publicAccessCidrs?: string[];
}): string[] | undefined {
  if (!cluster.endpointPublicAccess || cluster.endpointPrivateAccess) return undefined;
  const cidrs = cluster.publicAccessCidrs ?? [];
  // EKS's default (and an explicit 0.0.0.0/0) admits every address: no constraint.
  if (cidrs.length === 0 || cidrs.some((c) => c.endsWith('/0'))) return undefined;
  return cidrs;
}

/** Why this NAT gateway must not receive a route, or undefined when it is usable. */
export function natGatewayRejection(
  nat: NatGatewayInfo,
  network: NetworkSnapshot,
  publicAccessCidrs?: readonly string[],
): string | undefined {
  if (nat.vpcId !== network.vpcId) return `it is in ${nat.vpcId}, not ${network.vpcId}`;
  if (nat.state !== 'available') return `its state is ${nat.state}, not available`;
  if (nat.connectivityType !== 'public') return `it is a ${nat.connectivityType} NAT gateway, not public`;
  const upstream = effectiveRouteTable(nat.subnetId, network);
  if (!upstream) return `no route table was found for its subnet ${nat.subnetId}`;
  const route = defaultRouteOf(upstream.table);
  const where = `its subnet ${nat.subnetId} (route table ${upstream.table.routeTableId})`;
  if (!route) return `${where} has no 0.0.0.0/0 route`;
  const target = routeTarget(route);
  if (target.kind !== 'internet-gateway') return `${where} routes 0.0.0.0/0 to ${describeTarget(target)}, not an internet gateway`;
  if (route.state !== 'active') return `${where} routes 0.0.0.0/0 to ${target.id}, but the route is ${route.state}`;
  if (!attachedInternetGateway(target.id, network)) {
    return `${where} routes 0.0.0.0/0 to ${target.id}, which is not attached to ${network.vpcId}`;
  }
  if (publicAccessCidrs && !publicAccessCidrs.some((cidr) => nat.publicIp !== undefined && cidrContainsIp(cidr, nat.publicIp))) {
    return `its public IP ${nat.publicIp ?? '(unknown)'} is outside the cluster's publicAccessCidrs (${publicAccessCidrs.join(', ')}) and the endpoint is public only`;
  }
  return undefined;
}

function candidateOf(nat: NatGatewayInfo, network: NetworkSnapshot, publicAccessCidrs?: readonly string[]): NatCandidate {
  const rejectedBecause = natGatewayRejection(nat, network, publicAccessCidrs);
  const availabilityZone = network.subnets.find((s) => s.subnetId === nat.subnetId)?.availabilityZone;
  return {
    natGatewayId: nat.natGatewayId,
    subnetId: nat.subnetId,
    ...(availabilityZone ? { availabilityZone } : {}),
    state: nat.state,
    connectivityType: nat.connectivityType,
    usable: rejectedBecause === undefined,
    ...(rejectedBecause ? { rejectedBecause } : {}),
  };
}

export function chooseNatGateway(network: NetworkSnapshot, request: NatRequest): NatChoice {
  const candidates = network.natGateways
    .map((nat) => candidateOf(nat, network, request.publicAccessCidrs))
    .sort((a, b) => a.natGatewayId.localeCompare(b.natGatewayId));

  if (request.overrideNatGatewayId) {
    const natGatewayId = request.overrideNatGatewayId;
    const given = candidates.find((c) => c.natGatewayId === natGatewayId);
    if (!given) {
      return { candidates, override: { natGatewayId, rejectedBecause: `it was not found in ${network.vpcId}` } };
    }
    if (!given.usable) return { candidates, override: { natGatewayId, rejectedBecause: given.rejectedBecause! } };
    return { chosen: given, candidates, override: { natGatewayId } };
  }

  const rank = (c: NatCandidate) => {
    const index = c.availabilityZone ? request.preferredAvailabilityZones.indexOf(c.availabilityZone) : -1;
    return index === -1 ? Number.MAX_SAFE_INTEGER : index;
  };
  const chosen = candidates
    .filter((c) => c.usable)
    .sort((a, b) => rank(a) - rank(b) || a.natGatewayId.localeCompare(b.natGatewayId))[0];
  return chosen ? { chosen, candidates } : { candidates };
}

/** Evidence-friendly list: "nat-1 (us-west-2a): usable", "nat-2: its state is deleted, not available". */
export function describeCandidates(candidates: NatCandidate[]): string[] {
  return candidates.map(
    (c) => `${c.natGatewayId}${c.availabilityZone ? ` (${c.availabilityZone})` : ''}: ${c.usable ? 'usable' : c.rejectedBecause}`,
  );
}
