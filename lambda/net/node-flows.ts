/**
 * The flows a bootstrapping node needs, and which security group or network ACL stops one
 * (pure). Shared by the diagnosis (SECURITY_GROUP_BLOCKS_CLUSTER, NETWORK_ACL_BLOCKS_TRAFFIC,
 * VPC_ENDPOINT_NOT_SERVING) and the emulator's world model, so both judge one set of flows:
 *
 * - node -> AWS APIs, TCP 443: over the internet (NAT or internet gateway) to any address
 *   (0.0.0.0/0), or to the interface endpoints (their groups, the VPC's CIDR) and the S3 prefix list.
 * - node -> cluster endpoint, TCP 443: the private endpoint network interfaces (cluster
 *   security group, VPC CIDR) when private access is on, else the public endpoint (0.0.0.0/0).
 * - cluster security group admits TCP 443 from the node (private endpoint only); interface
 *   endpoints' groups admit TCP 443 from the node (an endpoint without groups admits the VPC CIDR).
 * - network ACLs (stateless) of the node's subnet and, via a NAT gateway, of the NAT's subnet:
 *   outbound TCP 443 and inbound return traffic on the ephemeral ports, for each destination.
 *
 * Sources: Amazon EKS User Guide, "View Amazon EKS security group requirements for clusters";
 * Amazon VPC User Guide, "Control subnet traffic with network access control lists".
 */
import type { NetworkAclInfo, PrefixListInfo, SecurityGroupInfo } from '../model';
import { cidrContainsIp } from './cidr';
import {
  HTTPS_FLOW,
  RETURN_FLOW,
  describeAclDecision,
  describeSecurityGroupRule,
  networkAclDecision,
  networkAclOf,
  securityGroupsAllow,
  type Peer,
} from './traffic';

export const INTERNET_CIDR = '0.0.0.0/0';

export interface NodeFlowInput {
  vpcId: string;
  vpcCidr: string;
  node: { subnetId: string; privateIp?: string; groupIds: readonly string[] };
  /** how the AWS APIs are reached */
  apis: 'internet' | 'vpc-endpoints';
  /** the NAT gateway's subnet when the internet is reached through one */
  natSubnetId?: string;
  /** whether nodes reach the cluster endpoint inside the VPC (private access on) */
  clusterEndpointPrivate: boolean;
  /** the groups on the cluster endpoint network interfaces (the cluster security group first) */
  clusterEndpointGroupIds: readonly string[];
  /** interface endpoints the node relies on (vpc-endpoints path) */
  interfaceEndpoints: readonly { vpcEndpointId: string; service: string; groupIds: readonly string[] }[];
  /** the S3 prefix list the gateway endpoint routes to (vpc-endpoints path) */
  s3PrefixListId?: string;
}

export type FlowProblemKind = 'node-egress' | 'cluster-ingress' | 'endpoint-ingress' | 'network-acl';

export interface FlowProblem {
  kind: FlowProblemKind;
  /** the group owner / ACL / endpoint at fault */
  resourceId: string;
  /** "TCP 443 to the cluster endpoint (sg-1, 10.42.0.0/16)" */
  what: string;
  evidence: Record<string, unknown>;
}

interface Destination {
  name: string;
  peer: Peer;
  /** the CIDR ACLs judge the destination by */
  cidr: string;
}

function describePeer(peer: Peer): string {
  return [...(peer.groupIds ?? []), ...(peer.prefixListIds ?? []), ...(peer.cidr ? [peer.cidr] : [])].join(', ');
}

