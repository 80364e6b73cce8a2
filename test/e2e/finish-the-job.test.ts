/**
 * Finish the job, never strand a node group (issues 8 and 13), end to end: the real handler, real
 * SDK clients (CloudTrail included) and the real Kubernetes client against the local emulator.
 * Where a test spans several invocations, one InMemoryLedger plays the deployed ledger table.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CreateRouteCommand, EC2Client, ReplaceRouteCommand } from '@aws-sdk/client-ec2';
import { startHarness, type Harness } from '../../emulator/harness';
import type { CallRecord, EventBridgeEnvelope, Scenario } from '../../emulator/index';
import { InMemoryLedger } from '../../lambda/ledger/memory';
import type { MultiReport, Report } from '../../lambda/report';
import { PROJECT_ROOT, run } from './support/processes';

const CLUSTER = 'eks-workshop';
const NODEGROUP = 'new_nodegroup_2';
const NEW_SUBNET = 'subnet-0a1b2c3d4e5f60718';
const NEW_TABLE = 'rtb-0e1f2a3b4c5d6e7f8';
const NAT = 'nat-0c2b4e6a8d0f13579';
const OPERATOR_SESSION = 'arn:aws:sts::123456789012:assumed-role/platform-admin/alice';
const SCENARIOS = path.join(__dirname, '../../emulator/scenarios');
const SWEEP = JSON.parse(readFileSync(path.join(__dirname, '../fixtures/events/scheduled-event.json'), 'utf8')) as unknown;
const MANUAL = { clusterName: CLUSTER, nodegroupName: NODEGROUP };

function seed(): Scenario {
  return JSON.parse(readFileSync(path.join(SCENARIOS, 'seed.json'), 'utf8')) as Scenario;
}

/** The seed world with the NAT route already in the new subnet's table (the path works now). */
function routeFixedWorld(): Scenario {
  const world = seed();
  world.routeTables.find((t) => t.routeTableId === NEW_TABLE)!.routes.push({ destinationCidrBlock: '0.0.0.0/0', natGatewayId: NAT });
  return world;
}

function brokenNodegroup(world: Scenario) {
  return world.clusters[0]!.nodegroups.find((n) => n.nodegroupName === NODEGROUP)!;
}

function single(result: Report | MultiReport): Report {
  if ('reports' in result) throw new Error(`expected one report, got ${result.reports.length}`);
  return result;
}

function reportOf(result: Report | MultiReport, nodegroupName = NODEGROUP): Report {
  const reports = 'reports' in result ? result.reports : [result];
  const found = reports.find((r) => r.nodegroupName === nodegroupName);
  if (!found) throw new Error(`no report for ${nodegroupName}`);
  return found;
}

function byRemediator(harness: Harness, operation: string): CallRecord[] {
  return harness.emulator.calls().filter((c) => c.operation === operation && c.principalArn === harness.remediatorRoleArn && c.httpStatus < 300);
}

