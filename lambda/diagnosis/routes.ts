/**
 * The egress path of every subnet that holds an unregistered instance: its effective route
 * table, the 0.0.0.0/0 route and what it leads to. Findings are per route table (subnets
 * sharing a table are reported together), except PUBLIC_SUBNET_WITHOUT_PUBLIC_IP (per subnet).
 *
 * `remediable` on a finding means: with the current configuration, the plan will fix it.
 *
 * Design choices:
 * - No 0.0.0.0/0 route but a complete private-endpoint path (interface endpoints ec2, ecr.api,
 *   ecr.dkr, sts; an s3 gateway endpoint on the table; private cluster endpoint access) is a
 *   working path, not NO_DEFAULT_ROUTE.
 * - A blackhole 0.0.0.0/0 route is only rewritten when it pointed at a NAT gateway: that
 *   restores the table's intent. A blackhole route to a transit gateway, ENI, peering… is
 *   reported but left alone: pointing it at a local NAT gateway would change the VPC's egress
 *   design (for example bypass a central inspection VPC).
 */
import type { Config } from '../config';
import type { InstanceInfo, RouteInfo, RouteTableInfo, Snapshot, SubnetPath, VpcEndpointInfo } from '../model';
import type { Finding } from '../report';
import { chooseNatGateway, describeCandidates, endpointAccessCidrs, natGatewayRejection, type NatChoice } from './nat';
import { INTERFACE_ENDPOINT_SERVICES, isEndpointOnly } from './node-path';
import {
  attachedInternetGateway,
  defaultRouteOf,
  describeRoute,
  describeTarget,
  effectiveRouteTable,
  routeTableSharing,
  routeTarget,
  type RouteTableSharing,
  type RouteTarget,
} from './network';

/** What the 0.0.0.0/0 route of a table amounts to. */
export type DefaultRouteVerdict =
  | { kind: 'missing' }
  | { kind: 'private-endpoints' }
  | { kind: 'blackhole'; route: RouteInfo; target: RouteTarget }
  | { kind: 'nat'; route: RouteInfo; natGatewayId: string }
  | { kind: 'nat-unusable'; route: RouteInfo; natGatewayId: string; natState?: string; why: string }
  | { kind: 'internet-gateway'; route: RouteInfo; internetGatewayId: string }
  | { kind: 'unverified'; route: RouteInfo; target: RouteTarget; why: string };


export interface PrivateEndpointPath {
  complete: boolean;
  /** what is missing, e.g. "interface endpoint sts", "s3 gateway endpoint on rtb-1" */
  missing: string[];
}

function endpointAvailable(endpoint: VpcEndpointInfo, vpcId: string): boolean {
  return endpoint.vpcId === vpcId && endpoint.state.toLowerCase() === 'available';
}

export function privateEndpointPath(table: RouteTableInfo, snapshot: Snapshot): PrivateEndpointPath {
  const { network, cluster } = snapshot;
  const endpoints = network.vpcEndpoints.filter((e) => endpointAvailable(e, network.vpcId));
  const missing: string[] = [];
  for (const service of INTERFACE_ENDPOINT_SERVICES) {
    const found = endpoints.some(
      (e) => e.vpcEndpointType.toLowerCase() === 'interface' && e.serviceName.endsWith(`.${service}`),
    );
    if (!found) missing.push(`interface endpoint ${service}`);
  }
  const s3 = endpoints.some(
    (e) =>
      e.vpcEndpointType.toLowerCase() === 'gateway' &&
      e.serviceName.endsWith('.s3') &&
      e.routeTableIds.includes(table.routeTableId),
  );
  if (!s3) missing.push(`s3 gateway endpoint on ${table.routeTableId}`);
  if (!cluster.endpointPrivateAccess) missing.push('private access to the cluster endpoint');
  return { complete: missing.length === 0, missing };
}

