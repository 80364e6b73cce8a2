/**
 * plan(snapshot, diagnosis, config): the actions that fix what the diagnosis found — and the
 * one place where the safety rules of contract section 3 are enforced. The diagnosis is read
 * for *what* is wrong; every safety-relevant fact is re-read from the snapshot here, so a
 * mistake in the diagnosis cannot make the plan unsafe.
 *
 * Safety rules (each one is a named guard below):
 * 1. A route is only written when 0.0.0.0/0 is missing (CREATE_ROUTE) or is a blackhole that
 *    pointed at a NAT gateway (REPLACE_ROUTE). An active route is never replaced; nothing is
 *    ever deleted (there is no delete action type).
 * 2. The new target is a NAT gateway that passes `natGatewayRejection` (available, public,
 *    same VPC, its subnet routes 0.0.0.0/0 to an attached internet gateway); same AZ preferred.
 *    A configured override must pass the same rule, else no route is written.
 * 3. A shared or main route table is only changed when config.allowSharedRouteTables.
 * 4. One route action per route table (subnets sharing a table are served together).
 * 5. REPLACE_INSTANCES only names instances proven unregistered: running, older than the grace
 *    period, not leaving their Auto Scaling group, no Node for them (kubernetes-api) or listed
 *    under NodeCreationFailure (nodegroup-health). Registered, young and unverified instances
 *    are never named.
 * 6. SCALE_CYCLE only when no instance of the node group is registered: every live instance is
 *    proven unregistered (with nodegroup-health that means EKS lists every one of them under
 *    NodeCreationFailure), no Node of the node group exists, and the node group is ACTIVE or
 *    DEGRADED. Otherwise it falls back to REPLACE_INSTANCES and says why in the detail.
 * 0. Nothing is written or recycled while a blocker stands (diagnosis/blockers.ts): a route
 *    "fix" beside another cause fixes nothing, and the recycle would be for nothing.
 * 8. No NAT route on an endpoint-only subnet (contract section 3: no 0.0.0.0/0 route, and an S3
 *    gateway endpoint on the table or interface endpoints for ec2/ecr.api/ecr.dkr/sts in the VPC)
 *    unless config.allowInternetEgress; and when the cluster endpoint is public only, only through
 *    a NAT gateway whose public IP is inside publicAccessCidrs (rule 2's check includes it).
 * 7. Instances are only recycled when this plan (or, via `routeTablesFixedThisRun`, this run)
 *    fixed their subnet's route: when the path already worked, or cannot be fixed, recycling
 *    would not help (UNRESOLVED instead, saying the cause lies elsewhere).
 * 12. Identities: the only one ever created is CREATE_ACCESS_ENTRY (opt-in createNodeAccessEntry),
 *    re-judged from the snapshot (diagnosis/node-role-access.ts): exactly the node group's own
 *    nodeRole, type EC2_LINUX / EC2_WINDOWS by its amiType, only in authentication modes API or
 *    API_AND_CONFIG_MAP, only when the role has neither an access entry nor an aws-auth mapping.
 *    Refused nodes keep retrying, so nothing is recycled with it: only instances still
 *    unregistered after the wait are (planAfterAccessEntry, rule 5 applies).
 */
