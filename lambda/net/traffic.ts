/**
 * How AWS filters one flow (pure), shared by the diagnosis and the emulator's world model:
 *
 * - Security groups (stateful): a flow is allowed when ANY rule of ANY group on the interface
 *   matches it (protocol, port range, peer); there is no deny and no order. The return traffic
 *   of an allowed flow is always allowed.
 *   https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html
 * - Network ACLs (stateless): entries are evaluated in ascending rule-number order and the FIRST
 *   entry matching the packet decides (allow or deny); the final `*` entry (rule 32767) denies
 *   everything not matched. Return traffic is judged on its own (the ephemeral ports).
 *   https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html
 *
 * Protocols: "tcp" | "udp" | "icmp" | "-1" (all: ports ignored), or their IANA numbers
 * ("6", "17", "1"), as the EC2 API accepts both.
 */
import { cidrTextContains } from './cidr';
import type { NetworkAclEntryInfo, NetworkAclInfo, PrefixListInfo, SecurityGroupInfo, SecurityGroupRuleInfo } from '../model';

const PROTOCOL_NAMES: Record<string, string> = { '6': 'tcp', '17': 'udp', '1': 'icmp', all: '-1' };

/** "6" -> "tcp", "all" -> "-1", "TCP" -> "tcp". */
export function normalizeProtocol(protocol: string): string {
  const lower = protocol.toLowerCase();
  return PROTOCOL_NAMES[lower] ?? lower;
}

/** TCP to the HTTPS port: what bootstrap sends to the cluster endpoint and the AWS APIs. */
export const HTTPS_PORT = 443;
/**
 * The ephemeral ports return traffic comes back to. AWS recommends allowing 1024-65535 in
 * network ACLs because clients pick their source port anywhere in it.
 * https://docs.aws.amazon.com/vpc/latest/userguide/nacl-ephemeral-ports.html
 */
export const EPHEMERAL_PORTS = { from: 1024, to: 65535 } as const;

/** The flow being judged: TCP on one port or a port range. */
export interface Flow {
  protocol: 'tcp' | 'udp';
  fromPort: number;
  toPort: number;
}

export const HTTPS_FLOW: Flow = { protocol: 'tcp', fromPort: HTTPS_PORT, toPort: HTTPS_PORT };
export const RETURN_FLOW: Flow = { protocol: 'tcp', fromPort: EPHEMERAL_PORTS.from, toPort: EPHEMERAL_PORTS.to };

function protocolMatches(ruleProtocol: string, flow: Flow): boolean {
  const p = normalizeProtocol(ruleProtocol);
  return p === '-1' || p === flow.protocol;
}

/** Whether the rule's ports cover the whole flow range ("-1" covers every port). */
function portsCover(rule: { protocol: string; fromPort?: number; toPort?: number }, flow: Flow): boolean {
  if (normalizeProtocol(rule.protocol) === '-1') return true;
  const from = rule.fromPort ?? 0;
  const to = rule.toPort ?? 65535;
  // AWS shows "all ports" of a tcp rule as -1 / -1 in some responses.
  if (from === -1 && to === -1) return true;
  return from <= flow.fromPort && to >= flow.toPort;
}

/** The other end of a flow, as security group rules can name it. */
export interface Peer {
  /** a CIDR block the peer's address lies in (a /32 for one address, 0.0.0.0/0 for "anywhere on the internet") */
  cidr?: string;
  /** security groups on the peer's network interface */
  groupIds?: readonly string[];
  /** the destination is this prefix list itself (e.g. the S3 gateway endpoint's pl-…) */
  prefixListIds?: readonly string[];
}

function rulePeerMatches(rule: SecurityGroupRuleInfo, peer: Peer, prefixLists: readonly PrefixListInfo[]): boolean {
  if (rule.referencedGroupId && peer.groupIds?.includes(rule.referencedGroupId)) return true;
  if (rule.cidrIpv4 && peer.cidr && cidrTextContains(rule.cidrIpv4, peer.cidr)) return true;
  if (rule.prefixListId) {
    if (peer.prefixListIds?.includes(rule.prefixListId)) return true;
    const list = prefixLists.find((l) => l.prefixListId === rule.prefixListId);
    if (list && peer.cidr && list.cidrs.some((c) => cidrTextContains(c, peer.cidr!))) return true;
  }
  return false;
}

