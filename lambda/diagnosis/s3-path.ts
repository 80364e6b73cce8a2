/**
 * The S3 path of registered but NotReady nodes (contract sections 2 and 7.1, "Which causes are
 * final"): a node that reaches ec2, ecr.api, ecr.dkr and sts through interface endpoints but has
 * no S3 path registers, yet never turns Ready: ECR serves image layers from S3, so the VPC CNI
 * and kube-proxy images cannot be pulled. NODES_NOT_READY is judged the way
 * VPC_ENDPOINT_NOT_SERVING judges an unregistered instance's subnet: for each route table of the
 * NotReady nodes' subnets without a 0.0.0.0/0 route, an `available` S3 gateway endpoint must be on
 * that table.
 * - an S3 gateway endpoint on the table that is not `available`, or one in the VPC that is not on
 *   the table: VPC_ENDPOINT_NOT_SERVING (fix: `modify-vpc-endpoint --add-route-table-ids`);
 * - none in the VPC: MISSING_VPC_ENDPOINTS for s3 (fix: `create-vpc-endpoint --vpc-endpoint-type Gateway`).
 * Nothing here is remediable: the remediator never creates or changes VPC endpoints.
 *
 * Sources: Amazon EKS User Guide, "Deploy private clusters with limited internet access"
 * (the s3 gateway endpoint "to pull container images"); Amazon ECR User Guide, "Amazon ECR
 * interface VPC endpoints" (image layers are stored in S3).
 */
import type { InstanceInfo, Snapshot } from '../model';
import type { Finding } from '../report';
import { fixFor } from './endpoints';
import type { CauseCheck } from './index';
import { defaultRouteOf } from './network';
import { endpointEvidence, endpointServiceOf, isGatewayEndpoint, routeTableOfSubnet, s3GatewayEndpointsOn } from './node-path';
import { nodesByInstanceId } from './registration';

/** The instances whose Node is registered and NotReady (kubernetes-api source only). */
export function notReadyInstances(snapshot: Snapshot): InstanceInfo[] {
  const nodes = nodesByInstanceId(snapshot);
  return snapshot.instances.filter((i) => nodes.get(i.instanceId)?.ready === false);
}

export const checkS3PathOfNotReadyNodes: CauseCheck = (snapshot) => {
  const findings: Finding[] = [];
  const byTable = new Map<string, { subnetIds: Set<string>; instanceIds: string[] }>();
  for (const instance of notReadyInstances(snapshot)) {
    const table = routeTableOfSubnet(instance.subnetId, snapshot);
    // With a 0.0.0.0/0 route the node reaches S3 over it (or that route's own findings say why not).
    if (!table || defaultRouteOf(table)) continue;
    const entry = byTable.get(table.routeTableId) ?? { subnetIds: new Set<string>(), instanceIds: [] };
    entry.subnetIds.add(instance.subnetId);
    entry.instanceIds.push(instance.instanceId);
    byTable.set(table.routeTableId, entry);
  }

  for (const [routeTableId, { subnetIds: subnetSet, instanceIds }] of byTable) {
    const onTable = s3GatewayEndpointsOn(routeTableId, snapshot);
    if (onTable.some((e) => e.state.toLowerCase() === 'available')) continue;
    const subnetIds = [...subnetSet].sort();
    const serviceName = `com.amazonaws.${snapshot.region}.s3`;
    const why = `so the NotReady node(s) of ${subnetIds.join(', ')} (${instanceIds.join(', ')}) cannot pull their images (ECR serves image layers from S3)`;
    const elsewhere = snapshot.network.vpcEndpoints.find(
      (e) => e.vpcId === snapshot.network.vpcId && isGatewayEndpoint(e) && endpointServiceOf(e) === 's3' && e.state.toLowerCase() === 'available',
    );
    const endpoint = onTable[0] ?? elsewhere;
    if (!endpoint) {
      findings.push({
        code: 'MISSING_VPC_ENDPOINTS',
        severity: 'error',
        resourceId: routeTableId,
        message: `Route table ${routeTableId} has no 0.0.0.0/0 route and the VPC has no S3 gateway endpoint, ${why}.`,
        remediable: false,
        evidence: { routeTableId, subnetIds, instanceIds, services: ['s3'], serviceNames: [serviceName], fix: fixFor('s3', snapshot, subnetIds, routeTableId) },
      });
      continue;
    }
    const notOnTable = !endpoint.routeTableIds.includes(routeTableId);
    findings.push({
      code: 'VPC_ENDPOINT_NOT_SERVING',
      severity: 'error',
      resourceId: endpoint.vpcEndpointId,
      message: notOnTable
        ? `The s3 gateway endpoint ${endpoint.vpcEndpointId} is not on route table ${routeTableId} (no 0.0.0.0/0 route either), ${why}.`
        : `The s3 gateway endpoint ${endpoint.vpcEndpointId} on route table ${routeTableId} is ${endpoint.state}, not available, ${why}.`,
      remediable: false,
      evidence: {
        ...endpointEvidence(endpoint),
        routeTableIds: endpoint.routeTableIds,
        routeTableId,
        subnetIds,
        instanceIds,
        fix: notOnTable
          ? `aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${endpoint.vpcEndpointId} --add-route-table-ids ${routeTableId}`
          : `Check the endpoint: aws ec2 describe-vpc-endpoints --vpc-endpoint-ids ${endpoint.vpcEndpointId} (recreate it if it failed)`,
      },
    });
  }
  return findings;
};