import type { Config } from './config';
import {
  assessRegistration,
  instancesLeavingTheirGroup,
  nodeCreationFailureInstanceIds,
  nodesByInstanceId,
} from './diagnosis/registration';
import { blockersOf, describeBlockers } from './diagnosis/blockers';
import { chooseNatGateway, endpointAccessCidrs, natGatewayRejection } from './diagnosis/nat';
import { isEndpointOnly } from './diagnosis/node-path';
import { accessEntryRefusal, nodeRoleAccess } from './diagnosis/node-role-access';
import { DEFAULT_ROUTE_CIDR, defaultRouteOf, routeTableSharing } from './diagnosis/network';
import { SCALABLE_NODEGROUP_STATUSES } from './model';
import {
  availabilityZonesOf,
  capitalize,
  describeVerdict,
  groupByRouteTable,
  judgeDefaultRoute,
  nodegroupSubnetIds,
  type RouteTableGroup,
} from './diagnosis/routes';
import { bootedBeforeFixInstanceIds } from './diagnosis/booted-before-fix';
import { brokenLaunchTables, launchTables } from './diagnosis/launch-subnets';
import { strandedScaling } from './diagnosis/stranded-scaling';
import type {
  Diagnosis,
  InstanceInfo,
  CooldownDetail,
  CreateAccessEntryAction,
  CreateRouteAction,
  EngineAction,
  Plan,
  ReplaceInstancesAction,
  ReplaceInstancesDetail,
  ReplaceRouteAction,
  RestoreScalingAction,
  RouteActionDetail,
  ScaleCycleAction,
  ScaleCycleDetail,
  Snapshot,
} from './model';
import type { Action, Outcome } from './report';

/** The two ways of recycling instances (rules 5-6), each recorded with its cause and cool-down. */
type RecycleAction = ReplaceInstancesAction | ScaleCycleAction;

function withCause<A extends RecycleAction>(action: A, cause: string, cooldown: CooldownDetail | undefined): A {
  return { ...action, detail: { ...action.detail, cause, ...(cooldown ? { cooldown } : {}) } };
}

type PlanConfig = Pick<Config, 'graceSeconds' | 'recycle' | 'natGatewayId' | 'allowSharedRouteTables'> &
  Partial<Pick<Config, 'createNodeAccessEntry' | 'recycleCooldownSeconds' | 'allowInternetEgress'>>;

/** Contract section 4's default for --recycle-cooldown-seconds. */
const DEFAULT_RECYCLE_COOLDOWN_SECONDS = 3600;
const RECYCLE_TYPES: ReadonlySet<Action['type']> = new Set(['REPLACE_INSTANCES', 'SCALE_CYCLE']);

/** Node group states in which UpdateNodegroupConfig (the scale cycle) is accepted. */
const DELETING_STATUSES = new Set(['DELETING', 'DELETE_FAILED']);

export interface PlanOptions {
  /**
   * Route tables this same run already fixed (e.g. for another node group of a sweep). Their
   * path now works, but instances that booted before the fix still need recycling.
   */
  routeTablesFixedThisRun?: readonly string[];
}

export function plan(snapshot: Snapshot, diagnosis: Diagnosis, config: PlanConfig, options: PlanOptions = {}): Plan {
  // Rule 8 (never strand a node group): a scale cycle of this tool that left the node group below
  // its recorded scaling is undone first, before any other rule — even while a blocker stands,
  // since putting back what this tool took away is no remediation of its own.
  const stranded = strandedScaling(snapshot);
  if (!stranded) return planRemediation(snapshot, diagnosis, config, options, false);
  const detail = {
    clusterName: snapshot.nodegroup.clusterName,
    nodegroupName: snapshot.nodegroup.nodegroupName,
    original: stranded.original,
    current: stranded.current,
    strandedBy: { remediationId: stranded.remediationId, time: stranded.time },
    cause: 'NODEGROUP_LEFT_SCALED_DOWN',
  };
  const restore: RestoreScalingAction = { type: 'RESTORE_SCALING', resourceId: snapshot.nodegroup.nodegroupName, status: 'planned', detail };
  const rest = planRemediation(snapshot, diagnosis, config, options, true);
  return { ...rest, actions: [restore, ...rest.actions] };
}

