import { diagnose } from '../../../lambda/diagnosis';
import { launchSubnetIds, replacementsOnBrokenPaths } from '../../../lambda/diagnosis/launch-subnets';
import type { Snapshot } from '../../../lambda/model';
import { plan } from '../../../lambda/plan';
import { addInstance, config, registerNode, SEED, seedSnapshot, setDefaultRoute, table } from '../../fixtures/snapshots/builder';

const SECOND_SUBNET = 'subnet-0e1d2c3b4a5968779';
const SECOND_TABLE = 'rtb-0c2d3e4f5a6b7c8da';

/** The seed node group spanning a second subnet (its own table, no default route) where no instance runs. */
function twoSubnets(): Snapshot {
  const snapshot = seedSnapshot();
  snapshot.network.subnets.push({ subnetId: SECOND_SUBNET, vpcId: SEED.vpcId, availabilityZone: 'us-west-2b', cidrBlock: '10.42.224.0/19', mapPublicIpOnLaunch: false });
  snapshot.network.routeTables.push({ routeTableId: SECOND_TABLE, vpcId: SEED.vpcId, main: false, subnetIds: [SECOND_SUBNET], routes: [] });
  snapshot.autoScalingGroups[0]!.subnetIds = [SEED.newSubnetId, SECOND_SUBNET];
  return snapshot;
}

describe('every subnet a replacement can land in', () => {
  it('lists the node group\'s subnets and its Auto Scaling groups\' VPCZoneIdentifier', () => {
    expect(launchSubnetIds(twoSubnets())).toEqual([SEED.newSubnetId, SECOND_SUBNET].sort());
  });

  it('reports the broken launch subnet and writes its route before the recycle', () => {
    const snapshot = twoSubnets();

    const diagnosis = diagnose(snapshot, config());
    const result = plan(snapshot, diagnosis, config());

    expect(diagnosis.findings).toContainEqual(expect.objectContaining({ code: 'NO_DEFAULT_ROUTE', resourceId: SECOND_TABLE, severity: 'warning' }));
    expect(result.actions.map((a) => `${a.type}:${a.resourceId}`)).toEqual([
      `CREATE_ROUTE:${SEED.newRouteTableId}`,
      `CREATE_ROUTE:${SECOND_TABLE}`,
      `REPLACE_INSTANCES:${SEED.nodegroupName}`,
    ]);
  });

  it('gives an endpoint-only launch subnet without instances no NAT route unless --allow-internet-egress (plan rule 8)', () => {
    // Prepare: the second launch subnet is endpoint-only by design (an S3 gateway endpoint on its table, no 0.0.0.0/0).
    const snapshot = twoSubnets();
    snapshot.network.vpcEndpoints.push({
      vpcEndpointId: 'vpce-0a1b2c3d4e5f6s301',
      vpcId: SEED.vpcId,
      serviceName: 'com.amazonaws.us-west-2.s3',
      vpcEndpointType: 'Gateway',
      state: 'available',
      subnetIds: [],
      routeTableIds: [SECOND_TABLE],
    });

    // Act
    const refused = plan(snapshot, diagnose(snapshot, config()), config());
    const allowed = plan(snapshot, diagnose(snapshot, config({ allowInternetEgress: true })), config({ allowInternetEgress: true }));

    // Assess
    expect(refused.actions.map((a) => `${a.type}:${a.resourceId}`)).toEqual([`CREATE_ROUTE:${SEED.newRouteTableId}`]);
    expect(refused.unresolvedReason).toContain('endpoint-only by design');
    expect(allowed.actions.map((a) => `${a.type}:${a.resourceId}`)).toContain(`CREATE_ROUTE:${SECOND_TABLE}`);
  });

  it('does not recycle, and says why, when a launch subnet\'s path may not be fixed (main route table)', () => {
    // Prepare: the second subnet falls back to the VPC's main table, which is never changed by default.
    const snapshot = twoSubnets();
    snapshot.network.routeTables = snapshot.network.routeTables.filter((t) => t.routeTableId !== SECOND_TABLE);
    setDefaultRoute(snapshot, SEED.mainRouteTableId, undefined);

    // Act
    const result = plan(snapshot, diagnose(snapshot, config()), config());

    // Assess
    expect(table(snapshot, SEED.mainRouteTableId).main).toBe(true);
    expect(result.actions.map((a) => a.type)).toEqual(['CREATE_ROUTE']);
    expect(result.unresolvedReason).toMatch(/nothing is recycled, because a replacement could land where the path is broken/i);
  });
});

describe('replacements that landed where the path is broken', () => {
  it('names a new, unregistered instance in a subnet without a working path, and its subnet\'s problem', () => {
    // Prepare: the first table was fixed by the run; the replacement landed in the second subnet, still broken.
    const snapshot = twoSubnets();
    setDefaultRoute(snapshot, SEED.newRouteTableId, { natGatewayId: SEED.natA, state: 'active' });
    const known = new Set(snapshot.instances.map((i) => i.instanceId));
    addInstance(snapshot, { instanceId: 'i-0bbbbbbbbbbbbbbb1', subnetId: SECOND_SUBNET });
    addInstance(snapshot, { instanceId: 'i-0bbbbbbbbbbbbbbb2', subnetId: SEED.newSubnetId });
    addInstance(snapshot, { instanceId: 'i-0bbbbbbbbbbbbbbb3', subnetId: SECOND_SUBNET });
    registerNode(snapshot, 'i-0bbbbbbbbbbbbbbb3');

    // Act
    const stranded = replacementsOnBrokenPaths(snapshot, (i) => !known.has(i.instanceId));

    // Assess: the one in the fixed subnet and the registered one are fine.
    expect(stranded).toEqual([
      { instanceId: 'i-0bbbbbbbbbbbbbbb1', subnetId: SECOND_SUBNET, routeTableId: SECOND_TABLE, problem: `route table ${SECOND_TABLE} has no 0.0.0.0/0 route` },
    ]);
  });
});
