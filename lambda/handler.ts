/**
 * Lambda entry point (contract section 6): parse the input, run the engine, and emit every
 * report (log line, metric, ledger outcome, notification) the moment it is final. Everything
 * else lives in the engine (one node group) and the sweep (many).
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';
import { configFromEnv, type Config } from './config';
import { clustersInScope, notFoundReport, remediateNodegroup, triggerOf, verifyRecheck, type EngineDeps } from './engine';
import { describeError, NotFoundError, RemediationFailedError, ValidationError } from './errors';
import { forSurface } from './next-steps';
import { parseInput, resolveAutoScalingGroupTarget, targetsForClusters, type ParsedInput } from './inputs';
import { InMemoryLedger } from './ledger/memory';
import { notificationDue, recordOutcome } from './ledger/outcomes';
import type { Target } from './model';
import type { LedgerPort, Ports, RecheckRequest, ReportPublisher, SchedulerPort } from './ports';
import { renderReport } from './render';
import { blankReport, type MultiReport, type Report, type Trigger } from './report';
import { sweepNodegroups, type NodegroupRef } from './sweep';
import { memoizeVpcReads } from './vpc-read-cache';
import { createDeployedServices, createPorts } from './wiring';

export interface HandlerRuntime {
  config: Config;
  region: string;
  ports: Ports;
  logger: Logger;
  metrics?: Metrics;
  publisher?: ReportPublisher;
  /** leases and the remediation ledger (the ledger table when deployed) */
  ledger?: LedgerPort;
  /** the re-check scheduler, targeting the invoked function (its ARN from the Lambda context) */
  schedulerFor?: (functionArn: string) => SchedulerPort;
  sleep?: EngineDeps['sleep'];
  now?: EngineDeps['now'];
}

export const METRIC_NAMESPACE = 'EksNodeJoinRemediator';
export const OUTCOME_METRIC = 'RemediationOutcome';
/** One data point per invocation in which some cluster's Kubernetes API could not be used. */
export const KUBERNETES_UNAVAILABLE_METRIC = 'KubernetesApiUnavailable';
export const SERVICE_NAME = 'eks-node-join-remediator';

/** Built once per container: configuration errors surface on the first invocation, before any AWS call. */
export function runtimeFromEnv(env: NodeJS.ProcessEnv = process.env): HandlerRuntime {
  const config = configFromEnv(env);
  const region = env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'];
  if (!region) throw new Error('AWS_REGION is not set');
  const serviceName = env['POWERTOOLS_SERVICE_NAME'] || SERVICE_NAME;
  // X-Ray subsegments per AWS call when the construct turns tracing on (POWERTOOLS_TRACE_ENABLED).
  const tracer = env['POWERTOOLS_TRACE_ENABLED'] === 'true' ? new Tracer({ serviceName }) : undefined;
  const clientOptions = tracer ? { instrument: <C extends object>(client: C): C => tracer.captureAWSv3Client(client) } : {};
  return {
    config,
    region,
    ports: createPorts(region, clientOptions),
    logger: new Logger({ serviceName }),
    metrics: new Metrics({ namespace: env['POWERTOOLS_METRICS_NAMESPACE'] || METRIC_NAMESPACE, serviceName }),
    ...createDeployedServices(config, region, clientOptions),
  };
}

/** What one invocation has to do, once its input is resolved. */
type Work =
  | { kind: 'report'; report: Report }
  | { kind: 'nodegroups'; targets: Target[] }
  | { kind: 'sweep'; clusterNames: string[]; dryRun?: boolean; trigger: Trigger; pending?: NodegroupRef[] }
  | { kind: 'verify'; recheck: RecheckRequest; trigger: Trigger };

function inputReport(
  runtime: HandlerRuntime,
  trigger: Trigger,
  outcome: 'SKIPPED' | 'FAILED',
  reason: string,
  clusterName = '',
  nodegroupName = '',
  dryRun = runtime.config.dryRun,
): Report {
  return blankReport({ clusterName, nodegroupName, region: runtime.region, dryRun, trigger }, outcome, reason);
}

