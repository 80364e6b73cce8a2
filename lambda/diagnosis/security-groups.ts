/**
 * SECURITY_GROUP_BLOCKS_CLUSTER: the unregistered instances' security groups allow no egress
 * TCP 443 to the cluster endpoint or the AWS APIs / VPC endpoints they need, or the cluster
 * security group admits no TCP 443 from them (private endpoint). The typical cause: a launch
 * template that names its own groups, so EKS does not add the cluster security group, and the
 * cluster security group only admits itself.
 *
 * Rules are matched as AWS does (lambda/net/traffic.ts): any rule of any group, protocol "-1"
 * or the port inside the range, the peer as a CIDR, a referenced group or a prefix list.
 * Source: Amazon EKS User Guide, "View Amazon EKS security group requirements for clusters".
 */
import type { Finding } from '../report';
import type { CauseCheck } from './index';
import { unregisteredFlowProblems } from './node-path';

export const checkSecurityGroups: CauseCheck = (snapshot, context) => {
  const findings: Finding[] = [];
  const clusterGroup = snapshot.cluster.clusterSecurityGroupId;
  for (const { problem, instanceIds } of unregisteredFlowProblems(snapshot, context.unregisteredInstanceIds, context.subnetPaths)) {
    if (problem.kind !== 'node-egress' && problem.kind !== 'cluster-ingress') continue;
    const nodeGroups = snapshot.instances.find((i) => i.instanceId === instanceIds[0])?.securityGroupIds ?? [];
    const withoutClusterGroup = clusterGroup !== undefined && !nodeGroups.includes(clusterGroup);
    const fix =
      problem.kind === 'cluster-ingress'
        ? `aws ec2 authorize-security-group-ingress --group-id ${problem.resourceId} --protocol tcp --port 443 --source-group ${nodeGroups[0] ?? '<node security group>'}` +
          (withoutClusterGroup ? ` (or add ${clusterGroup} to the node group's launch template)` : '')
        : egressFix(problem.resourceId, String(problem.evidence['peer'] ?? ''));
    findings.push({
      code: 'SECURITY_GROUP_BLOCKS_CLUSTER',
      severity: 'error',
      resourceId: problem.resourceId,
      message:
        `Security group ${problem.resourceId} stops ${problem.what}, so ${instanceIds.join(', ')} cannot join` +
        (withoutClusterGroup ? ` (the instances do not carry the cluster security group ${clusterGroup}: a launch template names their groups)` : '') +
        '.',
      remediable: false,
      evidence: { ...problem.evidence, instanceIds, nodeSecurityGroupIds: nodeGroups, clusterSecurityGroupId: clusterGroup ?? null, fix },
    });
  }
  return findings;
};

/** authorize-security-group-egress for TCP 443 to the peer (a prefix list, else its CIDR). */
function egressFix(groupId: string, peer: string): string {
  const parts = peer.split(', ');
  const list = parts.find((p) => p.startsWith('pl-'));
  const cidr = parts.find((p) => p.includes('/')) ?? '0.0.0.0/0';
  const target = list ? `PrefixListIds=[{PrefixListId=${list}}]` : `IpRanges=[{CidrIp=${cidr}}]`;
  return `aws ec2 authorize-security-group-egress --group-id ${groupId} --ip-permissions 'IpProtocol=tcp,FromPort=443,ToPort=443,${target}'`;
}