function readyNodes(harness: Harness): string[] {
  const nodes = harness.emulator.world.nodesOf(CLUSTER) as {
    metadata: { labels: Record<string, string> };
    spec: { providerID: string };
    status: { conditions: { type: string; status: string }[] };
  }[];
  return nodes
    .filter((n) => n.metadata.labels['eks.amazonaws.com/nodegroup'] === NODEGROUP)
    .filter((n) => n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True'))
    .map((n) => n.spec.providerID);
}

function operatorEc2(harness: Harness): EC2Client {
  return new EC2Client({ region: harness.emulator.region, endpoint: harness.emulator.awsEndpoint, credentials: harness.emulator.operator, maxAttempts: 1 });
}

function bootedBeforeFix(report: Report) {
  return report.findings.find((f) => f.code === 'INSTANCES_BOOTED_BEFORE_FIX');
}

describe('finish the job: instances that booted before their path was fixed', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('IaC race (the operator created the route after the instance launched): REMEDIATED, the instance is replaced and joins', async () => {
    // Prepare: the seed world; the operator adds the NAT route through the API, after the instance gave up.
    harness = await startHarness({ scenario: 'seed', env: { WAIT_SECONDS: '30' } });
    const ec2 = operatorEc2(harness);
    await ec2.send(new CreateRouteCommand({ RouteTableId: NEW_TABLE, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: NAT }));
    ec2.destroy();
    harness.emulator.advance(5);

    // Act
    const report = single(await harness.invoke(MANUAL));

    // Assess
    expect(report.outcome).toBe('REMEDIATED');
    expect(report.actions.map((a) => [a.type, a.status])).toEqual([['REPLACE_INSTANCES', 'done']]);
    const finding = bootedBeforeFix(report)!;
    const [evidence] = finding.evidence['instances'] as { changes: { source: string; eventName: string; by: string; resourceIds: string[] }[] }[];
    expect(evidence!.changes[0]).toMatchObject({ source: 'cloudtrail', eventName: 'CreateRoute', by: OPERATOR_SESSION });
    expect(evidence!.changes[0]!.resourceIds).toContain(NEW_TABLE);
    expect(byRemediator(harness, 'CreateRoute')).toEqual([]);
    expect(byRemediator(harness, 'LookupEvents').length).toBeGreaterThan(0);
    expect(report.verification).toEqual({ status: 'joined', registered: 1, expected: 1 });
    expect(readyNodes(harness)).toHaveLength(1);
  });

  it('IaC race from the CloudTrail history of the scenario: REMEDIATED and joined', async () => {
    // Prepare: the route exists at start, but CloudTrail shows it was created 5 minutes ago, after the 10-minute-old instance.
    const world = routeFixedWorld();
    brokenNodegroup(world).instances = [{ joins: false }];
    world.cloudTrail = [
      {
        eventName: 'CreateRoute',
        eventSecondsAgo: 300,
        requestParameters: { routeTableId: NEW_TABLE, destinationCidrBlock: '0.0.0.0/0', natGatewayId: NAT },
        resources: [{ resourceType: 'AWS::EC2::RouteTable', resourceName: NEW_TABLE }],
        userIdentity: { arn: 'arn:aws:sts::123456789012:assumed-role/terraform/ci' },
      },
    ];
    harness = await startHarness({ scenario: world, env: { WAIT_SECONDS: '30' } });

    // Act
    const report = single(await harness.invoke(MANUAL));

    // Assess
    expect(report.outcome).toBe('REMEDIATED');
    expect(bootedBeforeFix(report)?.message).toContain('terraform/ci');
    expect(report.verification.status).toBe('joined');
    expect(readyNodes(harness)).toHaveLength(1);
  });

  it('route present from the start, the node never joins for another reason: UNRESOLVED and nothing recycled', async () => {
    // Prepare
    const world = routeFixedWorld();
    brokenNodegroup(world).instances = [{ joins: false }];
    harness = await startHarness({ scenario: world, env: { WAIT_SECONDS: '5' } });

    // Act
    const report = single(await harness.invoke(MANUAL));

    // Assess
    expect(report.outcome).toBe('UNRESOLVED');
    expect(bootedBeforeFix(report)).toBeUndefined();
    expect(report.actions).toEqual([]);
    expect(report.reason).toMatch(/routing looks fine.*need replacing/i);
    expect(byRemediator(harness, 'TerminateInstanceInAutoScalingGroup')).toEqual([]);
    expect(byRemediator(harness, 'UpdateNodegroupConfig')).toEqual([]);
  });

  it('403 on the replacement, then a retry: the retry recycles what the FAILED run left (from the ledger) and ends REMEDIATED', async () => {
    // Prepare
    const ledger = new InMemoryLedger();
    harness = await startHarness({ scenario: 'seed', env: { WAIT_SECONDS: '30' }, ledger });
    harness.emulator.injectFault({ operation: 'TerminateInstanceInAutoScalingGroup', error: 'access-denied', count: 1, principalArn: harness.remediatorRoleArn });

    // Act
    const first = single(await harness.invoke(MANUAL));
    const retry = single(await harness.invoke(MANUAL));

    // Assess
    expect(first.outcome).toBe('FAILED');
    expect(first.actions.map((a) => [a.type, a.status])).toEqual([['CREATE_ROUTE', 'done'], ['REPLACE_INSTANCES', 'failed']]);
    expect(retry.outcome).toBe('REMEDIATED');
    expect(retry.actions.map((a) => [a.type, a.status])).toEqual([['REPLACE_INSTANCES', 'done']]);
    const [evidence] = bootedBeforeFix(retry)!.evidence['instances'] as { changes: { source: string; eventName: string }[] }[];
    expect(evidence!.changes[0]).toMatchObject({ source: 'ledger', eventName: 'CreateRoute' });
    expect(retry.verification.status).toBe('joined');
    expect(byRemediator(harness, 'CreateRoute')).toHaveLength(1);
  });

  it('403 then a retry without a ledger table: CloudTrail shows the route the FAILED run wrote, and the retry finishes', async () => {
    // Prepare: no shared ledger — each invocation has its own.
    harness = await startHarness({ scenario: 'seed', env: { WAIT_SECONDS: '30' } });
    harness.emulator.injectFault({ operation: 'TerminateInstanceInAutoScalingGroup', error: 'access-denied', count: 1, principalArn: harness.remediatorRoleArn });
    await harness.invoke(MANUAL);

    // Act
    const retry = single(await harness.invoke(MANUAL));

    // Assess
    expect(retry.outcome).toBe('REMEDIATED');
    const [evidence] = bootedBeforeFix(retry)!.evidence['instances'] as { changes: { source: string; by: string }[] }[];
    expect(evidence!.changes[0]).toMatchObject({ source: 'cloudtrail', by: expect.stringContaining('assumed-role/node-join-remediator/') });
    expect(retry.verification.status).toBe('joined');
  });

  it('an instance inside the grace period when a run fixed its route is recycled by a later sweep (ledger evidence)', async () => {
    // Prepare: two instances in the broken subnet, one 10 minutes old, one 100 s old (inside the 300 s grace period).
    const world = seed();
    const nodegroup = brokenNodegroup(world);
    nodegroup.scalingConfig = { minSize: 0, maxSize: 2, desiredSize: 2 };
    nodegroup.instances = [{ ageSeconds: 600 }, { ageSeconds: 100 }];
    const ledger = new InMemoryLedger();
    harness = await startHarness({ scenario: world, env: { WAIT_SECONDS: '5' }, ledger });

    // Act
    const first = single(await harness.invoke(MANUAL));
    harness.emulator.advance(300);
    const sweep = reportOf(await harness.invoke(SWEEP));

    // Assess
    expect(first.actions.map((a) => [a.type, a.status])).toEqual([['CREATE_ROUTE', 'done'], ['REPLACE_INSTANCES', 'done']]);
    expect(first.verification).toMatchObject({ status: 'pending', registered: 1, expected: 2 });
    expect(sweep.actions.map((a) => [a.type, a.status])).toEqual([['REPLACE_INSTANCES', 'done']]);
    expect(bootedBeforeFix(sweep)?.message).toMatch(/CreateRoute on rtb-0e1f2a3b4c5d6e7f8 .* \(remediation ledger\)/);
    expect(sweep.outcome).toBe('REMEDIATED');
    expect(sweep.verification).toEqual({ status: 'joined', registered: 2, expected: 2 });
    expect(byRemediator(harness, 'CreateRoute')).toHaveLength(1);
  });

  it('three sweeps in a row on a node group whose replacements never join: recycled once (cool-down), the report says when next', async () => {
    // Prepare: the IaC race, but nothing this node group launches ever registers; IaC re-applies the route between sweeps.
    const world = routeFixedWorld();
    brokenNodegroup(world).joins = false;
    world.cloudTrail = [{ eventName: 'CreateRoute', eventSecondsAgo: 300, requestParameters: { routeTableId: NEW_TABLE }, userIdentity: { arn: OPERATOR_SESSION } }];
    const ledger = new InMemoryLedger();
    harness = await startHarness({ scenario: world, env: { WAIT_SECONDS: '2', GRACE_SECONDS: '60' }, ledger });
    const ec2 = operatorEc2(harness);
    const reports: Report[] = [];

    // Act
    for (let sweep = 0; sweep < 3; sweep++) {
      if (sweep > 0) {
        harness.emulator.advance(120);
        await ec2.send(new ReplaceRouteCommand({ RouteTableId: NEW_TABLE, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: NAT }));
        harness.emulator.advance(1);
      }
      reports.push(reportOf(await harness.invoke(SWEEP)));
    }
    ec2.destroy();

    // Assess
    expect(byRemediator(harness, 'TerminateInstanceInAutoScalingGroup')).toHaveLength(1);
    expect(reports[0]!.actions.map((a) => [a.type, a.status])).toEqual([['REPLACE_INSTANCES', 'done']]);
    const nextAllowedAt = (reports[0]!.actions[0]!.detail['cooldown'] as { nextAllowedAt: string }).nextAllowedAt;
    for (const later of reports.slice(1)) {
      expect(bootedBeforeFix(later)).toBeDefined(); // the evidence is there; the cool-down holds it back
      expect(later.outcome).toBe('UNRESOLVED');
      expect(later.actions).toEqual([]);
      expect(later.reason).toContain('cool-down');
      // the next attempt: one cool-down after the recycle (the plan's estimate and the ledger's record differ by the run's duration)
      const said = /next attempt at (\S+?)\.?$/.exec(later.reason)?.[1];
      expect(Math.abs(Date.parse(said!) - Date.parse(nextAllowedAt))).toBeLessThan(60_000);
    }
  });
});