function planRemediation(
  snapshot: Snapshot,
  diagnosis: Diagnosis,
  config: PlanConfig,
  options: PlanOptions,
  restoring: boolean,
): Plan {
  const fixedThisRun = new Set(options.routeTablesFixedThisRun ?? []);
  const unresolved: string[] = [];
  const candidates = recyclableCandidates(snapshot, diagnosis, config);

  // Rule 0.
  const blockers = blockersOf(diagnosis.findings);
  if (blockers.length > 0) {
    return { actions: [], unresolvedReason: `Nothing is changed while these blockers stand: ${describeBlockers(blockers)}.` };
  }

  if (candidates.length > 0 && DELETING_STATUSES.has(snapshot.nodegroup.status)) {
    return { actions: [], unresolvedReason: `The node group is ${snapshot.nodegroup.status}, so nothing is changed.` };
  }

  // Rule 12: the node role's missing access entry; its refused nodes are not a routing matter.
  const accessEntry = accessEntryAction(snapshot, diagnosis, config);

  const { groups, subnetsWithoutTable } = groupByRouteTable(candidates, snapshot);
  if (subnetsWithoutTable.length > 0) {
    unresolved.push(`no route table was found for ${subnetsWithoutTable.join(', ')}`);
  }

  const routeActions: EngineAction[] = [];
  const fixedInstances: InstanceInfo[] = [];
  const workingGroups: RouteTableGroup[] = [];
  const bootedBeforeFix = bootedBeforeFixInstanceIds(diagnosis.findings);
  let bootedOnly = true;
  for (const group of groups) {
    const decision = routeDecision(group, snapshot, config);
    if (decision.kind === 'action') {
      routeActions.push(decision.action);
      fixedInstances.push(...group.instances);
      bootedOnly = false;
    } else if (decision.kind === 'working' && fixedThisRun.has(group.table.routeTableId)) {
      fixedInstances.push(...group.instances); // Rule 7: fixed by this run, just not by this plan
    } else if (decision.kind === 'working') {
      // Rule 9: the path works now but was made to work after these instances launched.
      const booted = group.instances.filter((i) => bootedBeforeFix.has(i.instanceId));
      const others = group.instances.filter((i) => !bootedBeforeFix.has(i.instanceId));
      fixedInstances.push(...booted);
      if (others.length > 0) workingGroups.push({ ...group, instances: others, subnetIds: [...new Set(others.map((i) => i.subnetId))].sort() });
    } else {
      unresolved.push(decision.reason);
    }
  }
  if (workingGroups.length > 0 && !accessEntry) unresolved.push(workingPathReason(workingGroups, snapshot));

  // The cause a recycle is recorded under (ledger `cause`, the cool-down's key): instances that
  // booted before a fix made by someone else (or an earlier run), or unregistered ones behind a route this plan writes.
  const cause = bootedOnly ? 'INSTANCES_BOOTED_BEFORE_FIX' : 'NODES_NOT_REGISTERED';
  let recycle = recycleActions(snapshot, fixedInstances, config);
  const cooldown = recycle.actions.length > 0 ? cooldownOf(snapshot, cause, config) : undefined;
  if (cooldown?.refusal) {
    // Rule 10: at most one recycle per cool-down for the same cause, whoever asks.
    recycle = { actions: [], unresolved: [cooldown.refusal] };
  } else if (cooldown) {
    recycle = { ...recycle, actions: recycle.actions.map((a) => withCause(a, cause, cooldown.detail)) };
  }
  // Rule 11: every subnet a replacement (or a restored node group) can land in gets a working
  // path first, under the same rules; a path that may not be fixed means no recycle.
  if (recycle.actions.length > 0 || restoring) {
    const launch = launchRouteActions(snapshot, config, new Set([...routeActions.map((a) => a.resourceId), ...fixedThisRun]));
    routeActions.push(...launch.actions);
    if (launch.unresolved.length > 0 && recycle.actions.length > 0) {
      recycle = { actions: [], unresolved: [...recycle.unresolved, `nothing is recycled, because a replacement could land where the path is broken: ${launch.unresolved.join('; ')}`] };
    } else if (launch.unresolved.length > 0) {
      unresolved.push(`new instances may land where the path is broken: ${launch.unresolved.join('; ')}`);
    }
  }
  unresolved.push(...recycle.unresolved);
  const actions = [...(accessEntry ? [accessEntry] : []), ...routeActions, ...recycle.actions];

  if (actions.length === 0) {
    const unverified = unverifiedReason(snapshot, config);
    if (unverified) unresolved.push(unverified);
  }
  return unresolved.length > 0 ? { actions, unresolvedReason: sentence(unresolved) } : { actions };
}

