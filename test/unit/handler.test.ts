/**
 * The handler end to end with the real engine and real adapters over mocked SDK clients
 * (aws-sdk-client-mock): a small stateful world answers the AWS calls, so that a route written
 * and an instance terminated change what the next calls see.
 */
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateRouteCommand,
  DescribeInstancesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
  ReplaceRouteCommand,
  type Instance,
  type RouteTable,
} from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, DescribeNodegroupCommand, EKSClient, ListClustersCommand, ListNodegroupsCommand } from '@aws-sdk/client-eks';
import type { Context } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { mockClient } from 'aws-sdk-client-mock';
import { AutoScalingAdapter } from '../../lambda/aws/autoscaling';
import { Ec2Adapter } from '../../lambda/aws/ec2';
import { EksAdapter } from '../../lambda/aws/eks';
import { configFromEnv } from '../../lambda/config';
import { KubernetesApiError, ValidationError } from '../../lambda/errors';
import { createHandler, KUBERNETES_UNAVAILABLE_METRIC, METRIC_NAMESPACE, OUTCOME_METRIC, runtimeFromEnv, type HandlerRuntime } from '../../lambda/handler';
import type { NodeInfo } from '../../lambda/model';
import { InMemoryLedger } from '../../lambda/ledger/memory';
import type { KubernetesPort, LeaseResult, LedgerPort, LedgerRecord, RecheckRequest, SchedulerPort } from '../../lambda/ports';
import type { MultiReport, Report } from '../../lambda/report';
import { awsResponse, FakeClock, recordingLogger, WORLD } from '../fixtures/aws/responses';
import updateNodegroupConfigEvent from '../fixtures/events/cloudtrail-update-nodegroup-config.json';
import ownRoleEvent from '../fixtures/events/cloudtrail-update-nodegroup-config-by-remediator.json';
import scheduledEvent from '../fixtures/events/scheduled-event.json';

const ec2 = mockClient(EC2Client);
const eks = mockClient(EKSClient);
const autoscaling = mockClient(AutoScalingClient);

const REPLACEMENT_ID = 'i-0aaaabbbbccccdddd';
const OWN_ROLE = 'arn:aws:iam::123456789012:role/node-join-remediator';

/** Kubernetes as the engine sees it: Nodes appear for instances whose subnet could bootstrap. */
class FakeKubernetes implements KubernetesPort {
  nodes: NodeInfo[] = [];
  failure?: KubernetesApiError;
  calls = 0;
  /** runs after each answer: lets a test change the world between two reads */
  afterCall?: () => void;
  async listNodegroupNodes(): Promise<NodeInfo[]> {
    this.calls += 1;
    if (this.failure) throw this.failure;
    const nodes = this.nodes;
    this.afterCall?.();
    return nodes;
  }
}

/** The mutable part of the world the mocked AWS APIs serve. */
interface World {
  routeTables: RouteTable[];
  instances: Instance[];
  group: AutoScalingGroup;
  kubernetes: FakeKubernetes;
}

function nodeFor(instanceId: string, ready = true): NodeInfo {
  return { name: `ip-10-42-200-7.us-west-2.compute.internal`, providerID: `aws:///us-west-2a/${instanceId}`, instanceId, ready };
}

function loadWorld(): World {
  const instances = awsResponse<{ Reservations: { Instances: Instance[] }[] }>('ec2-describe-instances.json')
    .Reservations.flatMap((r) => r.Instances);
  return {
    routeTables: awsResponse<{ RouteTables: RouteTable[] }>('ec2-describe-route-tables.json').RouteTables,
    instances,
    group: awsResponse<{ AutoScalingGroups: AutoScalingGroup[] }>('autoscaling-describe-auto-scaling-groups.json')
      .AutoScalingGroups[0]!,
    kubernetes: new FakeKubernetes(),
  };
}

function tableOf(world: World, routeTableId: string): RouteTable {
  const table = world.routeTables.find((t) => t.RouteTableId === routeTableId);
  if (!table) throw new Error(`no table ${routeTableId}`);
  return table;
}

/** Wires the mocks to the world: reads see the current state, writes change it. */
function serve(world: World): void {
  eks.on(DescribeClusterCommand).resolves(awsResponse('eks-describe-cluster.json'));
  eks.on(DescribeNodegroupCommand).resolves(awsResponse('eks-describe-nodegroup.json'));
  eks.on(ListNodegroupsCommand).resolves({ nodegroups: [WORLD.nodegroupName] });
  ec2.on(DescribeSubnetsCommand).resolves(awsResponse('ec2-describe-subnets.json'));
  ec2.on(DescribeNatGatewaysCommand).resolves(awsResponse('ec2-describe-nat-gateways.json'));
  ec2.on(DescribeInternetGatewaysCommand).resolves(awsResponse('ec2-describe-internet-gateways.json'));
  // The seed world has no VPC endpoint: with the fixture's ecr.api interface endpoint the new subnet would be
  // endpoint-only by design (contract section 3) and get no NAT route.
  ec2.on(DescribeVpcEndpointsCommand).resolves({ VpcEndpoints: [] });
  ec2.on(DescribeRouteTablesCommand).callsFake((input: { RouteTableIds?: string[] }) => ({
    RouteTables: input.RouteTableIds ? world.routeTables.filter((t) => input.RouteTableIds!.includes(t.RouteTableId!)) : world.routeTables,
  }));
  ec2.on(DescribeInstancesCommand).callsFake((input: { InstanceIds?: string[]; Filters?: { Values?: string[] }[] }) => {
    const wanted = input.InstanceIds ?? input.Filters?.[0]?.Values ?? [];
    return { Reservations: [{ Instances: world.instances.filter((i) => wanted.includes(i.InstanceId!)) }] };
  });
  autoscaling.on(DescribeAutoScalingGroupsCommand).callsFake(() => ({ AutoScalingGroups: [world.group] }));
  ec2.on(CreateRouteCommand).callsFake((input: { RouteTableId: string; DestinationCidrBlock: string; NatGatewayId: string }) => {
    tableOf(world, input.RouteTableId).Routes!.push({
      DestinationCidrBlock: input.DestinationCidrBlock,
      NatGatewayId: input.NatGatewayId,
      Origin: 'CreateRoute',
      State: 'active',
    });
    return { Return: true };
  });
  autoscaling.on(TerminateInstanceInAutoScalingGroupCommand).callsFake((input: { InstanceId: string }) => {
    // Auto Scaling keeps desired capacity: a fresh instance boots, now with a route, and joins.
    const old = world.instances.find((i) => i.InstanceId === input.InstanceId)!;
    world.instances.push({ ...old, InstanceId: REPLACEMENT_ID, LaunchTime: new Date('2026-11-29T06:00:30Z') });
    world.group = {
      ...world.group,
      Instances: world.group.Instances!.map((i) => (i.InstanceId === input.InstanceId ? { ...i, InstanceId: REPLACEMENT_ID } : i)),
    };
    world.kubernetes.nodes = [nodeFor(REPLACEMENT_ID)];
    return { Activity: { ActivityId: 'a-1', AutoScalingGroupName: world.group.AutoScalingGroupName, StatusCode: 'InProgress' } };
  });
}

