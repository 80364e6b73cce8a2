import fc from 'fast-check';
import type { Config } from '../../lambda/config';
import { diagnose } from '../../lambda/diagnosis';
import type { Diagnosis, RouteInfo, Snapshot } from '../../lambda/model';
import { outcomeBeforeExecution, plan } from '../../lambda/plan';
import type { Action } from '../../lambda/report';
import {
  addInstance,
  addPrivateEndpoints,
  config,
  registerNode,
  SEED,
  secondsBefore,
  seedSnapshot,
  setDefaultRoute,
  table,
  useNodegroupHealth,
} from '../fixtures/snapshots/builder';

function planFor(snapshot: Snapshot, cfg: Config = config()) {
  const diagnosis = diagnose(snapshot, cfg);
  return { diagnosis, plan: plan(snapshot, diagnosis, cfg) };
}

function actionsOf(type: Action['type'], actions: Action[]): Action[] {
  return actions.filter((a) => a.type === type);
}

const ROUTE_TYPES = new Set(['CREATE_ROUTE', 'REPLACE_ROUTE']);

describe('plan', () => {
  it('fixes the seed story: add 0.0.0.0/0 -> NAT in the same AZ, then replace the unjoined instance', () => {
    // Prepare
    const snapshot = seedSnapshot();

    // Act
    const { plan: result } = planFor(snapshot);

    // Assess
    expect(result).toEqual({
      actions: [
        {
          type: 'CREATE_ROUTE',
          resourceId: SEED.newRouteTableId,
          status: 'planned',
          detail: { routeTableId: SEED.newRouteTableId, destinationCidrBlock: '0.0.0.0/0', natGatewayId: SEED.natA, subnetIds: [SEED.newSubnetId] },
        },
        {
          type: 'REPLACE_INSTANCES',
          resourceId: SEED.nodegroupName,
          status: 'planned',
          detail: {
            instanceIds: [SEED.instanceId],
            autoScalingGroupNames: [SEED.asgName],
            cause: 'NODES_NOT_REGISTERED',
            cooldown: { seconds: 3600, nextAllowedAt: expect.any(String), scope: expect.stringContaining('this run only') },
          },
        },
      ],
    });
  });

  it('prefers the NAT gateway in the AZ of the subnet it serves', () => {
    const snapshot = seedSnapshot();
    snapshot.network.subnets.find((s) => s.subnetId === SEED.newSubnetId)!.availabilityZone = 'us-west-2b';

    const { plan: result } = planFor(snapshot);

    expect((result.actions[0]!.detail as Record<string, unknown>)['natGatewayId']).toBe(SEED.natB);
  });

  it('replaces a blackhole route that pointed at a deleted NAT gateway, recording the previous route', () => {
    const snapshot = seedSnapshot();
    setDefaultRoute(snapshot, SEED.newRouteTableId, { natGatewayId: 'nat-0dead0000000dead1', state: 'blackhole' });

    const { plan: result } = planFor(snapshot);

    const [replace] = actionsOf('REPLACE_ROUTE', result.actions);
    expect(replace!.detail).toMatchObject({
      natGatewayId: SEED.natA,
      previousRoute: expect.objectContaining({ natGatewayId: 'nat-0dead0000000dead1', state: 'blackhole' }),
    });
    expect(actionsOf('CREATE_ROUTE', result.actions)).toEqual([]);
  });

  it('plans a single route action for subnets sharing one table', () => {
    const snapshot = seedSnapshot();
    const second = 'subnet-0e1d2c3b4a5968779';
    snapshot.network.subnets.push({ subnetId: second, vpcId: SEED.vpcId, availabilityZone: 'us-west-2b', cidrBlock: '10.42.224.0/19', mapPublicIpOnLaunch: false });
    snapshot.nodegroup.subnetIds.push(second);
    table(snapshot, SEED.newRouteTableId).subnetIds.push(second);
    addInstance(snapshot, { instanceId: 'i-0aaaaaaaaaaaaaaa1', subnetId: second });

    const { plan: result } = planFor(snapshot);

    const routes = result.actions.filter((a) => ROUTE_TYPES.has(a.type));
    expect(routes).toHaveLength(1);
    expect((routes[0]!.detail as Record<string, unknown>)['subnetIds']).toEqual([SEED.newSubnetId, second]);
    expect(actionsOf('REPLACE_INSTANCES', result.actions)[0]!.detail['instanceIds']).toEqual(['i-0aaaaaaaaaaaaaaa1', SEED.instanceId].sort());
  });

  it('plans nothing when every instance is registered', () => {
    const snapshot = seedSnapshot();
    registerNode(snapshot, SEED.instanceId);

    expect(planFor(snapshot).plan).toEqual({ actions: [] });
  });

  it('fixes the route but recycles nothing with recycle strategy none', () => {
    const { plan: result } = planFor(seedSnapshot(), config({ recycle: 'none' }));

    expect(result.actions.map((a) => a.type)).toEqual(['CREATE_ROUTE']);
  });

  it('does not recycle blindly when the path already works: UNRESOLVED, the cause is elsewhere', () => {
    const snapshot = seedSnapshot();
    setDefaultRoute(snapshot, SEED.newRouteTableId, { natGatewayId: SEED.natA, state: 'active' });

    const { plan: result } = planFor(snapshot);

    expect(result.actions).toEqual([]);
    expect(result.unresolvedReason).toMatch(/^Routing looks fine .*IAM role.*\.$/);
  });

  it('recycles instances behind a route this run already fixed for another node group', () => {
    const snapshot = seedSnapshot();
    setDefaultRoute(snapshot, SEED.newRouteTableId, { natGatewayId: SEED.natA, state: 'active' });
    const cfg = config();

    const result = plan(snapshot, diagnose(snapshot, cfg), cfg, { routeTablesFixedThisRun: [SEED.newRouteTableId] });

    expect(result).toEqual({
      actions: [expect.objectContaining({ type: 'REPLACE_INSTANCES', detail: expect.objectContaining({ instanceIds: [SEED.instanceId] }) })],
    });
  });

  it('never names an instance its Auto Scaling group is already terminating', () => {
    const snapshot = seedSnapshot();
    snapshot.autoScalingGroups[0]!.instances[0]!.lifecycleState = 'Terminating:Wait';
    const wrong: Diagnosis = { ...diagnose(snapshot, config()), unregisteredInstanceIds: [SEED.instanceId] };

    expect(plan(snapshot, wrong, config()).actions).toEqual([]);
  });

  it('never names an instance whose Node has no providerID yet (matched by its private DNS name)', () => {
    // Prepare: the instance registered, but its Node carries no providerID (not set yet).
    const snapshot = seedSnapshot();
    const instance = snapshot.instances.find((i) => i.instanceId === SEED.instanceId)!;
    snapshot.registration.nodes.push({ name: instance.privateDnsName!, ready: true });
    const wrong: Diagnosis = { ...diagnose(snapshot, config()), unregisteredInstanceIds: [SEED.instanceId] };

    // Act
    const { diagnosis, plan: result } = planFor(snapshot);
    const fromWrongDiagnosis = plan(snapshot, wrong, config());

    // Assess
    expect(diagnosis.instances[0]).toMatchObject({ instanceId: SEED.instanceId, registered: true, nodeName: instance.privateDnsName });
    expect(diagnosis.unregisteredInstanceIds).toEqual([]);
    expect(result.actions).toEqual([]);
    expect(fromWrongDiagnosis.actions.filter((a) => a.type === 'REPLACE_INSTANCES' || a.type === 'SCALE_CYCLE')).toEqual([]);
  });

  it('does nothing to a node group that is being deleted', () => {
    const snapshot = seedSnapshot();
    snapshot.nodegroup.status = 'DELETING';

    const { plan: result } = planFor(snapshot);

    expect(result.actions).toEqual([]);
    expect(result.unresolvedReason).toContain('DELETING');
  });

  it('fixes what it can and reports the rest as unresolved', () => {
    const snapshot = seedSnapshot();
    addInstance(snapshot, { instanceId: 'i-0aaaaaaaaaaaaaaa1', subnetId: SEED.privateSubnetB });
    snapshot.nodegroup.subnetIds.push(SEED.privateSubnetB);
    setDefaultRoute(snapshot, SEED.privateRouteTableB, { transitGatewayId: 'tgw-0a1b2c3d4e5f60718', state: 'active' });

    const { plan: result } = planFor(snapshot);

    expect(result.actions.map((a) => `${a.type}:${a.resourceId}`)).toEqual([`CREATE_ROUTE:${SEED.newRouteTableId}`, `REPLACE_INSTANCES:${SEED.nodegroupName}`]);
    expect(actionsOf('REPLACE_INSTANCES', result.actions)[0]!.detail['instanceIds']).toEqual([SEED.instanceId]);
    expect(result.unresolvedReason).toContain('transit gateway tgw-0a1b2c3d4e5f60718');
  });

  describe('safety rules (contract section 3)', () => {
    it('never replaces an active default route to a transit gateway', () => {
      const snapshot = seedSnapshot();
      setDefaultRoute(snapshot, SEED.newRouteTableId, { transitGatewayId: 'tgw-0a1b2c3d4e5f60718', state: 'active' });

      const { plan: result } = planFor(snapshot, config({ allowSharedRouteTables: true }));

      expect(result.actions).toEqual([]);
      expect(result.unresolvedReason).toContain('transit gateway');
    });

    it('never replaces an active default route to a NAT gateway that is not available', () => {
      const snapshot = seedSnapshot();
      setDefaultRoute(snapshot, SEED.newRouteTableId, { natGatewayId: SEED.natA, state: 'active' });
      snapshot.network.natGateways.find((n) => n.natGatewayId === SEED.natA)!.state = 'deleting';

      const { plan: result } = planFor(snapshot);

      expect(result.actions).toEqual([]);
      expect(result.unresolvedReason).toContain('an active route is never replaced');
    });

    it('never rewrites a blackhole route that pointed at something other than a NAT gateway', () => {
      const snapshot = seedSnapshot();
      setDefaultRoute(snapshot, SEED.newRouteTableId, { networkInterfaceId: 'eni-0a1b2c3d4e5f60718', state: 'blackhole' });

      expect(planFor(snapshot).plan.actions).toEqual([]);
    });

    it('never changes the main route table unless shared route tables are allowed', () => {
      const snapshot = seedSnapshot();
      table(snapshot, SEED.newRouteTableId).subnetIds = []; // the subnet falls back to the main table

      const refused = planFor(snapshot).plan;
      const allowed = planFor(snapshot, config({ allowSharedRouteTables: true })).plan;

      expect(refused.actions).toEqual([]);
      expect(refused.unresolvedReason).toContain("main route table");
      expect(allowed.actions.map((a) => `${a.type}:${a.resourceId}`)).toContain(`CREATE_ROUTE:${SEED.mainRouteTableId}`);
    });

    it('never changes a table shared with subnets outside the node group unless allowed', () => {
      const snapshot = seedSnapshot();
      table(snapshot, SEED.newRouteTableId).subnetIds.push(SEED.privateSubnetB);

      const refused = planFor(snapshot).plan;

      expect(refused.actions).toEqual([]);
      expect(refused.unresolvedReason).toContain(SEED.privateSubnetB);
    });

    it('writes no route when no NAT gateway is usable', () => {
      const snapshot = seedSnapshot();
      snapshot.network.natGateways.forEach((n) => (n.connectivityType = 'private'));

      const { plan: result } = planFor(snapshot);

      expect(result.actions).toEqual([]);
      expect(result.unresolvedReason).toContain('no NAT gateway');
    });

    it('writes no route when the NAT gateway override fails the rules, and does not fall back', () => {
      const snapshot = seedSnapshot();
      snapshot.network.natGateways.find((n) => n.natGatewayId === SEED.natB)!.state = 'pending';

      const { plan: result } = planFor(snapshot, config({ natGatewayId: SEED.natB }));

      expect(result.actions).toEqual([]);
      expect(result.unresolvedReason).toContain(`configured NAT gateway ${SEED.natB}`);
    });

    it('routes to a valid NAT gateway override', () => {
      const { plan: result } = planFor(seedSnapshot(), config({ natGatewayId: SEED.natB }));

      expect((result.actions[0]!.detail as Record<string, unknown>)['natGatewayId']).toBe(SEED.natB);
    });

    it('never names a registered instance in REPLACE_INSTANCES, even when the diagnosis says otherwise', () => {
      const snapshot = seedSnapshot();
      addInstance(snapshot, { instanceId: 'i-0aaaaaaaaaaaaaaa1' });
      registerNode(snapshot, 'i-0aaaaaaaaaaaaaaa1');
      const honest = diagnose(snapshot, config());
      const wrong: Diagnosis = { ...honest, unregisteredInstanceIds: [SEED.instanceId, 'i-0aaaaaaaaaaaaaaa1'] };

      const result = plan(snapshot, wrong, config());

      expect(actionsOf('REPLACE_INSTANCES', result.actions)[0]!.detail['instanceIds']).toEqual([SEED.instanceId]);
    });

    it('never names an instance inside the grace period, even when the diagnosis says otherwise', () => {
      const snapshot = seedSnapshot();
      addInstance(snapshot, { instanceId: 'i-0aaaaaaaaaaaaaaa1', launchTime: secondsBefore(seedSnapshot(), 10) });
      const wrong: Diagnosis = { ...diagnose(snapshot, config()), unregisteredInstanceIds: [SEED.instanceId, 'i-0aaaaaaaaaaaaaaa1'] };

      const result = plan(snapshot, wrong, config());

      expect(actionsOf('REPLACE_INSTANCES', result.actions)[0]!.detail['instanceIds']).toEqual([SEED.instanceId]);
    });

    it('never recycles an instance whose registration is unverified (Kubernetes API unavailable)', () => {
      const snapshot = seedSnapshot();
      addInstance(snapshot, { instanceId: 'i-0aaaaaaaaaaaaaaa1' });
      useNodegroupHealth(snapshot, [SEED.instanceId]);
      const wrong: Diagnosis = { ...diagnose(snapshot, config()), unregisteredInstanceIds: [SEED.instanceId, 'i-0aaaaaaaaaaaaaaa1'] };

      const result = plan(snapshot, wrong, config());

      expect(actionsOf('REPLACE_INSTANCES', result.actions)[0]!.detail['instanceIds']).toEqual([SEED.instanceId]);
    });

    it('scale-cycles when no instance of the node group is registered, keeping the original scaling config', () => {
      const snapshot = seedSnapshot();

      const { plan: result } = planFor(snapshot, config({ recycle: 'scale-cycle' }));

      expect(actionsOf('SCALE_CYCLE', result.actions)).toEqual([
        {
          type: 'SCALE_CYCLE',
          resourceId: SEED.nodegroupName,
          status: 'planned',
          detail: {
            clusterName: SEED.clusterName,
            nodegroupName: SEED.nodegroupName,
            original: { minSize: 0, maxSize: 1, desiredSize: 1 },
            cause: 'NODES_NOT_REGISTERED',
            cooldown: expect.objectContaining({ seconds: 3600 }),
          },
        },
      ]);
    });

    it('never scale-cycles while an instance is registered: falls back to replacing the unjoined ones', () => {
      const snapshot = seedSnapshot();
      addInstance(snapshot, { instanceId: 'i-0aaaaaaaaaaaaaaa1', subnetId: SEED.privateSubnetA });
      registerNode(snapshot, 'i-0aaaaaaaaaaaaaaa1');

      const { plan: result } = planFor(snapshot, config({ recycle: 'scale-cycle' }));

      expect(actionsOf('SCALE_CYCLE', result.actions)).toEqual([]);
      expect(actionsOf('REPLACE_INSTANCES', result.actions)[0]!.detail).toMatchObject({
        instanceIds: [SEED.instanceId],
        fallbackFrom: 'scale-cycle',
        fallbackReason: expect.stringContaining('registered'),
      });
    });

    it('never scale-cycles while any Node of the node group exists, even one whose instance is not in the snapshot', () => {
      const snapshot = seedSnapshot();
      snapshot.registration.nodes.push({ name: 'ip-10-42-9-9.us-west-2.compute.internal', instanceId: 'i-0fffffffffffffff0', ready: true });

      const { plan: result } = planFor(snapshot, config({ recycle: 'scale-cycle' }));

      expect(result.actions.map((a) => a.type)).toEqual(['CREATE_ROUTE', 'REPLACE_INSTANCES']);
      expect((result.actions[1]!.detail as Record<string, unknown>)['fallbackReason']).toContain('1 node(s) of the node group are registered');
    });

    it('never scale-cycles while an instance is still inside the grace period', () => {
      const snapshot = seedSnapshot();
      addInstance(snapshot, { instanceId: 'i-0aaaaaaaaaaaaaaa1', launchTime: secondsBefore(seedSnapshot(), 10) });

      const { plan: result } = planFor(snapshot, config({ recycle: 'scale-cycle' }));

      expect(actionsOf('SCALE_CYCLE', result.actions)).toEqual([]);
      expect(actionsOf('REPLACE_INSTANCES', result.actions)[0]!.detail['fallbackReason']).toContain('i-0aaaaaaaaaaaaaaa1');
    });

    it('with the health fallback, scale-cycles only when EKS lists every instance as failed', () => {
      const everyListed = seedSnapshot();
      useNodegroupHealth(everyListed, [SEED.instanceId]);
      const oneSilent = seedSnapshot();
      addInstance(oneSilent, { instanceId: 'i-0aaaaaaaaaaaaaaa1' });
      useNodegroupHealth(oneSilent, [SEED.instanceId]);

      const cycled = planFor(everyListed, config({ recycle: 'scale-cycle' })).plan;
      const fellBack = planFor(oneSilent, config({ recycle: 'scale-cycle' })).plan;

      expect(cycled.actions.map((a) => a.type)).toEqual(['CREATE_ROUTE', 'SCALE_CYCLE']);
      expect(fellBack.actions.map((a) => a.type)).toEqual(['CREATE_ROUTE', 'REPLACE_INSTANCES']);
      expect((fellBack.actions[1]!.detail as Record<string, unknown>)['fallbackReason']).toContain('not proven unregistered');
    });

    it('never scale-cycles a node group that is not ACTIVE or DEGRADED', () => {
      const snapshot = seedSnapshot();
      snapshot.nodegroup.status = 'CREATING';

      const { plan: result } = planFor(snapshot, config({ recycle: 'scale-cycle' }));

      expect(result.actions.map((a) => a.type)).toEqual(['CREATE_ROUTE', 'REPLACE_INSTANCES']);
    });

    it('plans only the four action types of the contract: nothing is ever deleted', () => {
      const snapshot = seedSnapshot();
      setDefaultRoute(snapshot, SEED.newRouteTableId, { natGatewayId: 'nat-0dead0000000dead1', state: 'blackhole' });

      const types = (['replace-unjoined', 'scale-cycle', 'none'] as const).flatMap((recycle) =>
        planFor(snapshot, config({ recycle })).plan.actions.map((a) => a.type),
      );

      expect(new Set(types)).toEqual(new Set(['REPLACE_ROUTE', 'REPLACE_INSTANCES', 'SCALE_CYCLE']));
    });
  });
});