describe('finish the job in the deployed shape (npm run invoke: DynamoDB ledger, scheduled re-checks)', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  function invoke(h: Harness, payload: string) {
    return run('npm', ['run', '--silent', '--prefix', PROJECT_ROOT, 'invoke', '--', '--payload', payload, '--follow'], {
      ...h.cliEnv('remediator'),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POLL_SECONDS: '1',
      WAIT_SECONDS: '30',
    });
  }

  it('403 on the replacement, then a later invocation (another process): the ledger table finishes the job', async () => {
    // Prepare
    harness = await startHarness({ scenario: 'seed' });
    harness.emulator.injectFault({ operation: 'TerminateInstanceInAutoScalingGroup', error: 'access-denied', count: 1, principalArn: harness.remediatorRoleArn });
    const payload = JSON.stringify(MANUAL);

    // Act
    const failed = await invoke(harness, payload);
    const retry = await invoke(harness, payload);

    // Assess
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout.trim().split('\n')[0]!)).toMatchObject({ outcome: 'FAILED' });
    const reports = retry.stdout.trim().split('\n').map((line) => JSON.parse(line) as Report);
    expect(reports[0]!.actions.map((a) => [a.type, a.status])).toEqual([['REPLACE_INSTANCES', 'done']]);
    const [evidence] = bootedBeforeFix(reports[0]!)!.evidence['instances'] as { changes: { source: string }[] }[];
    expect(evidence!.changes[0]!.source).toBe('ledger');
    expect(reports[reports.length - 1]).toMatchObject({ outcome: 'REMEDIATED', verification: { status: 'joined' } });
    expect(retry.code).toBe(0);
  }, 180_000);
});