function runtimeFor(world: World, env: Record<string, string> = {}, clock = new FakeClock()): HandlerRuntime {
  return {
    config: configFromEnv({ REMEDIATOR_ROLE_ARN: OWN_ROLE, POLL_SECONDS: '5', ...env }),
    region: WORLD.region,
    ports: {
      eks: new EksAdapter(new EKSClient({ region: WORLD.region })),
      ec2: new Ec2Adapter(new EC2Client({ region: WORLD.region })),
      autoscaling: new AutoScalingAdapter(new AutoScalingClient({ region: WORLD.region })),
      kubernetes: world.kubernetes,
    },
    logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
    now: clock.now,
    sleep: clock.sleep,
  };
}

const MUTATING = [CreateRouteCommand, ReplaceRouteCommand] as const;

function expectNoMutation(): void {
  for (const command of MUTATING) expect(ec2).toHaveReceivedCommandTimes(command, 0);
  expect(autoscaling).toHaveReceivedCommandTimes(TerminateInstanceInAutoScalingGroupCommand, 0);
}

describe('handler', () => {
  beforeEach(() => {
    ec2.reset();
    eks.reset();
    autoscaling.reset();
  });

  it('remediates the seed story: route to the same-AZ NAT, replace the unjoined instance, verify the join', async () => {
    // Prepare
    const world = loadWorld();
    serve(world);
    const handler = createHandler(() => runtimeFor(world));

    // Act
    const report = (await handler(updateNodegroupConfigEvent)) as Report;

    // Assess
    expect(report).toMatchObject({
      clusterName: WORLD.clusterName,
      nodegroupName: WORLD.nodegroupName,
      outcome: 'REMEDIATED',
      registrationSource: 'kubernetes-api',
      verification: { status: 'joined', registered: 1, expected: 1 },
    });
    expect(report.findings.map((f) => f.code)).toEqual(expect.arrayContaining(['NODES_NOT_REGISTERED', 'NO_DEFAULT_ROUTE']));
    expect(report.actions.map((a) => [a.type, a.status])).toEqual([
      ['CREATE_ROUTE', 'done'],
      ['REPLACE_INSTANCES', 'done'],
    ]);
    expect(ec2).toHaveReceivedCommandTimes(CreateRouteCommand, 1);
    expect(ec2).toHaveReceivedCommandWith(CreateRouteCommand, {
      RouteTableId: WORLD.newRouteTableId,
      DestinationCidrBlock: '0.0.0.0/0',
      NatGatewayId: WORLD.natA,
    });
    expect(autoscaling).toHaveReceivedCommandTimes(TerminateInstanceInAutoScalingGroupCommand, 1);
    expect(autoscaling).toHaveReceivedCommandWith(TerminateInstanceInAutoScalingGroupCommand, {
      InstanceId: WORLD.instanceId,
      ShouldDecrementDesiredCapacity: false,
    });
    expect(ec2).toHaveReceivedCommandTimes(ReplaceRouteCommand, 0);
  });

  it('never terminates an instance that registers after the snapshot (e.g. once the route is fixed)', async () => {
    // Prepare: the snapshot sees no Node; by the time execute acts, the instance has registered.
    const world = loadWorld();
    serve(world);
    world.kubernetes.afterCall = () => {
      world.kubernetes.nodes = [nodeFor(WORLD.instanceId)];
    };
    const handler = createHandler(() => runtimeFor(world));

    // Act
    const report = (await handler({ clusterName: WORLD.clusterName, nodegroupName: WORLD.nodegroupName })) as Report;

    // Assess
    expect(ec2).toHaveReceivedCommandTimes(CreateRouteCommand, 1);
    expect(autoscaling).toHaveReceivedCommandTimes(TerminateInstanceInAutoScalingGroupCommand, 0);
    expect(report.actions.find((a) => a.type === 'REPLACE_INSTANCES')?.detail).toMatchObject({
      registeredSinceSnapshotInstanceIds: [WORLD.instanceId],
      terminatedInstanceIds: [],
    });
    expect(report).toMatchObject({ outcome: 'REMEDIATED', verification: { status: 'joined', registered: 1 } });
    expect(report.reason).toContain(`kept ${WORLD.instanceId}`);
  });

  it('plans but changes nothing in dry run (manual payload override)', async () => {
    // Prepare
    const world = loadWorld();
    serve(world);
    const handler = createHandler(() => runtimeFor(world));

    // Act
    const report = (await handler({ clusterName: WORLD.clusterName, nodegroupName: WORLD.nodegroupName, dryRun: true })) as Report;

    // Assess
    expect(report.outcome).toBe('DRY_RUN');
    expect(report.dryRun).toBe(true);
    expect(report.actions.every((a) => a.status === 'planned')).toBe(true);
    expect(report.actions.map((a) => a.type)).toEqual(['CREATE_ROUTE', 'REPLACE_INSTANCES']);
    expectNoMutation();
  });

  it('logs the report once and one line per action, in dry run too', async () => {
    // Prepare
    const world = loadWorld();
    serve(world);
    const logger = recordingLogger();
    const handler = createHandler(() => ({ ...runtimeFor(world, { DRY_RUN: 'true' }), logger: logger as unknown as Logger }));

    // Act
    const report = (await handler({ clusterName: WORLD.clusterName, nodegroupName: WORLD.nodegroupName })) as Report;

    // Assess
    expect(report.outcome).toBe('DRY_RUN');
    expect(logger.lines.filter((l) => l.message === 'remediation report')).toHaveLength(1);
    const actionLines = logger.lines.filter((l) => l.extra?.['actionType'] !== undefined);
    expect(actionLines.map((l) => [l.extra!['actionType'], l.extra!['status']])).toEqual(
      report.actions.map((a) => [a.type, 'planned']),
    );
    expectNoMutation();
  });

  it('replaces a blackhole default route (REPLACE_ROUTE), never creating a second one', async () => {
    // Prepare: the new subnet's table points 0.0.0.0/0 at a deleted NAT gateway.
    const world = loadWorld();
    tableOf(world, WORLD.newRouteTableId).Routes!.push({
      DestinationCidrBlock: '0.0.0.0/0',
      NatGatewayId: 'nat-0ffee1234567890ab',
      Origin: 'CreateRoute',
      State: 'blackhole',
    });
    serve(world);
    ec2.on(ReplaceRouteCommand).callsFake((input: { RouteTableId: string; NatGatewayId: string }) => {
      const route = tableOf(world, input.RouteTableId).Routes!.find((r) => r.DestinationCidrBlock === '0.0.0.0/0')!;
      Object.assign(route, { NatGatewayId: input.NatGatewayId, State: 'active' });
      return {};
    });
    const handler = createHandler(() => runtimeFor(world));

    // Act
    const report = (await handler({ clusterName: WORLD.clusterName, nodegroupName: WORLD.nodegroupName })) as Report;

    // Assess
    expect(report.outcome).toBe('REMEDIATED');
    expect(report.findings.map((f) => f.code)).toContain('BLACKHOLE_DEFAULT_ROUTE');
    expect(ec2).toHaveReceivedCommandWith(ReplaceRouteCommand, {
      RouteTableId: WORLD.newRouteTableId,
      DestinationCidrBlock: '0.0.0.0/0',
      NatGatewayId: WORLD.natA,
    });
    expect(ec2).toHaveReceivedCommandTimes(CreateRouteCommand, 0);
  });

  it('reports a healthy node group HEALTHY and makes no mutating call', async () => {
    // Prepare: the instance has its Node.
    const world = loadWorld();
    world.kubernetes.nodes = [nodeFor(WORLD.instanceId)];
    serve(world);
    const handler = createHandler(() => runtimeFor(world));

    // Act
    const report = (await handler({ clusterName: WORLD.clusterName, nodegroupName: WORLD.nodegroupName })) as Report;

    // Assess
    expect(report.outcome).toBe('HEALTHY');
    expect(report.instances).toEqual([expect.objectContaining({ instanceId: WORLD.instanceId, registered: true, ready: true })]);
    expect(report.actions).toEqual([]);
    expectNoMutation();
  });

  it('falls back to the node group health when the Kubernetes API answers 403, and never guesses healthy', async () => {
    // Prepare: no access entry; EKS health says nothing failed yet.
    const world = loadWorld();
    world.kubernetes.failure = new KubernetesApiError('nodes is forbidden', 403);
    serve(world);
    const handler = createHandler(() => runtimeFor(world));

    // Act
    const report = (await handler({ clusterName: WORLD.clusterName, nodegroupName: WORLD.nodegroupName })) as Report;

    // Assess
    expect(report.registrationSource).toBe('nodegroup-health');
    expect(report.findings.map((f) => f.code)).toContain('KUBERNETES_API_UNAVAILABLE');
    expect(report.outcome).not.toBe('HEALTHY');
    expect(report.outcome).toBe('UNRESOLVED');
    expect(autoscaling).toHaveReceivedCommandTimes(TerminateInstanceInAutoScalingGroupCommand, 0);
  });

  it('uses NodeCreationFailure instance ids when the Kubernetes API is unreachable', async () => {
    // Prepare
    const world = loadWorld();
    world.kubernetes.failure = new KubernetesApiError('connect ECONNREFUSED');
    serve(world);
    const failedNodegroup = awsResponse<{ nodegroup: { tags: Record<string, string> } }>('eks-describe-nodegroup.create-failed.json');
    failedNodegroup.nodegroup.tags = {};
    eks.on(DescribeNodegroupCommand).resolves(failedNodegroup);
    const handler = createHandler(() => runtimeFor(world));

    // Act
    const report = (await handler({ clusterName: WORLD.clusterName, nodegroupName: WORLD.nodegroupName, dryRun: true })) as Report;

    // Assess
    expect(report.registrationSource).toBe('nodegroup-health');
    expect(report.outcome).toBe('DRY_RUN');
    expect(report.instances.find((i) => i.instanceId === WORLD.instanceId)?.registered).toBe(false);
    expect(report.actions.map((a) => a.type)).toContain('CREATE_ROUTE');
  });

  it('stops at an AWS error mid-plan: FAILED naming the step, nothing attempted after it', async () => {
    // Prepare: CreateRoute is denied.
    const world = loadWorld();
    serve(world);
    const denied = Object.assign(new Error('You are not authorized to perform this operation.'), {
      name: 'UnauthorizedOperation',
      $metadata: { httpStatusCode: 403 },
    });
    ec2.on(CreateRouteCommand).rejects(denied);
    const handler = createHandler(() => runtimeFor(world));

    // Act: a manual invocation returns the FAILED report instead of throwing.
    const report = (await handler({ clusterName: WORLD.clusterName, nodegroupName: WORLD.nodegroupName })) as Report;

    // Assess
    expect(report.outcome).toBe('FAILED');
    expect(report.reason).toMatch(/CREATE_ROUTE on rtb-0c2d3e4f5a6b7c8d9 failed: UnauthorizedOperation/);
    expect(report.actions.map((a) => [a.type, a.status])).toEqual([
      ['CREATE_ROUTE', 'failed'],
      ['REPLACE_INSTANCES', 'skipped'],
    ]);
    expect(autoscaling).toHaveReceivedCommandTimes(TerminateInstanceInAutoScalingGroupCommand, 0);
  });

  it('says in a FAILED reason what the failed step already changed (some instances terminated)', async () => {
    // Prepare: two unjoined instances; terminating the second is denied after the first is gone.
    const world = loadWorld();
    const second = 'i-0f1e2d3c4b5a69799';
    world.instances.push({ ...world.instances.find((i) => i.InstanceId === WORLD.instanceId)!, InstanceId: second });
    world.group = {
      ...world.group,
      DesiredCapacity: 2,
      Instances: [...world.group.Instances!, { ...world.group.Instances![0]!, InstanceId: second }],
    };
    serve(world);
    autoscaling
      .on(TerminateInstanceInAutoScalingGroupCommand, { InstanceId: second })
      .rejects(Object.assign(new Error('not allowed'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    const handler = createHandler(() => runtimeFor(world));

    // Act
    const report = (await handler({ clusterName: WORLD.clusterName, nodegroupName: WORLD.nodegroupName })) as Report;

    // Assess: the first instance really was terminated, and the reason says so.
    expect(report.outcome).toBe('FAILED');
    expect(autoscaling).toHaveReceivedCommandWith(TerminateInstanceInAutoScalingGroupCommand, { InstanceId: WORLD.instanceId });
    expect(report.actions.find((a) => a.type === 'REPLACE_INSTANCES')).toMatchObject({
      status: 'failed',
      detail: { terminatedInstanceIds: [WORLD.instanceId] },
    });
    expect(report.reason).toContain(`terminated instance(s) ${WORLD.instanceId}`);
    expect(report.reason).not.toContain('Nothing was changed');
  });

  it('rethrows a FAILED event-driven run so the async retry and dead-letter queue keep the event', async () => {
    // Prepare
    const world = loadWorld();
    serve(world);
    ec2.on(CreateRouteCommand).rejects(Object.assign(new Error('boom'), { name: 'InternalError', $metadata: { httpStatusCode: 500 } }));
    const handler = createHandler(() => runtimeFor(world, { WAIT_SECONDS: '0' }));

    // Act
    const run = handler(updateNodegroupConfigEvent);

    // Assess
    await expect(run).rejects.toMatchObject({ name: 'RemediationFailedError' });
  });

  it('reports a sweep whose ListClusters call fails as FAILED (logged and published) before rethrowing', async () => {
    // Prepare: no allow-list, so the sweep must list the region's clusters, and that call fails.
    const world = loadWorld();
    serve(world);
    eks.on(ListClustersCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } }));
    const logger = recordingLogger();
    const published: string[] = [];
    const publisher = { publish: async (n: { json: string }) => void published.push(n.json) };
    const handler = createHandler(() => ({ ...runtimeFor(world), logger: logger as unknown as Logger, publisher }));

    // Act
    const run = handler(scheduledEvent);

    // Assess: the event is kept for retry, and a FAILED report saying why was still logged and sent.
    await expect(run).rejects.toMatchObject({ name: 'RemediationFailedError' });
    const logged = logger.lines.filter((l) => l.message === 'remediation report').map((l) => l.extra?.['report'] as Report);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ outcome: 'FAILED', region: WORLD.region, actions: [] });
    expect(logged[0]!.reason).toContain('AccessDeniedException');
    expect(published.map((m) => JSON.parse(m).outcome)).toEqual(['FAILED']);
    expectNoMutation();
  });

  it('skips its own UpdateNodegroupConfig call without any AWS call', async () => {
    // Prepare
    const world = loadWorld();
    serve(world);
    const handler = createHandler(() => runtimeFor(world));

    // Act
    const report = (await handler(ownRoleEvent)) as Report;

    // Assess
    expect(report.outcome).toBe('SKIPPED');
    expect(report.reason).toMatch(/remediator/i);
    expect(eks.calls()).toHaveLength(0);
    expect(ec2.calls()).toHaveLength(0);
  });

  it('rejects a malformed manual payload with a ValidationError naming the field, before any AWS call', async () => {
    // Prepare
    const world = loadWorld();
    serve(world);
    const handler = createHandler(() => runtimeFor(world));

    // Act
    const run = handler({ clusterName: WORLD.clusterName, nodegroup: 'typo' });

    // Assess
    await expect(run).rejects.toBeInstanceOf(ValidationError);
    await expect(handler({ clusterName: WORLD.clusterName, nodegroup: 'typo' })).rejects.toThrow(/nodegroup/);
    expect(eks.calls()).toHaveLength(0);
    expect(ec2.calls()).toHaveLength(0);
  });

  it('returns { reports } for a manual payload without a node group', async () => {
    // Prepare
    const world = loadWorld();
    world.kubernetes.nodes = [nodeFor(WORLD.instanceId)];
    serve(world);
    const handler = createHandler(() => runtimeFor(world));

    // Act
    const result = (await handler({ clusterName: WORLD.clusterName })) as MultiReport;

    // Assess
    expect(result.reports).toHaveLength(1);
    expect(result.reports[0]).toMatchObject({ nodegroupName: WORLD.nodegroupName, outcome: 'HEALTHY' });
  });

  it('reports a manual dry run of a cluster outside the allow-list as SKIPPED with dryRun true, without AWS calls', async () => {
    // Prepare
    const world = loadWorld();
    serve(world);
    const handler = createHandler(() => runtimeFor(world, { CLUSTER_NAMES: 'prod' }));

    // Act
    const report = (await handler({ clusterName: WORLD.clusterName, nodegroupName: WORLD.nodegroupName, dryRun: true })) as Report;

    // Assess
    expect(report).toMatchObject({ outcome: 'SKIPPED', dryRun: true, clusterName: WORLD.clusterName });
    expect(eks.calls()).toHaveLength(0);
  });

  it('skips a node group carrying the opt-out tag', async () => {
    // Prepare
    const world = loadWorld();
    serve(world);
    const nodegroup = awsResponse<{ nodegroup: { tags: Record<string, string> } }>('eks-describe-nodegroup.json');
    nodegroup.nodegroup.tags = { 'node-join-remediator/disabled': 'true' };
    eks.on(DescribeNodegroupCommand).resolves(nodegroup);
    const handler = createHandler(() => runtimeFor(world));

    // Act
    const report = (await handler({ clusterName: WORLD.clusterName, nodegroupName: WORLD.nodegroupName })) as Report;

    // Assess
    expect(report.outcome).toBe('SKIPPED');
    expect(report.reason).toContain('node-join-remediator/disabled=true');
    expectNoMutation();
  });

  it('emits one RemediationOutcome metric per report, dimensioned by service and Outcome (what the alarms watch)', async () => {
    // Prepare
    const world = loadWorld();
    world.kubernetes.nodes = [nodeFor(WORLD.instanceId)];
    serve(world);
    const written: string[] = [];
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName: 'eks-node-join-remediator' });
    const handler = createHandler(() => ({ ...runtimeFor(world), metrics }));

    // Act
    try {
      await handler({ clusterName: WORLD.clusterName, nodegroupName: WORLD.nodegroupName });
    } finally {
      stdout.mockRestore();
    }

    // Assess
    const emf = written.map((line) => { try { return JSON.parse(line); } catch { return undefined; } }).filter((e) => e?._aws);
    expect(emf).toHaveLength(1);
    expect(emf[0]._aws.CloudWatchMetrics[0]).toEqual({
      Namespace: METRIC_NAMESPACE,
      Dimensions: [['service', 'Outcome']],
      Metrics: [{ Name: OUTCOME_METRIC, Unit: 'Count' }],
    });
    expect(emf[0]).toMatchObject({ service: 'eks-node-join-remediator', Outcome: 'HEALTHY', [OUTCOME_METRIC]: 1 });
  });

  it('publishes reports that need attention to the report topic, and not HEALTHY ones', async () => {
    // Prepare
    const world = loadWorld();
    serve(world);
    const published: { subject: string; message: string }[] = [];
    const publisher = { publish: async (n: { subject: string; json: string }) => void published.push({ subject: n.subject, message: n.json }) };
    const handler = createHandler(() => ({ ...runtimeFor(world), publisher }));

    // Act
    await handler({ clusterName: WORLD.clusterName, nodegroupName: WORLD.nodegroupName, dryRun: true });
    world.kubernetes.nodes = [nodeFor(WORLD.instanceId)];
    await handler({ clusterName: WORLD.clusterName, nodegroupName: WORLD.nodegroupName });

    // Assess
    expect(published).toHaveLength(1);
    expect(published[0]!.subject).toBe(`[DRY_RUN] ${WORLD.clusterName}/${WORLD.nodegroupName}`);
    expect(JSON.parse(published[0]!.message)).toMatchObject({ outcome: 'DRY_RUN', nodegroupName: WORLD.nodegroupName });
  });

  it('waits for a freshly launched instance to pass the grace period on a node group event, then remediates', async () => {
    // Prepare: the event arrives one minute after the instance launched (grace period 300 s).
    const world = loadWorld();
    serve(world);
    const clock = new FakeClock('2026-11-29T05:46:00.000Z');
    const handler = createHandler(() => runtimeFor(world, {}, clock));

    // Act
    const report = (await handler(updateNodegroupConfigEvent)) as Report;

    // Assess: it slept until the instance was judgeable instead of calling a new node group HEALTHY.
    expect(clock.sleeps[0]).toBeGreaterThanOrEqual(240_000);
    expect(report.outcome).toBe('REMEDIATED');
    expect(ec2).toHaveReceivedCommandTimes(CreateRouteCommand, 1);
  });

  it('does not wait for the grace period on a manual invocation: young instances are not judged', async () => {
    // Prepare
    const world = loadWorld();
    serve(world);
    const clock = new FakeClock('2026-11-29T05:46:00.000Z');
    const handler = createHandler(() => runtimeFor(world, {}, clock));

    // Act
    const report = (await handler({ clusterName: WORLD.clusterName, nodegroupName: WORLD.nodegroupName })) as Report;

    // Assess
    expect(clock.sleeps).toEqual([]);
    expect(report.outcome).toBe('HEALTHY');
    expect(report.reason).toMatch(/grace period/);
    expectNoMutation();
  });

  it('never lifts a deployed dry run from the payload: "dryRun": false still only plans', async () => {
    // Prepare
    const world = loadWorld();
    serve(world);
    const handler = createHandler(() => runtimeFor(world, { DRY_RUN: 'true' }));

    // Act
    const report = (await handler({ clusterName: WORLD.clusterName, nodegroupName: WORLD.nodegroupName, dryRun: false })) as Report;

    // Assess
    expect(report.outcome).toBe('DRY_RUN');
    expect(report.dryRun).toBe(true);
    expectNoMutation();
  });
});

