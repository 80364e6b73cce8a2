/**
 * ENDPOINT_ACCESS_DENIES_NODES: the cluster endpoint is public only and its publicAccessCidrs do
 * not include the address the unregistered instances leave from: their NAT gateway's public IP
 * (0.0.0.0/0 -> NAT) or their own public IP (0.0.0.0/0 -> internet gateway). For a subnet whose
 * route the plan would write, the address is that of the NAT gateway it may choose: the NAT
 * choice only takes NAT gateways whose public IP is allowed (nat.ts), so the finding stands when
 * usable NAT gateways exist but none is allowed.
 *
 * Source: Amazon EKS User Guide, "Cluster API server endpoint" (public access CIDR blocks: with
 * private access off, nodes reach the endpoint from the internet and must be inside them).
 */
import type { Snapshot } from '../model';
import type { Finding } from '../report';
import type { CauseCheck } from './index';
import { endpointAccessCidrs, natGatewayRejection } from './nat';
import { publicAccessAllows, unregisteredBySubnet } from './node-path';

function fixFor(snapshot: Snapshot, addresses: string[], cidrs: readonly string[]): string {
  const wanted = [...new Set([...cidrs, ...addresses.map((ip) => `${ip}/32`)])].join(',');
  return (
    `aws eks update-cluster-config --name ${snapshot.cluster.name} --resources-vpc-config publicAccessCidrs=${wanted} ` +
    `(or turn on private access: --resources-vpc-config endpointPrivateAccess=true)`
  );
}

export const checkEndpointAccess: CauseCheck = (snapshot, context) => {
  const cidrs = endpointAccessCidrs(snapshot.cluster);
  if (!cidrs) return [];
  const findings: Finding[] = [];
  const paths = new Map(context.subnetPaths.map((p) => [p.subnetId, p]));
  for (const [subnetId, instances] of unregisteredBySubnet(snapshot, context.unregisteredInstanceIds)) {
    const path = paths.get(subnetId);
    if (!path) continue;
    const evidenceBase = { subnetId, publicAccessCidrs: cidrs, endpointPublicAccess: true, endpointPrivateAccess: false };
    if (path.egress === 'nat' && path.defaultRoute?.natGatewayId) {
      const nat = snapshot.network.natGateways.find((n) => n.natGatewayId === path.defaultRoute!.natGatewayId);
      if (!nat?.publicIp || publicAccessAllows(snapshot.cluster, nat.publicIp)) continue;
      findings.push({
        code: 'ENDPOINT_ACCESS_DENIES_NODES',
        severity: 'error',
        resourceId: snapshot.cluster.name,
        message:
          `Instances in ${subnetId} leave through NAT gateway ${nat.natGatewayId} from ${nat.publicIp}, which is outside the ` +
          `public access CIDRs of ${snapshot.cluster.name} (${cidrs.join(', ')}); its endpoint is public only, so it refuses them.`,
        remediable: false,
        evidence: { ...evidenceBase, natGatewayId: nat.natGatewayId, sourceAddress: nat.publicIp, fix: fixFor(snapshot, [nat.publicIp], cidrs) },
      });
    } else if (path.egress === 'internet-gateway') {
      const denied = instances.filter((i) => i.publicIpAddress && !publicAccessAllows(snapshot.cluster, i.publicIpAddress));
      if (denied.length === 0) continue;
      const addresses = denied.map((i) => i.publicIpAddress!);
      findings.push({
        code: 'ENDPOINT_ACCESS_DENIES_NODES',
        severity: 'error',
        resourceId: snapshot.cluster.name,
        message:
          `Instances ${denied.map((i) => `${i.instanceId} (${i.publicIpAddress})`).join(', ')} in ${subnetId} reach the public-only ` +
          `endpoint of ${snapshot.cluster.name} from addresses outside its public access CIDRs (${cidrs.join(', ')}).`,
        remediable: false,
        evidence: { ...evidenceBase, instanceIds: denied.map((i) => i.instanceId), sourceAddresses: addresses, fix: fixFor(snapshot, addresses, cidrs) },
      });
    } else if (path.egress === 'none' || path.egress === 'blackhole') {
      // The route the plan may write goes through a NAT gateway: does any usable one come from an allowed address?
      const usable = snapshot.network.natGateways.filter((n) => natGatewayRejection(n, snapshot.network) === undefined);
      if (usable.length === 0 || usable.some((n) => natGatewayRejection(n, snapshot.network, cidrs) === undefined)) continue;
      const addresses = usable.map((n) => n.publicIp).filter((ip): ip is string => !!ip);
      findings.push({
        code: 'ENDPOINT_ACCESS_DENIES_NODES',
        severity: 'error',
        resourceId: snapshot.cluster.name,
        message:
          `Instances in ${subnetId} have no route out, and every usable NAT gateway (${usable.map((n) => `${n.natGatewayId} ${n.publicIp ?? '(no public IP)'}`).join(', ')}) ` +
          `sends from outside the public access CIDRs of ${snapshot.cluster.name} (${cidrs.join(', ')}): a NAT route would not let the nodes join.`,
        remediable: false,
        evidence: { ...evidenceBase, natGatewayIds: usable.map((n) => n.natGatewayId), sourceAddresses: addresses, fix: fixFor(snapshot, addresses, cidrs) },
      });
    }
  }
  return findings;
};