describe('never strand a node group', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('the restore of a scale cycle fails: FAILED names the stranded scaling and the command; the next run restores it and joins', async () => {
    // Prepare: once the remediator has scaled the node group to 0, every restore attempt (all SDK retries) gets a 5xx.
    const ledger = new InMemoryLedger();
    harness = await startHarness({ scenario: 'seed', env: { WAIT_SECONDS: '30', RECYCLE_STRATEGY: 'scale-cycle' }, ledger });
    const h = harness;
    const unsubscribe = h.emulator.subscribe((event: EventBridgeEnvelope) => {
      const detail = event.detail as { eventName?: string; requestParameters?: { scalingConfig?: { desiredSize?: number } } };
      if (detail.eventName === 'UpdateNodegroupConfig' && detail.requestParameters?.scalingConfig?.desiredSize === 0) {
        h.emulator.injectFault({ operation: 'UpdateNodegroupConfig', error: '5xx', count: 8, principalArn: h.remediatorRoleArn });
      }
    });

    // Act
    const failed = single(await h.invoke(MANUAL));
    unsubscribe();
    const next = single(await h.invoke(MANUAL));

    // Assess
    expect(failed.outcome).toBe('FAILED');
    expect(failed.reason).toContain('NOT restored');
    expect(failed.reason).toContain(
      `aws eks update-nodegroup-config --cluster-name ${CLUSTER} --nodegroup-name ${NODEGROUP} --scaling-config minSize=0,maxSize=1,desiredSize=1`,
    );
    expect(failed.actions.find((a) => a.type === 'SCALE_CYCLE')?.detail['original']).toEqual({ minSize: 0, maxSize: 1, desiredSize: 1 });
    expect(next.findings.map((f) => f.code)).toContain('NODEGROUP_LEFT_SCALED_DOWN');
    expect(next.actions.map((a) => [a.type, a.status])).toEqual([['RESTORE_SCALING', 'done']]);
    expect(next.outcome).toBe('REMEDIATED');
    expect(next.verification).toEqual({ status: 'joined', registered: 1, expected: 1 });
    expect(readyNodes(h)).toHaveLength(1);
  });

  it('two subnets, both tables broken, one failed instance: both routes are written before the recycle, and the replacement joins', async () => {
    // Prepare
    const world = seed();
    world.subnets.push({ subnetId: 'subnet-0b2b2b2b2b2b2b2b2', vpcId: 'vpc-0c2b7f9a1d3e5f604', availabilityZone: 'us-west-2b', cidrBlock: '10.42.224.0/19', mapPublicIpOnLaunch: false });
    world.routeTables.push({ routeTableId: 'rtb-0b2b2b2b2b2b2b2b2', vpcId: 'vpc-0c2b7f9a1d3e5f604', main: false, subnetIds: ['subnet-0b2b2b2b2b2b2b2b2'], routes: [] });
    const nodegroup = brokenNodegroup(world);
    nodegroup.subnetIds = [NEW_SUBNET, 'subnet-0b2b2b2b2b2b2b2b2'];
    nodegroup.instances = [{ subnetId: NEW_SUBNET }];
    harness = await startHarness({ scenario: world, env: { WAIT_SECONDS: '30' } });

    // Act
    const report = single(await harness.invoke(MANUAL));

    // Assess
    expect(report.outcome).toBe('REMEDIATED');
    const calls = harness.emulator.calls().filter((c) => c.principalArn === harness!.remediatorRoleArn && c.httpStatus < 300);
    const routes = calls.filter((c) => c.operation === 'CreateRoute').map((c) => c.params['RouteTableId']);
    expect(routes.sort()).toEqual(['rtb-0b2b2b2b2b2b2b2b2', NEW_TABLE].sort());
    const lastRoute = Math.max(...calls.map((c, i) => (c.operation === 'CreateRoute' ? i : -1)));
    const terminate = calls.findIndex((c) => c.operation === 'TerminateInstanceInAutoScalingGroup');
    expect(terminate).toBeGreaterThan(lastRoute);
    expect(report.verification.status).toBe('joined');
    expect(readyNodes(harness)).toHaveLength(1);
  });
});