// --- Rule 12: the one identity ever created ------------------------------------------------------

/** CREATE_ACCESS_ENTRY when (and only when) every condition of contract section 3 holds. */
export function accessEntryAction(
  snapshot: Snapshot,
  diagnosis: Diagnosis,
  config: Pick<PlanConfig, 'createNodeAccessEntry'>,
): CreateAccessEntryAction | undefined {
  if (config.createNodeAccessEntry !== true) return undefined;
  if (!diagnosis.findings.some((f) => f.code === 'NODE_ROLE_NOT_AUTHORIZED' && f.remediable)) return undefined;
  const access = nodeRoleAccess(snapshot);
  if (!access || access.authorized || access.inconclusive || accessEntryRefusal(access) !== undefined) return undefined;
  if (access.roleArn !== snapshot.nodegroup.nodeRole) return undefined;
  return {
    type: 'CREATE_ACCESS_ENTRY',
    resourceId: access.roleArn,
    status: 'planned',
    detail: {
      clusterName: snapshot.cluster.name,
      principalArn: access.roleArn,
      type: access.wantedType,
      authenticationMode: access.authenticationMode,
    },
  };
}

/**
 * After CREATE_ACCESS_ENTRY and the wait: replace only the instances that are still unregistered
 * (rule 5 re-applied to the snapshot; `stillUnregistered` comes from a fresh registration read).
 */
export function planAfterAccessEntry(
  snapshot: Snapshot,
  diagnosis: Diagnosis,
  config: PlanConfig,
  stillUnregistered: ReadonlySet<string>,
): Plan {
  if (config.recycle === 'none') return { actions: [] };
  const candidates = recyclableCandidates(snapshot, diagnosis, config).filter((i) => stillUnregistered.has(i.instanceId));
  if (candidates.length === 0) return { actions: [] };
  // Rule 11: a replacement must not land where the path is broken.
  const broken = brokenLaunchTables(snapshot);
  if (broken.length > 0) {
    return { actions: [], unresolvedReason: sentence([`nothing is recycled, because a replacement could land where the path is broken (${broken.flatMap((b) => b.subnetIds).join(', ')})`]) };
  }
  // Rule 10: one recycle per cool-down for this cause, whoever asks.
  const cause = 'NODE_ROLE_NOT_AUTHORIZED';
  const cooldown = cooldownOf(snapshot, cause, config);
  if (cooldown?.refusal) return { actions: [], unresolvedReason: sentence([cooldown.refusal]) };
  const { actions, unresolved } = replaceInstances(snapshot, candidates, {});
  const caused = actions.map((a) => withCause(a, cause, cooldown?.detail));
  return unresolved.length > 0 ? { actions: caused, unresolvedReason: sentence(unresolved) } : { actions: caused };
}

// --- Rule 5: which instances may ever be recycled -------------------------------------------

function ageSeconds(instance: InstanceInfo, takenAt: string): number {
  const age = (Date.parse(takenAt) - Date.parse(instance.launchTime)) / 1000;
  return Number.isNaN(age) ? -1 : age;
}

/** The diagnosis's unregistered instances that the snapshot independently proves unregistered. */
export function recyclableCandidates(snapshot: Snapshot, diagnosis: Diagnosis, config: Pick<Config, 'graceSeconds'>) {
  const nodes = nodesByInstanceId(snapshot);
  const failedPerEks = nodeCreationFailureInstanceIds(snapshot.nodegroup);
  const young = new Set(diagnosis.youngInstanceIds);
  const leaving = instancesLeavingTheirGroup(snapshot);
  const proven = (instance: InstanceInfo): boolean =>
    instance.state === 'running' &&
    !nodes.has(instance.instanceId) &&
    !leaving.has(instance.instanceId) &&
    !young.has(instance.instanceId) &&
    ageSeconds(instance, snapshot.takenAt) >= config.graceSeconds &&
    (snapshot.registration.source === 'kubernetes-api' || failedPerEks.has(instance.instanceId));
  const ids = new Set(diagnosis.unregisteredInstanceIds);
  return snapshot.instances.filter((i) => ids.has(i.instanceId) && proven(i));
}

