/**
 * One remediation run for one node group: snapshot → diagnose → plan → execute → verify → report.
 * The only I/O happens through `ports` (adapters); everything between is pure.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from './config';
import { describeError, NotFoundError } from './errors';
import { diagnose, nodesByInstanceId } from './diagnosis';
import { joinAfterAccessEntry } from './access-entry-join';
import { executePlan, type ExecuteOptions } from './execute';
import { isOptedOut } from './inputs';
import { asEngineAction, type Diagnosis, type EngineAction, type InstanceInfo, type Plan, type ReplaceInstancesAction, type RestoreScalingAction, type Snapshot, type Target, type TriggerKind } from './model';
import { outcomeBeforeExecution, plan as planActions } from './plan';
import type { LedgerPort, Ports, RecheckRequest, RunLogger, SchedulerPort } from './ports';
import { blankReport, type Action, type Finding, type FindingCode, type Outcome, type Report, type Trigger, type Verification } from './report';
import { replacementsOnBrokenPaths, type StrandedReplacement } from './diagnosis/launch-subnets';
import { describeAction, describePlan } from './describe';
/** Kept for callers of the engine's former export; rendering imports lambda/describe.ts. */
export { describeAction } from './describe';
import { gatherHistory } from './history';
import { InMemoryLedger } from './ledger/memory';
import { takeSnapshot } from './snapshot';
import { verifyJoin } from './verify';

/** The logging surface the engine needs: the one of lambda/ports.ts. */
export type EngineLogger = RunLogger;

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
  /** one-time re-checks instead of sleeping (deployed shape only): with it, the engine never sleeps */
  scheduler?: SchedulerPort;
  /** one line per wait (what for, elapsed, deadline): the CLI prints these on stderr */
  progress?: (message: string) => void;
  /** owner of the leases this run takes: the Lambda request id; a fresh UUID per node group when absent */
  runId?: string;
  /** the AWS account examined (from the function's ARN), put on every report */
  accountId?: string;
}

/**
 * Leave this much of the Lambda's time for reporting after waits give up: one slow AWS call
 * (10 s request timeout, a few retries) must still fit in it.
 */
const REPORT_MARGIN_MS = 60_000;

const NOT_ATTEMPTED: Verification = { status: 'not-attempted', registered: 0, expected: 0 };

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function emptyReport(clusterName: string, nodegroupName: string, deps: EngineDeps, dryRun: boolean, trigger: Trigger): Report {
  return {
    ...blankReport({ clusterName, nodegroupName, region: deps.region, dryRun, trigger }),
    ...(deps.accountId ? { accountId: deps.accountId } : {}),
  };
}

/** The report's trigger for a target: the input's own, else its kind and detail. */
export function triggerOf(target: Pick<Target, 'trigger' | 'triggerDetail' | 'triggeredBy'>): Trigger {
  return target.triggeredBy ?? { kind: target.trigger, ...(target.triggerDetail ? { detail: target.triggerDetail } : {}) };
}