describe('outcomeBeforeExecution', () => {
  it('is HEALTHY when nothing is wrong', () => {
    const snapshot = seedSnapshot();
    registerNode(snapshot, SEED.instanceId);
    const { diagnosis, plan: result } = planFor(snapshot);

    expect(outcomeBeforeExecution(diagnosis, result, false)?.outcome).toBe('HEALTHY');
  });

  it('is DRY_RUN when actions are planned in dry-run, and undefined (execute) otherwise', () => {
    const { diagnosis, plan: result } = planFor(seedSnapshot());

    expect(outcomeBeforeExecution(diagnosis, result, true)).toMatchObject({ outcome: 'DRY_RUN', reason: expect.stringContaining('CREATE_ROUTE') });
    expect(outcomeBeforeExecution(diagnosis, result, false)).toBeUndefined();
  });

  it('is UNRESOLVED with the plan reason when a problem cannot be fixed', () => {
    const snapshot = seedSnapshot();
    setDefaultRoute(snapshot, SEED.newRouteTableId, { transitGatewayId: 'tgw-0a1b2c3d4e5f60718', state: 'active' });
    const { diagnosis, plan: result } = planFor(snapshot);

    expect(outcomeBeforeExecution(diagnosis, result, false)).toEqual({ outcome: 'UNRESOLVED', reason: result.unresolvedReason });
  });

  it('is never HEALTHY from silence when the Kubernetes API was unavailable', () => {
    const snapshot = seedSnapshot();
    useNodegroupHealth(snapshot, []);
    const { diagnosis, plan: result } = planFor(snapshot);

    const outcome = outcomeBeforeExecution(diagnosis, result, false);

    expect(outcome?.outcome).toBe('UNRESOLVED');
    expect(outcome?.reason).toContain('could not be verified');
  });

  it('is HEALTHY with the health fallback when every instance is still young', () => {
    const snapshot = seedSnapshot();
    snapshot.instances[0]!.launchTime = snapshot.takenAt;
    useNodegroupHealth(snapshot, []);
    const { diagnosis, plan: result } = planFor(snapshot);

    expect(outcomeBeforeExecution(diagnosis, result, false)?.outcome).toBe('HEALTHY');
  });
});

