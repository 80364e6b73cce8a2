/**
 * Lambda entry point (contract section 6): parse the input, run the engine, then log, count,
 * publish and return the report. Everything else lives in the engine.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { SnsReportPublisher } from './aws/sns';
import { configFromEnv, type Config } from './config';
import { clustersInScope, runTarget, type EngineDeps } from './engine';
import { describeError, RemediationFailedError, ValidationError } from './errors';
import { parseInput, resolveAutoScalingGroupTarget, targetsForClusters } from './inputs';
import type { Target } from './model';
import type { Ports, ReportPublisher } from './ports';
import { blankReport, type MultiReport, type Report } from './report';
import { createPorts } from './wiring';

export interface HandlerRuntime {
  config: Config;
  region: string;
  ports: Ports;
  logger: Logger;
  metrics?: Metrics;
  publisher?: ReportPublisher;
  sleep?: EngineDeps['sleep'];
  now?: EngineDeps['now'];
  /** leases and the remediation ledger (engine default: in-memory, per invocation) */
  ledger?: EngineDeps['ledger'];
}

export const METRIC_NAMESPACE = 'EksNodeJoinRemediator';
export const OUTCOME_METRIC = 'RemediationOutcome';

/** Built once per container: configuration errors surface on the first invocation, before any AWS call. */
export function runtimeFromEnv(env: NodeJS.ProcessEnv = process.env): HandlerRuntime {
  const config = configFromEnv(env);
  const region = env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'];
  if (!region) throw new Error('AWS_REGION is not set');
  return {
    config,
    region,
    ports: createPorts(region),
    logger: new Logger({ serviceName: env['POWERTOOLS_SERVICE_NAME'] ?? 'eks-node-join-remediator' }),
    metrics: new Metrics({ namespace: env['POWERTOOLS_METRICS_NAMESPACE'] ?? METRIC_NAMESPACE }),
    publisher: config.reportTopicArn ? new SnsReportPublisher(config.reportTopicArn) : undefined,
  };
}

function inputReport(
  runtime: HandlerRuntime,
  outcome: 'SKIPPED' | 'FAILED',
  reason: string,
  clusterName = '',
  nodegroupName = '',
  dryRun = runtime.config.dryRun,
): Report {
  return blankReport({ clusterName, nodegroupName, region: runtime.region, dryRun }, outcome, reason);
}

/** Input → targets: the lookups some inputs need (ASG tags, the region's clusters) happen here. */
async function resolveTargets(event: unknown, runtime: HandlerRuntime, deps: EngineDeps): Promise<Target[] | Report> {
  let parsed = parseInput(event, runtime.config);
  if (parsed.kind === 'sweep') {
    return targetsForClusters(await clustersInScope(deps), runtime.config, parsed.triggerDetail);
  }
  if (parsed.kind === 'autoscaling-group') {
    const [group] = await runtime.ports.autoscaling.describeAutoScalingGroups([parsed.autoScalingGroupName]);
    parsed = resolveAutoScalingGroupTarget(parsed, group?.tags, runtime.config);
  }
  if (parsed.kind === 'skipped') {
    const { reason, clusterName, nodegroupName, dryRun } = parsed.skipped;
    return inputReport(runtime, 'SKIPPED', reason, clusterName, nodegroupName, dryRun);
  }
  return parsed.targets;
}

export function createHandler(build: () => HandlerRuntime = runtimeFromEnv) {
  let runtime: HandlerRuntime | undefined;
  return async (event: unknown, context?: Partial<Context>): Promise<Report | MultiReport> => {
    runtime ??= build();
    const rt = runtime;
    const deps: EngineDeps = {
      ports: rt.ports,
      config: rt.config,
      region: rt.region,
      logger: rt.logger,
      sleep: rt.sleep,
      now: rt.now,
      ledger: rt.ledger,
      remainingTimeMs: context?.getRemainingTimeInMillis ? () => context.getRemainingTimeInMillis!() : undefined,
    };
    // A ValidationError from parsing propagates as the invocation's error: no AWS call was made.
    // An AWS failure while resolving the input (ListClusters for a sweep, the launch event's Auto
    // Scaling group) is a FAILED report like any other, so it is logged, counted and published.
    let resolved: Target[] | Report;
    try {
      resolved = await resolveTargets(event, rt, deps);
    } catch (error) {
      if (error instanceof ValidationError) throw error;
      rt.logger.error('resolving the input failed', { error: describeError(error) });
      resolved = inputReport(rt, 'FAILED', `Resolving what to examine failed, so nothing was examined or changed: ${describeError(error)}.`);
    }
    const reports: Report[] = [];
    const singleNodegroup = !Array.isArray(resolved) || (resolved.length === 1 && resolved[0]!.nodegroupName !== undefined);
    if (Array.isArray(resolved)) {
      for (const target of resolved) reports.push(...(await runTarget(target, deps)));
    } else {
      reports.push(resolved);
    }

    for (const report of reports) {
      rt.logger.info('remediation report', { report });
      rt.metrics?.singleMetric().addDimension('Outcome', report.outcome).addMetric(OUTCOME_METRIC, MetricUnit.Count, 1);
      if (rt.publisher && report.outcome !== 'SKIPPED' && report.outcome !== 'HEALTHY') {
        try {
          await rt.publisher.publish(`[${report.outcome}] ${report.clusterName}/${report.nodegroupName}`, JSON.stringify(report, null, 2));
        } catch (error) {
          rt.logger.error('publishing the report failed', { error: describeError(error) });
        }
      }
    }

    const failures = reports.filter((r) => r.outcome === 'FAILED');
    const manual = typeof event === 'object' && event !== null && 'clusterName' in event;
    if (failures.length > 0 && !manual) {
      // Event-driven: let the async retry / dead-letter queue keep the event.
      throw new RemediationFailedError(failures.map((r) => `${r.clusterName}/${r.nodegroupName}: ${r.reason}`).join(' | '));
    }
    return singleNodegroup && reports.length === 1 ? reports[0]! : { reports };
  };
}

export const handler = createHandler();
