import { diagnose } from '../../../lambda/diagnosis';
import { checkS3PathOfNotReadyNodes } from '../../../lambda/diagnosis/s3-path';
import type { Snapshot } from '../../../lambda/model';
import { plan } from '../../../lambda/plan';
import { addPrivateEndpoints, config, registerNode, SEED, seedSnapshot } from '../../fixtures/snapshots/builder';

/** The seed's new subnet (no 0.0.0.0/0 route) with every interface endpoint, its node registered but NotReady. */
function notReadyOnEndpointSubnet(s3RouteTableIds: string[]): Snapshot {
  const snapshot = seedSnapshot();
  addPrivateEndpoints(snapshot, s3RouteTableIds);
  for (const e of snapshot.network.vpcEndpoints) if (e.vpcEndpointType === 'Interface') e.subnetIds = [SEED.newSubnetId];
  registerNode(snapshot, snapshot.instances[0]!.instanceId, false);
  return snapshot;
}

const context = { config: config(), unregisteredInstanceIds: [], subnetPaths: [] };
const S3_ENDPOINT = 'vpce-0a1b2c3d4e5f60009';

describe('S3 path of NotReady nodes', () => {
  it('names the S3 gateway endpoint that is not on the NotReady node subnet table, with the modify-vpc-endpoint fix', () => {
    // Prepare: the s3 gateway endpoint serves only the private table, not the new subnet's.
    const snapshot = notReadyOnEndpointSubnet([SEED.privateRouteTableA]);

    // Act
    const findings = checkS3PathOfNotReadyNodes(snapshot, context);

    // Assess
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ code: 'VPC_ENDPOINT_NOT_SERVING', severity: 'error', remediable: false, resourceId: S3_ENDPOINT });
    expect(findings[0]!.evidence['fix']).toBe(`aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${S3_ENDPOINT} --add-route-table-ids ${SEED.newRouteTableId}`);
    expect(findings[0]!.evidence['instanceIds']).toEqual([snapshot.instances[0]!.instanceId]);
  });

  it('names the missing S3 gateway endpoint (MISSING_VPC_ENDPOINTS s3) when the VPC has none', () => {
    const snapshot = notReadyOnEndpointSubnet([]);
    snapshot.network.vpcEndpoints = snapshot.network.vpcEndpoints.filter((e) => e.vpcEndpointId !== S3_ENDPOINT);

    const [finding] = checkS3PathOfNotReadyNodes(snapshot, context);

    expect(finding).toMatchObject({ code: 'MISSING_VPC_ENDPOINTS', resourceId: SEED.newRouteTableId, evidence: expect.objectContaining({ services: ['s3'] }) });
    expect(finding!.evidence['fix']).toBe(
      `aws ec2 create-vpc-endpoint --vpc-id ${SEED.vpcId} --vpc-endpoint-type Gateway --service-name com.amazonaws.us-west-2.s3 --route-table-ids ${SEED.newRouteTableId}`,
    );
  });

  it('names an S3 gateway endpoint on the table that is not available', () => {
    const snapshot = notReadyOnEndpointSubnet([SEED.newRouteTableId]);
    snapshot.network.vpcEndpoints.find((e) => e.vpcEndpointId === S3_ENDPOINT)!.state = 'pending';

    const [finding] = checkS3PathOfNotReadyNodes(snapshot, context);

    expect(finding?.message).toContain('is pending, not available');
  });

  it('is silent when the S3 gateway endpoint serves the table, when the node is Ready, or when the table has a 0.0.0.0/0 route', () => {
    const served = notReadyOnEndpointSubnet([SEED.newRouteTableId]);
    const ready = notReadyOnEndpointSubnet([]);
    ready.registration.nodes[0]!.ready = true;
    const withRoute = notReadyOnEndpointSubnet([]);
    withRoute.network.routeTables
      .find((t) => t.routeTableId === SEED.newRouteTableId)!
      .routes.push({ destinationCidrBlock: '0.0.0.0/0', natGatewayId: SEED.natA, state: 'active', origin: 'CreateRoute' });

    expect([served, ready, withRoute].map((s) => checkS3PathOfNotReadyNodes(s, context))).toEqual([[], [], []]);
  });

  it('diagnose() reports it beside NODES_NOT_READY and the plan changes nothing', () => {
    const snapshot = notReadyOnEndpointSubnet([SEED.privateRouteTableA]);

    const diagnosis = diagnose(snapshot, config());

    expect(diagnosis.findings.map((f) => f.code)).toEqual(expect.arrayContaining(['NODES_NOT_READY', 'VPC_ENDPOINT_NOT_SERVING']));
    expect(plan(snapshot, diagnosis, config()).actions).toEqual([]);
  });
});
