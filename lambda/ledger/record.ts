/**
 * Writes what a run did to the remediation ledger (contract section 8): one `action` record per
 * action that was done or failed, with the cause that motivated it. The ledger backs the recycle
 * cool-down, INSTANCES_BOOTED_BEFORE_FIX (this tool's own route writes) and the restore of a
 * scale cycle that failed halfway (the SCALE_CYCLE's `original`, `scaledDownTo`, `restoredTo`).
 */
import { randomUUID } from 'node:crypto';
import type { TriggerKind } from '../model';
import type { LedgerPort } from '../ports';
import type { Action } from '../report';

/** The finding code behind an action: its own `detail.cause`, else what the action type fixes. */
export function causeOf(action: Action): string {
  if (typeof action.detail['cause'] === 'string') return action.detail['cause'];
  switch (action.type) {
    case 'CREATE_ROUTE':
      return 'NO_DEFAULT_ROUTE';
    case 'REPLACE_ROUTE':
      return 'BLACKHOLE_DEFAULT_ROUTE';
    case 'CREATE_ACCESS_ENTRY':
      return 'NODE_ROLE_NOT_AUTHORIZED';
    case 'RESTORE_SCALING':
      return 'NODEGROUP_LEFT_SCALED_DOWN';
    default:
      return 'NODES_NOT_REGISTERED';
  }
}

export interface ActionRecordContext {
  clusterName: string;
  nodegroupName: string;
  remediationId?: string;
  trigger?: TriggerKind;
  now: Date;
}

/** Appends one record per done/failed action, in plan order (planned and skipped ones changed nothing). */
export async function recordActions(ledger: LedgerPort, actions: readonly Action[], context: ActionRecordContext): Promise<void> {
  const remediationId = context.remediationId ?? randomUUID();
  for (const action of actions) {
    if (action.status !== 'done' && action.status !== 'failed') continue;
    await ledger.append({
      kind: 'action',
      clusterName: context.clusterName,
      nodegroupName: context.nodegroupName,
      time: context.now.toISOString(),
      remediationId,
      trigger: context.trigger ?? 'manual',
      cause: causeOf(action),
      action,
    });
  }
}