// --- Property: for any world, no planned action breaks a safety rule ---------------------------

const VPC = 'vpc-0000000000000000a';
const OTHER_VPC = 'vpc-0000000000000000b';
const AZS = ['us-west-2a', 'us-west-2b', 'us-west-2c'];
const subnetId = (n: number) => `subnet-00000000000000${String(n).padStart(3, '0')}`;
const tableId = (n: number) => `rtb-00000000000000${String(n).padStart(3, '0')}`;
const natId = (n: number) => `nat-00000000000000${String(n).padStart(3, '0')}`;
const instanceId = (n: number) => `i-00000000000000${String(n).padStart(3, '0')}`;
const IGW = 'igw-0000000000000000a';
const ASG = 'eks-ng-00000000-0000-0000-0000-000000000000';

const targetArb = fc.oneof(
  fc.record({ kind: fc.constant('nat' as const), index: fc.nat(4) }),
  fc.constantFrom(
    { kind: 'igw' as const },
    { kind: 'tgw' as const },
    { kind: 'eni' as const },
    { kind: 'pcx' as const },
    { kind: 'vpce' as const },
  ),
);

/** A biased coin: true with probability 1/n. */
const rarely = (n: number) => fc.integer({ min: 1, max: n }).map((k) => k === 1);

const worldArb = fc.record({
  subnets: fc.array(
    fc.record({
      az: fc.nat(2),
      /** index of its explicitly associated table; -1 or a missing table = the main table */
      table: fc.constantFrom(-1, 0, 1, 1, 2, 2, 3, 3),
      inNodegroup: fc.constantFrom(true, true, true, true, false),
    }),
    { minLength: 1, maxLength: 5 },
  ),
  tables: fc.array(
    fc.record({
      defaultRoute: fc.oneof(
        { arbitrary: fc.constant(undefined), weight: 3 },
        { arbitrary: fc.record({ target: targetArb, blackhole: fc.boolean() }), weight: 2 },
      ),
    }),
    { minLength: 2, maxLength: 4 },
  ),
  /** the 0.0.0.0/0 route of the public subnets' table (one public subnet per AZ, where NAT gateways usually live) */
  publicRoute: fc.oneof(
    { arbitrary: fc.constant('igw-active'), weight: 12 },
    { arbitrary: fc.constantFrom('igw-blackhole', 'tgw', 'none'), weight: 3 },
  ),
  igw: fc.oneof({ arbitrary: fc.constant('attached'), weight: 12 }, { arbitrary: fc.constantFrom('detached', 'absent'), weight: 2 }),
  nats: fc.array(
    fc.record({
      inPublicSubnet: fc.constantFrom(true, true, true, false),
      subnet: fc.nat(4),
      state: fc.oneof(
        { arbitrary: fc.constant('available'), weight: 8 },
        { arbitrary: fc.constantFrom('pending', 'failed', 'deleting', 'deleted'), weight: 4 },
      ),
      connectivityType: fc.oneof({ arbitrary: fc.constant('public'), weight: 8 }, { arbitrary: fc.constant('private'), weight: 1 }),
      otherVpc: rarely(8),
    }),
    { minLength: 1, maxLength: 4 },
  ),
  instances: fc.array(
    fc.record({
      subnet: fc.nat(4),
      state: fc.constantFrom('running', 'running', 'running', 'running', 'running', 'pending', 'stopped'),
      ageSeconds: fc.integer({ min: 0, max: 2400 }),
      publicIp: fc.boolean(),
      terminating: rarely(8),
      node: fc.constantFrom('none', 'none', 'none', 'none', 'ready', 'not-ready'),
      listedAsFailed: fc.constantFrom(true, true, true, false),
    }),
    { minLength: 1, maxLength: 5 },
  ),
  strayNode: rarely(4),
  source: fc.constantFrom('kubernetes-api' as const, 'kubernetes-api' as const, 'kubernetes-api' as const, 'nodegroup-health' as const),
  status: fc.constantFrom('ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE', 'CREATING', 'UPDATING', 'DEGRADED', 'CREATE_FAILED', 'DELETING'),
  endpoints: rarely(5),
  privateAccess: fc.boolean(),
  recycle: fc.constantFrom('replace-unjoined' as const, 'scale-cycle' as const, 'none' as const),
  allowShared: fc.boolean(),
  override: fc.oneof({ arbitrary: fc.constant(undefined), weight: 5 }, { arbitrary: fc.nat(4), weight: 1 }),
  graceSeconds: fc.constantFrom(0, 300, 300, 1200),
  allowInternetEgress: fc.boolean(),
});

