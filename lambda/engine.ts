/**
 * One remediation run for one node group: snapshot → diagnose → plan → execute → verify → report.
 * The only I/O happens through `ports` (adapters); everything between is pure.
 */
import type { Config } from './config';
import { describeError, NotFoundError } from './errors';
import { diagnose, nodesByInstanceId } from './diagnosis';
import { joinAfterAccessEntry } from './access-entry-join';
import { executePlan, type ExecuteOptions } from './execute';
import { isOptedOut } from './inputs';
import type { Diagnosis, Plan, Snapshot, Target, TriggerKind } from './model';
import { outcomeBeforeExecution, plan as planActions } from './plan';
import type { LedgerPort, Ports, SchedulerPort } from './ports';
import { blankReport, type Action, type Outcome, type Report, type Verification } from './report';
import { takeSnapshot } from './snapshot';
import { verifyJoin } from './verify';

/** The logging surface the engine needs (Powertools Logger satisfies it). */
export interface EngineLogger {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

export interface EngineDeps {
  ports: Ports;
  config: Config;
  region: string;
  logger: EngineLogger;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** milliseconds left before the caller must return (Lambda's getRemainingTimeInMillis) */
  remainingTimeMs?: () => number;
  /** leases and the remediation ledger (DynamoDB when deployed; in-memory in the CLI) */
  ledger?: LedgerPort;
  /** one-time re-checks instead of sleeping (deployed shape only) */
  scheduler?: SchedulerPort;
}

/**
 * Leave this much of the Lambda's time for reporting after waits give up: one slow AWS call
 * (10 s request timeout, a few adaptive retries) must still fit in it.
 */
const REPORT_MARGIN_MS = 60_000;

const NOT_ATTEMPTED: Verification = { status: 'not-attempted', registered: 0, expected: 0 };

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function emptyReport(clusterName: string, nodegroupName: string, deps: EngineDeps, dryRun: boolean): Report {
  return blankReport({ clusterName, nodegroupName, region: deps.region, dryRun });
}

/** Expands a target into (cluster, node group) pairs and runs each; one report per node group. */
export async function runTarget(target: Target, deps: EngineDeps): Promise<Report[]> {
  // A payload can ask for a dry run, never lift one: a deployment in dry run stays hands-off.
  const dryRun = deps.config.dryRun || target.dryRun === true;
  if (target.nodegroupName) {
    return [await remediateNodegroup(target.clusterName, target.nodegroupName, dryRun, deps, { trigger: target.trigger })];
  }
  let nodegroupNames: string[];
  try {
    nodegroupNames = await deps.ports.eks.listNodegroups(target.clusterName);
  } catch (error) {
    const report = emptyReport(target.clusterName, '*', deps, dryRun);
    return [failed(report, `listing the node groups of ${target.clusterName} failed: ${describeError(error)}`)];
  }
  const reports: Report[] = [];
  // Sequential on purpose: node groups of one cluster may share route tables, and a table fixed
  // for one still leaves the other's instances (booted before the fix) to recycle.
  const routeTablesFixedThisRun: string[] = [];
  for (const nodegroupName of nodegroupNames) {
    const report = await remediateNodegroup(target.clusterName, nodegroupName, dryRun, deps, {
      trigger: target.trigger,
      routeTablesFixedThisRun,
    });
    routeTablesFixedThisRun.push(...fixedRouteTables(report.actions));
    reports.push(report);
  }
  return reports;
}

/** Every cluster in scope (the allow-list, or all clusters of the region). */
export async function clustersInScope(deps: EngineDeps): Promise<string[]> {
  if (deps.config.clusterNames.length > 0) return deps.config.clusterNames;
  return deps.ports.eks.listClusters();
}

function failed(report: Report, reason: string): Report {
  return { ...report, outcome: 'FAILED', reason };
}

export interface RunOptions {
  trigger?: TriggerKind;
  routeTablesFixedThisRun?: readonly string[];
}

/**
 * Event triggers (node group created/updated, instance launched) arrive while the new instances
 * are still inside the grace period; waiting for them to age out is what makes those triggers useful.
 */
const WAITS_FOR_GRACE: ReadonlySet<TriggerKind> = new Set(['cloudtrail', 'instance-launch']);

function fixedRouteTables(actions: Action[]): string[] {
  return actions
    .filter((a) => a.status === 'done' && (a.type === 'CREATE_ROUTE' || a.type === 'REPLACE_ROUTE'))
    .map((a) => a.resourceId);
}

/** When the youngest unjudged instance reaches the grace period, or undefined if none is young. */
function graceEndsAt(snapshot: Snapshot, diagnosis: Diagnosis, graceSeconds: number): Date | undefined {
  const young = snapshot.instances.filter((i) => diagnosis.youngInstanceIds.includes(i.instanceId));
  if (young.length === 0) return undefined;
  const latestLaunch = Math.max(...young.map((i) => Date.parse(i.launchTime)));
  return new Date(latestLaunch + graceSeconds * 1000 + 1000);
}

export async function remediateNodegroup(
  clusterName: string,
  nodegroupName: string,
  dryRun: boolean,
  deps: EngineDeps,
  options: RunOptions = {},
): Promise<Report> {
  const now = deps.now ?? (() => new Date());
  const config = { ...deps.config, dryRun };
  const base = emptyReport(clusterName, nodegroupName, deps, dryRun);
  const log = { clusterName, nodegroupName, dryRun };

  const snap = async (): Promise<Snapshot | Report> => {
    try {
      return await takeSnapshot(deps.ports, {
        clusterName,
        nodegroupName,
        region: deps.region,
        now: now(),
        ...(config.readConsoleOutput ? { consoleOutput: { graceSeconds: config.graceSeconds } } : {}),
      });
    } catch (error) {
      if (error instanceof NotFoundError) {
        return { ...base, outcome: 'SKIPPED', reason: `${error.message}; nothing to examine.` };
      }
      deps.logger.error('snapshot failed', { ...log, error: describeError(error) });
      return failed(base, `Gathering the state of ${clusterName}/${nodegroupName} failed: ${describeError(error)}.`);
    }
  };
  let snapshot = await snap();
  if (!isSnapshot(snapshot)) return snapshot;

  if (isOptedOut(snapshot.nodegroup.tags, config)) {
    const tag = `${config.optOutTag.key}=${config.optOutTag.value}`;
    return { ...base, outcome: 'SKIPPED', reason: `The node group is tagged ${tag}, so the remediator leaves it alone.` };
  }

  let diagnosis = diagnose(snapshot, config);
  const judgeableAt = graceEndsAt(snapshot, diagnosis, config.graceSeconds);
  if (
    options.trigger && WAITS_FOR_GRACE.has(options.trigger) && judgeableAt &&
    diagnosis.unregisteredInstanceIds.length === 0 &&
    judgeableAt.getTime() <= deadline(deps, now).getTime()
  ) {
    deps.logger.info('waiting for new instances to pass the grace period', { ...log, until: judgeableAt.toISOString() });
    await (deps.sleep ?? defaultSleep)(Math.max(0, judgeableAt.getTime() - now().getTime()));
    snapshot = await snap();
    if (!isSnapshot(snapshot)) return snapshot;
    diagnosis = diagnose(snapshot, config);
  }
  const thePlan = planActions(snapshot, diagnosis, config, { routeTablesFixedThisRun: options.routeTablesFixedThisRun });
  const report: Report = {
    ...base,
    registrationSource: snapshot.registration.source,
    instances: diagnosis.instances,
    findings: diagnosis.findings,
    actions: thePlan.actions,
  };
  deps.logger.info('diagnosed', {
    ...log,
    findings: diagnosis.findings.map((f) => `${f.code}:${f.resourceId}`),
    plannedActions: thePlan.actions.map((a) => `${a.type}:${a.resourceId}`),
  });

  const settled = outcomeBeforeExecution(diagnosis, thePlan, dryRun);
  if (settled?.outcome === 'DRY_RUN') {
    // Through execute's dry-run guard: no port is called, and each planned action gets its log line.
    await executePlan(thePlan, deps.ports, { dryRun: true, logger: deps.logger });
    return { ...report, outcome: 'DRY_RUN', reason: `Dry run: would ${describePlan(thePlan.actions)}${unresolvedTail(thePlan)}.` };
  }
  if (settled) return { ...report, ...settled };

  const execution = await executePlan(thePlan, deps.ports, {
    dryRun,
    logger: deps.logger,
    now,
    sleep: deps.sleep ?? defaultSleep,
    // Waits inside a step (a scale cycle) are bounded by the Lambda's time only: stopping one
    // halfway would leave the node group at zero.
    deadline: executionDeadline(deps, now),
    pollSeconds: config.pollSeconds,
    ...registrationReader(snapshot, deps),
  });
  const executed: Report = { ...report, actions: execution.actions };
  const failedAction = execution.actions.find((a) => a.status === 'failed');
  if (failedAction) {
    const done = execution.actions.filter((a) => a.status === 'done');
    // The failed step itself may have changed things before it failed (some instances terminated,
    // the node group scaled down): a FAILED report must never hide a half-done change.
    const changes = [...done.map(describeAction), ...partialProgress(failedAction)];
    const doneText = changes.length > 0 ? ` Already done: ${changes.join(', then ')}.` : ' Nothing was changed.';
    return failed(
      executed,
      `${failedAction.type} on ${failedAction.resourceId} failed: ${errorText(failedAction)}; later steps were not attempted.${doneText}`,
    );
  }

  const recycled = execution.actions.some(
    (a) => a.status === 'done' && (a.type === 'REPLACE_INSTANCES' || a.type === 'SCALE_CYCLE'),
  );
  if (!recycled && execution.actions.some((a) => a.status === 'done' && a.type === 'CREATE_ACCESS_ENTRY')) {
    const after = await joinAfterAccessEntry(
      deps.ports,
      snapshot,
      diagnosis,
      config,
      { expected: expectedNodes(snapshot), logger: deps.logger, deadline: deadline(deps, now), pollSeconds: config.pollSeconds, sleep: deps.sleep ?? defaultSleep, now },
      { logger: deps.logger, now, sleep: deps.sleep ?? defaultSleep, deadline: executionDeadline(deps, now), pollSeconds: config.pollSeconds, ...registrationReader(snapshot, deps) },
    );
    const actions = [...execution.actions, ...after.actions];
    const failedLater = after.actions.find((a) => a.status === 'failed');
    const joinedText =
      after.verification.status === 'joined'
        ? ` ${after.verification.registered}/${after.verification.expected} node(s) joined and are Ready.`
        : ` Nodes have not joined yet (${after.verification.registered}/${after.verification.expected}); check again later.`;
    const unresolved = [thePlan.unresolvedReason, after.unresolvedReason].filter((r): r is string => !!r);
    const tail = unresolved.length > 0 ? `; still unresolved: ${uncapitalize(unresolved.join('; ').replace(/\.$/, ''))}` : '';
    if (failedLater) {
      return failed({ ...executed, actions, verification: after.verification }, `${failedLater.type} on ${failedLater.resourceId} failed: ${errorText(failedLater)}. Already done: ${describePlan(execution.actions)}.`);
    }
    return {
      ...executed,
      actions,
      outcome: unresolved.length > 0 ? 'UNRESOLVED' : 'REMEDIATED',
      verification: after.verification,
      reason: `${capitalize(describePlan(actions))} done.${joinedText}${tail}`,
    };
  }
  const verification = recycled
    ? await verifyJoin(deps.ports, snapshot, {
        expected: expectedNodes(snapshot),
        replacedInstanceIds: replacedIds(execution.actions, snapshot),
        logger: deps.logger,
        deadline: deadline(deps, now),
        pollSeconds: config.pollSeconds,
        sleep: deps.sleep ?? defaultSleep,
        now,
      })
    : { ...NOT_ATTEMPTED, expected: expectedNodes(snapshot) };

  const outcome: Outcome = thePlan.unresolvedReason ? 'UNRESOLVED' : 'REMEDIATED';
  const verified =
    verification.status === 'joined'
      ? ` ${verification.registered}/${verification.expected} node(s) joined and are Ready.`
      : verification.status === 'pending'
        ? ` Nodes have not joined yet (${verification.registered}/${verification.expected}); check again later.`
        : recycled
          ? ''
          : ' Instances were not recycled (recycle strategy none): new instances will use the fixed route.';
  return {
    ...executed,
    outcome,
    verification,
    reason: `${capitalize(describePlan(execution.actions))} done.${verified}${unresolvedTail(thePlan)}`,
  };
}

function unresolvedTail(thePlan: Plan): string {
  return thePlan.unresolvedReason ? `; still unresolved: ${uncapitalize(thePlan.unresolvedReason.replace(/\.$/, ''))}` : '';
}

function errorText(action: Action): string {
  const error = action.detail['error'] as { code?: string; name?: string; message?: string } | undefined;
  if (!error) return 'unknown error';
  return [error.code ?? error.name, error.message].filter(Boolean).join(': ');
}

export function describeAction(action: Action): string {
  const d = action.detail;
  switch (action.type) {
    case 'CREATE_ROUTE':
      return `add route 0.0.0.0/0 -> ${String(d['natGatewayId'])} to ${action.resourceId}`;
    case 'REPLACE_ROUTE':
      return `replace the blackhole route 0.0.0.0/0 in ${action.resourceId} with one to ${String(d['natGatewayId'])}`;
    case 'REPLACE_INSTANCES': {
      const spared = (d['registeredSinceSnapshotInstanceIds'] as string[] | undefined) ?? [];
      const ids = ((d['instanceIds'] as string[] | undefined) ?? []).filter((id) => !spared.includes(id));
      const kept = spared.length > 0 ? ` (kept ${spared.join(', ')}: registered as a node meanwhile)` : '';
      return `replace instance(s) ${ids.length > 0 ? ids.join(', ') : 'none'}${kept}`;
    }
    case 'SCALE_CYCLE':
      return `scale node group ${action.resourceId} to 0 and back`;
    case 'CREATE_ACCESS_ENTRY':
      return `create an access entry for ${String(d['principalArn'])} (type ${String(d['type'])})`;
  }
}

/** What a failed action changed before it failed, from the progress execute recorded in its detail. */
function partialProgress(action: Action): string[] {
  const d = action.detail;
  if (action.type === 'REPLACE_INSTANCES') {
    const terminated = Array.isArray(d['terminatedInstanceIds']) ? (d['terminatedInstanceIds'] as string[]) : [];
    return terminated.length > 0 ? [`terminated instance(s) ${terminated.join(', ')} (replacements are launching)`] : [];
  }
  if (action.type === 'SCALE_CYCLE' && d['scaledDownTo'] !== undefined) {
    if (d['restoredTo'] !== undefined) return [`scaled node group ${action.resourceId} to 0 and restored its original scaling`];
    return [`scaled node group ${action.resourceId} to 0, and it was NOT restored`];
  }
  return [];
}

function describePlan(actions: Action[]): string {
  return actions.map(describeAction).join(', then ');
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function uncapitalize(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function expectedNodes(snapshot: Snapshot): number {
  const asgDesired = snapshot.autoScalingGroups.reduce((sum, g) => sum + g.desiredCapacity, 0);
  return snapshot.autoScalingGroups.length > 0 ? asgDesired : snapshot.nodegroup.scalingConfig.desiredSize;
}

/** Instances the run took away: their lingering Nodes must not count as joined. */
function replacedIds(actions: Action[], snapshot: Snapshot): string[] {
  const done = actions.filter((a) => a.status === 'done');
  if (done.some((a) => a.type === 'SCALE_CYCLE')) return snapshot.instances.map((i) => i.instanceId);
  return done
    .filter((a) => a.type === 'REPLACE_INSTANCES')
    .flatMap((a) => {
      // Instances execute spared because they registered meanwhile were not taken away.
      const spared = (a.detail['registeredSinceSnapshotInstanceIds'] as string[] | undefined) ?? [];
      return ((a.detail['instanceIds'] as string[] | undefined) ?? []).filter((id) => !spared.includes(id));
    });
}

/**
 * Lets execute re-read registration just before it terminates or scales down, mapped to instances
 * the same way as the snapshot's. Only with the Kubernetes API: node group health proves no success.
 */
function registrationReader(snapshot: Snapshot, deps: EngineDeps): Pick<ExecuteOptions, 'registrationNow'> {
  const { cluster, registration, nodegroup } = snapshot;
  if (registration.source !== 'kubernetes-api' || !cluster.endpoint || !cluster.certificateAuthorityData) return {};
  const target = {
    clusterName: cluster.name,
    endpoint: cluster.endpoint,
    certificateAuthorityData: cluster.certificateAuthorityData,
    region: snapshot.region,
  };
  return {
    registrationNow: async () => {
      const nodes = await deps.ports.kubernetes.listNodegroupNodes(target, nodegroup.nodegroupName);
      const byInstance = nodesByInstanceId({ ...snapshot, registration: { source: 'kubernetes-api', nodes } });
      return { nodeCount: nodes.length, registeredInstanceIds: new Set(byInstance.keys()) };
    },
  };
}

function isSnapshot(value: Snapshot | Report): value is Snapshot {
  return 'takenAt' in value;
}

/** The last moment the Lambda's remaining time allows waiting until (Infinity outside Lambda). */
function lambdaBound(deps: EngineDeps, now: () => Date): number {
  const remaining = deps.remainingTimeMs?.();
  return remaining === undefined ? Infinity : now().getTime() + remaining - REPORT_MARGIN_MS;
}

/** When a step's own waits must give up: the Lambda's remaining time, else 15 minutes. */
function executionDeadline(deps: EngineDeps, now: () => Date): Date {
  return new Date(Math.min(lambdaBound(deps, now), now().getTime() + 15 * 60_000));
}

/** When verification must give up: the wait knob, bounded by the Lambda's remaining time. */
function deadline(deps: EngineDeps, now: () => Date): Date {
  return new Date(Math.min(now().getTime() + deps.config.waitSeconds * 1000, lambdaBound(deps, now)));
}