/** The ledger table as the handler sees it: the in-memory semantics, remembered across invocations. */
class TableLedger implements LedgerPort {
  readonly durable = true;
  private readonly memory = new InMemoryLedger();
  append(record: LedgerRecord): Promise<void> {
    return this.memory.append(record);
  }
  history(clusterName: string, nodegroupName: string, options?: { since?: string; limit?: number }): Promise<LedgerRecord[]> {
    return this.memory.history(clusterName, nodegroupName, options);
  }
  acquireLease(clusterName: string, nodegroupName: string, owner: string, ttlSeconds: number, now: Date): Promise<LeaseResult> {
    return this.memory.acquireLease(clusterName, nodegroupName, owner, ttlSeconds, now);
  }
  releaseLease(clusterName: string, nodegroupName: string, owner: string): Promise<void> {
    return this.memory.releaseLease(clusterName, nodegroupName, owner);
  }
}

/** EventBridge Scheduler as the handler sees it: the re-checks it was asked for. */
class RecordingScheduler implements SchedulerPort {
  readonly scheduled: { at: Date; recheck: RecheckRequest; functionArn: string }[] = [];
  constructor(private readonly functionArn = FUNCTION_ARN) {}
  async scheduleRecheck(at: Date, recheck: RecheckRequest): Promise<string> {
    this.scheduled.push({ at, recheck, functionArn: this.functionArn });
    return `recheck-${this.scheduled.length}`;
  }
  async deleteSchedule(): Promise<void> {}
  /** the re-check payloads of one reason, in order */
  of(reason: RecheckRequest['reason']): RecheckRequest[] {
    return this.scheduled.filter((s) => s.recheck.reason === reason).map((s) => s.recheck);
  }
}

