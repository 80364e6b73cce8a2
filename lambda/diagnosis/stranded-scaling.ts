/**
 * A node group this tool left scaled down (issue 13): a scale cycle set minSize/desiredSize 0 and
 * its restore failed (5xx, timeout, the Lambda's end). From the remediation ledger: the newest
 * SCALE_CYCLE of this tool that scaled down and did not restore, with no RESTORE_SCALING done since,
 * while the node group still has exactly the scaling the scale cycle left (a person who changed it
 * since has decided otherwise, and is not overruled). Such a node group has no instance, so no
 * instance is unregistered: without this check it would read HEALTHY forever. Pure.
 */
import type { ScalingConfig, Snapshot } from '../model';
import type { Finding } from '../report';

export interface StrandedScaling {
  /** the scaling the scale cycle recorded before it changed anything */
  original: ScalingConfig;
  /** the node group's scaling now */
  current: ScalingConfig;
  /** ISO-8601 time of the ledger record */
  time: string;
  remediationId: string;
}

function scaling(value: unknown): ScalingConfig | undefined {
  const s = value as Partial<ScalingConfig> | undefined;
  const ok = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 0;
  return s && ok(s.minSize) && ok(s.maxSize) && ok(s.desiredSize) ? { minSize: s.minSize!, maxSize: s.maxSize!, desiredSize: s.desiredSize! } : undefined;
}

export function strandedScaling(snapshot: Snapshot): StrandedScaling | undefined {
  for (const entry of snapshot.history?.ledger ?? []) {
    const { action } = entry;
    if (action.type === 'RESTORE_SCALING') {
      if (action.status === 'done') return undefined;
      continue; // a restore that failed: the scale cycle before it is still stranded
    }
    if (action.type !== 'SCALE_CYCLE') continue;
    const original = scaling(action.detail['original']);
    const leftAt = scaling(action.detail['scaledDownTo']);
    if (!original || !leftAt || action.detail['restoredTo'] !== undefined) return undefined;
    const current = snapshot.nodegroup.scalingConfig;
    const below = current.desiredSize < original.desiredSize || current.minSize < original.minSize;
    const asLeft = current.minSize === leftAt.minSize && current.desiredSize === leftAt.desiredSize;
    return below && asLeft ? { original, current: { ...current }, time: entry.time, remediationId: entry.remediationId } : undefined;
  }
  return undefined;
}

/** The AWS CLI command that puts `original` back (printed when no ledger can remember it). */
export function restoreCommand(clusterName: string, nodegroupName: string, original: ScalingConfig): string {
  return (
    `aws eks update-nodegroup-config --cluster-name ${clusterName} --nodegroup-name ${nodegroupName} ` +
    `--scaling-config minSize=${original.minSize},maxSize=${original.maxSize},desiredSize=${original.desiredSize}`
  );
}

/** The CauseCheck (lambda/diagnosis/index.ts): an error finding, so the node group is never HEALTHY while stranded. */
export function strandedScalingCheck(snapshot: Snapshot): Finding[] {
  const stranded = strandedScaling(snapshot);
  if (!stranded) return [];
  const { original, current } = stranded;
  const { clusterName, nodegroupName } = snapshot.nodegroup;
  return [
    {
      code: 'NODEGROUP_LEFT_SCALED_DOWN',
      severity: 'error',
      resourceId: nodegroupName,
      message:
        `A scale cycle of this tool (remediation ${stranded.remediationId}, ${stranded.time}) left ${nodegroupName} at ` +
        `minSize ${current.minSize}, desiredSize ${current.desiredSize}; its original scaling (minSize ${original.minSize}, ` +
        `maxSize ${original.maxSize}, desiredSize ${original.desiredSize}) is restored first.`,
      remediable: true,
      evidence: { original, current, remediationId: stranded.remediationId, time: stranded.time, fix: restoreCommand(clusterName, nodegroupName, original) },
    },
  ];
}
