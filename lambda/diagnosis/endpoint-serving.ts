/**
 * VPC_ENDPOINT_NOT_SERVING: on a subnet whose nodes reach AWS through VPC endpoints, an endpoint
 * the path relies on does not serve them: not `available`, private DNS off (the service's
 * public name then resolves to public addresses the subnet cannot reach), or its security
 * groups do not admit TCP 443 from the instances (their groups or addresses). An S3 gateway
 * endpoint that is not `available` stops image pulls. An interface endpoint with no network
 * interface in the instance's AZ still serves (traffic crosses AZs): a warning at most.
 * A missing endpoint or an S3 gateway endpoint not on the subnet's table is MISSING_VPC_ENDPOINTS.
 * Source: Amazon EKS User Guide, "Deploy private clusters with limited internet access".
 */
import type { VpcEndpointInfo } from '../model';
import type { Finding } from '../report';
import type { CauseCheck } from './index';
import {
  bootstrapInterfaceEndpoints,
  endpointEvidence,
  endpointServiceOf,
  isEndpointOnly,
  routeTableOfSubnet,
  s3GatewayEndpointsOn,
  subnetOf,
  unregisteredBySubnet,
  unregisteredFlowProblems,
} from './node-path';

export const checkEndpointServing: CauseCheck = (snapshot, context) => {
  const findings: Finding[] = [];
  const paths = new Map(context.subnetPaths.map((p) => [p.subnetId, p]));
  const endpointSubnets = [...unregisteredBySubnet(snapshot, context.unregisteredInstanceIds).keys()].filter((subnetId) => {
    const table = routeTableOfSubnet(subnetId, snapshot);
    return paths.get(subnetId)?.egress === 'vpc-endpoints' || (table !== undefined && isEndpointOnly(table, snapshot));
  });
  if (endpointSubnets.length === 0) return findings;

  const reported = new Set<string>();
  const push = (endpoint: VpcEndpointInfo, severity: 'error' | 'warning', why: string, fix: string, extra: Record<string, unknown> = {}) => {
    const key = `${endpoint.vpcEndpointId}|${why}`;
    if (reported.has(key)) return;
    reported.add(key);
    findings.push({
      code: 'VPC_ENDPOINT_NOT_SERVING',
      severity,
      resourceId: endpoint.vpcEndpointId,
      message: `The ${endpointServiceOf(endpoint)} endpoint ${endpoint.vpcEndpointId} ${why}, so it does not serve the nodes of ${endpointSubnets.join(', ')}.`,
      remediable: false,
      evidence: {
        ...endpointEvidence(endpoint),
        privateDnsEnabled: endpoint.privateDnsEnabled ?? null,
        securityGroupIds: endpoint.securityGroupIds ?? [],
        endpointSubnetIds: endpoint.subnetIds,
        subnetIds: endpointSubnets,
        ...extra,
        fix,
      },
    });
  };

  for (const endpoint of bootstrapInterfaceEndpoints(snapshot)) {
    if (endpoint.state.toLowerCase() !== 'available') {
      push(endpoint, 'error', `is ${endpoint.state}, not available`, `Check the endpoint: aws ec2 describe-vpc-endpoints --vpc-endpoint-ids ${endpoint.vpcEndpointId} (recreate it if it failed)`);
      continue;
    }
    if (endpoint.privateDnsEnabled === false) {
      push(
        endpoint,
        'error',
        'has private DNS off (the public service name does not resolve to it)',
        `aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${endpoint.vpcEndpointId} --private-dns-enabled`,
      );
    }
    const azs = new Set(endpoint.subnetIds.map((id) => subnetOf(id, snapshot)?.availabilityZone).filter(Boolean));
    const uncovered = endpointSubnets.filter((id) => {
      const az = subnetOf(id, snapshot)?.availabilityZone;
      return az !== undefined && endpoint.subnetIds.length > 0 && !azs.has(az);
    });
    if (uncovered.length > 0) {
      push(
        endpoint,
        'warning',
        `has no network interface in the AZ of ${uncovered.join(', ')} (it still serves them, across AZs)`,
        `aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${endpoint.vpcEndpointId} --add-subnet-ids ${uncovered.join(' ')}`,
      );
    }
  }
  for (const subnetId of endpointSubnets) {
    const table = routeTableOfSubnet(subnetId, snapshot);
    for (const s3 of table ? s3GatewayEndpointsOn(table.routeTableId, snapshot) : []) {
      if (s3.state.toLowerCase() !== 'available') {
        push(s3, 'error', `is ${s3.state}, not available`, `Check the endpoint: aws ec2 describe-vpc-endpoints --vpc-endpoint-ids ${s3.vpcEndpointId}`);
      }
    }
  }
  for (const { problem, instanceIds } of unregisteredFlowProblems(snapshot, context.unregisteredInstanceIds, context.subnetPaths)) {
    if (problem.kind !== 'endpoint-ingress') continue;
    const endpoint = snapshot.network.vpcEndpoints.find((e) => e.vpcEndpointId === problem.resourceId);
    if (!endpoint) continue;
    const nodeGroups = snapshot.instances.find((i) => i.instanceId === instanceIds[0])?.securityGroupIds ?? [];
    push(
      endpoint,
      'error',
      `has security groups (${(endpoint.securityGroupIds ?? []).join(', ')}) that do not admit TCP 443 from the instances`,
      `aws ec2 authorize-security-group-ingress --group-id ${(endpoint.securityGroupIds ?? [])[0]} --protocol tcp --port 443 --source-group ${nodeGroups[0] ?? '<node security group>'}`,
      { instanceIds, ingressRules: problem.evidence['ingressRules'] },
    );
  }
  return findings;
};
