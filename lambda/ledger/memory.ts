/**
 * The remediation ledger and leases kept in this process only: what the CLI uses without a
 * ledger table, and what unit tests inject. Same semantics as the DynamoDB one, minus durability:
 * a cool-down or a half-done run is remembered within the run, not across runs.
 */
import type { LeaseResult, LedgerPort, LedgerRecord } from '../ports';

interface Lease {
  owner: string;
  expiresAt: number;
}

export class InMemoryLedger implements LedgerPort {
  readonly durable = false;
  private readonly records: LedgerRecord[] = [];
  private readonly leases = new Map<string, Lease>();

  async append(record: LedgerRecord): Promise<void> {
    this.records.push(structuredClone(record));
  }

  async history(
    clusterName: string,
    nodegroupName: string,
    options: { since?: string; limit?: number } = {},
  ): Promise<LedgerRecord[]> {
    const since = options.since ? Date.parse(options.since) : -Infinity;
    // Newest first; records of the same instant newest-appended first.
    const matching = this.records
      .filter((r) => r.clusterName === clusterName && r.nodegroupName === nodegroupName && Date.parse(r.time) >= since)
      .reverse()
      .sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
    return structuredClone(options.limit === undefined ? matching : matching.slice(0, options.limit));
  }

  async acquireLease(
    clusterName: string,
    nodegroupName: string,
    owner: string,
    ttlSeconds: number,
    now: Date,
  ): Promise<LeaseResult> {
    const key = `${clusterName}/${nodegroupName}`;
    const held = this.leases.get(key);
    if (held && held.owner !== owner && held.expiresAt > now.getTime()) {
      return { acquired: false, heldBy: held.owner, expiresAt: new Date(held.expiresAt).toISOString() };
    }
    this.leases.set(key, { owner, expiresAt: now.getTime() + ttlSeconds * 1000 });
    return { acquired: true };
  }

  async releaseLease(clusterName: string, nodegroupName: string, owner: string): Promise<void> {
    const key = `${clusterName}/${nodegroupName}`;
    if (this.leases.get(key)?.owner === owner) this.leases.delete(key);
  }
}