// --- Rules 1-4: route writes ------------------------------------------------------------------

type RouteDecision =
  | { kind: 'action'; action: CreateRouteAction | ReplaceRouteAction }
  | { kind: 'working' }
  | { kind: 'unresolved'; reason: string };

function routeDecision(group: RouteTableGroup, snapshot: Snapshot, config: PlanConfig): RouteDecision {
  const { table } = group;
  const verdict = judgeDefaultRoute(table, snapshot);
  const subnets = group.subnetIds.join(', ');

  // Rule 1, read straight from the table: what may be written, if anything.
  const current = defaultRouteOf(table);
  const type: 'CREATE_ROUTE' | 'REPLACE_ROUTE' | undefined =
    current === undefined
      ? 'CREATE_ROUTE'
      : current.state === 'blackhole' && current.natGatewayId !== undefined
        ? 'REPLACE_ROUTE'
        : undefined;

  const working =
    verdict.kind === 'nat' ||
    verdict.kind === 'private-endpoints' ||
    (verdict.kind === 'internet-gateway' && group.instances.every((i) => i.publicIpAddress));
  if (working) return { kind: 'working' };
  if (!type) {
    const tail =
      verdict.kind === 'internet-gateway'
        ? ', and its instances have no public IP'
        : verdict.kind === 'nat-unusable'
          ? '; an active route is never replaced'
          : verdict.kind === 'blackhole'
            ? '; only blackhole routes to a NAT gateway are rewritten'
            : '';
    return { kind: 'unresolved', reason: `for ${subnets}, ${describeVerdict(verdict, table.routeTableId)}${tail}` };
  }

  if (table.vpcId !== snapshot.network.vpcId) {
    return { kind: 'unresolved', reason: `route table ${table.routeTableId} is not in ${snapshot.network.vpcId}` };
  }

  // Rule 3.
  const sharing = routeTableSharing(table, nodegroupSubnetIds(snapshot));
  if (sharing.shared && !config.allowSharedRouteTables) {
    const what = sharing.main ? "is the VPC's main route table" : `also serves ${sharing.otherSubnetIds.join(', ')}`;
    return {
      kind: 'unresolved',
      reason:
        `${describeVerdict(verdict, table.routeTableId)}, but it ${what} and shared route tables are not allowed ` +
        '(--allow-shared-route-tables)',
    };
  }

  // Rule 8: an endpoint-only subnet is given no internet egress unless allowed.
  if (type === 'CREATE_ROUTE' && isEndpointOnly(table, snapshot) && config.allowInternetEgress !== true) {
    return {
      kind: 'unresolved',
      reason:
        `${describeVerdict(verdict, table.routeTableId)}, but ${subnets} ${group.subnetIds.length === 1 ? 'is' : 'are'} endpoint-only by design ` +
        '(VPC endpoints serve it): create the missing endpoints, or allow a NAT route with --allow-internet-egress',
    };
  }

  // Rule 2: chosen by the NAT rule, then checked again against the snapshot.
  const accessCidrs = endpointAccessCidrs(snapshot.cluster);
  const choice = chooseNatGateway(snapshot.network, {
    preferredAvailabilityZones: availabilityZonesOf(group.subnetIds, snapshot),
    ...(config.natGatewayId ? { overrideNatGatewayId: config.natGatewayId } : {}),
    ...(accessCidrs ? { publicAccessCidrs: accessCidrs } : {}),
  });
  const nat = choice.chosen && snapshot.network.natGateways.find((n) => n.natGatewayId === choice.chosen!.natGatewayId);
  if (!nat || natGatewayRejection(nat, snapshot.network, accessCidrs) !== undefined || nat.vpcId !== table.vpcId) {
    const why = choice.override?.rejectedBecause
      ? `the configured NAT gateway ${choice.override.natGatewayId} cannot be used (${choice.override.rejectedBecause})`
      : `no NAT gateway of ${snapshot.network.vpcId} is usable`;
    return { kind: 'unresolved', reason: `${describeVerdict(verdict, table.routeTableId)}, but ${why}` };
  }

  const detail: RouteActionDetail = {
    routeTableId: table.routeTableId,
    destinationCidrBlock: DEFAULT_ROUTE_CIDR,
    natGatewayId: nat.natGatewayId,
    subnetIds: group.subnetIds,
    ...(type === 'REPLACE_ROUTE' && current ? { previousRoute: current } : {}),
  };
  const action: CreateRouteAction | ReplaceRouteAction =
    type === 'CREATE_ROUTE'
      ? { type, resourceId: table.routeTableId, status: 'planned', detail }
      : { type, resourceId: table.routeTableId, status: 'planned', detail };
  return { kind: 'action', action };
}

