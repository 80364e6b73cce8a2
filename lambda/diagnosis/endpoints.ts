/**
 * MISSING_VPC_ENDPOINTS (contract sections 2 and 3): a subnet of unregistered instances that is
 * endpoint-only by design (no 0.0.0.0/0 route; an S3 gateway endpoint on its table or interface
 * endpoints for any of ec2, ecr.api, ecr.dkr, sts in the VPC) but lacks some of them. The answer
 * is the missing endpoint, not internet egress: the finding is a blocker unless
 * `--allow-internet-egress` lets the plan write a NAT route there (plan.ts enforces that rule).
 *
 * Source: Amazon EKS User Guide, "Deploy private clusters with limited internet access" (the
 * interface endpoints ec2, ecr.api, ecr.dkr, sts and the s3 gateway endpoint nodes need).
 */
import type { Snapshot } from '../model';
import type { Finding } from '../report';
import type { CauseCheck } from './index';
import {
  INTERFACE_ENDPOINT_SERVICES,
  bootstrapInterfaceEndpoints,
  endpointServiceOf,
  isEndpointOnly,
  routeTableOfSubnet,
  s3GatewayEndpointsOn,
  unregisteredBySubnet,
} from './node-path';

/** The bootstrap services with no endpoint (in any state) for a subnet whose table is `routeTableId`. */
export function missingEndpointServices(routeTableId: string, snapshot: Snapshot): string[] {
  const present = new Set(bootstrapInterfaceEndpoints(snapshot).map(endpointServiceOf));
  const missing: string[] = INTERFACE_ENDPOINT_SERVICES.filter((s) => !present.has(s));
  if (s3GatewayEndpointsOn(routeTableId, snapshot).length === 0) missing.push('s3');
  return missing;
}

/** The `aws ec2 create-vpc-endpoint` command that adds `service`'s endpoint (Gateway for s3, on `routeTableId`). */
export function fixFor(service: string, snapshot: Snapshot, subnetIds: string[], routeTableId: string): string {
  const name = `com.amazonaws.${snapshot.region}.${service}`;
  if (service === 's3') {
    return `aws ec2 create-vpc-endpoint --vpc-id ${snapshot.network.vpcId} --vpc-endpoint-type Gateway --service-name ${name} --route-table-ids ${routeTableId}`;
  }
  return (
    `aws ec2 create-vpc-endpoint --vpc-id ${snapshot.network.vpcId} --vpc-endpoint-type Interface --service-name ${name} ` +
    `--subnet-ids ${subnetIds.join(' ')} --private-dns-enabled --security-group-ids <a group admitting TCP 443 from the nodes>`
  );
}

export const checkMissingEndpoints: CauseCheck = (snapshot, context) => {
  const findings: Finding[] = [];
  const byTable = new Map<string, string[]>();
  for (const subnetId of unregisteredBySubnet(snapshot, context.unregisteredInstanceIds).keys()) {
    const table = routeTableOfSubnet(subnetId, snapshot);
    if (!table || !isEndpointOnly(table, snapshot)) continue;
    byTable.set(table.routeTableId, [...(byTable.get(table.routeTableId) ?? []), subnetId]);
  }
  for (const [routeTableId, subnetIds] of byTable) {
    const services = missingEndpointServices(routeTableId, snapshot);
    const privateAccessOff = !snapshot.cluster.endpointPrivateAccess;
    if (services.length === 0 && !privateAccessOff) continue;
    const allowed = context.config.allowInternetEgress === true;
    const fixes = services.map((s) => fixFor(s, snapshot, subnetIds, routeTableId));
    if (privateAccessOff) {
      fixes.push(`aws eks update-cluster-config --name ${snapshot.cluster.name} --resources-vpc-config endpointPrivateAccess=true`);
    }
    const what = [
      ...(services.length > 0 ? [`VPC endpoints for ${services.join(', ')}`] : []),
      ...(privateAccessOff ? ['private access to the cluster endpoint'] : []),
    ].join(' and ');
    findings.push({
      code: 'MISSING_VPC_ENDPOINTS',
      severity: 'error',
      resourceId: routeTableId,
      message:
        `Subnet(s) ${subnetIds.join(', ')} are endpoint-only by design (route table ${routeTableId} has no 0.0.0.0/0 route ` +
        `and the VPC has endpoints for the node bootstrap services), but lack ${what}. ` +
        (allowed
          ? 'Internet egress is allowed (--allow-internet-egress), so a NAT route may be written instead.'
          : 'The remediator does not give such a subnet internet egress (allow it with --allow-internet-egress): create the missing endpoints.'),
      remediable: allowed,
      evidence: {
        routeTableId,
        subnetIds,
        services,
        serviceNames: services.map((s) => `com.amazonaws.${snapshot.region}.${s}`),
        clusterEndpointPrivateAccess: snapshot.cluster.endpointPrivateAccess,
        presentEndpoints: snapshot.network.vpcEndpoints.map((e) => `${e.vpcEndpointId} ${e.serviceName} (${e.vpcEndpointType}, ${e.state})`),
        fix: fixes.join(' && '),
      },
    });
  }
  return findings;
};