type World = typeof worldArb extends fc.Arbitrary<infer W> ? W : never;

function buildSnapshot(world: World): { snapshot: Snapshot; cfg: Config } {
  const takenAt = '2026-11-29T06:00:00.000Z';
  const subnetCount = world.subnets.length;
  const subnets = world.subnets.map((s, n) => ({
    subnetId: subnetId(n),
    vpcId: VPC,
    availabilityZone: AZS[s.az]!,
    cidrBlock: `10.42.${n * 32}.0/19`,
    mapPublicIpOnLaunch: false,
  }));
  const publicSubnetIds = AZS.map((az, n) => {
    subnets.push({ subnetId: subnetId(97 + n), vpcId: VPC, availabilityZone: az, cidrBlock: `10.42.${240 + n * 4}.0/22`, mapPublicIpOnLaunch: true });
    return subnetId(97 + n);
  });
  const nats = world.nats.map((n, k) => ({
    natGatewayId: natId(k),
    subnetId: n.inPublicSubnet ? publicSubnetIds[n.subnet % AZS.length]! : subnetId(n.subnet % subnetCount),
    vpcId: n.otherVpc ? OTHER_VPC : VPC,
    state: n.state,
    connectivityType: n.connectivityType,
  }));
  const routeTables = world.tables.map((t, k) => {
    const routes: RouteInfo[] = [{ destinationCidrBlock: '10.42.0.0/16', gatewayId: 'local', state: 'active' }];
    if (t.defaultRoute) {
      const target = t.defaultRoute.target;
      const route: RouteInfo = { destinationCidrBlock: '0.0.0.0/0', state: t.defaultRoute.blackhole ? 'blackhole' : 'active' };
      if (target.kind === 'nat') route.natGatewayId = natId(target.index);
      if (target.kind === 'igw') route.gatewayId = IGW;
      if (target.kind === 'tgw') route.transitGatewayId = 'tgw-0000000000000000a';
      if (target.kind === 'eni') route.networkInterfaceId = 'eni-0000000000000000a';
      if (target.kind === 'pcx') route.vpcPeeringConnectionId = 'pcx-0000000000000000a';
      if (target.kind === 'vpce') route.gatewayId = 'vpce-0000000000000000a';
      routes.push(route);
    }
    return {
      routeTableId: tableId(k),
      vpcId: VPC,
      main: k === 0,
      subnetIds: world.subnets.map((s, n) => (s.table === k ? subnetId(n) : undefined)).filter((id): id is string => !!id),
      routes,
    };
  });
  const publicRoutes: RouteInfo[] = [{ destinationCidrBlock: '10.42.0.0/16', gatewayId: 'local', state: 'active' }];
  if (world.publicRoute === 'igw-active' || world.publicRoute === 'igw-blackhole') {
    publicRoutes.push({ destinationCidrBlock: '0.0.0.0/0', gatewayId: IGW, state: world.publicRoute === 'igw-active' ? 'active' : 'blackhole' });
  }
  if (world.publicRoute === 'tgw') publicRoutes.push({ destinationCidrBlock: '0.0.0.0/0', transitGatewayId: 'tgw-0000000000000000a', state: 'active' });
  routeTables.push({ routeTableId: tableId(99), vpcId: VPC, main: false, subnetIds: publicSubnetIds, routes: publicRoutes });
  const instances = world.instances.map((i, n) => ({
    instanceId: instanceId(n),
    state: i.state,
    subnetId: subnetId(i.subnet % subnetCount),
    vpcId: VPC,
    availabilityZone: subnets[i.subnet % subnetCount]!.availabilityZone,
    launchTime: new Date(Date.parse(takenAt) - i.ageSeconds * 1000).toISOString(),
    ...(i.publicIp ? { publicIpAddress: `203.0.113.${n + 1}` } : {}),
    autoScalingGroupName: ASG,
  }));
  const nodes = world.instances.flatMap((i, n) =>
    i.node === 'none' ? [] : [{ name: `node-${n}`, providerID: `aws:///${instances[n]!.availabilityZone}/${instanceId(n)}`, instanceId: instanceId(n), ready: i.node === 'ready' }],
  );
  if (world.strayNode) nodes.push({ name: 'stray', providerID: 'aws:///us-west-2a/i-0fffffffffffffff0', instanceId: 'i-0fffffffffffffff0', ready: true });
  const failed = world.instances.map((i, n) => (i.listedAsFailed ? instanceId(n) : undefined)).filter((id): id is string => !!id);

  const snapshot: Snapshot = {
    region: 'us-west-2',
    takenAt,
    cluster: { name: 'c1', status: 'ACTIVE', vpcId: VPC, endpointPublicAccess: true, endpointPrivateAccess: world.privateAccess },
    nodegroup: {
      clusterName: 'c1',
      nodegroupName: 'ng',
      status: world.status,
      subnetIds: world.subnets.map((s, n) => (s.inNodegroup ? subnetId(n) : undefined)).filter((id): id is string => !!id),
      scalingConfig: { minSize: 0, maxSize: 5, desiredSize: instances.length },
      tags: {},
      autoScalingGroupNames: [ASG],
      healthIssues: failed.length > 0 ? [{ code: 'NodeCreationFailure', resourceIds: failed }] : [],
    },
    autoScalingGroups: [
      {
        name: ASG,
        minSize: 0,
        maxSize: 5,
        desiredCapacity: instances.length,
        tags: {},
        instances: world.instances.map((i, n) => ({
          instanceId: instanceId(n),
          lifecycleState: i.terminating ? 'Terminating' : 'InService',
          healthStatus: 'Healthy',
          availabilityZone: instances[n]!.availabilityZone,
        })),
      },
    ],
    instances,
    registration:
      world.source === 'kubernetes-api'
        ? { source: 'kubernetes-api', nodes }
        : { source: 'nodegroup-health', nodes: [], unavailableReason: 'Unauthorized' },
    network: {
      vpcId: VPC,
      subnets,
      routeTables,
      natGateways: nats,
      internetGateways: world.igw === 'absent' ? [] : [{ internetGatewayId: IGW, attachedVpcIds: world.igw === 'attached' ? [VPC] : [] }],
      vpcEndpoints: [],
    },
  };
  if (world.endpoints) addPrivateEndpoints(snapshot, routeTables.map((t) => t.routeTableId));
  const cfg = config({
    recycle: world.recycle,
    allowSharedRouteTables: world.allowShared,
    allowInternetEgress: world.allowInternetEgress,
    graceSeconds: world.graceSeconds,
    ...(world.override !== undefined ? { natGatewayId: natId(world.override) } : {}),
  });
  return { snapshot, cfg };
}