export function judgeDefaultRoute(table: RouteTableInfo, snapshot: Snapshot): DefaultRouteVerdict {
  const { network } = snapshot;
  const route = defaultRouteOf(table);
  if (!route) return privateEndpointPath(table, snapshot).complete ? { kind: 'private-endpoints' } : { kind: 'missing' };
  const target = routeTarget(route);
  if (route.state === 'blackhole') return { kind: 'blackhole', route, target };

  if (target.kind === 'nat-gateway') {
    const nat = network.natGateways.find((n) => n.natGatewayId === target.id);
    if (!nat) return { kind: 'nat-unusable', route, natGatewayId: target.id, why: `it was not found in ${network.vpcId}` };
    const why = natGatewayRejection(nat, network);
    if (why) return { kind: 'nat-unusable', route, natGatewayId: target.id, natState: nat.state, why };
    return { kind: 'nat', route, natGatewayId: target.id };
  }
  if (target.kind === 'internet-gateway') {
    if (attachedInternetGateway(target.id, network)) return { kind: 'internet-gateway', route, internetGatewayId: target.id };
    return { kind: 'unverified', route, target, why: `${target.id} is not attached to ${network.vpcId}` };
  }
  return {
    kind: 'unverified',
    route,
    target,
    why: `the remediator cannot verify where ${describeTarget(target)} leads and never changes such a route`,
  };
}

/** The route write that would fix this verdict, if any: missing → create, NAT blackhole → replace. */
export function routeFixFor(verdict: DefaultRouteVerdict): 'CREATE_ROUTE' | 'REPLACE_ROUTE' | undefined {
  if (verdict.kind === 'missing') return 'CREATE_ROUTE';
  if (verdict.kind === 'blackhole' && verdict.target.kind === 'nat-gateway') return 'REPLACE_ROUTE';
  return undefined;
}

const EGRESS: Record<DefaultRouteVerdict['kind'], SubnetPath['egress']> = {
  missing: 'none',
  'private-endpoints': 'vpc-endpoints',
  blackhole: 'blackhole',
  nat: 'nat',
  'nat-unusable': 'nat-unavailable',
  'internet-gateway': 'internet-gateway',
  unverified: 'unverified',
};

/** The unregistered instances of one route table, grouped. */
export interface RouteTableGroup {
  table: RouteTableInfo;
  viaMainTable: boolean;
  /** subnets with unregistered instances that use this table, sorted */
  subnetIds: string[];
  instances: InstanceInfo[];
}

/** Groups unregistered instances by the route table their subnet uses; subnets without a table are returned apart. */
export function groupByRouteTable(
  instances: InstanceInfo[],
  snapshot: Snapshot,
): { groups: RouteTableGroup[]; subnetsWithoutTable: string[] } {
  const groups = new Map<string, RouteTableGroup>();
  const subnetsWithoutTable = new Set<string>();
  for (const instance of [...instances].sort((a, b) => a.instanceId.localeCompare(b.instanceId))) {
    const effective = effectiveRouteTable(instance.subnetId, snapshot.network);
    if (!effective) {
      subnetsWithoutTable.add(instance.subnetId);
      continue;
    }
    const id = effective.table.routeTableId;
    const group = groups.get(id) ?? { table: effective.table, viaMainTable: !effective.explicit, subnetIds: [], instances: [] };
    if (!group.subnetIds.includes(instance.subnetId)) group.subnetIds.push(instance.subnetId);
    group.instances.push(instance);
    groups.set(id, group);
  }
  for (const group of groups.values()) group.subnetIds.sort();
  return {
    groups: [...groups.values()].sort((a, b) => a.table.routeTableId.localeCompare(b.table.routeTableId)),
    subnetsWithoutTable: [...subnetsWithoutTable].sort(),
  };
}

/** Subnets the node group owns: its configured subnets, its Auto Scaling groups' and those its instances run in. */
export function nodegroupSubnetIds(snapshot: Snapshot): string[] {
  const fromGroups = snapshot.autoScalingGroups.flatMap((g) => g.subnetIds ?? []);
  return [...new Set([...snapshot.nodegroup.subnetIds, ...fromGroups, ...snapshot.instances.map((i) => i.subnetId)])];
}

/** AZs of the given subnets, in subnet order, for the NAT choice's preference. */
export function availabilityZonesOf(subnetIds: string[], snapshot: Snapshot): string[] {
  const zones = subnetIds
    .map((id) => snapshot.network.subnets.find((s) => s.subnetId === id)?.availabilityZone)
    .filter((az): az is string => !!az);
  return [...new Set(zones)];
}