function workingPathReason(groups: RouteTableGroup[], snapshot: Snapshot): string {
  const ids = groups.flatMap((g) => g.instances.map((i) => i.instanceId)).sort();
  const paths = groups.map((g) => {
    const verdict = judgeDefaultRoute(g.table, snapshot);
    return `${g.subnetIds.join(', ')}: ${describeVerdict(verdict, g.table.routeTableId)}`;
  });
  return (
    `routing looks fine (${paths.join('; ')}), so it does not explain why ${ids.join(', ')} never registered — ` +
    'check the node IAM role and its access entry, security groups and the bootstrap logs ' +
    '(if the route was only just fixed, those instances booted without it and need replacing)'
  );
}

// --- Rules 10-11: recycle cool-down, every launch subnet ----------------------------------------

interface Cooldown {
  /** set when the cool-down refuses the recycle */
  refusal?: string;
  detail: CooldownDetail;
}

/** The cool-down of a recycle for `cause` (from the ledger: this tool's done recycles, whoever triggered them). */
function cooldownOf(snapshot: Snapshot, cause: string, config: PlanConfig): Cooldown | undefined {
  const seconds = config.recycleCooldownSeconds ?? DEFAULT_RECYCLE_COOLDOWN_SECONDS;
  const now = Date.parse(snapshot.takenAt);
  const scope = snapshot.history?.ledgerDurable
    ? 'remediation ledger (holds across invocations)'
    : 'this run only (no ledger table: a later run does not know about this recycle)';
  const last = (snapshot.history?.ledger ?? []).find(
    (e) => RECYCLE_TYPES.has(e.action.type) && e.action.status === 'done' && e.cause === cause,
  );
  const lastAt = last ? Date.parse(last.time) : undefined;
  if (!last || lastAt === undefined || seconds <= 0 || lastAt + seconds * 1000 <= now) {
    return { detail: { seconds, nextAllowedAt: new Date(now + seconds * 1000).toISOString(), scope } };
  }
  const nextAllowedAt = new Date(lastAt + seconds * 1000).toISOString();
  return {
    refusal:
      `the node group was already recycled for ${cause} at ${last.time} (remediation ${last.remediationId}); ` +
      `the recycle cool-down (${seconds}s) allows the next attempt at ${nextAllowedAt}`,
    detail: { seconds, nextAllowedAt, scope },
  };
}