/** The safety rules, restated independently of the implementation. Returns the violations. */
function safetyViolations(snapshot: Snapshot, cfg: Config, actions: Action[]): string[] {
  const violations: string[] = [];
  const { network } = snapshot;
  const effectiveTable = (subnet: string) =>
    network.routeTables.find((t) => t.subnetIds.includes(subnet)) ?? network.routeTables.find((t) => t.main);
  const defaultRoute = (routeTableId: string) =>
    network.routeTables.find((t) => t.routeTableId === routeTableId)?.routes.find((r) => r.destinationCidrBlock === '0.0.0.0/0');
  const usableNat = (id: string) => {
    const nat = network.natGateways.find((n) => n.natGatewayId === id);
    if (!nat || nat.state !== 'available' || nat.connectivityType !== 'public' || nat.vpcId !== network.vpcId) return false;
    const upstream = effectiveTable(nat.subnetId)?.routes.find((r) => r.destinationCidrBlock === '0.0.0.0/0');
    return (
      upstream?.state === 'active' &&
      !!upstream.gatewayId?.startsWith('igw-') &&
      network.internetGateways.some((g) => g.internetGatewayId === upstream.gatewayId && g.attachedVpcIds.includes(network.vpcId))
    );
  };
  const ownSubnets = new Set([...snapshot.nodegroup.subnetIds, ...snapshot.instances.map((i) => i.subnetId)]);
  const registered = new Set(snapshot.registration.nodes.map((n) => n.instanceId));
  const failed = new Set(snapshot.nodegroup.healthIssues.filter((h) => h.code === 'NodeCreationFailure').flatMap((h) => h.resourceIds));
  const provenUnregistered = (id: string) => {
    const instance = snapshot.instances.find((i) => i.instanceId === id);
    if (!instance || instance.state !== 'running' || registered.has(id)) return false;
    if ((Date.parse(snapshot.takenAt) - Date.parse(instance.launchTime)) / 1000 < cfg.graceSeconds) return false;
    return snapshot.registration.source === 'kubernetes-api' || failed.has(id);
  };

  const routeTablesTouched = new Set<string>();
  for (const action of actions) {
    if (action.status !== 'planned') violations.push(`${action.type} is ${action.status}, not planned`);
    if (!['CREATE_ROUTE', 'REPLACE_ROUTE', 'REPLACE_INSTANCES', 'SCALE_CYCLE'].includes(action.type)) {
      violations.push(`unknown action type ${action.type}`);
    }
    if (action.type === 'CREATE_ROUTE' || action.type === 'REPLACE_ROUTE') {
      const rtb = network.routeTables.find((t) => t.routeTableId === action.resourceId);
      const current = defaultRoute(action.resourceId);
      if (!rtb) violations.push(`route action on unknown table ${action.resourceId}`);
      if (routeTablesTouched.has(action.resourceId)) violations.push(`two route actions on ${action.resourceId}`);
      routeTablesTouched.add(action.resourceId);
      if (action.type === 'CREATE_ROUTE' && current) violations.push(`CREATE_ROUTE over an existing route in ${action.resourceId}`);
      if (action.type === 'REPLACE_ROUTE' && current?.state !== 'blackhole') violations.push(`REPLACE_ROUTE of a non-blackhole route in ${action.resourceId}`);
      const nat = String(action.detail['natGatewayId']);
      if (!usableNat(nat)) violations.push(`route to unusable NAT ${nat}`);
      if (cfg.natGatewayId && nat !== cfg.natGatewayId) violations.push(`route to ${nat} instead of the override ${cfg.natGatewayId}`);
      if (action.detail['destinationCidrBlock'] !== '0.0.0.0/0') violations.push('route other than 0.0.0.0/0');
      // Contract section 3: no NAT route on an endpoint-only subnet (no 0.0.0.0/0; an s3 gateway endpoint on
      // the table or interface endpoints for ec2/ecr.api/ecr.dkr/sts in the VPC) unless allowed.
      const endpointOnly =
        !current &&
        (network.vpcEndpoints.some((e) => e.vpcEndpointType === 'Gateway' && e.serviceName.endsWith('.s3') && e.routeTableIds.includes(action.resourceId)) ||
          network.vpcEndpoints.some((e) => e.vpcEndpointType === 'Interface' && /\.(ec2|ecr\.api|ecr\.dkr|sts)$/.test(e.serviceName)));
      if (endpointOnly && !cfg.allowInternetEgress) violations.push(`NAT route on endpoint-only ${action.resourceId} without --allow-internet-egress`);
      if (rtb && !cfg.allowSharedRouteTables && (rtb.main || rtb.subnetIds.some((s) => !ownSubnets.has(s)))) {
        violations.push(`shared/main table ${rtb.routeTableId} changed without permission`);
      }
      // Same-AZ preference: if a usable NAT exists in a served subnet's AZ, the chosen one is in such an AZ.
      const servedAzs = new Set(((action.detail['subnetIds'] as string[]) ?? []).map((s) => network.subnets.find((x) => x.subnetId === s)?.availabilityZone));
      const natAz = (id: string) => network.subnets.find((s) => s.subnetId === network.natGateways.find((n) => n.natGatewayId === id)?.subnetId)?.availabilityZone;
      const sameAzExists = network.natGateways.some((n) => usableNat(n.natGatewayId) && servedAzs.has(natAz(n.natGatewayId)));
      if (!cfg.natGatewayId && sameAzExists && !servedAzs.has(natAz(nat))) violations.push(`NAT ${nat} chosen outside the served AZs`);
    }
    if (action.type === 'REPLACE_INSTANCES') {
      if (cfg.recycle === 'none') violations.push('recycled with strategy none');
      for (const id of action.detail['instanceIds'] as string[]) {
        if (!provenUnregistered(id)) violations.push(`REPLACE_INSTANCES names ${id}, which is not proven unregistered`);
      }
    }
    if (action.type === 'SCALE_CYCLE') {
      if (cfg.recycle !== 'scale-cycle') violations.push('scale cycle without the scale-cycle strategy');
      if (snapshot.registration.nodes.length > 0) violations.push('scale cycle while nodes are registered');
      const unproven = snapshot.instances.filter((i) => !provenUnregistered(i.instanceId));
      if (unproven.length > 0) violations.push(`scale cycle while ${unproven.map((i) => i.instanceId).join(',')} are not proven unregistered`);
      if (JSON.stringify(action.detail['original']) !== JSON.stringify(snapshot.nodegroup.scalingConfig)) violations.push('scale cycle without the original scaling config');
    }
  }
  if (actions.filter((a) => a.type === 'REPLACE_INSTANCES' || a.type === 'SCALE_CYCLE').length > 1) violations.push('more than one recycle action');
  return violations;
}