export interface RouteDiagnosis {
  subnetPaths: SubnetPath[];
  findings: Finding[];
  /** subnets whose egress works: routing does not explain their nodes' failure */
  workingPathSubnetIds: string[];
  /** subnets the plan will fix with a route write under the current configuration */
  fixableSubnetIds: string[];
}

/** One sentence about a table's 0.0.0.0/0 route, for messages and unresolved reasons. */
export function describeVerdict(verdict: DefaultRouteVerdict, routeTableId: string): string {
  switch (verdict.kind) {
    case 'missing':
      return `route table ${routeTableId} has no 0.0.0.0/0 route`;
    case 'private-endpoints':
      return `route table ${routeTableId} has no 0.0.0.0/0 route but the VPC endpoints nodes need are in place`;
    case 'blackhole':
      return `route table ${routeTableId} routes 0.0.0.0/0 to ${describeTarget(verdict.target)}, which is gone (blackhole)`;
    case 'nat':
      return `route table ${routeTableId} routes 0.0.0.0/0 to the working NAT gateway ${verdict.natGatewayId}`;
    case 'nat-unusable':
      return `route table ${routeTableId} routes 0.0.0.0/0 (active) to NAT gateway ${verdict.natGatewayId}, but ${verdict.why}`;
    case 'internet-gateway':
      return `route table ${routeTableId} routes 0.0.0.0/0 to internet gateway ${verdict.internetGatewayId}`;
    case 'unverified':
      return `route table ${routeTableId} routes 0.0.0.0/0 to ${describeTarget(verdict.target)}; ${verdict.why}`;
  }
}

function tableEvidence(group: RouteTableGroup, sharing: RouteTableSharing): Record<string, unknown> {
  return {
    routeTableId: group.table.routeTableId,
    subnetIds: group.subnetIds,
    instanceIds: group.instances.map((i) => i.instanceId),
    main: group.table.main,
    viaMainTable: group.viaMainTable,
    associatedSubnetIds: [...group.table.subnetIds].sort(),
    otherSubnetIds: sharing.otherSubnetIds,
    routes: group.table.routes.map(describeRoute),
  };
}

