/**
 * NETWORK_ACL_BLOCKS_TRAFFIC: a network ACL of the unregistered instances' subnet, or of the NAT
 * gateway's subnet their traffic leaves through, denies outbound TCP 443 or the inbound return
 * traffic (ephemeral ports 1024-65535). Entries are judged as AWS does: ascending rule number,
 * the first match decides, the implicit `*` deny last (lambda/net/traffic.ts).
 * Source: Amazon VPC User Guide, "Network ACL rules" and "Ephemeral ports".
 */
import type { Finding } from '../report';
import type { CauseCheck } from './index';
import { unregisteredFlowProblems } from './node-path';

export const checkNetworkAcls: CauseCheck = (snapshot, context) => {
  const findings: Finding[] = [];
  for (const { problem, instanceIds } of unregisteredFlowProblems(snapshot, context.unregisteredInstanceIds, context.subnetPaths)) {
    if (problem.kind !== 'network-acl') continue;
    const e = problem.evidence;
    const egress = e['direction'] === 'egress';
    const ruleNumber = Number(e['ruleNumber']);
    const newRule = ruleNumber === 32767 ? 100 : Math.max(1, ruleNumber - 1);
    const fix =
      `aws ec2 create-network-acl-entry --network-acl-id ${problem.resourceId} --rule-number ${newRule} ${egress ? '--egress' : '--ingress'} ` +
      `--protocol tcp --port-range ${egress ? 'From=443,To=443' : 'From=1024,To=65535'} --cidr-block ${String(e['cidr'])} --rule-action allow` +
      (ruleNumber !== 32767 ? ` (or change rule ${ruleNumber}: aws ec2 replace-network-acl-entry ...)` : '');
    findings.push({
      code: 'NETWORK_ACL_BLOCKS_TRAFFIC',
      severity: 'error',
      resourceId: problem.resourceId,
      message: `Network ACL ${problem.resourceId} denies ${problem.what} (deciding rule: ${String(e['decidingRule'])}), so ${instanceIds.join(', ')} cannot join.`,
      remediable: false,
      evidence: { ...e, instanceIds, fix },
    });
  }
  return findings;
};
