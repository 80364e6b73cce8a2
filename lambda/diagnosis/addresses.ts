/**
 * SUBNET_ADDRESSES_EXHAUSTED: the node group cannot reach its desired size because its subnets
 * have too few free IPv4 addresses (DescribeSubnets AvailableIpAddressCount). Auto Scaling then
 * fails the launch ("InsufficientFreeAddressesInSubnet") and EKS reports the health issue
 * InsufficientFreeAddresses. Recycling would make it worse (a terminated node's address is
 * not always free again before the replacement launches), so an error here is a blocker.
 *
 * Error: the instances still to launch exceed the free addresses of all the node group's subnets
 * together. Warning: one subnet is full but the others can take the launches.
 */
import type { Finding } from '../report';
import type { CauseCheck } from './index';
import { subnetOf } from './node-path';

export const checkSubnetAddresses: CauseCheck = (snapshot) => {
  const { nodegroup } = snapshot;
  const live = snapshot.instances.filter((i) => i.state === 'pending' || i.state === 'running').length;
  const needed = Math.max(0, nodegroup.scalingConfig.desiredSize - live);
  const subnets = nodegroup.subnetIds.map((id) => subnetOf(id, snapshot)).filter((s) => s?.availableIpAddressCount !== undefined);
  if (subnets.length === 0) return [];
  const free = Object.fromEntries(subnets.map((s) => [s!.subnetId, s!.availableIpAddressCount!]));
  const total = Object.values(free).reduce((a, b) => a + b, 0);
  const full = subnets.filter((s) => s!.availableIpAddressCount === 0).map((s) => s!.subnetId);
  const evidence = {
    nodegroupName: nodegroup.nodegroupName,
    desiredSize: nodegroup.scalingConfig.desiredSize,
    liveInstances: live,
    instancesToLaunch: needed,
    availableIpAddressCount: free,
    fix:
      `Free addresses in ${full.length > 0 ? full.join(', ') : Object.keys(free).join(', ')} (aws ec2 describe-network-interfaces ` +
      `--filters Name=subnet-id,Values=${(full.length > 0 ? full : Object.keys(free)).join(',')}) or give the node group subnets with free ` +
      `addresses: create a new node group with larger subnets (a managed node group's subnets cannot be changed).`,
  };
  const findings: Finding[] = [];
  if (needed > 0 && total < needed) {
    findings.push({
      code: 'SUBNET_ADDRESSES_EXHAUSTED',
      severity: 'error',
      resourceId: full[0] ?? Object.keys(free)[0] ?? nodegroup.nodegroupName,
      message:
        `Node group ${nodegroup.nodegroupName} needs ${needed} more instance(s) to reach its desired size ` +
        `${nodegroup.scalingConfig.desiredSize}, but its subnets have ${total} free IPv4 address(es) ` +
        `(${Object.entries(free).map(([id, n]) => `${id}: ${n}`).join(', ')}): launches fail with InsufficientFreeAddressesInSubnet.`,
      remediable: false,
      evidence,
    });
  } else if (full.length > 0 && needed > 0) {
    findings.push({
      code: 'SUBNET_ADDRESSES_EXHAUSTED',
      severity: 'warning',
      resourceId: full[0]!,
      message: `Subnet(s) ${full.join(', ')} of node group ${nodegroup.nodegroupName} have no free IPv4 address; launches go to its other subnets.`,
      remediable: false,
      evidence,
    });
  }
  return findings;
};
