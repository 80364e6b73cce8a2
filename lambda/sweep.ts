/**
 * A sweep over many node groups (contract section 8): `config.concurrency` at a time, each
 * report handed to `onReport` the moment it is final, and no node group started once the
 * Lambda's remaining time is below the per-node-group budget: those are returned as `pending`
 * for one continuation re-check, so nothing in scope is skipped for lack of time.
 */
import pLimit from 'p-limit';
import { describeError } from './errors';
import { fixedRouteTables, remediateNodegroup, type EngineDeps } from './engine';
import type { TriggerKind } from './model';
import { blankReport, type Report, type Trigger } from './report';

export interface NodegroupRef {
  clusterName: string;
  nodegroupName: string;
}

/**
 * Time a node group needs once started: snapshot, writes, recycling without waiting for the join
 * (a re-check does that), and a scale cycle's settling; what is left after it is the engine's
 * reporting margin. Below this much remaining time, a node group is handed to the continuation.
 * A function configured with a short timeout gets half its time as the budget instead, so every
 * invocation starts some node groups and a continuation chain always ends.
 */
export const NODEGROUP_BUDGET_MS = 120_000;

/** The per-node-group budget for an invocation that has `remainingMs` left when the sweep starts. */
export function nodegroupBudgetMs(remainingMs: number | undefined): number {
  return remainingMs === undefined ? NODEGROUP_BUDGET_MS : Math.min(NODEGROUP_BUDGET_MS, Math.floor(remainingMs / 2));
}

export interface SweepOptions {
  dryRun: boolean;
  trigger: TriggerKind;
  triggeredBy: Trigger;
  /** called once per final report, as soon as it is final (log, metric, notification) */
  onReport: (report: Report) => Promise<void>;
  budgetMs?: number;
}

export async function sweepNodegroups(items: readonly NodegroupRef[], deps: EngineDeps, options: SweepOptions): Promise<{ pending: NodegroupRef[] }> {
  const limit = pLimit(deps.config.concurrency);
  const budget = options.budgetMs ?? nodegroupBudgetMs(deps.remainingTimeMs?.());
  // Node groups of one cluster may share route tables: a table fixed for one still leaves the
  // other's instances (booted before the fix) to recycle.
  const fixedByCluster = new Map<string, string[]>();
  const notStarted = new Set<number>();
  await Promise.all(
    items.map((item, index) =>
      limit(async () => {
        const remaining = deps.remainingTimeMs?.();
        if (remaining !== undefined && remaining < budget) {
          notStarted.add(index);
          return;
        }
        const fixed = fixedByCluster.get(item.clusterName) ?? [];
        fixedByCluster.set(item.clusterName, fixed);
        let report: Report;
        try {
          report = await remediateNodegroup(item.clusterName, item.nodegroupName, options.dryRun, deps, {
            trigger: options.trigger,
            triggeredBy: options.triggeredBy,
            routeTablesFixedThisRun: fixed,
          });
        } catch (error) {
          // One node group's failure never hides the others' reports.
          deps.logger.error('examining a node group failed', { ...item, error: describeError(error) });
          report = {
            ...blankReport({ ...item, region: deps.region, dryRun: options.dryRun, trigger: options.triggeredBy }, 'FAILED'),
            reason: `Examining ${item.clusterName}/${item.nodegroupName} failed: ${describeError(error)}.`,
            ...(deps.accountId ? { accountId: deps.accountId } : {}),
          };
        }
        fixed.push(...fixedRouteTables(report.actions));
        await options.onReport(report);
      }),
    ),
  );
  return { pending: items.filter((_, index) => notStarted.has(index)) };
}
