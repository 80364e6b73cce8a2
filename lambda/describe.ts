/**
 * One sentence per action, for report reasons, the CLI and e-mail renderings. Pure: no engine
 * state, so rendering never imports the orchestrator.
 */
import { DEFAULT_ROUTE_CIDR, type EngineAction } from './model';

/** What one action does (or would do), e.g. "add route 0.0.0.0/0 -> nat-1 to rtb-1". */
export function describeAction(action: EngineAction): string {
  switch (action.type) {
    case 'CREATE_ROUTE':
      return `add route ${DEFAULT_ROUTE_CIDR} -> ${action.detail.natGatewayId} to ${action.resourceId}`;
    case 'REPLACE_ROUTE':
      return `replace the blackhole route ${DEFAULT_ROUTE_CIDR} in ${action.resourceId} with one to ${action.detail.natGatewayId}`;
    case 'REPLACE_INSTANCES': {
      const spared = action.detail.registeredSinceSnapshotInstanceIds ?? [];
      const ids = action.detail.instanceIds.filter((id) => !spared.includes(id));
      const kept = spared.length > 0 ? ` (kept ${spared.join(', ')}: registered as a node meanwhile)` : '';
      return `replace instance(s) ${ids.length > 0 ? ids.join(', ') : 'none'}${kept}`;
    }
    case 'SCALE_CYCLE':
      return `scale node group ${action.resourceId} to 0 and back`;
    case 'RESTORE_SCALING': {
      const o = action.detail.original;
      return `restore node group ${action.resourceId} to minSize ${o.minSize}, maxSize ${o.maxSize}, desiredSize ${o.desiredSize}`;
    }
    case 'CREATE_ACCESS_ENTRY':
      return `create an access entry for ${action.detail.principalArn} (type ${action.detail.type})`;
  }
}

/** The actions as one sentence, in order. */
export function describePlan(actions: readonly EngineAction[]): string {
  return actions.map(describeAction).join(', then ');
}