/** The trigger a SKIPPED input report carries (the input kind is known even when nothing is examined). */
function inputTrigger(event: unknown): Trigger {
  if (typeof event === 'object' && event !== null) {
    const record = event as Record<string, unknown>;
    if ('recheck' in record) return { kind: 'recheck' };
    const detailType = record['detail-type'];
    if (typeof detailType === 'string' && /CloudTrail/.test(detailType)) {
      const detail = (record['detail'] ?? {}) as Record<string, unknown>;
      const identity = (detail['userIdentity'] ?? {}) as Record<string, unknown>;
      return {
        kind: 'cloudtrail',
        ...(typeof detail['eventID'] === 'string' ? { eventId: detail['eventID'] } : {}),
        ...(typeof identity['arn'] === 'string' ? { caller: identity['arn'] } : {}),
      };
    }
    if (detailType === 'EC2 Instance Launch Successful') {
      const detail = (record['detail'] ?? {}) as Record<string, unknown>;
      return { kind: 'instance-launch', ...(typeof detail['EC2InstanceId'] === 'string' ? { instanceId: detail['EC2InstanceId'] } : {}) };
    }
    if (detailType === 'Scheduled Event') return { kind: 'sweep', ...(typeof record['id'] === 'string' ? { eventId: record['id'] } : {}) };
  }
  return { kind: 'manual' };
}

/** Input → work: the lookups some inputs need (the launch event's Auto Scaling group) happen here. */
async function resolveWork(event: unknown, runtime: HandlerRuntime): Promise<Work> {
  let parsed: ParsedInput = parseInput(event, runtime.config);
  if (parsed.kind === 'sweep') return { kind: 'sweep', clusterNames: [], trigger: parsed.triggeredBy };
  if (parsed.kind === 'recheck') {
    const { recheck, triggeredBy } = parsed;
    if (recheck.reason === 'verify') return { kind: 'verify', recheck, trigger: triggeredBy };
    if (recheck.reason === 'continuation') {
      return {
        kind: 'sweep',
        clusterNames: [],
        pending: recheck.pending ?? [],
        trigger: triggeredBy,
        ...(recheck.dryRun !== undefined ? { dryRun: recheck.dryRun } : {}),
      };
    }
    return {
      kind: 'nodegroups',
      targets: [
        {
          clusterName: recheck.clusterName,
          nodegroupName: recheck.nodegroupName,
          trigger: 'recheck',
          triggeredBy,
          remediationId: recheck.remediationId,
          ...(recheck.dryRun !== undefined ? { dryRun: recheck.dryRun } : {}),
        },
      ],
    };
  }
  if (parsed.kind === 'autoscaling-group') {
    const [group] = await runtime.ports.autoscaling.describeAutoScalingGroups([parsed.autoScalingGroupName]);
    parsed = resolveAutoScalingGroupTarget(parsed, group?.tags, runtime.config);
  }
  if (parsed.kind === 'skipped') {
    const { reason, clusterName, nodegroupName, dryRun } = parsed.skipped;
    return { kind: 'report', report: inputReport(runtime, inputTrigger(event), 'SKIPPED', reason, clusterName, nodegroupName, dryRun) };
  }
  const whole = parsed.targets.filter((t) => t.nodegroupName === undefined);
  if (whole.length > 0) {
    // Whole clusters (a sweep with an allow-list, a manual payload without a node group).
    return {
      kind: 'sweep',
      clusterNames: whole.map((t) => t.clusterName),
      trigger: triggerOf(whole[0]!),
      ...(whole[0]!.dryRun !== undefined ? { dryRun: whole[0]!.dryRun } : {}),
    };
  }
  return { kind: 'nodegroups', targets: parsed.targets };
}

function hasLoggerKeys(logger: unknown): logger is Pick<Logger, 'appendKeys' | 'removeKeys' | 'addContext'> {
  return typeof (logger as Partial<Logger>).appendKeys === 'function' && typeof (logger as Partial<Logger>).addContext === 'function';
}

/** The account id of `arn:aws:lambda:<region>:<account>:function:<name>`. */
export function accountIdOf(functionArn: string | undefined): string | undefined {
  const account = functionArn?.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
}

/** How soon a continuation runs: right away, but after this invocation has returned. */
const CONTINUATION_DELAY_MS = 10_000;

