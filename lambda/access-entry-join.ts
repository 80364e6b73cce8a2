/**
 * After CREATE_ACCESS_ENTRY: the refused nodes keep retrying (kubelet), so the run first waits
 * for them to register; only the instances still unregistered when the wait ends are replaced
 * (plan.ts planAfterAccessEntry decides which, execute.ts does it).
 */
import { executePlan, type ExecuteOptions } from './execute';
import type { Diagnosis, Snapshot } from './model';
import { planAfterAccessEntry } from './plan';
import type { Ports } from './ports';
import type { EngineAction } from './model';
import type { Verification } from './report';
import { verifyJoin, type VerifyOptions } from './verify';
import type { Config } from './config';

export interface AccessEntryJoin {
  verification: Verification;
  /** the REPLACE_INSTANCES of the instances that never registered, when any */
  actions: EngineAction[];
  unresolvedReason?: string;
}

export async function joinAfterAccessEntry(
  ports: Ports,
  snapshot: Snapshot,
  diagnosis: Diagnosis,
  config: Pick<Config, 'graceSeconds' | 'recycle' | 'natGatewayId' | 'allowSharedRouteTables'>,
  verify: Omit<VerifyOptions, 'replacedInstanceIds'>,
  execute: Omit<ExecuteOptions, 'dryRun'>,
): Promise<AccessEntryJoin> {
  const verification = await verifyJoin(ports, snapshot, { ...verify, replacedInstanceIds: [] });
  if (verification.status === 'joined' || !execute.registrationNow) return { verification, actions: [] };
  const now = await execute.registrationNow();
  const still = new Set(diagnosis.unregisteredInstanceIds.filter((id) => !now.registeredInstanceIds.has(id)));
  const followUp = planAfterAccessEntry(snapshot, diagnosis, config, still);
  if (followUp.actions.length === 0) {
    return { verification, actions: [], ...(followUp.unresolvedReason ? { unresolvedReason: followUp.unresolvedReason } : {}) };
  }
  const execution = await executePlan(followUp, ports, { ...execute, dryRun: false });
  return {
    verification: { ...verification, status: 'pending' },
    actions: execution.actions,
    ...(followUp.unresolvedReason ? { unresolvedReason: followUp.unresolvedReason } : {}),
  };
}