/** "tcp 443 from sg-1", "all traffic to 0.0.0.0/0": for evidence. */
export function describeSecurityGroupRule(rule: SecurityGroupRuleInfo, direction: 'ingress' | 'egress'): string {
  const protocol = normalizeProtocol(rule.protocol);
  const what = protocol === '-1' ? 'all traffic' : `${protocol} ${rule.fromPort === rule.toPort ? rule.fromPort : `${rule.fromPort}-${rule.toPort}`}`;
  const peer = rule.referencedGroupId ?? rule.prefixListId ?? rule.cidrIpv4 ?? '(no peer)';
  return `${what} ${direction === 'ingress' ? 'from' : 'to'} ${peer}`;
}

export interface SecurityGroupMatch {
  groupId: string;
  rule: SecurityGroupRuleInfo;
}

/**
 * The first rule (in group, then rule order) of `groupIds` that lets `flow` through in
 * `direction` with `peer`, or undefined when the groups block it. Groups not found in
 * `groups` contribute no rule.
 */
export function securityGroupsAllow(
  groupIds: readonly string[],
  groups: readonly SecurityGroupInfo[],
  direction: 'ingress' | 'egress',
  flow: Flow,
  peer: Peer,
  prefixLists: readonly PrefixListInfo[] = [],
): SecurityGroupMatch | undefined {
  for (const groupId of groupIds) {
    const group = groups.find((g) => g.groupId === groupId);
    for (const rule of group?.[direction] ?? []) {
      if (protocolMatches(rule.protocol, flow) && portsCover(rule, flow) && rulePeerMatches(rule, peer, prefixLists)) {
        return { groupId, rule };
      }
    }
  }
  return undefined;
}

export interface AclDecision {
  action: 'allow' | 'deny';
  /** the deciding entry's rule number; 32767 (`*`) for the implicit final deny */
  ruleNumber: number;
  /** the deciding entry, absent for the implicit deny */
  entry?: NetworkAclEntryInfo;
}

export const IMPLICIT_DENY_RULE_NUMBER = 32767;

/**
 * How a network ACL treats `flow` in one direction for a peer inside `cidr`: entries in
 * ascending rule-number order, the first whose protocol matches, whose ports cover the flow
 * and whose CIDR contains the peer's block decides; nothing matching = the implicit deny.
 * An entry that covers only part of the flow's ports or of the peer's block is skipped
 * (it decides for other packets, not for all of these).
 */
export function networkAclDecision(acl: NetworkAclInfo, egress: boolean, flow: Flow, cidr: string): AclDecision {
  const entries = acl.entries
    .filter((e) => e.egress === egress && e.ruleNumber < IMPLICIT_DENY_RULE_NUMBER)
    .sort((a, b) => a.ruleNumber - b.ruleNumber);
  for (const entry of entries) {
    if (!protocolMatches(entry.protocol, flow)) continue;
    if (!entry.cidrBlock || !cidrTextContains(entry.cidrBlock, cidr)) continue;
    if (normalizeProtocol(entry.protocol) !== '-1' && !portsOverlap(entry, flow)) continue;
    if (!portsCover(entry, flow)) {
      // A deny over part of the range blocks those packets: the flow is not fully allowed.
      if (entry.ruleAction === 'deny') return { action: 'deny', ruleNumber: entry.ruleNumber, entry };
      continue;
    }
    return { action: entry.ruleAction, ruleNumber: entry.ruleNumber, entry };
  }
  return { action: 'deny', ruleNumber: IMPLICIT_DENY_RULE_NUMBER };
}

function portsOverlap(entry: { fromPort?: number; toPort?: number }, flow: Flow): boolean {
  const from = entry.fromPort ?? 0;
  const to = entry.toPort ?? 65535;
  return from <= flow.toPort && to >= flow.fromPort;
}

/** "100 allow tcp 443 0.0.0.0/0", "* deny all": for evidence. */
export function describeAclDecision(decision: AclDecision): string {
  const e = decision.entry;
  if (!e) return '* deny (implicit final rule)';
  const protocol = normalizeProtocol(e.protocol);
  const ports = protocol === '-1' ? 'all' : `${protocol} ${e.fromPort === e.toPort ? e.fromPort : `${e.fromPort}-${e.toPort}`}`;
  return `${e.ruleNumber} ${e.ruleAction} ${ports} ${e.cidrBlock ?? ''}`.trim();
}

/** The ACL a subnet uses: its explicit association, else the VPC's default ACL. */
export function networkAclOf(subnetId: string, acls: readonly NetworkAclInfo[], vpcId: string): NetworkAclInfo | undefined {
  return (
    acls.find((a) => a.vpcId === vpcId && a.subnetIds.includes(subnetId)) ?? acls.find((a) => a.vpcId === vpcId && a.isDefault)
  );
}