/** Route writes for every broken launch subnet not already planned, or why one may not be written. */
function launchRouteActions(
  snapshot: Snapshot,
  config: PlanConfig,
  plannedTableIds: ReadonlySet<string>,
): { actions: (CreateRouteAction | ReplaceRouteAction)[]; unresolved: string[] } {
  const actions: (CreateRouteAction | ReplaceRouteAction)[] = [];
  const unresolved: string[] = [];
  const { subnetsWithoutTable } = launchTables(snapshot);
  if (subnetsWithoutTable.length > 0) unresolved.push(`no route table was found for ${subnetsWithoutTable.join(', ')}`);
  for (const launch of brokenLaunchTables(snapshot)) {
    if (plannedTableIds.has(launch.table.routeTableId)) continue;
    if (launch.verdict.kind === 'internet-gateway') {
      unresolved.push(`${launch.subnetIds.join(', ')} route 0.0.0.0/0 to an internet gateway but assign no public IP on launch`);
      continue;
    }
    const group: RouteTableGroup = { table: launch.table, viaMainTable: launch.viaMainTable, subnetIds: launch.subnetIds, instances: [] };
    const decision = routeDecision(group, snapshot, config);
    if (decision.kind === 'action') actions.push({ ...decision.action, detail: { ...decision.action.detail, launchSubnet: true } });
    else if (decision.kind === 'unresolved') unresolved.push(decision.reason);
  }
  return { actions, unresolved };
}

// --- Rules 5-7: recycling ---------------------------------------------------------------------

function autoScalingGroupOf(instance: InstanceInfo, snapshot: Snapshot): string | undefined {
  return (
    instance.autoScalingGroupName ??
    snapshot.autoScalingGroups.find((g) => g.instances.some((i) => i.instanceId === instance.instanceId))?.name
  );
}

function recycleActions(
  snapshot: Snapshot,
  fixedInstances: InstanceInfo[],
  config: PlanConfig,
): { actions: RecycleAction[]; unresolved: string[] } {
  if (fixedInstances.length === 0 || config.recycle === 'none') return { actions: [], unresolved: [] };
  const nodegroupName = snapshot.nodegroup.nodegroupName;

  if (config.recycle === 'scale-cycle') {
    const refusal = scaleCycleRefusal(snapshot, fixedInstances);
    if (!refusal) {
      const detail: ScaleCycleDetail = {
        clusterName: snapshot.nodegroup.clusterName,
        nodegroupName,
        original: { ...snapshot.nodegroup.scalingConfig },
      };
      const action: ScaleCycleAction = { type: 'SCALE_CYCLE', resourceId: nodegroupName, status: 'planned', detail };
      return { actions: [action], unresolved: [] };
    }
    return replaceInstances(snapshot, fixedInstances, { fallbackFrom: 'scale-cycle', fallbackReason: refusal });
  }
  return replaceInstances(snapshot, fixedInstances, {});
}

/** Rule 6: why the whole node group must not be scaled to zero, or undefined when it may. */
export function scaleCycleRefusal(snapshot: Snapshot, fixedInstances: InstanceInfo[]): string | undefined {
  const { nodegroup, registration } = snapshot;
  if (!SCALABLE_NODEGROUP_STATUSES.has(nodegroup.status)) {
    return `the node group is ${nodegroup.status}, and only an ACTIVE or DEGRADED node group can be scaled`;
  }
  if (registration.source === 'kubernetes-api' && registration.nodes.length > 0) {
    return `${registration.nodes.length} node(s) of the node group are registered`;
  }
  const fixed = new Set(fixedInstances.map((i) => i.instanceId));
  const others = snapshot.instances.filter((i) => !fixed.has(i.instanceId)).map((i) => i.instanceId);
  if (others.length > 0) {
    const how =
      registration.source === 'nodegroup-health'
        ? 'not proven unregistered (the Kubernetes API could not be used and EKS does not list them as failed), ' +
          'or not served by the fixed route'
        : 'registered, still inside the grace period, or not served by the fixed route';
    return `instance(s) ${others.join(', ')} are ${how}`;
  }
  return undefined;
}

