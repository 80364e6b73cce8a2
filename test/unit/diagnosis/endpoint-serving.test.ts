import { diagnose } from '../../../lambda/diagnosis';
import type { Snapshot } from '../../../lambda/model';
import { plan } from '../../../lambda/plan';
import { addPrivateEndpoints, config, SEED, seedSnapshot } from '../../fixtures/snapshots/builder';

/** The seed's new subnet served by every endpoint it needs (no 0.0.0.0/0 route). */
function endpointSubnet(): Snapshot {
  const snapshot = seedSnapshot();
  addPrivateEndpoints(snapshot, [SEED.newRouteTableId]);
  for (const e of snapshot.network.vpcEndpoints) if (e.vpcEndpointType === 'Interface') e.subnetIds = [SEED.newSubnetId];
  return snapshot;
}

const endpoint = (snapshot: Snapshot, service: string) => snapshot.network.vpcEndpoints.find((e) => e.serviceName.endsWith(`.${service}`))!;

describe('VPC_ENDPOINT_NOT_SERVING', () => {
  it('names the ec2 endpoint whose private DNS is off (present is not serving) and writes nothing', () => {
    // Prepare
    const snapshot = endpointSubnet();
    endpoint(snapshot, 'ec2').privateDnsEnabled = false;

    // Act
    const diagnosis = diagnose(snapshot, config());

    // Assess
    const finding = diagnosis.findings.find((f) => f.code === 'VPC_ENDPOINT_NOT_SERVING');
    expect(finding).toMatchObject({ severity: 'error', remediable: false, resourceId: endpoint(snapshot, 'ec2').vpcEndpointId });
    expect(finding!.evidence['fix']).toBe(`aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${endpoint(snapshot, 'ec2').vpcEndpointId} --private-dns-enabled`);
    expect(plan(snapshot, diagnosis, config()).actions).toEqual([]);
  });

  it('names an endpoint that is not available', () => {
    const snapshot = endpointSubnet();
    endpoint(snapshot, 'sts').state = 'pendingAcceptance';

    const finding = diagnose(snapshot, config()).findings.find((f) => f.code === 'VPC_ENDPOINT_NOT_SERVING');

    expect(finding?.message).toContain('is pendingAcceptance, not available');
  });

  it('names endpoint security groups that do not admit TCP 443 from the nodes', () => {
    const snapshot = endpointSubnet();
    snapshot.network.vpc = { vpcId: SEED.vpcId, cidrBlock: '10.42.0.0/16', enableDnsSupport: true, enableDnsHostnames: true, domainNameServers: ['AmazonProvidedDNS'] };
    snapshot.cluster.clusterSecurityGroupId = 'sg-cluster';
    snapshot.network.securityGroups = [
      { groupId: 'sg-cluster', vpcId: SEED.vpcId, ingress: [{ protocol: '-1', referencedGroupId: 'sg-cluster' }], egress: [{ protocol: '-1', cidrIpv4: '0.0.0.0/0' }] },
      { groupId: 'sg-vpce', vpcId: SEED.vpcId, ingress: [{ protocol: 'tcp', fromPort: 443, toPort: 443, cidrIpv4: '10.99.0.0/16' }], egress: [] },
    ];
    Object.assign(snapshot.instances[0]!, { securityGroupIds: ['sg-cluster'], privateIpAddress: '10.42.200.17' });
    endpoint(snapshot, 'ecr.dkr').securityGroupIds = ['sg-vpce'];

    const finding = diagnose(snapshot, config()).findings.find((f) => f.code === 'VPC_ENDPOINT_NOT_SERVING');

    expect(finding?.resourceId).toBe(endpoint(snapshot, 'ecr.dkr').vpcEndpointId);
    expect(finding?.evidence['fix']).toBe('aws ec2 authorize-security-group-ingress --group-id sg-vpce --protocol tcp --port 443 --source-group sg-cluster');
  });

  it('an interface in another AZ still serves: a warning, never a blocker', () => {
    const snapshot = endpointSubnet();
    endpoint(snapshot, 'ec2').subnetIds = [SEED.privateSubnetB]; // us-west-2b; the node is in us-west-2a

    const findings = diagnose(snapshot, config()).findings.filter((f) => f.code === 'VPC_ENDPOINT_NOT_SERVING');

    expect(findings.map((f) => f.severity)).toEqual(['warning']);
  });

  it('is silent for a complete, serving endpoint path', () => {
    expect(diagnose(endpointSubnet(), config()).findings.map((f) => f.code)).not.toContain('VPC_ENDPOINT_NOT_SERVING');
  });
});