describe('plan safety property', () => {
  it('no planned action breaks a safety rule, for any world', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        // Prepare
        const { snapshot, cfg } = buildSnapshot(world);

        // Act
        const result = plan(snapshot, diagnose(snapshot, cfg), cfg);

        // Assess
        expect(safetyViolations(snapshot, cfg, result.actions)).toEqual([]);
      }),
      { numRuns: 1500 },
    );
  });

  it('no planned action breaks a safety rule even when the diagnosis is wrong about the instances', () => {
    fc.assert(
      fc.property(worldArb, fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }), (world, claimUnregistered) => {
        const { snapshot, cfg } = buildSnapshot(world);
        const honest = diagnose(snapshot, cfg);
        // Claim an arbitrary set of instances unregistered and none young.
        const wrong: Diagnosis = {
          ...honest,
          unregisteredInstanceIds: snapshot.instances.filter((_, n) => claimUnregistered[n]).map((i) => i.instanceId),
          youngInstanceIds: [],
        };

        const result = plan(snapshot, wrong, cfg);

        expect(safetyViolations(snapshot, cfg, result.actions)).toEqual([]);
      }),
      { numRuns: 800 },
    );
  });

  it('the generated worlds exercise every action type and refusals alike (the property is not vacuous)', () => {
    const seen: Record<string, number> = {};
    fc.assert(
      fc.property(worldArb, (world) => {
        const { snapshot, cfg } = buildSnapshot(world);
        const result = plan(snapshot, diagnose(snapshot, cfg), cfg);
        for (const key of [...result.actions.map((a) => a.type), result.unresolvedReason ? 'unresolved' : 'resolved']) {
          seen[key] = (seen[key] ?? 0) + 1;
        }
      }),
      { numRuns: 1500, seed: 42 },
    );

    expect(Object.keys(seen).sort()).toEqual(['CREATE_ROUTE', 'REPLACE_INSTANCES', 'REPLACE_ROUTE', 'SCALE_CYCLE', 'resolved', 'unresolved']);
    expect(seen['CREATE_ROUTE']! + seen['REPLACE_ROUTE']!).toBeGreaterThan(100);
  });
});