function replaceInstances(
  snapshot: Snapshot,
  instances: InstanceInfo[],
  fallback: { fallbackFrom?: 'scale-cycle'; fallbackReason?: string },
): { actions: ReplaceInstancesAction[]; unresolved: string[] } {
  const withGroup = instances
    .map((instance) => ({ instance, group: autoScalingGroupOf(instance, snapshot) }))
    .sort((a, b) => a.instance.instanceId.localeCompare(b.instance.instanceId));
  const replaceable = withGroup.filter((x) => x.group !== undefined);
  const orphans = withGroup.filter((x) => x.group === undefined).map((x) => x.instance.instanceId);
  const unresolved =
    orphans.length > 0 ? [`${orphans.join(', ')} belong to no known Auto Scaling group and are not replaced`] : [];
  if (replaceable.length === 0) return { actions: [], unresolved };
  const detail: ReplaceInstancesDetail = {
    instanceIds: replaceable.map((x) => x.instance.instanceId),
    autoScalingGroupNames: [...new Set(replaceable.map((x) => x.group!))].sort(),
    ...(fallback.fallbackFrom ? { fallbackFrom: fallback.fallbackFrom, fallbackReason: fallback.fallbackReason } : {}),
  };
  const action: ReplaceInstancesAction = {
    type: 'REPLACE_INSTANCES',
    resourceId: snapshot.nodegroup.nodegroupName,
    status: 'planned',
    detail: detail,
  };
  return { actions: [action], unresolved };
}

// --- Never healthy from silence -----------------------------------------------------------------

function unverifiedReason(snapshot: Snapshot, config: Pick<Config, 'graceSeconds'>): string | undefined {
  if (snapshot.registration.source !== 'nodegroup-health') return undefined;
  const { unverifiedInstanceIds } = assessRegistration(snapshot, config);
  if (unverifiedInstanceIds.length === 0) return undefined;
  return (
    `whether ${unverifiedInstanceIds.join(', ')} registered could not be verified: the Kubernetes API could not be used ` +
    `(${snapshot.registration.unavailableReason ?? 'unknown reason'}) and EKS lists no NodeCreationFailure for them`
  );
}

function sentence(parts: string[]): string {
  return `${capitalize(parts.join('; '))}.`;
}

// --- Outcome before execution -------------------------------------------------------------------

/**
 * The report outcome when nothing will be executed (contract section 2), or undefined when the
 * plan must be executed (the outcome then depends on execution: REMEDIATED, UNRESOLVED or FAILED).
 * HEALTHY needs no error finding and no unresolved reason; with the nodegroup-health source,
 * instances EKS does not list as failed make the plan UNRESOLVED, never HEALTHY.
 */
export function outcomeBeforeExecution(
  diagnosis: Diagnosis,
  thePlan: Plan,
  dryRun: boolean,
): { outcome: Extract<Outcome, 'HEALTHY' | 'UNRESOLVED' | 'DRY_RUN'>; reason: string } | undefined {
  if (thePlan.actions.length > 0) {
    if (!dryRun) return undefined;
    const tail = thePlan.unresolvedReason ? ` Still unresolved: ${thePlan.unresolvedReason}` : '';
    const planned = thePlan.actions.map((a) => `${a.type} ${a.resourceId}`).join(', ');
    return { outcome: 'DRY_RUN', reason: `Dry run: ${thePlan.actions.length} action(s) planned (${planned}), none made.${tail}` };
  }
  const errors = diagnosis.findings.filter((f) => f.severity === 'error');
  if (errors.length === 0 && !thePlan.unresolvedReason) {
    const young = diagnosis.youngInstanceIds.length;
    const youngText = young > 0 ? `; ${young} instance(s) are still inside the grace period` : '';
    return { outcome: 'HEALTHY', reason: `Every judged instance of the node group is registered as a node${youngText}.` };
  }
  return {
    outcome: 'UNRESOLVED',
    reason: thePlan.unresolvedReason ?? `${errors[0]!.message} Nothing safe to do automatically.`,
  };
}