const FUNCTION_ARN = 'arn:aws:lambda:us-west-2:123456789012:function:node-join-remediator';

function lambdaContext(requestId: string, remainingMs: () => number = () => 900_000): Partial<Context> {
  return { awsRequestId: requestId, invokedFunctionArn: FUNCTION_ARN, getRemainingTimeInMillis: remainingMs };
}

/** The deployed shape: a ledger table and a scheduler beside the mocked AWS APIs. */
function deployedRuntime(world: World, shared: { ledger?: LedgerPort; scheduler?: RecordingScheduler; clock?: FakeClock } = {}, env: Record<string, string> = {}) {
  const ledger = shared.ledger ?? new TableLedger();
  const scheduler = shared.scheduler ?? new RecordingScheduler();
  const runtime: HandlerRuntime = { ...runtimeFor(world, env, shared.clock), ledger, schedulerFor: () => scheduler };
  return { runtime, ledger, scheduler };
}

function loggedReports(logger: ReturnType<typeof recordingLogger>): Report[] {
  return logger.lines.filter((l) => l.message === 'remediation report').map((l) => l.extra?.['report'] as Report);
}

describe('handler in the deployed shape (contract section 8)', () => {
  beforeEach(() => {
    ec2.reset();
    eks.reset();
    autoscaling.reset();
  });

  it('lets exactly one of two racing invocations act on a node group; the other is SKIPPED and re-checks after the lease', async () => {
    // Prepare: one ledger table and one scheduler shared by two concurrent invocations.
    const world = loadWorld();
    serve(world);
    const { runtime, scheduler } = deployedRuntime(world);
    const handler = createHandler(() => runtime);
    const payload = { clusterName: WORLD.clusterName, nodegroupName: WORLD.nodegroupName };

    // Act
    const results = (await Promise.all([handler(payload, lambdaContext('request-1')), handler(payload, lambdaContext('request-2'))])) as Report[];

    // Assess
    const acted = results.filter((r) => r.outcome === 'REMEDIATED');
    const skipped = results.filter((r) => r.outcome === 'SKIPPED');
    expect(acted).toHaveLength(1);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]!.reason).toMatch(/^Another run holds it \(request-[12], until 2026-11-29T06:\d\d:\d\d\.000Z\)/);
    expect(ec2).toHaveReceivedCommandTimes(CreateRouteCommand, 1);
    expect(autoscaling).toHaveReceivedCommandTimes(TerminateInstanceInAutoScalingGroupCommand, 1);
    expect(scheduler.of('lease-held')).toEqual([
      expect.objectContaining({ clusterName: WORLD.clusterName, nodegroupName: WORLD.nodegroupName, remediationId: skipped[0]!.remediationId }),
    ]);
  });

  it('returns without sleeping on an event for young instances, and its grace-period re-check then remediates and verifies', async () => {
    // Prepare: the event arrives one minute after the instance launched (grace period 300 s).
    const world = loadWorld();
    serve(world);
    const clock = new FakeClock('2026-11-29T05:46:00.000Z');
    const { runtime, scheduler, ledger } = deployedRuntime(world, { clock });
    const handler = createHandler(() => runtime);

    // Act 1: the CloudTrail event.
    const first = (await handler(updateNodegroupConfigEvent, lambdaContext('request-1'))) as Report;

    // Assess 1: no sleep, nothing changed, one re-check at the end of the instance's grace period.
    expect(clock.sleeps).toEqual([]);
    expect(first.outcome).toBe('HEALTHY');
    expect(first.reason).toContain('grace-period re-check is scheduled for 2026-11-29T05:50:01.000Z');
    expectNoMutation();
    const [grace] = scheduler.scheduled;
    expect(grace).toMatchObject({ at: new Date('2026-11-29T05:50:01.000Z'), recheck: { reason: 'grace-period', remediationId: first.remediationId } });

    // Act 2: Scheduler fires the re-check when it is due.
    await clock.sleep(grace!.at.getTime() - clock.now().getTime());
    const second = (await handler({ recheck: grace!.recheck }, lambdaContext('request-2'))) as Report;

    // Assess 2: the same remediation is carried on; the join is left to a verify re-check.
    expect(second).toMatchObject({
      outcome: 'REMEDIATED',
      remediationId: first.remediationId,
      trigger: { kind: 'recheck', reason: 'grace-period' },
      verification: { status: 'pending' },
    });
    expect(ec2).toHaveReceivedCommandTimes(CreateRouteCommand, 1);
    expect(clock.sleeps).toHaveLength(1); // only the test's own advance
    const [verify] = scheduler.of('verify');
    expect(verify).toMatchObject({ remediationId: first.remediationId, replacedInstanceIds: [WORLD.instanceId] });
    const actions = (await ledger.history(WORLD.clusterName, WORLD.nodegroupName)).filter((r) => r.kind === 'action');
    expect(actions.map((r) => r.kind === 'action' && [r.action.type, r.cause, r.remediationId])).toEqual(
      expect.arrayContaining([
        ['CREATE_ROUTE', 'NO_DEFAULT_ROUTE', first.remediationId],
        ['REPLACE_INSTANCES', 'NODES_NOT_REGISTERED', first.remediationId],
      ]),
    );

    // Act 3: the verify re-check reads registration once.
    const third = (await handler({ recheck: verify! }, lambdaContext('request-3'))) as Report;

    // Assess 3
    expect(third).toMatchObject({ outcome: 'REMEDIATED', remediationId: first.remediationId, verification: { status: 'joined', registered: 1 } });
  });

  it('re-schedules a verify re-check while nodes have not joined, and ends pending after verifyUntil', async () => {
    // Prepare: no Node will appear.
    const world = loadWorld();
    serve(world);
    const clock = new FakeClock();
    const { runtime, scheduler } = deployedRuntime(world, { clock });
    const handler = createHandler(() => runtime);
    const recheck: RecheckRequest = {
      clusterName: WORLD.clusterName,
      nodegroupName: WORLD.nodegroupName,
      remediationId: '6f1c1a52-8c1e-4a37-9a61-0d6f3f0b8a11',
      reason: 'verify',
      replacedInstanceIds: ['i-0aaaaaaaaaaaaaaaa'],
      verifyUntil: clock.in(120).toISOString(),
    };

    // Act
    const early = (await handler({ recheck }, lambdaContext('request-1'))) as Report;
    await clock.sleep(180_000);
    const late = (await handler({ recheck }, lambdaContext('request-2'))) as Report;

    // Assess
    expect(early).toMatchObject({ outcome: 'REMEDIATED', verification: { status: 'pending' } });
    expect(scheduler.of('verify')).toHaveLength(1);
    expect(late.reason).toMatch(/have not joined by/);
    expect(scheduler.of('verify')).toHaveLength(1);
    expectNoMutation();
  });

  it('emits every finished report of a sweep short of time and hands the rest to one continuation', async () => {
    // Prepare: three node groups, one at a time; after the first starts, too little time is left.
    const world = loadWorld();
    world.kubernetes.nodes = [nodeFor(WORLD.instanceId)];
    serve(world);
    eks.on(ListClustersCommand).resolves({ clusters: [WORLD.clusterName] });
    eks.on(ListNodegroupsCommand).resolves({ nodegroups: ['ng-a', 'ng-b', 'ng-c'] });
    const logger = recordingLogger();
    const { runtime, scheduler } = deployedRuntime(world, {}, { CONCURRENCY: '1' });
    const handler = createHandler(() => ({ ...runtime, logger: logger as unknown as Logger }));
    const remaining = () => (eks.commandCalls(DescribeNodegroupCommand).length === 0 ? 800_000 : 30_000);

    // Act
    const result = (await handler(scheduledEvent, lambdaContext('request-1', remaining))) as MultiReport;

    // Assess: the finished report is out; the rest is pending in exactly one continuation.
    expect(result.reports.map((r) => [r.nodegroupName, r.outcome])).toEqual([['ng-a', 'HEALTHY']]);
    expect(loggedReports(logger).map((r) => r.nodegroupName)).toEqual(['ng-a']);
    expect(scheduler.of('continuation')).toEqual([
      expect.objectContaining({
        pending: [
          { clusterName: WORLD.clusterName, nodegroupName: 'ng-b' },
          { clusterName: WORLD.clusterName, nodegroupName: 'ng-c' },
        ],
      }),
    ]);

    // Act 2: the continuation runs with plenty of time.
    const rest = (await handler({ recheck: scheduler.of('continuation')[0] }, lambdaContext('request-2'))) as MultiReport;

    // Assess 2: nothing in scope was left out.
    expect(rest.reports.map((r) => r.nodegroupName).sort()).toEqual(['ng-b', 'ng-c']);
    expect(rest.reports.every((r) => r.trigger.kind === 'recheck' && r.outcome === 'HEALTHY')).toBe(true);
  });

  it('does not hide the other reports of a sweep when one node group FAILS, and still rethrows for retry', async () => {
    // Prepare: DescribeNodegroup is denied for one of two node groups.
    const world = loadWorld();
    world.kubernetes.nodes = [nodeFor(WORLD.instanceId)];
    serve(world);
    eks.on(ListClustersCommand).resolves({ clusters: [WORLD.clusterName] });
    eks.on(ListNodegroupsCommand).resolves({ nodegroups: ['ng-ok', 'ng-denied'] });
    eks.on(DescribeNodegroupCommand, { nodegroupName: 'ng-denied' }).rejects(
      Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } }),
    );
    const logger = recordingLogger();
    const { runtime } = deployedRuntime(world);
    const handler = createHandler(() => ({ ...runtime, logger: logger as unknown as Logger }));

    // Act
    const run = handler(scheduledEvent, lambdaContext('request-1'));

    // Assess
    await expect(run).rejects.toMatchObject({ name: 'RemediationFailedError' });
    const outcomes = Object.fromEntries(loggedReports(logger).map((r) => [r.nodegroupName, r.outcome]));
    expect(outcomes).toEqual({ 'ng-ok': 'HEALTHY', 'ng-denied': 'FAILED' });
  });

  it('reads the VPC once per sweep, not once per node group', async () => {
    // Prepare
    const world = loadWorld();
    world.kubernetes.nodes = [nodeFor(WORLD.instanceId)];
    serve(world);
    eks.on(ListClustersCommand).resolves({ clusters: [WORLD.clusterName] });
    eks.on(ListNodegroupsCommand).resolves({ nodegroups: ['ng-a', 'ng-b', 'ng-c', 'ng-d'] });
    const handler = createHandler(() => deployedRuntime(world).runtime);

    // Act
    const result = (await handler(scheduledEvent, lambdaContext('request-1'))) as MultiReport;

    // Assess
    expect(result.reports).toHaveLength(4);
    expect(ec2).toHaveReceivedCommandTimes(DescribeRouteTablesCommand, 1);
    expect(ec2).toHaveReceivedCommandTimes(DescribeNatGatewaysCommand, 1);
    expect(ec2).toHaveReceivedCommandTimes(DescribeInternetGatewaysCommand, 1);
    expect(ec2).toHaveReceivedCommandTimes(DescribeVpcEndpointsCommand, 1);
    expect(eks).toHaveReceivedCommandTimes(DescribeNodegroupCommand, 4);
  });

  it('notifies only when a node group outcome changes (ledger), as text for e-mail and JSON for machines', async () => {
    // Prepare
    const world = loadWorld();
    serve(world);
    const published: { subject: string; json: string; text: string }[] = [];
    const { runtime } = deployedRuntime(world);
    const handler = createHandler(() => ({ ...runtime, publisher: { publish: async (n) => void published.push(n) } }));
    const dryRun = { clusterName: WORLD.clusterName, nodegroupName: WORLD.nodegroupName, dryRun: true };

    // Act: DRY_RUN twice, then HEALTHY twice.
    await handler(dryRun, lambdaContext('request-1'));
    await handler(dryRun, lambdaContext('request-2'));
    world.kubernetes.nodes = [nodeFor(WORLD.instanceId)];
    await handler(dryRun, lambdaContext('request-3'));
    await handler(dryRun, lambdaContext('request-4'));

    // Assess
    expect(published.map((n) => JSON.parse(n.json).outcome)).toEqual(['DRY_RUN', 'HEALTHY']);
    expect(published[0]!.text).toContain(`DRY_RUN  ${WORLD.clusterName}/${WORLD.nodegroupName}`);
  });

  it('puts the trigger and the account on every report, SKIPPED and FAILED ones included', async () => {
    // Prepare
    const world = loadWorld();
    world.kubernetes.nodes = [nodeFor(WORLD.instanceId)];
    serve(world);
    const handler = createHandler(() => deployedRuntime(world).runtime);

    // Act
    const cloudtrail = (await handler(updateNodegroupConfigEvent, lambdaContext('request-1'))) as Report;
    const own = (await handler(ownRoleEvent, lambdaContext('request-2'))) as Report;
    const manual = (await handler({ clusterName: WORLD.clusterName }, lambdaContext('request-3'))) as MultiReport;

    // Assess
    expect(cloudtrail.trigger).toMatchObject({
      kind: 'cloudtrail',
      eventId: updateNodegroupConfigEvent.detail.eventID,
      caller: updateNodegroupConfigEvent.detail.userIdentity.arn,
    });
    expect(cloudtrail.accountId).toBe('123456789012');
    expect(own).toMatchObject({ outcome: 'SKIPPED', trigger: { kind: 'cloudtrail', eventId: ownRoleEvent.detail.eventID } });
    expect(manual.reports[0]).toMatchObject({ trigger: { kind: 'manual' }, accountId: '123456789012' });
  });

  it('is quiet about a healthy fleet without Kubernetes access: HEALTHY reports, one log line and one metric per invocation', async () => {
    // Prepare: the API answers 403 for every node group; the instance is 35 minutes old and EKS lists no failure.
    const world = loadWorld();
    world.kubernetes.failure = new KubernetesApiError('nodes is forbidden', 403);
    serve(world);
    eks.on(ListClustersCommand).resolves({ clusters: [WORLD.clusterName] });
    eks.on(ListNodegroupsCommand).resolves({ nodegroups: ['ng-a', 'ng-b', 'ng-c'] });
    const logger = recordingLogger();
    const written: string[] = [];
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName: 'eks-node-join-remediator' });
    const clock = new FakeClock('2026-11-29T06:20:00.000Z');
    const { runtime } = deployedRuntime(world, { clock });
    const handler = createHandler(() => ({ ...runtime, logger: logger as unknown as Logger, metrics }));

    // Act
    let result: MultiReport;
    try {
      result = (await handler(scheduledEvent, lambdaContext('request-1'))) as MultiReport;
    } finally {
      stdout.mockRestore();
    }

    // Assess
    expect(result.reports.map((r) => [r.outcome, r.registrationSource])).toEqual([
      ['HEALTHY', 'nodegroup-health'],
      ['HEALTHY', 'nodegroup-health'],
      ['HEALTHY', 'nodegroup-health'],
    ]);
    expect(logger.lines.filter((l) => /Kubernetes API could not be used/.test(l.message))).toHaveLength(1);
    const emf = written.map((line) => { try { return JSON.parse(line); } catch { return undefined; } }).filter((e) => e?._aws);
    expect(emf.filter((e) => e[KUBERNETES_UNAVAILABLE_METRIC] !== undefined)).toHaveLength(1);
  });

  it('built from the environment: service eks-node-join-remediator by default, a cold-start metric once, the outcome metric shape', async () => {
    // Prepare: a Lambda-like environment without POWERTOOLS_SERVICE_NAME; tracing on.
    const saved = process.env['AWS_LAMBDA_INITIALIZATION_TYPE'];
    process.env['AWS_LAMBDA_INITIALIZATION_TYPE'] = 'on-demand';
    const written: string[] = [];
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const handler = createHandler(() =>
      runtimeFromEnv({ AWS_REGION: WORLD.region, REMEDIATOR_ROLE_ARN: OWN_ROLE, POWERTOOLS_TRACE_ENABLED: 'true' }),
    );

    // Act: the remediator's own call, skipped without any AWS call; twice.
    try {
      await handler(ownRoleEvent, lambdaContext('request-1'));
      await handler(ownRoleEvent, lambdaContext('request-2'));
    } finally {
      stdout.mockRestore();
      if (saved === undefined) delete process.env['AWS_LAMBDA_INITIALIZATION_TYPE'];
      else process.env['AWS_LAMBDA_INITIALIZATION_TYPE'] = saved;
    }

    // Assess
    const emf = written.map((line) => { try { return JSON.parse(line); } catch { return undefined; } }).filter((e) => e?._aws);
    const outcomes = emf.filter((e) => e[OUTCOME_METRIC] !== undefined);
    expect(outcomes).toHaveLength(2);
    expect(outcomes[0]._aws.CloudWatchMetrics[0]).toEqual({
      Namespace: METRIC_NAMESPACE,
      Dimensions: [['service', 'Outcome']],
      Metrics: [{ Name: OUTCOME_METRIC, Unit: 'Count' }],
    });
    expect(outcomes[0]).toMatchObject({ service: 'eks-node-join-remediator', Outcome: 'SKIPPED' });
    expect(emf.filter((e) => e['ColdStart'] !== undefined)).toEqual([expect.objectContaining({ service: 'eks-node-join-remediator' })]);
    const logs = written.map((line) => { try { return JSON.parse(line); } catch { return undefined; } }).filter((l) => l?.message === 'remediation report');
    expect(logs[0]).toMatchObject({ service: 'eks-node-join-remediator', function_request_id: 'request-1', trigger: { kind: 'cloudtrail' } });
  });
});
