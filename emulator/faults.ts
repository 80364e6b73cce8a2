/**
 * Injected faults: make matching calls slow, throttled, failing or denied, a given number of
 * times (from the scenario's `faults` or POST /_emulator/faults).
 */
import type { FaultError, ScenarioFault } from './scenario';

export interface ActiveFault extends ScenarioFault {
  id: string;
  /** calls it has affected so far */
  hits: number;
}

export interface FaultDecision {
  latencyMs: number;
  error?: FaultError;
  faultIds: string[];
}

export class FaultRegistry {
  private faults: ActiveFault[] = [];
  private nextId = 1;

  add(fault: ScenarioFault): ActiveFault {
    const active: ActiveFault = { ...fault, id: `fault-${this.nextId}`, hits: 0 };
    this.nextId += 1;
    this.faults.push(active);
    return active;
  }

  list(): ActiveFault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  remove(id: string): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    return this.faults.length < before;
  }

  clear(): void {
    this.faults = [];
  }

  /** Consumes one use of every fault matching the call; the first error wins, latencies add up. */
  decide(call: { service: string; operation: string; principalArn?: string }): FaultDecision {
    const decision: FaultDecision = { latencyMs: 0, faultIds: [] };
    for (const fault of this.faults) {
      if (fault.operation !== '*' && fault.operation !== call.operation) continue;
      if (fault.service && fault.service !== call.service) continue;
      if (fault.principalArn && fault.principalArn !== call.principalArn) continue;
      if (fault.count !== undefined && fault.hits >= fault.count) continue;
      fault.hits += 1;
      decision.faultIds.push(fault.id);
      decision.latencyMs += fault.latencyMs ?? 0;
      if (fault.error && !decision.error) decision.error = fault.error;
    }
    // Spent faults disappear so GET /_emulator/faults shows what is still armed.
    this.faults = this.faults.filter((f) => f.count === undefined || f.hits < f.count);
    return decision;
  }
}
