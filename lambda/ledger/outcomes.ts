/**
 * Outcome records of the remediation ledger and the notification rule built on them
 * (contract section 8: notifications are sent when a node group's outcome changes).
 */
import type { LedgerPort } from '../ports';
import type { Outcome, Report } from '../report';

/** How many of a node group's newest records are read to find its last outcome. */
const HISTORY_WINDOW = 25;

/**
 * Appends the report's `outcome` record and returns the node group's previous conclusion
 * (its last outcome other than SKIPPED: a skipped run concluded nothing), if any.
 */
export async function recordOutcome(ledger: LedgerPort, report: Report, time: Date): Promise<Outcome | undefined> {
  const history = await ledger.history(report.clusterName, report.nodegroupName, { limit: HISTORY_WINDOW });
  const previous = history.find((r) => r.kind === 'outcome' && r.outcome !== 'SKIPPED');
  await ledger.append({
    kind: 'outcome',
    clusterName: report.clusterName,
    nodegroupName: report.nodegroupName,
    time: time.toISOString(),
    remediationId: report.remediationId ?? '',
    trigger: report.trigger.kind,
    outcome: report.outcome,
    reason: report.reason,
  });
  return previous?.kind === 'outcome' ? previous.outcome : undefined;
}

/**
 * Whether a report is worth a notification. With a durable ledger: only when the outcome differs
 * from the node group's previous one (a first HEALTHY is not news; SKIPPED never is). Without
 * one, nothing is remembered between runs: every report needing attention (not HEALTHY, not SKIPPED).
 */
export function notificationDue(report: Report, previous: Outcome | undefined, durable: boolean): boolean {
  if (report.outcome === 'SKIPPED') return false;
  if (!durable) return report.outcome !== 'HEALTHY';
  if (previous === undefined) return report.outcome !== 'HEALTHY';
  return previous !== report.outcome;
}
