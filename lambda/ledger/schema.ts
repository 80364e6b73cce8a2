/**
 * The one DynamoDB table of the deployed shape (contract section 8): leases and the remediation
 * ledger of every node group. The CDK construct, the DynamoDB adapter and the local `invoke`
 * (which creates the table in the emulator) all read this definition.
 *
 *   pk = "NODEGROUP#<cluster>/<nodegroup>"
 *   sk = "LEASE"                                  the lease: owner, expiresAt
 *   sk = "LEDGER#<ISO-8601 time>#<unique id>"    one ledger record (LedgerRecord as attributes)
 *   expiresAt = epoch seconds; DynamoDB TTL removes expired leases and old ledger records
 */
export const LEDGER_TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  timeToLiveAttribute: 'expiresAt',
  leaseSortKey: 'LEASE',
  ledgerSortKeyPrefix: 'LEDGER#',
  /** ledger records are kept 90 days: as far back as CloudTrail LookupEvents reaches */
  ledgerRetentionDays: 90,
} as const;

export function nodegroupPartitionKey(clusterName: string, nodegroupName: string): string {
  return `NODEGROUP#${clusterName}/${nodegroupName}`;
}