export function diagnoseRoutes(
  snapshot: Snapshot,
  unregisteredInstanceIds: string[],
  config: Pick<Config, 'natGatewayId' | 'allowSharedRouteTables'> & { allowInternetEgress?: boolean },
): RouteDiagnosis {
  const unregistered = snapshot.instances.filter((i) => unregisteredInstanceIds.includes(i.instanceId));
  const { groups, subnetsWithoutTable } = groupByRouteTable(unregistered, snapshot);
  const ownSubnets = nodegroupSubnetIds(snapshot);
  const result: RouteDiagnosis = { subnetPaths: [], findings: [], workingPathSubnetIds: [], fixableSubnetIds: [] };
  const natFindings = new NatFindings(snapshot);

  for (const subnetId of subnetsWithoutTable) {
    result.findings.push({
      code: 'NO_DEFAULT_ROUTE',
      severity: 'error',
      resourceId: subnetId,
      message:
        `No route table was found for subnet ${subnetId} ` +
        `(no explicit association and no main table in ${snapshot.network.vpcId}).`,
      remediable: false,
      evidence: { subnetId, vpcId: snapshot.network.vpcId },
    });
  }

  for (const group of groups) {
    const { table } = group;
    const verdict = judgeDefaultRoute(table, snapshot);
    const sharing = routeTableSharing(table, ownSubnets);
    const endpoints = privateEndpointPath(table, snapshot);
    for (const subnetId of group.subnetIds) {
      result.subnetPaths.push({
        subnetId,
        availabilityZone: snapshot.network.subnets.find((s) => s.subnetId === subnetId)?.availabilityZone ?? 'unknown',
        routeTableId: table.routeTableId,
        viaMainTable: group.viaMainTable,
        shared: sharing.shared,
        egress: EGRESS[verdict.kind],
        ...(verdict.kind === 'missing' || verdict.kind === 'private-endpoints' ? {} : { defaultRoute: verdict.route }),
        hasPrivateEndpointPath: endpoints.complete,
      });
    }
    const evidence = tableEvidence(group, sharing);
    const fix = routeFixFor(verdict);

    if (fix) {
      const accessCidrs = endpointAccessCidrs(snapshot.cluster);
      const nat = chooseNatGateway(snapshot.network, {
        preferredAvailabilityZones: availabilityZonesOf(group.subnetIds, snapshot),
        ...(config.natGatewayId ? { overrideNatGatewayId: config.natGatewayId } : {}),
        ...(accessCidrs ? { publicAccessCidrs: accessCidrs } : {}),
      });
      const sharedBlocked = sharing.shared && !config.allowSharedRouteTables;
      // Contract section 3: an endpoint-only subnet gets no internet egress unless allowed.
      const endpointOnlyBlocked = verdict.kind === 'missing' && isEndpointOnly(table, snapshot) && config.allowInternetEgress !== true;
      const remediable = nat.chosen !== undefined && !sharedBlocked && !endpointOnlyBlocked;
      if (remediable) result.fixableSubnetIds.push(...group.subnetIds);
      const withNat = {
        ...evidence,
        ...(nat.chosen ? { proposedNatGatewayId: nat.chosen.natGatewayId } : {}),
        natCandidates: describeCandidates(nat.candidates),
      };
      result.findings.push(routeProblemFinding(verdict, group, withNat, remediable, endpoints));
      const deadNat = verdict.kind === 'blackhole' ? blackholeNatFinding(verdict, snapshot, group, remediable) : undefined;
      if (deadNat) result.findings.push(deadNat);
      natFindings.add(nat, table.routeTableId);
      if (sharing.shared) result.findings.push(sharedTableFinding(group, sharing, evidence, config.allowSharedRouteTables));
      continue;
    }

    switch (verdict.kind) {
      case 'private-endpoints':
      case 'nat':
        result.workingPathSubnetIds.push(...group.subnetIds);
        break;
      case 'internet-gateway':
        result.findings.push(...publicIpFindings(group, verdict, snapshot, result));
        break;
      case 'blackhole':
        // Blackhole to something other than a NAT gateway: reported, never rewritten.
        result.findings.push({
          code: 'BLACKHOLE_DEFAULT_ROUTE',
          severity: 'error',
          resourceId: table.routeTableId,
          message:
            `${capitalize(describeVerdict(verdict, table.routeTableId))}. The remediator only rewrites blackhole ` +
            'routes that pointed at a NAT gateway; sending this traffic to a NAT gateway instead would change ' +
            "the VPC's egress design.",
          remediable: false,
          evidence: { ...evidence, targetKind: verdict.target.kind, targetId: verdict.target.id },
        });
        break;
      case 'nat-unusable':
        result.findings.push({
          // An available NAT gateway that cannot reach the internet is a different fault from a dead one.
          code: verdict.natState === 'available' ? 'NAT_GATEWAY_WITHOUT_INTERNET' : 'NAT_GATEWAY_NOT_AVAILABLE',
          severity: 'error',
          resourceId: verdict.natGatewayId,
          message:
            `${capitalize(describeVerdict(verdict, table.routeTableId))}. The route is active, and an active route ` +
            'is never replaced: fix the NAT gateway or the route yourself.',
          remediable: false,
          evidence: {
            ...evidence,
            natGatewayId: verdict.natGatewayId,
            natState: verdict.natState ?? 'not found',
            why: verdict.why,
            routeState: verdict.route.state,
            fix: natRouteFix(verdict, table.routeTableId, snapshot),
          },
        });
        break;
      case 'unverified':
        result.findings.push({
          code: 'EGRESS_VIA_UNVERIFIED_TARGET',
          severity: 'warning',
          resourceId: table.routeTableId,
          message: `${capitalize(describeVerdict(verdict, table.routeTableId))}.`,
          remediable: false,
          evidence: { ...evidence, targetKind: verdict.target.kind, targetId: verdict.target.id },
        });
        break;
      case 'missing':
        break; // unreachable: a missing route always has a fix
    }
  }

  result.findings.push(...natFindings.findings(config.natGatewayId));
  return result;
}

