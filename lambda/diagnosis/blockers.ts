/**
 * Blockers (contract sections 2 and 3): a finding of severity `error` on the path of the
 * unregistered instances that the tool may not fix. While any blocker stands, no route is
 * written and nothing is recycled — the plan reads this one list.
 *
 * The route family (NO_DEFAULT_ROUTE, SHARED_ROUTE_TABLE, NO_USABLE_NAT_GATEWAY, ...) is judged
 * per route table by plan.ts's own rules and is not listed here.
 */
import type { Finding, FindingCode } from '../report';

export const BLOCKER_CODES: ReadonlySet<FindingCode> = new Set<FindingCode>([
  // network side
  'MISSING_VPC_ENDPOINTS',
  'VPC_ENDPOINT_NOT_SERVING',
  'VPC_DNS_DISABLED',
  'ENDPOINT_ACCESS_DENIES_NODES',
  'SECURITY_GROUP_BLOCKS_CLUSTER',
  'NETWORK_ACL_BLOCKS_TRAFFIC',
  'SUBNET_ADDRESSES_EXHAUSTED',
  // identity and bootstrap side
  'NODE_ROLE_NOT_AUTHORIZED',
  'NODE_ROLE_MISSING_PERMISSIONS',
  'NODE_ROLE_TRUST_POLICY',
  'INSTANCE_PROFILE_MISMATCH',
  'INSTANCE_METADATA_DISABLED',
  'NODE_WEBHOOK_BLOCKING',
  'NODEGROUP_HEALTH_ISSUE',
  'CLUSTER_HEALTH_ISSUE',
]);

/** The findings that stop the plan: error, not remediable under this configuration, a blocker code. */
export function blockersOf(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.severity === 'error' && !f.remediable && BLOCKER_CODES.has(f.code));
}

/**
 * "NETWORK_ACL_BLOCKS_TRAFFIC on acl-1; NODE_ROLE_TRUST_POLICY on role/x (fix: aws iam ...)" — for
 * reasons: each blocker with the fix hint its evidence carries, when it has one.
 */
export function describeBlockers(blockers: readonly Finding[]): string {
  return blockers
    .map((b) => {
      const fix = typeof b.evidence['fix'] === 'string' ? ` (fix: ${b.evidence['fix']})` : '';
      return `${b.code} on ${b.resourceId}${fix}`;
    })
    .join('; ');
}
