/**
 * Every subnet a replacement can land in (issue 13): a recycle hands placement to Auto Scaling,
 * which launches into any subnet of the node group (EKS `subnets`, the Auto Scaling group's
 * VPCZoneIdentifier), not only those that hold the unregistered instances. A subnet there whose
 * path is broken strands the replacement exactly like the instance it replaces.
 *
 * This check reports the broken paths of launch subnets that hold no unregistered instance (those
 * are diagnosed by routes.ts) as warnings: nothing runs there yet. plan.ts fixes them (same rules)
 * before it recycles, or does not recycle. Pure.
 */
import type { InstanceInfo, RouteTableInfo, Snapshot } from '../model';
import type { Finding, FindingCode } from '../report';
import type { CheckContext } from './index';
import { effectiveRouteTable } from './network';
import { instancesLeavingTheirGroup } from './registration';
import { capitalize, describeVerdict, judgeDefaultRoute, routeFixFor, type DefaultRouteVerdict } from './routes';

/** Subnets the node group can launch into: its EKS subnets and its Auto Scaling groups' VPCZoneIdentifier, sorted. */
export function launchSubnetIds(snapshot: Snapshot): string[] {
  const fromGroups = snapshot.autoScalingGroups.flatMap((g) => g.subnetIds ?? []);
  return [...new Set([...snapshot.nodegroup.subnetIds, ...fromGroups])].sort();
}


/** A launch subnet's path works for a new instance: NAT, the endpoints, or an internet gateway with public IPs on launch. */
export function launchPathWorks(verdict: DefaultRouteVerdict, subnetId: string, snapshot: Snapshot): boolean {
  // An unverified target (transit gateway, firewall, peering...) is a deliberate egress design the
  // tool cannot judge: it is reported where instances fail, and does not stop a recycle.
  if (verdict.kind === 'nat' || verdict.kind === 'private-endpoints' || verdict.kind === 'unverified') return true;
  if (verdict.kind !== 'internet-gateway') return false;
  return snapshot.network.subnets.find((s) => s.subnetId === subnetId)?.mapPublicIpOnLaunch === true;
}

export interface LaunchTable {
  table: RouteTableInfo;
  viaMainTable: boolean;
  subnetIds: string[];
  verdict: DefaultRouteVerdict;
}

/** Launch subnets grouped by effective route table, with the verdict of each; subnets without a table apart. */
export function launchTables(snapshot: Snapshot): { tables: LaunchTable[]; subnetsWithoutTable: string[] } {
  const tables = new Map<string, LaunchTable>();
  const subnetsWithoutTable: string[] = [];
  for (const subnetId of launchSubnetIds(snapshot)) {
    const effective = effectiveRouteTable(subnetId, snapshot.network);
    if (!effective) {
      subnetsWithoutTable.push(subnetId);
      continue;
    }
    const id = effective.table.routeTableId;
    const entry = tables.get(id) ?? {
      table: effective.table,
      viaMainTable: !effective.explicit,
      subnetIds: [],
      verdict: judgeDefaultRoute(effective.table, snapshot),
    };
    entry.subnetIds.push(subnetId);
    tables.set(id, entry);
  }
  return { tables: [...tables.values()].sort((a, b) => a.table.routeTableId.localeCompare(b.table.routeTableId)), subnetsWithoutTable };
}

/** Launch tables with at least one subnet whose path does not work for a new instance. */
export function brokenLaunchTables(snapshot: Snapshot): LaunchTable[] {
  return launchTables(snapshot)
    .tables.map((t) => ({ ...t, subnetIds: t.subnetIds.filter((s) => !launchPathWorks(t.verdict, s, snapshot)) }))
    .filter((t) => t.subnetIds.length > 0);
}

const CODE: Record<DefaultRouteVerdict['kind'], FindingCode> = {
  missing: 'NO_DEFAULT_ROUTE',
  blackhole: 'BLACKHOLE_DEFAULT_ROUTE',
  'nat-unusable': 'NAT_GATEWAY_NOT_AVAILABLE',
  'internet-gateway': 'PUBLIC_SUBNET_WITHOUT_PUBLIC_IP',
  unverified: 'EGRESS_VIA_UNVERIFIED_TARGET',
  nat: 'NO_DEFAULT_ROUTE',
  'private-endpoints': 'NO_DEFAULT_ROUTE',
};

/** The CauseCheck (lambda/diagnosis/index.ts). */
export function launchSubnetPaths(snapshot: Snapshot, context: CheckContext): Finding[] {
  // Only when a recycle is in question: a node group whose instances all joined launches nothing new.
  if (context.unregisteredInstanceIds.length === 0) return [];
  const diagnosed = new Set(context.subnetPaths.map((p) => p.routeTableId));
  const findings: Finding[] = [];
  for (const { table, subnetIds, verdict } of brokenLaunchTables(snapshot)) {
    if (diagnosed.has(table.routeTableId)) continue;
    const tail =
      verdict.kind === 'internet-gateway' ? ', and the subnet does not assign public IPs on launch' : '';
    findings.push({
      code: CODE[verdict.kind],
      severity: 'warning',
      resourceId: verdict.kind === 'internet-gateway' ? (subnetIds[0] as string) : table.routeTableId,
      message:
        `${capitalize(describeVerdict(verdict, table.routeTableId))}${tail}: an instance the node group launches into ` +
        `${subnetIds.join(', ')} (none runs there now) would never register. It is fixed before any recycle, or nothing is recycled.`,
      remediable: routeFixFor(verdict) !== undefined,
      evidence: {
        routeTableId: table.routeTableId,
        subnetIds,
        launchSubnetIds: launchSubnetIds(snapshot),
        egress: verdict.kind,
      },
    });
  }
  return findings;
}

/** A replacement that cannot register: it runs where the path is broken (issue 13). */
export interface StrandedReplacement {
  instanceId: string;
  subnetId: string;
  routeTableId?: string;
  /** one sentence: what is wrong with the subnet's path */
  problem: string;
}

/**
 * Replacements of `snapshot` (instances `isReplacement` accepts) that are not registered and run
 * in a subnet whose path does not work for a new instance: verification that ends `pending` for
 * them is no remediation. Pure.
 */
export function replacementsOnBrokenPaths(snapshot: Snapshot, isReplacement: (instance: InstanceInfo) => boolean): StrandedReplacement[] {
  const registered = new Set(snapshot.registration.nodes.map((n) => n.instanceId).filter((id): id is string => !!id));
  const leaving = instancesLeavingTheirGroup(snapshot);
  const stranded: StrandedReplacement[] = [];
  for (const instance of snapshot.instances) {
    if (!isReplacement(instance) || registered.has(instance.instanceId) || leaving.has(instance.instanceId)) continue;
    if (instance.state !== 'pending' && instance.state !== 'running') continue;
    const effective = effectiveRouteTable(instance.subnetId, snapshot.network);
    if (!effective) {
      stranded.push({ instanceId: instance.instanceId, subnetId: instance.subnetId, problem: `no route table was found for ${instance.subnetId}` });
      continue;
    }
    const verdict = judgeDefaultRoute(effective.table, snapshot);
    const works =
      launchPathWorks(verdict, instance.subnetId, snapshot) || (verdict.kind === 'internet-gateway' && instance.publicIpAddress !== undefined);
    if (works) continue;
    stranded.push({
      instanceId: instance.instanceId,
      subnetId: instance.subnetId,
      routeTableId: effective.table.routeTableId,
      problem: describeVerdict(verdict, effective.table.routeTableId),
    });
  }
  return stranded.sort((a, b) => a.instanceId.localeCompare(b.instanceId));
}