function routeProblemFinding(
  verdict: DefaultRouteVerdict,
  group: RouteTableGroup,
  evidence: Record<string, unknown>,
  remediable: boolean,
  endpoints: PrivateEndpointPath,
): Finding {
  const tableId = group.table.routeTableId;
  const subnets = group.subnetIds.join(', ');
  if (verdict.kind === 'blackhole') {
    return {
      code: 'BLACKHOLE_DEFAULT_ROUTE',
      severity: 'error',
      resourceId: tableId,
      message:
        `${capitalize(describeVerdict(verdict, tableId))}; instances in ${subnets} cannot reach the AWS APIs ` +
        'to join the cluster.',
      remediable,
      evidence: { ...evidence, targetKind: verdict.target.kind, targetId: verdict.target.id },
    };
  }
  return {
    code: 'NO_DEFAULT_ROUTE',
    severity: 'error',
    resourceId: tableId,
    message:
      `${capitalize(describeVerdict(verdict, tableId))} and no complete set of VPC endpoints; instances in ${subnets} ` +
      'cannot reach the AWS APIs to join the cluster.',
    remediable,
    evidence: { ...evidence, missingPrivateEndpoints: endpoints.missing },
  };
}

/** The NAT gateway behind a blackhole NAT route: deleted, failed… (the route itself is the fix). */
function blackholeNatFinding(
  verdict: Extract<DefaultRouteVerdict, { kind: 'blackhole' }>,
  snapshot: Snapshot,
  group: RouteTableGroup,
  remediable: boolean,
): Finding | undefined {
  const nat = snapshot.network.natGateways.find((n) => n.natGatewayId === verdict.target.id);
  const state = nat?.state ?? 'not found';
  if (state === 'available') return undefined; // the route is broken, not the NAT gateway
  return {
    code: 'NAT_GATEWAY_NOT_AVAILABLE',
    severity: 'error',
    resourceId: verdict.target.id,
    message:
      `NAT gateway ${verdict.target.id}, the 0.0.0.0/0 target of ${group.table.routeTableId}, is ${state}; ` +
      'the route is a blackhole, so it may be pointed at a usable NAT gateway.',
    remediable,
    evidence: {
      natGatewayId: verdict.target.id,
      natState: state,
      routeTableId: group.table.routeTableId,
      routeState: verdict.route.state,
    },
  };
}

function sharedTableFinding(
  group: RouteTableGroup,
  sharing: RouteTableSharing,
  evidence: Record<string, unknown>,
  allowed: boolean,
): Finding {
  const what = sharing.main
    ? `is the VPC's main route table (it serves every subnet without an explicit association)`
    : `also serves subnets outside the node group (${sharing.otherSubnetIds.join(', ')})`;
  return {
    code: 'SHARED_ROUTE_TABLE',
    severity: allowed ? 'warning' : 'error',
    resourceId: group.table.routeTableId,
    message: allowed
      ? `Route table ${group.table.routeTableId} ${what}; changing it is allowed by --allow-shared-route-tables.`
      : `Route table ${group.table.routeTableId} ${what}, so the remediator will not change it unless shared route ` +
        'tables are allowed (--allow-shared-route-tables).',
    remediable: allowed,
    evidence,
  };
}

function publicIpFindings(
  group: RouteTableGroup,
  verdict: Extract<DefaultRouteVerdict, { kind: 'internet-gateway' }>,
  snapshot: Snapshot,
  result: RouteDiagnosis,
): Finding[] {
  const findings: Finding[] = [];
  for (const subnetId of group.subnetIds) {
    // The instance's own address is the truth; the subnet setting only explains it.
    const withoutIp = group.instances.filter((i) => i.subnetId === subnetId && !i.publicIpAddress);
    const withoutIpIds = withoutIp.map((i) => i.instanceId);
    if (withoutIp.length === 0) {
      result.workingPathSubnetIds.push(subnetId);
      continue;
    }
    const subnet = snapshot.network.subnets.find((s) => s.subnetId === subnetId);
    findings.push({
      code: 'PUBLIC_SUBNET_WITHOUT_PUBLIC_IP',
      severity: 'error',
      resourceId: subnetId,
      message:
        `Subnet ${subnetId} sends 0.0.0.0/0 to internet gateway ${verdict.internetGatewayId} (route table ` +
        `${group.table.routeTableId}) but ${withoutIpIds.join(', ')} ${withoutIp.length === 1 ? 'has' : 'have'} ` +
        `no public IP${subnet && !subnet.mapPublicIpOnLaunch ? ' (the subnet does not map public IPs on launch)' : ''}. ` +
        'Enable public IPs or use a private subnet with a NAT gateway; the remediator does not change this.',
      remediable: false,
      evidence: {
        subnetId,
        routeTableId: group.table.routeTableId,
        internetGatewayId: verdict.internetGatewayId,
        instanceIdsWithoutPublicIp: withoutIpIds,
        mapPublicIpOnLaunch: subnet?.mapPublicIpOnLaunch ?? null,
        routes: group.table.routes.map(describeRoute),
      },
    });
  }
  return findings;
}

