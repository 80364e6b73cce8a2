import { diagnose } from '../../../lambda/diagnosis';
import type { Snapshot } from '../../../lambda/model';
import type { Finding, FindingCode } from '../../../lambda/report';
import {
  addInstance,
  addPrivateEndpoints,
  config,
  SEED,
  seedSnapshot,
  setDefaultRoute,
  table,
} from '../../fixtures/snapshots/builder';

function only(findings: Finding[], code: FindingCode): Finding {
  const matching = findings.filter((f) => f.code === code);
  if (matching.length !== 1) throw new Error(`expected one ${code}, got ${JSON.stringify(findings.map((f) => f.code))}`);
  return matching[0]!;
}

function codes(findings: Finding[]): FindingCode[] {
  return findings.map((f) => f.code);
}

/** Moves the seed instance into the node group's second subnet, served by `routeTableId`. */
function withNewSubnetTable(snapshot: Snapshot, route: Parameters<typeof setDefaultRoute>[2]): void {
  setDefaultRoute(snapshot, SEED.newRouteTableId, route);
}

describe('route diagnosis', () => {
  it('finds the seed problem: NO_DEFAULT_ROUTE, remediable, with the routes seen and the NAT it would use', () => {
    // Prepare
    const snapshot = seedSnapshot();

    // Act
    const diagnosis = diagnose(snapshot, config());

    // Assess
    const finding = only(diagnosis.findings, 'NO_DEFAULT_ROUTE');
    expect(finding).toMatchObject({ severity: 'error', resourceId: SEED.newRouteTableId, remediable: true });
    expect(finding.evidence).toMatchObject({
      routeTableId: SEED.newRouteTableId,
      subnetIds: [SEED.newSubnetId],
      routes: ['10.42.0.0/16 -> local'],
      proposedNatGatewayId: SEED.natA,
      natCandidates: [`${SEED.natA} (us-west-2a): usable`, `${SEED.natB} (us-west-2b): usable`],
    });
    expect(diagnosis.subnetPaths).toEqual([
      {
        subnetId: SEED.newSubnetId,
        availabilityZone: 'us-west-2a',
        routeTableId: SEED.newRouteTableId,
        viaMainTable: false,
        shared: false,
        egress: 'none',
        hasPrivateEndpointPath: false,
      },
    ]);
  });

  it('uses the main route table when the subnet has no explicit association, and calls it shared', () => {
    const snapshot = seedSnapshot();
    table(snapshot, SEED.newRouteTableId).subnetIds = [];

    const diagnosis = diagnose(snapshot, config());

    expect(diagnosis.subnetPaths[0]).toMatchObject({ routeTableId: SEED.mainRouteTableId, viaMainTable: true, shared: true });
    expect(only(diagnosis.findings, 'NO_DEFAULT_ROUTE')).toMatchObject({ resourceId: SEED.mainRouteTableId, remediable: false });
    expect(only(diagnosis.findings, 'SHARED_ROUTE_TABLE')).toMatchObject({ severity: 'error', remediable: false });
  });

  it('flags a table that also serves a subnet outside the node group as SHARED_ROUTE_TABLE', () => {
    const snapshot = seedSnapshot();
    table(snapshot, SEED.newRouteTableId).subnetIds.push(SEED.privateSubnetB);

    const diagnosis = diagnose(snapshot, config());

    const shared = only(diagnosis.findings, 'SHARED_ROUTE_TABLE');
    expect(shared.evidence).toMatchObject({ otherSubnetIds: [SEED.privateSubnetB] });
    expect(only(diagnosis.findings, 'NO_DEFAULT_ROUTE').remediable).toBe(false);
  });

  it('makes a shared table remediable (warning) when shared tables are allowed', () => {
    const snapshot = seedSnapshot();
    table(snapshot, SEED.newRouteTableId).subnetIds.push(SEED.privateSubnetB);

    const diagnosis = diagnose(snapshot, config({ allowSharedRouteTables: true }));

    expect(only(diagnosis.findings, 'SHARED_ROUTE_TABLE')).toMatchObject({ severity: 'warning', remediable: true });
    expect(only(diagnosis.findings, 'NO_DEFAULT_ROUTE').remediable).toBe(true);
  });

  it('reports subnets of the node group sharing one table once, not as shared', () => {
    const snapshot = seedSnapshot();
    const secondSubnet = 'subnet-0e1d2c3b4a5968779';
    snapshot.network.subnets.push({ subnetId: secondSubnet, vpcId: SEED.vpcId, availabilityZone: 'us-west-2b', cidrBlock: '10.42.224.0/19', mapPublicIpOnLaunch: false });
    snapshot.nodegroup.subnetIds.push(secondSubnet);
    table(snapshot, SEED.newRouteTableId).subnetIds.push(secondSubnet);
    addInstance(snapshot, { instanceId: 'i-0aaaaaaaaaaaaaaa1', subnetId: secondSubnet });

    const diagnosis = diagnose(snapshot, config());

    expect(only(diagnosis.findings, 'NO_DEFAULT_ROUTE').evidence).toMatchObject({ subnetIds: [SEED.newSubnetId, secondSubnet] });
    expect(codes(diagnosis.findings)).not.toContain('SHARED_ROUTE_TABLE');
    expect(diagnosis.subnetPaths.map((p) => p.shared)).toEqual([false, false]);
  });

  it('reports a blackhole route to a deleted NAT gateway as remediable, naming the dead NAT gateway', () => {
    const snapshot = seedSnapshot();
    withNewSubnetTable(snapshot, { natGatewayId: 'nat-0dead0000000dead1', state: 'blackhole' });
    snapshot.network.natGateways.push({ natGatewayId: 'nat-0dead0000000dead1', subnetId: SEED.publicSubnetA, vpcId: SEED.vpcId, state: 'deleted', connectivityType: 'public' });

    const diagnosis = diagnose(snapshot, config());

    expect(only(diagnosis.findings, 'BLACKHOLE_DEFAULT_ROUTE')).toMatchObject({ resourceId: SEED.newRouteTableId, remediable: true });
    expect(only(diagnosis.findings, 'NAT_GATEWAY_NOT_AVAILABLE')).toMatchObject({
      resourceId: 'nat-0dead0000000dead1',
      remediable: true,
      evidence: expect.objectContaining({ natState: 'deleted', routeState: 'blackhole' }),
    });
    expect(only(diagnosis.findings, 'BLACKHOLE_DEFAULT_ROUTE').evidence['routes']).toContain('0.0.0.0/0 -> nat-0dead0000000dead1 (blackhole)');
    expect(diagnosis.subnetPaths[0]!.egress).toBe('blackhole');
  });

  it('reports a blackhole route to a transit gateway but never as remediable', () => {
    const snapshot = seedSnapshot();
    withNewSubnetTable(snapshot, { transitGatewayId: 'tgw-0a1b2c3d4e5f60718', state: 'blackhole' });

    const diagnosis = diagnose(snapshot, config());

    expect(only(diagnosis.findings, 'BLACKHOLE_DEFAULT_ROUTE')).toMatchObject({ remediable: false, evidence: expect.objectContaining({ targetKind: 'transit-gateway' }) });
  });

  it.each(['pending', 'failed', 'deleting'])('reports an active route to a %s NAT gateway as NAT_GATEWAY_NOT_AVAILABLE, not remediable', (state) => {
    const snapshot = seedSnapshot();
    withNewSubnetTable(snapshot, { natGatewayId: SEED.natA, state: 'active' });
    snapshot.network.natGateways.find((n) => n.natGatewayId === SEED.natA)!.state = state;

    const diagnosis = diagnose(snapshot, config());

    const finding = only(diagnosis.findings, 'NAT_GATEWAY_NOT_AVAILABLE');
    expect(finding).toMatchObject({ resourceId: SEED.natA, remediable: false, evidence: expect.objectContaining({ natState: state, routeState: 'active' }) });
    expect(diagnosis.subnetPaths[0]!.egress).toBe('nat-unavailable');
  });

  it('reports NAT_GATEWAY_WITHOUT_INTERNET for an active route to an available NAT gateway without an internet route of its own', () => {
    const snapshot = seedSnapshot();
    withNewSubnetTable(snapshot, { natGatewayId: SEED.natA, state: 'active' });
    setDefaultRoute(snapshot, SEED.publicRouteTableId, undefined);

    const findings = diagnose(snapshot, config()).findings;
    const finding = only(findings, 'NAT_GATEWAY_WITHOUT_INTERNET');

    expect(findings.map((f) => f.code)).not.toContain('NAT_GATEWAY_NOT_AVAILABLE');
    expect(finding.message).toContain('has no 0.0.0.0/0 route');
    expect(finding.remediable).toBe(false);
    expect(finding.evidence['fix']).toBe(
      `aws ec2 create-route --route-table-id ${SEED.publicRouteTableId} --destination-cidr-block 0.0.0.0/0 --gateway-id ${SEED.igw}`,
    );
  });

  it('reports PUBLIC_SUBNET_WITHOUT_PUBLIC_IP when 0.0.0.0/0 goes to the internet gateway and the instance has no public IP', () => {
    const snapshot = seedSnapshot();
    withNewSubnetTable(snapshot, { gatewayId: SEED.igw, state: 'active' });

    const diagnosis = diagnose(snapshot, config());

    const finding = only(diagnosis.findings, 'PUBLIC_SUBNET_WITHOUT_PUBLIC_IP');
    expect(finding).toMatchObject({ resourceId: SEED.newSubnetId, severity: 'error', remediable: false });
    expect(finding.evidence).toMatchObject({ instanceIdsWithoutPublicIp: [SEED.instanceId], mapPublicIpOnLaunch: false });
    expect(diagnosis.subnetPaths[0]!.egress).toBe('internet-gateway');
  });

  it.each([
    ['transit gateway', { transitGatewayId: 'tgw-0a1b2c3d4e5f60718' }, 'transit-gateway'],
    ['network interface', { networkInterfaceId: 'eni-0a1b2c3d4e5f60718' }, 'network-interface'],
    ['VPC peering', { vpcPeeringConnectionId: 'pcx-0a1b2c3d4e5f60718' }, 'vpc-peering'],
    ['gateway load balancer endpoint', { gatewayId: 'vpce-0a1b2c3d4e5f60718' }, 'gateway-endpoint'],
  ])('reports an active route to a %s as EGRESS_VIA_UNVERIFIED_TARGET (warning, never touched)', (_label, target, kind) => {
    const snapshot = seedSnapshot();
    withNewSubnetTable(snapshot, { ...target, state: 'active' });

    const diagnosis = diagnose(snapshot, config());

    expect(only(diagnosis.findings, 'EGRESS_VIA_UNVERIFIED_TARGET')).toMatchObject({
      severity: 'warning',
      remediable: false,
      evidence: expect.objectContaining({ targetKind: kind }),
    });
    expect(diagnosis.subnetPaths[0]!.egress).toBe('unverified');
  });

  it('reports NO_USABLE_NAT_GATEWAY with every candidate and why it was rejected', () => {
    const snapshot = seedSnapshot();
    snapshot.network.natGateways.forEach((n) => (n.state = 'deleted'));

    const diagnosis = diagnose(snapshot, config());

    const finding = only(diagnosis.findings, 'NO_USABLE_NAT_GATEWAY');
    expect(finding).toMatchObject({ resourceId: SEED.vpcId, remediable: false });
    expect(finding.evidence['candidates']).toEqual([
      `${SEED.natA} (us-west-2a): its state is deleted, not available`,
      `${SEED.natB} (us-west-2b): its state is deleted, not available`,
    ]);
    expect(only(diagnosis.findings, 'NO_DEFAULT_ROUTE').remediable).toBe(false);
  });

  it('reports NAT_GATEWAY_OVERRIDE_REJECTED when the configured NAT gateway fails the rules', () => {
    const snapshot = seedSnapshot();
    snapshot.network.natGateways.find((n) => n.natGatewayId === SEED.natB)!.connectivityType = 'private';

    const diagnosis = diagnose(snapshot, config({ natGatewayId: SEED.natB }));

    expect(only(diagnosis.findings, 'NAT_GATEWAY_OVERRIDE_REJECTED')).toMatchObject({ resourceId: SEED.natB, remediable: false });
    expect(codes(diagnosis.findings)).not.toContain('NO_USABLE_NAT_GATEWAY');
  });

  it('takes a complete private-endpoint path as working egress, not NO_DEFAULT_ROUTE', () => {
    const snapshot = seedSnapshot();
    addPrivateEndpoints(snapshot, [SEED.newRouteTableId]);

    const diagnosis = diagnose(snapshot, config());

    expect(codes(diagnosis.findings)).toEqual(['NODES_NOT_REGISTERED']);
    expect(diagnosis.subnetPaths[0]).toMatchObject({ egress: 'vpc-endpoints', hasPrivateEndpointPath: true });
    expect(diagnosis.findings[0]!.message).toContain('looks fine');
  });

  it('lists what is missing when the private-endpoint path is incomplete', () => {
    const snapshot = seedSnapshot();
    addPrivateEndpoints(snapshot, []); // the s3 gateway endpoint is not on the node group's table

    const finding = only(diagnose(snapshot, config()).findings, 'NO_DEFAULT_ROUTE');

    expect(finding.evidence['missingPrivateEndpoints']).toEqual([`s3 gateway endpoint on ${SEED.newRouteTableId}`]);
  });

  it('says the cause is elsewhere when the path works (NAT) yet the node never registered', () => {
    const snapshot = seedSnapshot();
    withNewSubnetTable(snapshot, { natGatewayId: SEED.natA, state: 'active' });

    const diagnosis = diagnose(snapshot, config());

    const finding = only(diagnosis.findings, 'NODES_NOT_REGISTERED');
    expect(finding.message).toContain('IAM role');
    expect(finding.remediable).toBe(false);
    expect(finding.evidence).toMatchObject({ workingPathSubnetIds: [SEED.newSubnetId], egressBySubnet: { [SEED.newSubnetId]: 'nat' } });
  });

  it('does not diagnose routes for subnets that only hold young instances', () => {
    const snapshot = seedSnapshot();
    snapshot.instances[0]!.launchTime = snapshot.takenAt;

    const diagnosis = diagnose(snapshot, config());

    expect(diagnosis.findings).toEqual([]);
    expect(diagnosis.subnetPaths).toEqual([]);
    expect(diagnosis.youngInstanceIds).toEqual([SEED.instanceId]);
  });
});
