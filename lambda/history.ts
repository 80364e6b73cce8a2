/**
 * gatherHistory: what the snapshot alone cannot say — what this tool already did to the node
 * group (the remediation ledger: recycles for the cool-down, a scale cycle to undo, route writes
 * as evidence), and who changed the paths of unregistered instances after they launched
 * (CloudTrail LookupEvents). Imperative shell around lambda/diagnosis/booted-before-fix.ts.
 *
 * Calls, bounded and only when needed:
 *   - the ledger: one history read per node group (90 days, the ledger's retention);
 *   - CloudTrail: only for unregistered instances on a working path that neither the ledger nor
 *     the NAT gateway's CreateTime already explains; one LookupEvents (ResourceName) per distinct
 *     resource of their paths (route tables, subnets, NAT gateway, endpoints, VPC), never per
 *     instance, from the oldest such launch to the snapshot.
 * A CloudTrail failure (AccessDenied, throttling) is recorded, never fatal: the other sources stand.
 */
import { describeError } from './errors';
import {
  evidenceFor,
  instancesOnWorkingPaths,
  pathResourcesOf,
  resourceIdsOf,
} from './diagnosis/booted-before-fix';
import type { Diagnosis, LedgerEntry, PathChange, PathHistory, Snapshot } from './model';
import type { CloudTrailEventInfo, CloudTrailPort, LedgerPort } from './ports';

/** CloudTrail LookupEvents reaches 90 days back; so does the ledger (LEDGER_TABLE.ledgerRetentionDays). */
export const HISTORY_DAYS = 90;
const DAY_MS = 24 * 3600 * 1000;

/** This node group's ledger actions (done / failed), newest first. */
export async function readLedger(ledger: LedgerPort, snapshot: Snapshot): Promise<LedgerEntry[]> {
  const since = new Date(Date.parse(snapshot.takenAt) - HISTORY_DAYS * DAY_MS).toISOString();
  const records = await ledger.history(snapshot.nodegroup.clusterName, snapshot.nodegroup.nodegroupName, { since });
  return records.flatMap((r) =>
    r.kind === 'action' ? [{ time: r.time, remediationId: r.remediationId, cause: r.cause, action: r.action }] : [],
  );
}

export function pathChangeFromCloudTrail(event: CloudTrailEventInfo): PathChange {
  return {
    source: 'cloudtrail',
    eventName: event.eventName,
    time: event.eventTime,
    ...(event.callerArn ? { by: event.callerArn } : {}),
    resourceIds: event.resourceNames,
    eventId: event.eventId,
  };
}

/**
 * The snapshot with its `history`: the ledger always (when there is one), CloudTrail only for
 * instances on working paths without evidence from the ledger or the NAT gateway's CreateTime.
 */
export async function gatherHistory(
  snapshot: Snapshot,
  diagnosis: Diagnosis,
  deps: { ledger?: LedgerPort; cloudtrail?: CloudTrailPort },
): Promise<Snapshot> {
  const ledger = deps.ledger ? await readLedger(deps.ledger, snapshot) : [];
  const history: PathHistory = { changes: [], ledger, ledgerDurable: deps.ledger?.durable ?? false };
  const withLedger: Snapshot = { ...snapshot, history };

  const onWorkingPaths = instancesOnWorkingPaths(withLedger, diagnosis.unregisteredInstanceIds, diagnosis.subnetPaths);
  const unexplained = onWorkingPaths.filter((i) => evidenceFor(i, withLedger).length === 0);
  if (unexplained.length === 0) return withLedger;
  if (!deps.cloudtrail) {
    return { ...withLedger, history: { ...history, cloudTrailUnavailable: 'no CloudTrail client was configured' } };
  }

  const takenAt = Date.parse(snapshot.takenAt);
  const oldest = Math.min(...unexplained.map((i) => Date.parse(i.launchTime)));
  const start = new Date(Math.max(oldest, takenAt - HISTORY_DAYS * DAY_MS));
  const end = new Date(takenAt);
  const resources = [...new Set(unexplained.flatMap((i) => resourceIdsOf(pathResourcesOf(i.subnetId, snapshot))))].sort();
  const changes: PathChange[] = [];
  const seen = new Set<string>();
  try {
    for (const resource of resources) {
      for (const event of await deps.cloudtrail.lookupResourceEvents(resource, start, end)) {
        if (event.errorCode || seen.has(event.eventId)) continue; // a failed call changed nothing
        seen.add(event.eventId);
        changes.push(pathChangeFromCloudTrail(event));
      }
    }
  } catch (error) {
    return { ...withLedger, history: { ...history, changes, cloudTrailUnavailable: describeError(error) } };
  }
  return { ...withLedger, history: { ...history, changes } };
}