// --- Property: a run with one injected fault, then a clean re-run, never strands a node group ----
//
// A small model of execution (issue 13): route writes set an active NAT route; REPLACE_INSTANCES
// and SCALE_CYCLE launch replacements wherever the node group may launch (chosen by the
// generator, as Auto Scaling would); one action of the first run may fail, and a SCALE_CYCLE may
// fail at its restore (the node group stays at zero). Done and failed actions go to the ledger the
// second run reads. After the clean re-run: no node group is below its original size, and no
// instance either run launched is left in a subnet without a working path.

const faultArb = fc.record({
  failAt: fc.option(fc.nat(3), { nil: undefined }),
  restoreFails: fc.boolean(),
  placement: fc.array(fc.nat(9), { minLength: 16, maxLength: 16 }),
});
type Fault = typeof faultArb extends fc.Arbitrary<infer F> ? F : never;

/** The path of a new instance in `subnet` works: restated from contract sections 3 and 7, not from the implementation. */
function newInstancePathWorks(snapshot: Snapshot, subnet: string): boolean {
  const { network } = snapshot;
  const tableOf = (s: string) => network.routeTables.find((t) => t.subnetIds.includes(s)) ?? network.routeTables.find((t) => t.main);
  const route = tableOf(subnet)?.routes.find((r) => r.destinationCidrBlock === '0.0.0.0/0');
  if (!route) return network.vpcEndpoints.length > 0 && snapshot.cluster.endpointPrivateAccess;
  if (route.state === 'blackhole') return false;
  if (route.natGatewayId) {
    const nat = network.natGateways.find((n) => n.natGatewayId === route.natGatewayId);
    if (!nat || nat.state !== 'available' || nat.connectivityType !== 'public' || nat.vpcId !== network.vpcId) return false;
    const upstream = tableOf(nat.subnetId)?.routes.find((r) => r.destinationCidrBlock === '0.0.0.0/0');
    return (
      upstream?.state === 'active' &&
      !!upstream.gatewayId?.startsWith('igw-') &&
      network.internetGateways.some((g) => g.internetGatewayId === upstream.gatewayId && g.attachedVpcIds.includes(network.vpcId))
    );
  }
  if (route.gatewayId?.startsWith('igw-')) return network.subnets.find((s) => s.subnetId === subnet)?.mapPublicIpOnLaunch === true;
  return true; // transit gateway, ENI, peering...: a deliberate design nobody can judge from here
}

interface Run {
  snapshot: Snapshot;
  launched: string[];
  actions: Action[];
}

