/**
 * INSTANCES_BOOTED_BEFORE_FIX (contract section 2): the path of an unregistered instance works
 * now, but it was made to work after the instance launched. nodeadm fails at its first EC2 call
 * and kubelet gives up, so such an instance never registers until it is replaced — the lesson of
 * the seed story, and of an infrastructure-as-code run that created the NAT route after the node
 * group. Evidence, from three sources in this order (the first source with evidence wins):
 *   1. this tool's remediation ledger: a route it wrote (done) on the instance's route table;
 *   2. CloudTrail LookupEvents: a successful call that can complete a path (PATH_EVENT_NAMES)
 *      on a resource of the instance's path (PathResources);
 *   3. DescribeNatGateways CreateTime: the NAT gateway the path uses was created after the launch.
 * A change only counts when it is newer than the instance's launch and not newer than the
 * snapshot. Pure: the snapshot (and its `history`, gathered by lambda/history.ts) is the input.
 */
import type { InstanceInfo, LedgerEntry, PathChange, Snapshot, SubnetPath } from '../model';
import type { Finding } from '../report';
import type { CheckContext } from './index';
import { defaultRouteOf, effectiveRouteTable, routeTarget } from './network';

/**
 * CloudTrail event names of EC2 calls that can complete a node's path to the AWS APIs: a route,
 * which table a subnet uses, the NAT gateway or internet gateway behind the route, the VPC
 * endpoints of an endpoint-only subnet, the VPC's DNS attributes, the subnet's public IP mapping.
 */
export const PATH_EVENT_NAMES: ReadonlySet<string> = new Set([
  'CreateRoute',
  'ReplaceRoute',
  'AssociateRouteTable',
  'ReplaceRouteTableAssociation',
  'DisassociateRouteTable',
  'CreateNatGateway',
  'AttachInternetGateway',
  'CreateVpcEndpoint',
  'ModifyVpcEndpoint',
  'ModifyVpcAttribute',
  'ModifySubnetAttribute',
]);

/** Route actions of this tool that complete a path; the ledger records them as `action`. */
const LEDGER_ROUTE_EVENTS: Record<string, string> = { CREATE_ROUTE: 'CreateRoute', REPLACE_ROUTE: 'ReplaceRoute' };

/** Egress kinds of a working path (an internet gateway counts only with a public IP, checked per instance). */
const WORKING_EGRESS: ReadonlySet<SubnetPath['egress']> = new Set(['nat', 'vpc-endpoints', 'internet-gateway']);

/** The resources whose change can complete one subnet's path: what CloudTrail is asked about. */
export interface PathResources {
  subnetId: string;
  routeTableId?: string;
  natGatewayId?: string;
  /** the NAT gateway's own subnet's table (its route to the internet gateway) */
  natRouteTableId?: string;
  internetGatewayId?: string;
  vpcEndpointIds: string[];
  vpcId: string;
}

export function pathResourcesOf(subnetId: string, snapshot: Snapshot): PathResources {
  const { network } = snapshot;
  const resources: PathResources = { subnetId, vpcId: network.vpcId, vpcEndpointIds: [] };
  const effective = effectiveRouteTable(subnetId, network);
  if (!effective) return resources;
  resources.routeTableId = effective.table.routeTableId;
  const route = defaultRouteOf(effective.table);
  if (!route) {
    resources.vpcEndpointIds = network.vpcEndpoints.filter((e) => e.vpcId === network.vpcId).map((e) => e.vpcEndpointId).sort();
    return resources;
  }
  const target = routeTarget(route);
  if (target.kind === 'internet-gateway') resources.internetGatewayId = target.id;
  if (target.kind === 'nat-gateway') {
    resources.natGatewayId = target.id;
    const nat = network.natGateways.find((n) => n.natGatewayId === target.id);
    const natTable = nat ? effectiveRouteTable(nat.subnetId, network) : undefined;
    if (natTable) {
      resources.natRouteTableId = natTable.table.routeTableId;
      const natRoute = defaultRouteOf(natTable.table);
      if (natRoute && routeTarget(natRoute).kind === 'internet-gateway') resources.internetGatewayId = routeTarget(natRoute).id;
    }
  }
  return resources;
}

export function resourceIdsOf(resources: PathResources): string[] {
  return [
    resources.subnetId,
    resources.routeTableId,
    resources.natGatewayId,
    resources.natRouteTableId,
    resources.internetGatewayId,
    ...resources.vpcEndpointIds,
    resources.vpcId,
  ].filter((id): id is string => id !== undefined);
}

/** Unregistered instances whose subnet's path works now: the ones this check is about. */
export function instancesOnWorkingPaths(
  snapshot: Snapshot,
  unregisteredInstanceIds: readonly string[],
  subnetPaths: readonly SubnetPath[],
): InstanceInfo[] {
  const ids = new Set(unregisteredInstanceIds);
  return snapshot.instances.filter((instance) => {
    if (!ids.has(instance.instanceId)) return false;
    const path = subnetPaths.find((p) => p.subnetId === instance.subnetId);
    if (!path || !WORKING_EGRESS.has(path.egress)) return false;
    return path.egress !== 'internet-gateway' || instance.publicIpAddress !== undefined;
  });
}