/** Every flow of `input` that the security groups or network ACLs stop. Empty = nothing stops the node. */
export function nodeFlowProblems(
  input: NodeFlowInput,
  groups: readonly SecurityGroupInfo[],
  acls: readonly NetworkAclInfo[],
  prefixLists: readonly PrefixListInfo[],
): FlowProblem[] {
  const problems: FlowProblem[] = [];
  const destinations: Destination[] = [];
  if (input.apis === 'internet') {
    destinations.push({ name: 'the AWS APIs', peer: { cidr: INTERNET_CIDR }, cidr: INTERNET_CIDR });
  } else {
    for (const e of input.interfaceEndpoints) {
      destinations.push({ name: `the ${e.service} endpoint ${e.vpcEndpointId}`, peer: { cidr: input.vpcCidr, groupIds: e.groupIds }, cidr: input.vpcCidr });
    }
    if (input.s3PrefixListId) {
      const list = prefixLists.find((l) => l.prefixListId === input.s3PrefixListId);
      destinations.push({
        name: `S3 (${input.s3PrefixListId})`,
        // S3's addresses are public: a rule to the list itself, to its CIDRs or to 0.0.0.0/0 admits it
        peer: { prefixListIds: [input.s3PrefixListId], cidr: list?.cidrs[0] ?? INTERNET_CIDR },
        cidr: INTERNET_CIDR,
      });
    }
  }
  destinations.push(
    input.clusterEndpointPrivate
      ? { name: 'the cluster endpoint', peer: { cidr: input.vpcCidr, groupIds: input.clusterEndpointGroupIds }, cidr: input.vpcCidr }
      : { name: 'the cluster endpoint', peer: { cidr: INTERNET_CIDR }, cidr: INTERNET_CIDR },
  );

  // Security groups: the node's egress, then what the other side admits.
  const nodePeer: Peer = { groupIds: input.node.groupIds, ...(input.node.privateIp ? { cidr: `${input.node.privateIp}/32` } : {}) };
  for (const d of destinations) {
    if (!securityGroupsAllow(input.node.groupIds, groups, 'egress', HTTPS_FLOW, d.peer, prefixLists)) {
      problems.push({
        kind: 'node-egress',
        resourceId: input.node.groupIds[0] ?? '(no security group)',
        what: `TCP 443 to ${d.name} (${describePeer(d.peer)})`,
        evidence: { securityGroupIds: [...input.node.groupIds], direction: 'egress', destination: d.name, peer: describePeer(d.peer), egressRules: rulesOf(input.node.groupIds, groups, 'egress') },
      });
    }
  }
  if (input.clusterEndpointPrivate && !securityGroupsAllow(input.clusterEndpointGroupIds, groups, 'ingress', HTTPS_FLOW, nodePeer, prefixLists)) {
    problems.push({
      kind: 'cluster-ingress',
      resourceId: input.clusterEndpointGroupIds[0] ?? '(no cluster security group)',
      what: `TCP 443 from the node (${describePeer(nodePeer)}) into the cluster endpoint`,
      evidence: {
        securityGroupIds: [...input.clusterEndpointGroupIds],
        direction: 'ingress',
        nodeSecurityGroupIds: [...input.node.groupIds],
        ingressRules: rulesOf(input.clusterEndpointGroupIds, groups, 'ingress'),
      },
    });
  }
  if (input.apis === 'vpc-endpoints') {
    for (const e of input.interfaceEndpoints) {
      const admits =
        e.groupIds.length === 0
          ? input.node.privateIp === undefined || cidrContainsIp(input.vpcCidr, input.node.privateIp)
          : securityGroupsAllow(e.groupIds, groups, 'ingress', HTTPS_FLOW, nodePeer, prefixLists) !== undefined;
      if (!admits) {
        problems.push({
          kind: 'endpoint-ingress',
          resourceId: e.vpcEndpointId,
          what: `TCP 443 from the node (${describePeer(nodePeer)}) into the ${e.service} endpoint`,
          evidence: { vpcEndpointId: e.vpcEndpointId, service: e.service, securityGroupIds: [...e.groupIds], ingressRules: rulesOf(e.groupIds, groups, 'ingress') },
        });
      }
    }
  }

  // Network ACLs of the node's subnet, for every destination CIDR, then of the NAT gateway's subnet.
  const judged = new Set<string>();
  const judge = (subnetId: string, cidr: string, role: string): void => {
    const acl = networkAclOf(subnetId, acls, input.vpcId);
    if (!acl || judged.has(`${acl.networkAclId}|${cidr}`)) return;
    judged.add(`${acl.networkAclId}|${cidr}`);
    const out = networkAclDecision(acl, true, HTTPS_FLOW, cidr);
    const back = networkAclDecision(acl, false, RETURN_FLOW, cidr);
    for (const [decision, what] of [
      [out, `outbound TCP 443 to ${cidr}`],
      [back, `inbound TCP ${RETURN_FLOW.fromPort}-${RETURN_FLOW.toPort} (return traffic) from ${cidr}`],
    ] as const) {
      if (decision.action === 'allow') continue;
      problems.push({
        kind: 'network-acl',
        resourceId: acl.networkAclId,
        what: `${what} in the ACL of ${role} ${subnetId}`,
        evidence: {
          networkAclId: acl.networkAclId,
          subnetId,
          role,
          direction: decision === out ? 'egress' : 'ingress',
          cidr,
          decidingRule: describeAclDecision(decision),
          ruleNumber: decision.ruleNumber,
        },
      });
    }
  };
  for (const cidr of [...new Set(destinations.map((d) => d.cidr))]) judge(input.node.subnetId, cidr, 'the node subnet');
  if (input.apis === 'internet' && input.natSubnetId) judge(input.natSubnetId, INTERNET_CIDR, 'the NAT gateway subnet');
  return problems;
}

function rulesOf(groupIds: readonly string[], groups: readonly SecurityGroupInfo[], direction: 'ingress' | 'egress'): string[] {
  return groupIds.flatMap((id) => (groups.find((g) => g.groupId === id)?.[direction] ?? []).map((r) => `${id}: ${describeSecurityGroupRule(r, direction)}`));
}