/** NO_USABLE_NAT_GATEWAY / NAT_GATEWAY_OVERRIDE_REJECTED, once per run, listing the tables that needed one. */
class NatFindings {
  private readonly tablesWithoutNat: string[] = [];
  private candidates: NatChoice['candidates'] = [];
  private overrideRejected?: string;

  constructor(private readonly snapshot: Snapshot) {}

  add(choice: NatChoice, routeTableId: string): void {
    this.candidates = choice.candidates;
    if (choice.chosen) return;
    this.tablesWithoutNat.push(routeTableId);
    if (choice.override?.rejectedBecause) this.overrideRejected = choice.override.rejectedBecause;
  }

  findings(overrideNatGatewayId: string | undefined): Finding[] {
    if (this.tablesWithoutNat.length === 0) return [];
    const vpcId = this.snapshot.network.vpcId;
    const evidence = { vpcId, routeTableIds: this.tablesWithoutNat, candidates: describeCandidates(this.candidates) };
    if (overrideNatGatewayId && this.overrideRejected) {
      return [
        {
          code: 'NAT_GATEWAY_OVERRIDE_REJECTED',
          severity: 'error',
          resourceId: overrideNatGatewayId,
          message:
            `The configured NAT gateway ${overrideNatGatewayId} cannot be used: ${this.overrideRejected}. ` +
            'No route is written (the remediator does not fall back to another NAT gateway when one is configured).',
          remediable: false,
          evidence: { ...evidence, natGatewayId: overrideNatGatewayId, rejectedBecause: this.overrideRejected },
        },
      ];
    }
    const why =
      this.candidates.length === 0
        ? `${vpcId} has no NAT gateway`
        : `none of the NAT gateways of ${vpcId} is available, public and routed to an attached internet gateway`;
    return [
      {
        code: 'NO_USABLE_NAT_GATEWAY',
        severity: 'error',
        resourceId: vpcId,
        message: `A 0.0.0.0/0 route to a NAT gateway is needed in ${this.tablesWithoutNat.join(', ')}, but ${why}.`,
        remediable: false,
        evidence,
      },
    ];
  }
}

/** The command that clears a NAT route problem the remediator must not touch. */
function natRouteFix(verdict: Extract<DefaultRouteVerdict, { kind: 'nat-unusable' }>, routeTableId: string, snapshot: Snapshot): string {
  const nat = snapshot.network.natGateways.find((n) => n.natGatewayId === verdict.natGatewayId);
  if (nat && nat.state === 'available' && nat.connectivityType === 'public') {
    const natTable = effectiveRouteTable(nat.subnetId, snapshot.network)?.table;
    const igw = snapshot.network.internetGateways.find((g) => g.attachedVpcIds.includes(snapshot.network.vpcId))?.internetGatewayId;
    const verb = natTable && defaultRouteOf(natTable) ? 'replace-route' : 'create-route';
    return (
      `aws ec2 ${verb} --route-table-id ${natTable?.routeTableId ?? '<route table of ' + nat.subnetId + '>'} ` +
      `--destination-cidr-block 0.0.0.0/0 --gateway-id ${igw ?? '<an internet gateway attached to ' + snapshot.network.vpcId + '>'}`
    );
  }
  return `aws ec2 replace-route --route-table-id ${routeTableId} --destination-cidr-block 0.0.0.0/0 --nat-gateway-id <an available public NAT gateway>`;
}

export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
