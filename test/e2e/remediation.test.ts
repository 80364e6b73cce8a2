/**
 * End to end, no mocks: the real handler, real SDK clients and the real Kubernetes client talk
 * over HTTP/HTTPS to the local emulator. What changed is read back from the emulator's call
 * log and world, not from the report alone.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EKSClient, UpdateNodegroupConfigCommand } from '@aws-sdk/client-eks';
import { startHarness, type Harness } from '../../emulator/harness';
import type { CallRecord, EventBridgeEnvelope, Scenario } from '../../emulator/index';
import type { MultiReport, Report } from '../../lambda/report';

const CLUSTER = 'eks-workshop';
const NODEGROUP = 'new_nodegroup_2';
const SCENARIOS = path.join(__dirname, '../../emulator/scenarios');
const MUTATING = new Set([
  'CreateRoute', 'ReplaceRoute', 'DeleteRoute', 'TerminateInstanceInAutoScalingGroup', 'SetDesiredCapacity',
  'UpdateNodegroupConfig', 'UpdateNodegroupVersion', 'CreateNodegroup', 'DeleteNatGateway',
]);

function scenario(name: string): Scenario {
  return JSON.parse(readFileSync(path.join(SCENARIOS, `${name}.json`), 'utf8')) as Scenario;
}

function mutatingCalls(calls: CallRecord[]): CallRecord[] {
  return calls.filter((c) => MUTATING.has(c.operation));
}

function single(result: Report | MultiReport): Report {
  if ('reports' in result) throw new Error(`expected one report, got ${result.reports.length}`);
  return result;
}

interface WorldView {
  routeTables: { routeTableId: string; subnetIds?: string[]; routes: { destinationCidrBlock?: string; natGatewayId?: string; state?: string }[] }[];
}

/** The new subnet's own route table as the emulator holds it. */
function routeTableOfNewSubnet(harness: Harness): WorldView['routeTables'][number] | undefined {
  const state = harness.emulator.state() as unknown as WorldView;
  return state.routeTables.find((t) => (t.subnetIds ?? []).includes('subnet-0a1b2c3d4e5f60718'));
}