export function createHandler(build: () => HandlerRuntime = runtimeFromEnv) {
  let runtime: HandlerRuntime | undefined;
  let coldStart = true;
  return async (event: unknown, context?: Partial<Context>): Promise<Report | MultiReport> => {
    runtime ??= build();
    const rt = runtime;
    const now = rt.now ?? (() => new Date());
    const functionArn = context?.invokedFunctionArn;
    const accountId = accountIdOf(functionArn);
    const scheduler = functionArn ? rt.schedulerFor?.(functionArn) : undefined;
    const deps: EngineDeps = {
      // One VPC read per sweep, not one per node group.
      ports: { ...rt.ports, ec2: memoizeVpcReads(rt.ports.ec2) },
      config: rt.config,
      region: rt.region,
      logger: rt.logger,
      sleep: rt.sleep,
      now: rt.now,
      runId: context?.awsRequestId ?? randomUUID(),
      ...(accountId ? { accountId } : {}),
      // Without a ledger table, leases and the ledger live for this invocation (as in the CLI).
      ledger: rt.ledger ?? new InMemoryLedger(),
      ...(scheduler ? { scheduler } : {}),
      remainingTimeMs: context?.getRemainingTimeInMillis ? () => context.getRemainingTimeInMillis!() : undefined,
    };
    if (hasLoggerKeys(rt.logger) && context?.awsRequestId) rt.logger.addContext(context as Context);
    if (coldStart) {
      coldStart = false;
      rt.metrics?.captureColdStartMetric();
    }

    const reports: Report[] = [];
    const emit = async (final: Report): Promise<void> => {
      // Settings named as the deployer sets them (CDK context / Lambda env), next steps filled in.
      const report = forSurface(final, 'lambda');
      reports.push(report);
      rt.logger.info('remediation report', { report });
      rt.metrics?.singleMetric().addDimension('Outcome', report.outcome).addMetric(OUTCOME_METRIC, MetricUnit.Count, 1);
      let previous;
      if (rt.ledger && report.nodegroupName !== '' && report.nodegroupName !== '*') {
        try {
          previous = await recordOutcome(rt.ledger, report, now());
        } catch (error) {
          rt.logger.error('recording the outcome failed', { error: describeError(error) });
        }
      }
      if (rt.publisher && notificationDue(report, previous, rt.ledger?.durable === true)) {
        try {
          await rt.publisher.publish({
            subject: `[${report.outcome}] ${report.clusterName}/${report.nodegroupName}`,
            json: JSON.stringify(report),
            text: renderReport(report),
          });
        } catch (error) {
          rt.logger.error('publishing the report failed', { error: describeError(error) });
        }
      }
    };

    // A ValidationError from parsing propagates as the invocation's error: no AWS call was made.
    // An AWS failure while resolving the input (the launch event's Auto Scaling group) is a
    // FAILED report like any other, so it is logged, counted and published.
    let work: Work;
    try {
      work = await resolveWork(event, rt);
    } catch (error) {
      if (error instanceof ValidationError) throw error;
      rt.logger.error('resolving the input failed', { error: describeError(error) });
      work = {
        kind: 'report',
        report: inputReport(rt, inputTrigger(event), 'FAILED', `Resolving what to examine failed, so nothing was examined or changed: ${describeError(error)}.`),
      };
    }
    const trigger =
      work.kind === 'report'
        ? work.report.trigger
        : work.kind === 'nodegroups'
          ? work.targets[0]
            ? triggerOf(work.targets[0])
            : inputTrigger(event)
          : work.trigger;
    if (hasLoggerKeys(rt.logger)) rt.logger.appendKeys({ trigger });

    try {
      await perform(work, rt, deps, emit);
      sayKubernetesUnavailableOnce(reports, rt);
    } finally {
      if (hasLoggerKeys(rt.logger)) rt.logger.removeKeys(['trigger']);
    }

    const failures = reports.filter((r) => r.outcome === 'FAILED');
    const manual = typeof event === 'object' && event !== null && 'clusterName' in event;
    if (failures.length > 0 && !manual) {
      // Event-driven: let the async retry / dead-letter queue keep the event (every report was emitted first).
      throw new RemediationFailedError(failures.map((r) => `${r.clusterName}/${r.nodegroupName}: ${r.reason}`).join(' | '));
    }
    const single = work.kind === 'report' || work.kind === 'verify' || (work.kind === 'nodegroups' && work.targets.length === 1);
    return single && reports.length === 1 ? reports[0]! : { reports };
  };
}

/**
 * Without Kubernetes access (no access entry for the function's role, a private endpoint out of
 * reach) every node group of the cluster says so in a warning finding; the invocation says it
 * once, as one log line and one metric data point, so that it is noticed without an alarm per
 * node group.
 */