/** Expands a target into (cluster, node group) pairs and runs each; one report per node group. */
export async function runTarget(target: Target, given: EngineDeps): Promise<Report[]> {
  // Without a ledger table, the ledger lives for this run: a cool-down or a half-done step is
  // remembered across the node groups of the run only (reports say so).
  const deps: EngineDeps = given.ledger ? given : { ...given, ledger: new InMemoryLedger() };
  // A payload can ask for a dry run, never lift one: a deployment in dry run stays hands-off.
  const dryRun = deps.config.dryRun || target.dryRun === true;
  const runOptions: RunOptions = {
    trigger: target.trigger,
    triggeredBy: triggerOf(target),
    ...(target.remediationId ? { remediationId: target.remediationId } : {}),
  };
  if (target.nodegroupName) {
    return [await remediateNodegroup(target.clusterName, target.nodegroupName, dryRun, deps, runOptions)];
  }
  let nodegroupNames: string[];
  try {
    nodegroupNames = await deps.ports.eks.listNodegroups(target.clusterName);
  } catch (error) {
    const report = emptyReport(target.clusterName, '*', deps, dryRun, triggerOf(target));
    if (error instanceof NotFoundError) return [notFoundReport(report, deps.region, { cluster: target.clusterName })];
    return [failed(report, `listing the node groups of ${target.clusterName} failed: ${describeError(error)}`)];
  }
  const reports: Report[] = [];
  // Sequential on purpose: node groups of one cluster may share route tables, and a table fixed
  // for one still leaves the other's instances (booted before the fix) to recycle.
  const routeTablesFixedThisRun: string[] = [];
  for (const nodegroupName of nodegroupNames) {
    const report = await remediateNodegroup(target.clusterName, nodegroupName, dryRun, deps, {
      ...runOptions,
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

/**
 * The one answer for a cluster or node group that does not exist (with or without a node group
 * named): SKIPPED, naming what was not found and the region looked in, with the command that
 * lists what does exist there.
 */
export function notFoundReport(base: Report, region: string, missing: { cluster: string; nodegroup?: string }): Report {
  const account = base.accountId ? ` (account ${base.accountId})` : '';
  if (missing.nodegroup === undefined) {
    return {
      ...base,
      outcome: 'SKIPPED',
      reason: `Cluster ${missing.cluster} was not found in region ${region}${account}; nothing was examined. Check the cluster name and the region.`,
      nextSteps: [`List the clusters of ${region}: aws eks list-clusters --region ${region}`],
    };
  }
  return {
    ...base,
    outcome: 'SKIPPED',
    reason: `Node group ${missing.nodegroup} was not found in cluster ${missing.cluster} in region ${region}${account}; nothing was examined. Check the node group name.`,
    nextSteps: [`List the node groups of ${missing.cluster}: aws eks list-nodegroups --cluster-name ${missing.cluster} --region ${region}`],
  };
}

function failed(report: Report, reason: string): Report {
  return { ...report, outcome: 'FAILED', reason };
}

export interface RunOptions {
  trigger?: TriggerKind;
  /** the report's trigger; default: `{ kind: trigger }` */
  triggeredBy?: Trigger;
  /** continue this remediation (a re-check); default: a new UUID */
  remediationId?: string;
  routeTablesFixedThisRun?: readonly string[];
}

/** How soon after a recycle the first verification re-check runs, and how often after that. */
export const VERIFY_RECHECK_SECONDS = 60;
/** A lease outlives the Lambda's remaining time by this much (a crashed run's lease still expires). */
const LEASE_SLACK_SECONDS = 60;
/** Lease length outside Lambda (CLI): the longest a run waits, plus the slack. */
const LEASE_WITHOUT_DEADLINE_SECONDS = 15 * 60;

/**
 * Event triggers (node group created/updated, instance launched) arrive while the new instances
 * are still inside the grace period; waiting for them to age out is what makes those triggers useful.
 */
const WAITS_FOR_GRACE: ReadonlySet<TriggerKind> = new Set(['cloudtrail', 'instance-launch']);

export function fixedRouteTables(actions: readonly Action[]): string[] {
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

/**
 * One node group, start to final report. With a ledger, the run holds the node group's lease
 * throughout (contract section 3: two runs never act on one node group at once): a run that
 * finds it held reports SKIPPED and, with a scheduler, schedules a `lease-held` re-check for
 * when the lease expires. Done and failed actions go to the ledger with their cause.
 */
export async function remediateNodegroup(
  clusterName: string,
  nodegroupName: string,
  dryRun: boolean,
  deps: EngineDeps,
  options: RunOptions = {},
): Promise<Report> {
  const now = deps.now ?? (() => new Date());
  const remediationId = options.remediationId ?? randomUUID();
  const trigger = options.triggeredBy ?? { kind: options.trigger ?? 'manual' };
  const stamp = (report: Report): Report => ({ ...report, trigger, remediationId });
  const base = emptyReport(clusterName, nodegroupName, deps, dryRun, trigger);
  const run = { ...options, remediationId, triggeredBy: trigger };
  if (!deps.ledger) return stamp(await examineNodegroup(clusterName, nodegroupName, dryRun, deps, run));

  const owner = deps.runId ?? randomUUID();
  let lease;
  try {
    lease = await deps.ledger.acquireLease(clusterName, nodegroupName, owner, leaseSeconds(deps), now());
  } catch (error) {
    deps.logger.error('taking the lease failed', { clusterName, nodegroupName, error: describeError(error) });
    return stamp(failed(base, `Taking the node group's lease failed, so nothing was examined or changed: ${describeError(error)}.`));
  }
  if (!lease.acquired) {
    let reason = `Another run holds it (${lease.heldBy}, until ${lease.expiresAt}); nothing was examined or changed.`;
    if (deps.scheduler) {
      const at = new Date(Math.max(Date.parse(lease.expiresAt) + 1000, now().getTime() + 1000));
      reason += await scheduleRecheck(deps, at, { clusterName, nodegroupName, remediationId, reason: 'lease-held', dryRun });
    }
    deps.logger.info('lease held by another run', { clusterName, nodegroupName, heldBy: lease.heldBy, until: lease.expiresAt });
    return stamp({ ...base, outcome: 'SKIPPED', reason });
  }
  try {
    const report = stamp(await examineNodegroup(clusterName, nodegroupName, dryRun, deps, run));
    await recordActions(deps, report, trigger, now);
    return report;
  } finally {
    try {
      await deps.ledger.releaseLease(clusterName, nodegroupName, owner);
    } catch (error) {
      // It expires by itself; the report matters more.
      deps.logger.warn('releasing the lease failed', { clusterName, nodegroupName, error: describeError(error) });
    }
  }
}

/** Enough to cover the run: the Lambda's remaining time (or the longest CLI wait), plus slack. */
function leaseSeconds(deps: EngineDeps): number {
  const remaining = deps.remainingTimeMs?.();
  const run = remaining === undefined ? LEASE_WITHOUT_DEADLINE_SECONDS : Math.ceil(remaining / 1000);
  return run + LEASE_SLACK_SECONDS;
}

/** Schedules a re-check; returns the sentence for the report's reason (also when scheduling failed). */
async function scheduleRecheck(deps: EngineDeps, at: Date, recheck: RecheckRequest): Promise<string> {
  try {
    const name = await deps.scheduler!.scheduleRecheck(at, recheck);
    deps.logger.info('re-check scheduled', { ...recheck, at: at.toISOString(), schedule: name });
    return ` A ${recheck.reason} re-check is scheduled for ${at.toISOString()}.`;
  } catch (error) {
    deps.logger.error('scheduling a re-check failed', { ...recheck, error: describeError(error) });
    return ` Scheduling the ${recheck.reason} re-check failed (${describeError(error)}); the next sweep will look again.`;
  }
}

/** The finding each action type answers, most specific first (the ledger's `cause`). */
const ACTION_CAUSES: Record<Action['type'], FindingCode[]> = {
  CREATE_ROUTE: ['NO_DEFAULT_ROUTE'],
  REPLACE_ROUTE: ['BLACKHOLE_DEFAULT_ROUTE', 'NAT_GATEWAY_NOT_AVAILABLE'],
  REPLACE_INSTANCES: ['INSTANCES_BOOTED_BEFORE_FIX', 'NODES_NOT_REGISTERED'],
  SCALE_CYCLE: ['INSTANCES_BOOTED_BEFORE_FIX', 'NODES_NOT_REGISTERED'],
  CREATE_ACCESS_ENTRY: ['NODE_ROLE_NOT_AUTHORIZED'],
  RESTORE_SCALING: ['NODEGROUP_LEFT_SCALED_DOWN'],
};

export function causeOf(action: EngineAction, findings: readonly Finding[]): string {
  const stated = 'cause' in action.detail ? action.detail.cause : undefined;
  if (typeof stated === 'string') return stated;
  const candidates = ACTION_CAUSES[action.type];
  return candidates.find((code) => findings.some((f) => f.code === code)) ?? candidates[candidates.length - 1]!;
}

/** One ledger `action` record per done or failed action (a SCALE_CYCLE's detail keeps `original`). */
async function recordActions(deps: EngineDeps, report: Report, trigger: Trigger, now: () => Date): Promise<void> {
  for (const action of report.actions.filter((a) => a.status === 'done' || a.status === 'failed')) {
    try {
      await deps.ledger!.append({
        kind: 'action',
        clusterName: report.clusterName,
        nodegroupName: report.nodegroupName,
        time: now().toISOString(),
        remediationId: report.remediationId!,
        trigger: trigger.kind,
        cause: causeOf(asEngineAction(action), report.findings),
        action,
      });
    } catch (error) {
      deps.logger.error('writing the ledger failed', { action: action.type, resourceId: action.resourceId, error: describeError(error) });
    }
  }
}

async function examineNodegroup(
  clusterName: string,
  nodegroupName: string,
  dryRun: boolean,
  deps: EngineDeps,
  options: RunOptions & { remediationId: string; triggeredBy: Trigger },
): Promise<Report> {
  const now = deps.now ?? (() => new Date());
  const config = { ...deps.config, dryRun };
  const base = emptyReport(clusterName, nodegroupName, deps, dryRun, options.triggeredBy);
  const log = { clusterName, nodegroupName, dryRun };
  const progress = deps.progress ?? (() => undefined);

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
      if (error instanceof NotFoundError && (error.resourceId === clusterName || error.resourceId === nodegroupName)) {
        // DescribeCluster and DescribeNodegroup run at once: either may fail first for a missing cluster.
        const clusterMissing = await deps.ports.eks.describeCluster(clusterName).then(
          () => false,
          (e: unknown) => e instanceof NotFoundError,
        );
        return notFoundReport(base, deps.region, clusterMissing ? { cluster: clusterName } : { cluster: clusterName, nodegroup: nodegroupName });
      }
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
  /** appended to the final reason when a grace-period re-check was scheduled instead of waiting */
  let graceRecheck = '';
  const waitsForGrace =
    options.trigger !== undefined && WAITS_FOR_GRACE.has(options.trigger) && judgeableAt !== undefined &&
    diagnosis.unregisteredInstanceIds.length === 0;
  if (waitsForGrace && deps.scheduler) {
    // Deployed shape: never sleep; the function looks again when the youngest instance is judgeable.
    graceRecheck = await scheduleRecheck(deps, judgeableAt, {
      clusterName, nodegroupName, remediationId: options.remediationId, reason: 'grace-period', dryRun,
    });
  } else if (waitsForGrace && judgeableAt.getTime() <= deadline(deps, now).getTime()) {
    const started = now();
    deps.logger.info('waiting for new instances to pass the grace period', { ...log, until: judgeableAt.toISOString() });
    progress(
      `${clusterName}/${nodegroupName}: waiting for ${diagnosis.youngInstanceIds.length} new instance(s) to pass the ` +
        `${config.graceSeconds} s grace period (until ${judgeableAt.toISOString()}, ` +
        `${Math.ceil((judgeableAt.getTime() - started.getTime()) / 1000)} s)`,
    );
    await (deps.sleep ?? defaultSleep)(Math.max(0, judgeableAt.getTime() - now().getTime()));
    progress(`${clusterName}/${nodegroupName}: grace period over after ${Math.round((now().getTime() - started.getTime()) / 1000)} s; looking again`);
    snapshot = await snap();
    if (!isSnapshot(snapshot)) return snapshot;
    diagnosis = diagnose(snapshot, config);
  }
  try {
    // The ledger (cool-down, a stranded scale cycle, own route writes) and, for instances on a
    // working path, who fixed that path after they launched (INSTANCES_BOOTED_BEFORE_FIX).
    snapshot = await gatherHistory(snapshot, diagnosis, { ledger: deps.ledger, cloudtrail: deps.ports.cloudtrail });
  } catch (error) {
    deps.logger.error('reading the remediation ledger failed', { ...log, error: describeError(error) });
    return failed(base, `Reading the remediation ledger of ${clusterName}/${nodegroupName} failed, so nothing was changed: ${describeError(error)}.`);
  }
  diagnosis = diagnose(snapshot, config);
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
    return {
      ...report,
      outcome: 'DRY_RUN',
      reason: `Dry run: would ${describePlan(thePlan.actions)}${unresolvedTail(thePlan)}.${graceRecheck}`,
    };
  }
  if (settled) return { ...report, ...settled, reason: `${settled.reason}${graceRecheck}` };

  const sleep = deps.sleep ?? defaultSleep;
  const executionStarted = now();
  const execDeadline = executionDeadline(deps, now);

  const execution = await executePlan(thePlan, deps.ports, {
    dryRun,
    logger: deps.logger,
    now,
    sleep: (ms: number) => {
      progress(
        `${clusterName}/${nodegroupName}: waiting ${Math.round(ms / 1000)} s for the node group to settle ` +
          `(${Math.round((now().getTime() - executionStarted.getTime()) / 1000)} s elapsed, deadline ${execDeadline.toISOString()})`,
      );
      return sleep(ms);
    },
    // Waits inside a step (a scale cycle) are bounded by the Lambda's time only: stopping one
    // halfway would leave the node group at zero.
    deadline: execDeadline,
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
    (a) => a.status === 'done' && (a.type === 'REPLACE_INSTANCES' || a.type === 'SCALE_CYCLE' || a.type === 'RESTORE_SCALING'),
  );
  if (!recycled && !deps.scheduler && execution.actions.some((a) => a.status === 'done' && a.type === 'CREATE_ACCESS_ENTRY')) {
    // The refused nodes retry by themselves: wait for them, then replace only those still unregistered.
    // (Deployed shape: the `verify` re-check below reads the join instead of waiting here.)
    const after = await joinAfterAccessEntry(
      deps.ports,
      snapshot,
      diagnosis,
      config,
      { expected: expectedNodes(snapshot, execution.actions), logger: deps.logger, deadline: deadline(deps, now), pollSeconds: config.pollSeconds, sleep, now },
      { logger: deps.logger, now, sleep, deadline: execDeadline, pollSeconds: config.pollSeconds, ...registrationReader(snapshot, deps) },
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
      reason: `${capitalize(describePlan(actions))} done.${joinedText}${tail}${graceRecheck}`,
    };
  }
  let verifyRecheck = '';
  let verification: Verification;
  const accessEntryCreated = execution.actions.some((a) => a.status === 'done' && a.type === 'CREATE_ACCESS_ENTRY');
  if ((recycled || accessEntryCreated) && deps.scheduler) {
    // Deployed shape: the join is checked by `verify` re-checks, not by polling here.
    const started = now();
    verification = { status: 'pending', registered: 0, expected: expectedNodes(snapshot, execution.actions) };
    verifyRecheck = await scheduleRecheck(deps, new Date(started.getTime() + VERIFY_RECHECK_SECONDS * 1000), {
      clusterName,
      nodegroupName,
      remediationId: options.remediationId,
      reason: 'verify',
      replacedInstanceIds: replacedIds(execution.actions, snapshot),
      verifyUntil: new Date(started.getTime() + config.waitSeconds * 1000).toISOString(),
      dryRun,
    });
  } else if (recycled) {
    verification = await verifyJoin(deps.ports, snapshot, {
      expected: expectedNodes(snapshot, execution.actions),
      replacedInstanceIds: replacedIds(execution.actions, snapshot),
      logger: deps.logger,
      deadline: deadline(deps, now),
      pollSeconds: config.pollSeconds,
      sleep,
      now,
      progress: (registered, expected, until) =>
        progress(
          `${clusterName}/${nodegroupName}: waiting for nodes to join (${registered}/${expected} Ready, ` +
            `${Math.round((now().getTime() - executionStarted.getTime()) / 1000)} s elapsed, deadline ${until.toISOString()})`,
        ),
    });
  } else {
    verification = { ...NOT_ATTEMPTED, expected: expectedNodes(snapshot, execution.actions) };
  }

  // Pending is no remediation when a replacement landed where the path is still broken (issue 13).
  const stranded =
    verification.status === 'pending' && !deps.scheduler
      ? await replacementsStrandedNow(clusterName, nodegroupName, notIn(snapshot.instances.map((i) => i.instanceId)), deps, now)
      : [];
  if (stranded.length > 0) {
    return strandedReport({ ...executed, verification }, stranded, `${capitalize(describePlan(execution.actions))} done`);
  }
  const outcome: Outcome = thePlan.unresolvedReason ? 'UNRESOLVED' : 'REMEDIATED';
  const verified =
    verification.status === 'joined'
      ? ` ${verification.registered}/${verification.expected} node(s) joined and are Ready.`
      : verification.status === 'pending' && verifyRecheck
        ? ` Verification pending (${verification.registered}/${verification.expected}).${verifyRecheck}`
        : verification.status === 'pending'
        ? ` Nodes have not joined yet (${verification.registered}/${verification.expected}); check again later.`
        : recycled
          ? ''
          : ' Instances were not recycled (recycle strategy none): new instances will use the fixed route.';
  return {
    ...executed,
    outcome,
    verification,
    reason: `${capitalize(describePlan(execution.actions))} done.${verified}${unresolvedTail(thePlan)}${graceRecheck}`,
  };
}

/** Replacements (instances the run's snapshot did not have) that run where the path is broken, read afresh. */
function notIn(instanceIds: readonly string[]): (instance: InstanceInfo) => boolean {
  const known = new Set(instanceIds);
  return (instance) => !known.has(instance.instanceId);
}

async function replacementsStrandedNow(
  clusterName: string,
  nodegroupName: string,
  isReplacement: (instance: InstanceInfo) => boolean,
  deps: EngineDeps,
  now: () => Date,
): Promise<StrandedReplacement[]> {
  try {
    const fresh = await takeSnapshot(deps.ports, { clusterName, nodegroupName, region: deps.region, now: now() });
    return replacementsOnBrokenPaths(fresh, isReplacement);
  } catch (error) {
    deps.logger.warn('re-reading the node group after a pending verification failed', { clusterName, nodegroupName, error: describeError(error) });
    return [];
  }
}

/** The UNRESOLVED report of a remediation whose replacement landed where the path is broken. */
function strandedReport(report: Report, stranded: StrandedReplacement[], done: string): Report {
  const named = stranded.map((r) => `${r.instanceId} landed in ${r.subnetId}, where ${r.problem}`).join('; ');
  return {
    ...report,
    outcome: 'UNRESOLVED',
    findings: [...report.findings, ...stranded.map(strandedReplacementFinding)],
    reason: `${done}, but the replacement cannot register: ${named}. Fix that path, then replace the instance.`,
  };
}

function strandedReplacementFinding(replacement: StrandedReplacement): Finding {
  return {
    code: 'NODES_NOT_REGISTERED',
    severity: 'error',
    resourceId: replacement.instanceId,
    message: `Replacement ${replacement.instanceId} landed in ${replacement.subnetId}, where ${replacement.problem}; it cannot register.`,
    remediable: false,
    evidence: { ...replacement, replacement: true },
  };
}

/**
 * A `verify` re-check (contract section 8): reads registration once for the remediation it
 * continues. Joined: REMEDIATED with verification joined. Not yet, before `verifyUntil`:
 * another verify re-check. After: REMEDIATED with verification pending, final.
 */
export async function verifyRecheck(recheck: RecheckRequest, dryRun: boolean, deps: EngineDeps, trigger: Trigger): Promise<Report> {
  const now = deps.now ?? (() => new Date());
  const { clusterName, nodegroupName, remediationId } = recheck;
  const base = { ...emptyReport(clusterName, nodegroupName, deps, dryRun, trigger), remediationId };
  let target;
  try {
    const [cluster, nodegroup] = await Promise.all([
      deps.ports.eks.describeCluster(clusterName),
      deps.ports.eks.describeNodegroup(clusterName, nodegroupName),
    ]);
    target = { region: deps.region, cluster, nodegroup };
  } catch (error) {
    if (error instanceof NotFoundError) return { ...base, outcome: 'SKIPPED', reason: `${error.message}; nothing to verify.` };
    return failed(base, `Reading ${clusterName}/${nodegroupName} to verify remediation ${remediationId} failed: ${describeError(error)}.`);
  }
  const expected = expectedFromNodegroup(target.nodegroup);
  const verification = await verifyJoin(deps.ports, target, {
    expected,
    replacedInstanceIds: recheck.replacedInstanceIds ?? [],
    logger: deps.logger,
    deadline: now(), // one read: the next one is a re-check, not a sleep
    pollSeconds: deps.config.pollSeconds,
    sleep: async () => undefined,
    now,
  });
  const report: Report = { ...base, outcome: 'REMEDIATED', verification, reason: '' };
  if (verification.status === 'joined') {
    return { ...report, reason: `${verification.registered}/${verification.expected} node(s) joined and are Ready after remediation ${remediationId}.` };
  }
  // Waiting longer does not help a replacement that runs where the path is broken (issue 13).
  // Replacements: launched since the remediation began (its verify window is waitSeconds long), not taken away by it.
  const began = (recheck.verifyUntil ? Date.parse(recheck.verifyUntil) : now().getTime()) - deps.config.waitSeconds * 1000;
  const gone = notIn(recheck.replacedInstanceIds ?? []);
  const isReplacement = (instance: InstanceInfo) => gone(instance) && Date.parse(instance.launchTime) >= began;
  const stranded = await replacementsStrandedNow(clusterName, nodegroupName, isReplacement, deps, now);
  if (stranded.length > 0) return strandedReport(report, stranded, `Remediation ${remediationId} was applied`);
  const until = recheck.verifyUntil ? Date.parse(recheck.verifyUntil) : now().getTime();
  const next = new Date(now().getTime() + VERIFY_RECHECK_SECONDS * 1000);
  if (deps.scheduler && now().getTime() < until) {
    const at = new Date(Math.min(next.getTime(), until));
    const scheduled = await scheduleRecheck(deps, at, recheck);
    return { ...report, reason: `Nodes have not joined yet (${verification.registered}/${verification.expected}).${scheduled}` };
  }
  return {
    ...report,
    reason: `Nodes have not joined by ${new Date(until).toISOString()} (${verification.registered}/${verification.expected}); check the node group.`,
  };
}

/** Desired size of the node group (verify re-checks read no Auto Scaling group). */
function expectedFromNodegroup(nodegroup: Snapshot['nodegroup']): number {
  return nodegroup.scalingConfig.desiredSize;
}

function unresolvedTail(thePlan: Plan): string {
  return thePlan.unresolvedReason ? `; still unresolved: ${uncapitalize(thePlan.unresolvedReason.replace(/\.$/, ''))}` : '';
}

function errorText(action: EngineAction): string {
  const error = action.detail.error;
  if (!error) return 'unknown error';
  return [error.code ?? error.name, error.message].filter(Boolean).join(': ');
}

/** What a failed action changed before it failed, from the progress execute recorded in its detail. */
function partialProgress(action: EngineAction): string[] {
  if (action.type === 'REPLACE_INSTANCES') {
    const terminated = action.detail.terminatedInstanceIds ?? [];
    return terminated.length > 0 ? [`terminated instance(s) ${terminated.join(', ')} (replacements are launching)`] : [];
  }
  if (action.type === 'SCALE_CYCLE' && action.detail.scaledDownTo !== undefined) {
    const d = action.detail;
    if (d.restoredTo !== undefined) return [`scaled node group ${action.resourceId} to 0 and restored its original scaling`];
    const o = d.original;
    const command = typeof d.restoreCommand === 'string' ? `; restore it with: ${d.restoreCommand}` : '';
    return [
      `scaled node group ${action.resourceId} to 0, and it was NOT restored (its original scaling: minSize ${o.minSize}, ` +
        `maxSize ${o.maxSize}, desiredSize ${o.desiredSize}${command})`,
    ];
  }
  return [];
}


function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function uncapitalize(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function expectedNodes(snapshot: Snapshot, actions: readonly EngineAction[] = []): number {
  // A restore changes the node group's size: the restored desiredSize is what must join.
  const restore = actions.find((a): a is RestoreScalingAction => a.type === 'RESTORE_SCALING' && a.status === 'done');
  if (restore) return restore.detail.original.desiredSize;
  const asgDesired = snapshot.autoScalingGroups.reduce((sum, g) => sum + g.desiredCapacity, 0);
  return snapshot.autoScalingGroups.length > 0 ? asgDesired : snapshot.nodegroup.scalingConfig.desiredSize;
}

/** Instances the run took away: their lingering Nodes must not count as joined. */
function replacedIds(actions: readonly EngineAction[], snapshot: Snapshot): string[] {
  const done = actions.filter((a) => a.status === 'done');
  if (done.some((a) => a.type === 'SCALE_CYCLE')) return snapshot.instances.map((i) => i.instanceId);
  return done
    .filter((a): a is ReplaceInstancesAction => a.type === 'REPLACE_INSTANCES')
    .flatMap((a) => {
      // Instances execute spared because they registered meanwhile were not taken away.
      const spared = a.detail.registeredSinceSnapshotInstanceIds ?? [];
      return a.detail.instanceIds.filter((id) => !spared.includes(id));
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