async function readyNodesOf(harness: Harness): Promise<string[]> {
  const nodes = harness.emulator.world.nodesOf(CLUSTER) as { metadata: { labels: Record<string, string> }; spec: { providerID: string }; status: { conditions: { type: string; status: string }[] } }[];
  return nodes
    .filter((n) => n.metadata.labels['eks.amazonaws.com/nodegroup'] === NODEGROUP)
    .filter((n) => n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True'))
    .map((n) => n.spec.providerID);
}

describe('end to end against the local emulator', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('seed story: REMEDIATED, exactly one route written to the subnet\'s own table, the node joins', async () => {
    // Prepare
    harness = await startHarness({ scenario: 'seed', env: { WAIT_SECONDS: '30' } });
    const tableBefore = routeTableOfNewSubnet(harness)!;

    // Act
    const report = single(await harness.invoke({ clusterName: CLUSTER, nodegroupName: NODEGROUP }));

    // Assess
    expect(report.outcome).toBe('REMEDIATED');
    expect(report.verification).toEqual({ status: 'joined', registered: 1, expected: 1 });
    const writes = mutatingCalls(harness.emulator.calls());
    const routeWrites = writes.filter((c) => c.operation === 'CreateRoute' || c.operation === 'ReplaceRoute');
    expect(routeWrites).toHaveLength(1);
    expect(routeWrites[0]!.params).toMatchObject({
      RouteTableId: tableBefore.routeTableId,
      DestinationCidrBlock: '0.0.0.0/0',
      NatGatewayId: 'nat-0c2b4e6a8d0f13579',
    });
    expect(routeWrites[0]!.principalArn).toBe(harness.remediatorRoleArn);
    expect(writes.filter((c) => c.operation === 'TerminateInstanceInAutoScalingGroup')).toHaveLength(1);
    expect(routeTableOfNewSubnet(harness)!.routes).toContainEqual(
      expect.objectContaining({ destinationCidrBlock: '0.0.0.0/0', natGatewayId: 'nat-0c2b4e6a8d0f13579', state: 'active' }),
    );
    expect(await readyNodesOf(harness)).toHaveLength(1);
  });

  it('blackhole route: REPLACE_ROUTE to the available NAT gateway, and the node joins', async () => {
    // Prepare
    harness = await startHarness({ scenario: 'blackhole', env: { WAIT_SECONDS: '30' } });

    // Act
    const report = single(await harness.invoke({ clusterName: CLUSTER, nodegroupName: NODEGROUP }));

    // Assess
    expect(report.outcome).toBe('REMEDIATED');
    expect(report.findings.map((f) => f.code)).toContain('BLACKHOLE_DEFAULT_ROUTE');
    expect(report.actions.map((a) => [a.type, a.status])).toEqual([['REPLACE_ROUTE', 'done'], ['REPLACE_INSTANCES', 'done']]);
    const ops = mutatingCalls(harness.emulator.calls()).map((c) => c.operation);
    expect(ops).toContain('ReplaceRoute');
    expect(ops).not.toContain('CreateRoute');
    expect(ops).not.toContain('DeleteRoute');
    expect(report.verification.status).toBe('joined');
  });

  it('healthy node groups: HEALTHY and not one mutating call', async () => {
    // Prepare
    harness = await startHarness({ scenario: 'healthy' });

    // Act
    const result = await harness.invoke({ clusterName: CLUSTER });

    // Assess
    const reports = (result as MultiReport).reports;
    expect(reports.map((r) => [r.nodegroupName, r.outcome])).toEqual(
      expect.arrayContaining([['default', 'HEALTHY'], [NODEGROUP, 'HEALTHY']]),
    );
    expect(mutatingCalls(harness.emulator.calls())).toEqual([]);
  });

  it('dry run: DRY_RUN with the plan, and not one mutating call', async () => {
    // Prepare
    harness = await startHarness({ scenario: 'seed', env: { DRY_RUN: 'true' } });

    // Act
    const report = single(await harness.invoke({ clusterName: CLUSTER, nodegroupName: NODEGROUP }));

    // Assess
    expect(report.outcome).toBe('DRY_RUN');
    expect(report.actions.map((a) => [a.type, a.status])).toEqual([['CREATE_ROUTE', 'planned'], ['REPLACE_INSTANCES', 'planned']]);
    expect(mutatingCalls(harness.emulator.calls())).toEqual([]);
    expect(routeTableOfNewSubnet(harness)!.routes.some((r) => r.destinationCidrBlock === '0.0.0.0/0')).toBe(false);
  });

  it('no usable NAT gateway: UNRESOLVED and nothing changed', async () => {
    // Prepare
    harness = await startHarness({ scenario: 'no-usable-nat' });

    // Act
    const report = single(await harness.invoke({ clusterName: CLUSTER, nodegroupName: NODEGROUP }));

    // Assess
    expect(report.outcome).toBe('UNRESOLVED');
    expect(report.findings.map((f) => f.code)).toContain('NO_USABLE_NAT_GATEWAY');
    expect(report.actions).toEqual([]);
    expect(mutatingCalls(harness.emulator.calls())).toEqual([]);
  });

  it('the main route table is not touched without --allow-shared-route-tables', async () => {
    // Prepare
    harness = await startHarness({ scenario: 'shared-main-table' });

    // Act
    const report = single(await harness.invoke({ clusterName: CLUSTER, nodegroupName: NODEGROUP }));

    // Assess
    expect(report.outcome).toBe('UNRESOLVED');
    expect(report.findings.map((f) => f.code)).toContain('SHARED_ROUTE_TABLE');
    expect(mutatingCalls(harness.emulator.calls())).toEqual([]);
  });

  it('without an access entry for the remediator: falls back to the node group health', async () => {
    // Prepare: the remediator cannot list nodes (403); EKS already lists the instance as failed.
    const world = scenario('seed');
    world.timing = { ...world.timing, nodeCreationFailureSeconds: 60 };
    for (const cluster of world.clusters) {
      cluster.accessEntries = (cluster.accessEntries ?? []).filter((e) => !e.principalArn.endsWith(':role/node-join-remediator'));
    }
    harness = await startHarness({ scenario: world, env: { WAIT_SECONDS: '3' } });

    // Act
    const report = single(await harness.invoke({ clusterName: CLUSTER, nodegroupName: NODEGROUP }));

    // Assess
    expect(report.registrationSource).toBe('nodegroup-health');
    expect(report.findings.map((f) => f.code)).toEqual(expect.arrayContaining(['KUBERNETES_API_UNAVAILABLE', 'NO_DEFAULT_ROUTE']));
    expect(report.outcome).toBe('REMEDIATED');
    // Without the Kubernetes API a join cannot be proven: the report says pending, never joined.
    expect(report.verification.status).toBe('pending');
  });

  it('throttling on every operation: standard retries still get to REMEDIATED', async () => {
    // Prepare: every operation the remediator calls is throttled once before it succeeds.
    harness = await startHarness({ scenario: 'seed', env: { WAIT_SECONDS: '30' } });
    const operations = [
      'DescribeCluster', 'DescribeNodegroup', 'DescribeAutoScalingGroups', 'DescribeInstances',
      'DescribeSubnets', 'DescribeRouteTables', 'DescribeNatGateways', 'DescribeInternetGateways',
      'DescribeVpcEndpoints', 'CreateRoute', 'TerminateInstanceInAutoScalingGroup',
    ];
    for (const operation of operations) {
      harness.emulator.injectFault({ operation, error: 'throttle', count: 1, principalArn: harness.remediatorRoleArn });
    }

    // Act
    const report = single(await harness.invoke({ clusterName: CLUSTER, nodegroupName: NODEGROUP }));

    // Assess
    expect(report.outcome).toBe('REMEDIATED');
    expect(report.verification.status).toBe('joined');
    const calls = harness.emulator.calls();
    // The retries really happened: every operation was answered more than once.
    for (const operation of operations) {
      expect(calls.filter((c) => c.operation === operation).length).toBeGreaterThanOrEqual(2);
    }
    expect(routeTableOfNewSubnet(harness)!.routes.filter((r) => r.destinationCidrBlock === '0.0.0.0/0')).toHaveLength(1);
    // Adaptive retries slow the client down after throttling: this run takes ~20 s here.
  }, 90_000);

  it('loop guard: the remediator\'s own UpdateNodegroupConfig (scale-cycle) does not start another remediation', async () => {
    // Prepare
    harness = await startHarness({ scenario: 'seed', env: { RECYCLE_STRATEGY: 'scale-cycle', WAIT_SECONDS: '30' } });
    const firstEvent = harness.emulator.events().length;

    // Act
    const report = single(await harness.invoke({ clusterName: CLUSTER, nodegroupName: NODEGROUP }));
    const ownEvents = harness.eventsSince(
      firstEvent,
      (e: EventBridgeEnvelope) => e.source === 'aws.eks' && (e.detail as { eventName?: string }).eventName === 'UpdateNodegroupConfig',
    );
    const callsBefore = harness.emulator.calls().length;
    const echoes = await Promise.all(ownEvents.map((e) => harness!.invoke(e)));

    // Assess
    expect(report.outcome).toBe('REMEDIATED');
    expect(report.actions.map((a) => a.type)).toEqual(['CREATE_ROUTE', 'SCALE_CYCLE']);
    expect(ownEvents.length).toBeGreaterThanOrEqual(2);
    for (const echo of echoes) {
      expect(single(echo)).toMatchObject({ outcome: 'SKIPPED' });
      expect(single(echo).reason).toMatch(/remediator/i);
    }
    expect(harness.emulator.calls().slice(callsBefore)).toEqual([]);
  });

  it('an operator\'s UpdateNodegroupConfig event drives the remediation (event-driven path)', async () => {
    // Prepare
    harness = await startHarness({ scenario: 'seed', env: { WAIT_SECONDS: '30' } });
    const operator = harness.emulator.operator;
    const eks = new EKSClient({ region: harness.emulator.region, endpoint: harness.emulator.awsEndpoint, credentials: operator });
    const since = harness.emulator.events().length;
    await eks.send(new UpdateNodegroupConfigCommand({ clusterName: CLUSTER, nodegroupName: NODEGROUP, scalingConfig: { minSize: 0, maxSize: 2, desiredSize: 1 } }));
    const [event] = harness.eventsSince(since, (e) => e.source === 'aws.eks');

    // Act
    const report = single(await harness.invoke(event));

    // Assess
    expect((event!.detail as { userIdentity: { arn: string } }).userIdentity.arn).toContain('platform-admin');
    expect(report.outcome).toBe('REMEDIATED');
    expect(report.verification.status).toBe('joined');
  });
});