function sayKubernetesUnavailableOnce(reports: readonly Report[], rt: HandlerRuntime): void {
  const reasons = new Map<string, string>();
  for (const report of reports) {
    const finding = report.findings.find((f) => f.code === 'KUBERNETES_API_UNAVAILABLE');
    if (finding) reasons.set(finding.resourceId, String(finding.evidence['unavailableReason'] ?? 'unknown reason'));
  }
  if (reasons.size === 0) return;
  rt.logger.warn('the Kubernetes API could not be used; registration was read from the node groups\' health', {
    clusters: Object.fromEntries(reasons),
  });
  rt.metrics?.singleMetric().addMetric(KUBERNETES_UNAVAILABLE_METRIC, MetricUnit.Count, 1);
}

async function perform(work: Work, rt: HandlerRuntime, deps: EngineDeps, emit: (report: Report) => Promise<void>): Promise<void> {
  switch (work.kind) {
    case 'report':
      return emit(work.report);
    case 'verify': {
      const dryRun = rt.config.dryRun || work.recheck.dryRun === true;
      return emit(await verifyRecheck(work.recheck, dryRun, deps, work.trigger));
    }
    case 'nodegroups':
      for (const target of work.targets) {
        const dryRun = rt.config.dryRun || target.dryRun === true;
        await emit(
          await remediateNodegroup(target.clusterName, target.nodegroupName!, dryRun, deps, {
            trigger: target.trigger,
            triggeredBy: triggerOf(target),
            ...(target.remediationId ? { remediationId: target.remediationId } : {}),
          }),
        );
      }
      return;
    case 'sweep':
      return sweep(work, rt, deps, emit);
  }
}

/** Lists the node groups in scope (or takes a continuation's), examines them, continues the rest. */
async function sweep(
  work: Extract<Work, { kind: 'sweep' }>,
  rt: HandlerRuntime,
  deps: EngineDeps,
  emit: (report: Report) => Promise<void>,
): Promise<void> {
  const dryRun = rt.config.dryRun || work.dryRun === true;
  const failedReport = (clusterName: string, reason: string): Report => ({
    ...inputReport(rt, work.trigger, 'FAILED', reason, clusterName, clusterName ? '*' : '', dryRun),
    ...(deps.accountId ? { accountId: deps.accountId } : {}),
  });
  let items: NodegroupRef[] = work.pending ?? [];
  if (!work.pending) {
    let clusterNames = work.clusterNames;
    if (clusterNames.length === 0) {
      try {
        clusterNames = targetsForClusters(await clustersInScope(deps), rt.config).map((t) => t.clusterName);
      } catch (error) {
        rt.logger.error('resolving the input failed', { error: describeError(error) });
        return emit(failedReport('', `Resolving what to examine failed, so nothing was examined or changed: ${describeError(error)}.`));
      }
    }
    const listed = await Promise.all(
      clusterNames.map(async (clusterName) => {
        try {
          return (await deps.ports.eks.listNodegroups(clusterName)).map((nodegroupName) => ({ clusterName, nodegroupName }));
        } catch (error) {
          if (error instanceof NotFoundError) {
            await emit(notFoundReport(failedReport(clusterName, ''), rt.region, { cluster: clusterName }));
            return [];
          }
          await emit(failedReport(clusterName, `listing the node groups of ${clusterName} failed: ${describeError(error)}`));
          return [];
        }
      }),
    );
    items = listed.flat();
  }
  const { pending } = await sweepNodegroups(items, deps, {
    dryRun,
    trigger: work.trigger.kind,
    triggeredBy: work.trigger,
    onReport: emit,
  });
  if (pending.length === 0) return;

  const now = deps.now ?? (() => new Date());
  if (deps.scheduler) {
    const at = new Date(now().getTime() + CONTINUATION_DELAY_MS);
    const recheck: RecheckRequest = { ...pending[0]!, remediationId: randomUUID(), reason: 'continuation', pending, dryRun };
    try {
      await deps.scheduler.scheduleRecheck(at, recheck);
      rt.logger.info('sweep continues in a re-check', { pending: pending.length, at: at.toISOString() });
      return;
    } catch (error) {
      rt.logger.error('scheduling the continuation failed', { pending: pending.length, error: describeError(error) });
    }
  }
  // No way to continue: say so for each node group rather than dropping it silently.
  for (const item of pending) {
    await emit({
      ...inputReport(rt, work.trigger, 'SKIPPED', 'Not examined: the invocation ran out of time and no continuation could be scheduled; the next sweep examines it.', item.clusterName, item.nodegroupName, dryRun),
      ...(deps.accountId ? { accountId: deps.accountId } : {}),
    });
  }
}

export const handler = createHandler();