/** This tool's own route writes, from the ledger, as path changes. */
export function ledgerPathChanges(ledger: readonly LedgerEntry[]): PathChange[] {
  return ledger
    .filter((e) => e.action.status === 'done' && LEDGER_ROUTE_EVENTS[e.action.type] !== undefined)
    .map((e) => {
      const subnetIds = Array.isArray(e.action.detail['subnetIds']) ? (e.action.detail['subnetIds'] as string[]) : [];
      return {
        source: 'ledger' as const,
        eventName: LEDGER_ROUTE_EVENTS[e.action.type] as string,
        time: e.time,
        by: `node-join-remediator (remediation ${e.remediationId})`,
        resourceIds: [e.action.resourceId, ...subnetIds],
      };
    });
}

/** The NAT gateway of the path, when it was created after `launchTime`. */
function natCreatedAfter(resources: PathResources, snapshot: Snapshot): PathChange[] {
  const nat = snapshot.network.natGateways.find((n) => n.natGatewayId === resources.natGatewayId);
  if (!nat?.createTime) return [];
  return [{ source: 'nat-gateway-create-time', eventName: 'CreateNatGateway', time: nat.createTime, resourceIds: [nat.natGatewayId] }];
}

/** Whether a change completes (part of) this path after the instance launched, as of the snapshot. */
export function changeCounts(change: PathChange, instance: InstanceInfo, resources: PathResources, takenAt: string): boolean {
  const time = Date.parse(change.time);
  if (Number.isNaN(time) || time <= Date.parse(instance.launchTime) || time > Date.parse(takenAt)) return false;
  if (change.source === 'cloudtrail' && !PATH_EVENT_NAMES.has(change.eventName)) return false;
  const ids = new Set(resourceIdsOf(resources));
  return change.resourceIds.some((id) => ids.has(id));
}

/** The evidence that one instance booted before its path worked: the first source with any, newest first. */
export function evidenceFor(instance: InstanceInfo, snapshot: Snapshot): PathChange[] {
  const resources = pathResourcesOf(instance.subnetId, snapshot);
  const history = snapshot.history;
  const sources: PathChange[][] = [
    ledgerPathChanges(history?.ledger ?? []),
    (history?.changes ?? []).filter((c) => c.source === 'cloudtrail'),
    natCreatedAfter(resources, snapshot),
  ];
  for (const changes of sources) {
    const counted = changes
      .filter((c) => changeCounts(c, instance, resources, snapshot.takenAt))
      .sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
    if (counted.length > 0) return counted;
  }
  return [];
}

function describeChange(change: PathChange): string {
  const where = change.resourceIds[0] ?? 'the path';
  const who = change.by ? ` by ${change.by}` : '';
  const from =
    change.source === 'ledger' ? 'remediation ledger' : change.source === 'cloudtrail' ? 'CloudTrail' : 'NAT gateway CreateTime';
  return `${change.eventName} on ${where} at ${change.time}${who} (${from})`;
}

/** The CauseCheck (lambda/diagnosis/index.ts). */
export function bootedBeforeFix(snapshot: Snapshot, context: CheckContext): Finding[] {
  const candidates = instancesOnWorkingPaths(snapshot, context.unregisteredInstanceIds, context.subnetPaths);
  const evidenced = candidates
    .map((instance) => ({ instance, changes: evidenceFor(instance, snapshot) }))
    .filter((e) => e.changes.length > 0)
    .sort((a, b) => a.instance.instanceId.localeCompare(b.instance.instanceId));
  if (evidenced.length === 0) return [];
  const recycles = context.config.recycle !== 'none';
  const ids = evidenced.map((e) => e.instance.instanceId);
  const latest = evidenced.map((e) => e.changes[0] as PathChange).sort((a, b) => Date.parse(b.time) - Date.parse(a.time))[0] as PathChange;
  const fix = `aws autoscaling terminate-instance-in-auto-scaling-group --no-should-decrement-desired-capacity --instance-id ${ids[0]}`;
  return [
    {
      code: 'INSTANCES_BOOTED_BEFORE_FIX',
      severity: 'error',
      resourceId: snapshot.nodegroup.nodegroupName,
      message:
        `${ids.join(', ')} launched before ${ids.length === 1 ? 'its' : 'their'} path to the AWS APIs worked ` +
        `(${describeChange(latest)}); a node that booted without the path never registers until it is replaced.`,
      remediable: recycles,
      evidence: {
        instanceIds: ids,
        instances: evidenced.map(({ instance, changes }) => ({
          instanceId: instance.instanceId,
          subnetId: instance.subnetId,
          launchTime: instance.launchTime,
          changes,
        })),
        ...(snapshot.history?.cloudTrailUnavailable ? { cloudTrailUnavailable: snapshot.history.cloudTrailUnavailable } : {}),
        ...(recycles ? {} : { fix: `${fix} (once per instance; the Auto Scaling group launches a replacement)` }),
      },
    },
  ];
}

/** Instance ids an INSTANCES_BOOTED_BEFORE_FIX finding names (the plan recycles exactly these). */
export function bootedBeforeFixInstanceIds(findings: readonly Finding[]): Set<string> {
  const finding = findings.find((f) => f.code === 'INSTANCES_BOOTED_BEFORE_FIX');
  const ids = finding?.evidence['instanceIds'];
  return new Set(Array.isArray(ids) ? (ids as string[]) : []);
}