/** Executes `snapshot`'s plan in the model; returns the world 15 minutes later, with the ledger. */
function runOnce(snapshot: Snapshot, cfg: Config, fault: Fault | undefined, runNumber: number): Run {
  const world = structuredClone(snapshot);
  const result = plan(world, diagnose(world, cfg), cfg);
  const time = world.takenAt;
  const launched: string[] = [];
  let next = 0;
  const launchSubnets = [...new Set([...world.nodegroup.subnetIds, ...world.autoScalingGroups.flatMap((g) => g.subnetIds ?? [])])];
  const launch = (fallbackSubnet: string | undefined) => {
    const pool = launchSubnets.length > 0 ? launchSubnets : [fallbackSubnet ?? world.network.subnets[0]!.subnetId];
    const subnet = pool[(fault?.placement[next % 16] ?? next) % pool.length]!;
    const id = `i-0${runNumber}${String(next++).padStart(15, '0')}`;
    world.instances.push({ instanceId: id, state: 'running', subnetId: subnet, vpcId: VPC, availabilityZone: 'us-west-2a', launchTime: time, autoScalingGroupName: ASG });
    world.autoScalingGroups[0]!.instances.push({ instanceId: id, lifecycleState: 'InService', healthStatus: 'Healthy', availabilityZone: 'us-west-2a' });
    launched.push(id);
  };
  const remove = (id: string) => {
    world.instances = world.instances.filter((i) => i.instanceId !== id);
    world.autoScalingGroups[0]!.instances = world.autoScalingGroups[0]!.instances.filter((i) => i.instanceId !== id);
  };
  const ledger = [...(world.history?.ledger ?? [])];
  const actions: Action[] = [];
  let failed = false;
  for (const [index, action] of result.actions.entries()) {
    if (failed) break;
    const record = (status: 'done' | 'failed', detail: Record<string, unknown> = {}) => {
      const done: Action = { ...action, status, detail: { ...action.detail, ...detail } };
      actions.push(done);
      const cause = typeof done.detail['cause'] === 'string' ? (done.detail['cause'] as string) : action.type === 'RESTORE_SCALING' ? 'NODEGROUP_LEFT_SCALED_DOWN' : 'NO_DEFAULT_ROUTE';
      ledger.unshift({ time, remediationId: `r-${runNumber}`, cause, action: done });
    };
    if (fault?.failAt === index) {
      failed = true;
      record('failed');
      break;
    }
    if (action.type === 'CREATE_ROUTE' || action.type === 'REPLACE_ROUTE') {
      setDefaultRoute(world, action.resourceId, { natGatewayId: String(action.detail['natGatewayId']), state: 'active' });
      record('done');
    } else if (action.type === 'REPLACE_INSTANCES') {
      for (const id of action.detail['instanceIds'] as string[]) {
        const subnet = world.instances.find((i) => i.instanceId === id)?.subnetId;
        remove(id);
        launch(subnet);
      }
      record('done');
    } else if (action.type === 'SCALE_CYCLE') {
      const original = action.detail['original'] as { minSize: number; maxSize: number; desiredSize: number };
      const subnets = world.instances.map((i) => i.subnetId);
      for (const instance of [...world.instances]) remove(instance.instanceId);
      if (fault?.restoreFails) {
        world.nodegroup.scalingConfig = { minSize: 0, maxSize: original.maxSize, desiredSize: 0 };
        world.autoScalingGroups[0]!.desiredCapacity = 0;
        failed = true;
        record('failed', { scaledDownTo: world.nodegroup.scalingConfig });
      } else {
        for (let k = 0; k < original.desiredSize; k++) launch(subnets[k]);
        record('done', { scaledDownTo: { minSize: 0, maxSize: original.maxSize, desiredSize: 0 }, restoredTo: original });
      }
    } else if (action.type === 'RESTORE_SCALING') {
      const original = action.detail['original'] as { minSize: number; maxSize: number; desiredSize: number };
      world.nodegroup.scalingConfig = { ...original };
      world.autoScalingGroups[0]!.desiredCapacity = original.desiredSize;
      for (let k = 0; k < original.desiredSize; k++) launch(undefined);
      record('done', { restoredTo: original });
    }
  }
  world.takenAt = new Date(Date.parse(time) + 900_000).toISOString();
  world.history = { changes: [], ledger, ledgerDurable: true };
  return { snapshot: world, launched, actions };
}

describe('plan: a run that failed halfway, then a clean re-run (issue 13)', () => {
  it('leaves no node group below its original size and no new instance where the path is broken', () => {
    const seen = { restored: 0, launchRoutes: 0, strandedFirst: 0 };
    fc.assert(
      fc.property(worldArb, faultArb, (generated, fault) => {
        // Prepare
        const { snapshot, cfg } = buildSnapshot(generated);
        snapshot.history = { changes: [], ledger: [], ledgerDurable: true };
        const original = snapshot.nodegroup.scalingConfig.desiredSize;

        // Act
        const first = runOnce(snapshot, cfg, fault, 1);
        const second = runOnce(first.snapshot, cfg, undefined, 2);

        // Assess
        if (first.snapshot.nodegroup.scalingConfig.desiredSize < original) seen.strandedFirst++;
        if (second.actions.some((a) => a.type === 'RESTORE_SCALING')) seen.restored++;
        if ([...first.actions, ...second.actions].some((a) => a.detail['launchSubnet'] === true)) seen.launchRoutes++;
        expect(second.snapshot.nodegroup.scalingConfig.desiredSize).toBeGreaterThanOrEqual(original);
        const alive = new Set(second.snapshot.instances.map((i) => i.instanceId));
        const misplaced = [...first.launched, ...second.launched]
          .filter((id) => alive.has(id))
          .map((id) => second.snapshot.instances.find((i) => i.instanceId === id)!)
          .filter((i) => !newInstancePathWorks(second.snapshot, i.subnetId))
          .map((i) => `${i.instanceId} in ${i.subnetId}`);
        expect(misplaced).toEqual([]);
      }),
      { numRuns: 1000, seed: 1 },
    );

    // The property is not vacuous: scale cycles were stranded and restored, launch subnets were fixed.
    expect(seen.strandedFirst).toBeGreaterThan(0);
    expect(seen.restored).toBe(seen.strandedFirst);
    expect(seen.launchRoutes).toBeGreaterThan(0);
  });
});
