import { diagnose } from '../../../lambda/diagnosis';
import { plan } from '../../../lambda/plan';
import type { Snapshot } from '../../../lambda/model';
import { addPrivateEndpoints, config, SEED, seedSnapshot } from '../../fixtures/snapshots/builder';

/** The story: S3 gateway endpoint on the table, ecr.api, ecr.dkr and sts interface endpoints; ec2 missing. */
function endpointOnlyWithoutEc2(): Snapshot {
  const snapshot = seedSnapshot();
  addPrivateEndpoints(snapshot, [SEED.newRouteTableId]);
  snapshot.network.vpcEndpoints = snapshot.network.vpcEndpoints.filter((e) => !e.serviceName.endsWith('.ec2'));
  return snapshot;
}

describe('MISSING_VPC_ENDPOINTS and the endpoint-only rule', () => {
  it('names the missing ec2 endpoint and writes no NAT route, although a usable NAT gateway exists', () => {
    // Prepare
    const snapshot = endpointOnlyWithoutEc2();
    const cfg = config();

    // Act
    const diagnosis = diagnose(snapshot, cfg);
    const result = plan(snapshot, diagnosis, cfg);

    // Assess
    const finding = diagnosis.findings.find((f) => f.code === 'MISSING_VPC_ENDPOINTS');
    expect(finding).toMatchObject({
      severity: 'error',
      remediable: false,
      resourceId: SEED.newRouteTableId,
      evidence: expect.objectContaining({ services: ['ec2'], serviceNames: ['com.amazonaws.us-west-2.ec2'], subnetIds: [SEED.newSubnetId] }),
    });
    expect(String(finding!.evidence['fix'])).toMatch(/^aws ec2 create-vpc-endpoint --vpc-id vpc-\w+ --vpc-endpoint-type Interface --service-name com\.amazonaws\.us-west-2\.ec2/);
    expect(diagnosis.findings.find((f) => f.code === 'NO_DEFAULT_ROUTE')?.remediable).toBe(false);
    expect(result.actions).toEqual([]);
    expect(result.unresolvedReason).toContain('MISSING_VPC_ENDPOINTS');
  });

  it('plan refuses the NAT route on an endpoint-only subnet even when the diagnosis forgot the finding (rule 8)', () => {
    const snapshot = endpointOnlyWithoutEc2();
    const honest = diagnose(snapshot, config());

    const result = plan(snapshot, { ...honest, findings: honest.findings.filter((f) => f.code !== 'MISSING_VPC_ENDPOINTS') }, config());

    expect(result.actions).toEqual([]);
    expect(result.unresolvedReason).toMatch(/endpoint-only by design/);
  });

  it('writes the NAT route there with --allow-internet-egress', () => {
    const snapshot = endpointOnlyWithoutEc2();
    const cfg = config({ allowInternetEgress: true });

    const diagnosis = diagnose(snapshot, cfg);
    const result = plan(snapshot, diagnosis, cfg);

    expect(diagnosis.findings.find((f) => f.code === 'MISSING_VPC_ENDPOINTS')?.remediable).toBe(true);
    expect(result.actions.map((a) => a.type)).toEqual(['CREATE_ROUTE', 'REPLACE_INSTANCES']);
  });

  it('treats a table with only the S3 gateway endpoint as endpoint-only (every interface endpoint missing)', () => {
    const snapshot = seedSnapshot();
    addPrivateEndpoints(snapshot, [SEED.newRouteTableId]);
    snapshot.network.vpcEndpoints = snapshot.network.vpcEndpoints.filter((e) => e.vpcEndpointType === 'Gateway');

    const finding = diagnose(snapshot, config()).findings.find((f) => f.code === 'MISSING_VPC_ENDPOINTS');

    expect(finding?.evidence['services']).toEqual(['ec2', 'ecr.api', 'ecr.dkr', 'sts']);
  });

  it('names the missing S3 gateway endpoint of the subnet table when the interface endpoints exist', () => {
    const snapshot = seedSnapshot();
    addPrivateEndpoints(snapshot, [SEED.privateRouteTableA]);

    const finding = diagnose(snapshot, config()).findings.find((f) => f.code === 'MISSING_VPC_ENDPOINTS');

    expect(finding?.evidence['services']).toEqual(['s3']);
    expect(finding?.evidence['fix']).toBe(
      `aws ec2 create-vpc-endpoint --vpc-id ${SEED.vpcId} --vpc-endpoint-type Gateway --service-name com.amazonaws.us-west-2.s3 --route-table-ids ${SEED.newRouteTableId}`,
    );
  });

  it('is silent for a subnet without endpoints (not endpoint-only: the route is the fix)', () => {
    const snapshot = seedSnapshot();

    const diagnosis = diagnose(snapshot, config());

    expect(diagnosis.findings.map((f) => f.code)).not.toContain('MISSING_VPC_ENDPOINTS');
    expect(plan(snapshot, diagnosis, config()).actions.map((a) => a.type)).toEqual(['CREATE_ROUTE', 'REPLACE_INSTANCES']);
  });

  it('replaces a blackhole NAT route even when endpoints exist (the subnet had NAT egress)', () => {
    const snapshot = endpointOnlyWithoutEc2();
    const table = snapshot.network.routeTables.find((t) => t.routeTableId === SEED.newRouteTableId)!;
    table.routes.push({ destinationCidrBlock: '0.0.0.0/0', natGatewayId: 'nat-0dead0dead0dead00', state: 'blackhole', origin: 'CreateRoute' });

    const diagnosis = diagnose(snapshot, config());

    expect(diagnosis.findings.map((f) => f.code)).not.toContain('MISSING_VPC_ENDPOINTS');
    expect(plan(snapshot, diagnosis, config()).actions[0]?.type).toBe('REPLACE_ROUTE');
  });
});
