import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  ScalingActivityInProgressFault,
  AutoScalingServiceException,
  TerminateInstanceInAutoScalingGroupCommand,
  type DescribeAutoScalingGroupsCommandOutput,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateRouteCommand,
  DescribeRouteTablesCommand,
  EC2Client,
  EC2ServiceException,
  ReplaceRouteCommand,
  type Route,
} from '@aws-sdk/client-ec2';
import {
  DescribeNodegroupCommand,
  EKSClient,
  ResourceInUseException,
  UpdateNodegroupConfigCommand,
  type DescribeNodegroupCommandOutput,
  type NodegroupStatus,
} from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { AutoScalingAdapter } from '../../lambda/aws/autoscaling';
import { Ec2Adapter } from '../../lambda/aws/ec2';
import { EksAdapter } from '../../lambda/aws/eks';
import { executePlan, MAX_BUSY_ATTEMPTS } from '../../lambda/execute';
import type { CreateRouteAction, EngineAction, Plan, ReplaceInstancesAction, ReplaceRouteAction, ScaleCycleAction, ScalingConfig } from '../../lambda/model';
import type { Ports } from '../../lambda/ports';
import { awsResponse, FakeClock, recordingLogger, WORLD } from '../fixtures/aws/responses';

const eksMock = mockClient(EKSClient);
const ec2Mock = mockClient(EC2Client);
const autoScalingMock = mockClient(AutoScalingClient);

const OTHER_INSTANCE = 'i-0b7e9973418f8ab03';

function ports(): Ports {
  return {
    eks: new EksAdapter(new EKSClient({ region: WORLD.region })),
    ec2: new Ec2Adapter(new EC2Client({ region: WORLD.region })),
    autoscaling: new AutoScalingAdapter(new AutoScalingClient({ region: WORLD.region })),
    kubernetes: {
      listNodegroupNodes: async () => {
        throw new Error('execute must not read Kubernetes');
      },
    },
  };
}

// --- Actions as the plan writes them -------------------------------------------------------------

function createRoute(routeTableId: string = WORLD.newRouteTableId, natGatewayId: string = WORLD.natA): CreateRouteAction {
  return {
    type: 'CREATE_ROUTE',
    resourceId: routeTableId,
    status: 'planned',
    detail: { routeTableId, destinationCidrBlock: '0.0.0.0/0', natGatewayId, subnetIds: [WORLD.newSubnetId] },
  };
}

function replaceRoute(routeTableId: string = WORLD.blackholeRouteTableId, natGatewayId: string = WORLD.natB): ReplaceRouteAction {
  return {
    type: 'REPLACE_ROUTE',
    resourceId: routeTableId,
    status: 'planned',
    detail: {
      routeTableId,
      destinationCidrBlock: '0.0.0.0/0',
      natGatewayId,
      subnetIds: ['subnet-0a1b2c3d4e5f60012'],
      previousRoute: { destinationCidrBlock: '0.0.0.0/0', natGatewayId: 'nat-0ffee1234567890ab', state: 'blackhole' },
    },
  };
}

function replaceInstances(instanceIds: string[] = [WORLD.instanceId]): ReplaceInstancesAction {
  return {
    type: 'REPLACE_INSTANCES',
    resourceId: WORLD.nodegroupName,
    status: 'planned',
    detail: { instanceIds, autoScalingGroupNames: [WORLD.asgName] },
  };
}

function scaleCycle(original: ScalingConfig = { minSize: 0, maxSize: 1, desiredSize: 1 }): ScaleCycleAction {
  return {
    type: 'SCALE_CYCLE',
    resourceId: WORLD.nodegroupName,
    status: 'planned',
    detail: { clusterName: WORLD.clusterName, nodegroupName: WORLD.nodegroupName, original },
  };
}

const plan = (...actions: EngineAction[]): Plan => ({ actions });

// --- AWS answers ---------------------------------------------------------------------------------

function ec2Error(name: string, message: string): EC2ServiceException {
  return new EC2ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 400 }, message });
}

function routeTableWithDefault(routeTableId: string, defaultRoute?: Route) {
  return {
    RouteTables: [
      {
        RouteTableId: routeTableId,
        VpcId: WORLD.vpcId,
        Associations: [{ Main: false, RouteTableId: routeTableId, SubnetId: WORLD.newSubnetId }],
        Routes: [
          { DestinationCidrBlock: '10.42.0.0/16', GatewayId: 'local', State: 'active' as const, Origin: 'CreateRouteTable' as const },
          ...(defaultRoute ? [{ DestinationCidrBlock: '0.0.0.0/0', Origin: 'CreateRoute' as const, ...defaultRoute }] : []),
        ],
      },
    ],
  };
}

function nodegroupAnswer(status: NodegroupStatus, scaling: ScalingConfig): DescribeNodegroupCommandOutput {
  const answer = awsResponse<DescribeNodegroupCommandOutput>('eks-describe-nodegroup.json');
  answer.nodegroup!.status = status;
  answer.nodegroup!.scalingConfig = { ...scaling };
  return answer;
}

function groupWith(lifecycleStates: string[]): DescribeAutoScalingGroupsCommandOutput {
  const answer = awsResponse<DescribeAutoScalingGroupsCommandOutput>('autoscaling-describe-auto-scaling-groups.json');
  answer.AutoScalingGroups![0]!.Instances = lifecycleStates.map((state, i) => ({
    InstanceId: `i-0${i.toString(16).padStart(16, '0')}`,
    AvailabilityZone: 'us-west-2a',
    LifecycleState: state as never,
    HealthStatus: 'Healthy',
    ProtectedFromScaleIn: false,
  }));
  return answer;
}

const updateAnswer = (id: string) => ({ update: { id, status: 'InProgress' as const, type: 'ConfigUpdate' as const } });

function scalingCalls(): unknown[] {
  return eksMock.commandCalls(UpdateNodegroupConfigCommand).map((c) => c.args[0].input.scalingConfig);
}

let clock: FakeClock;

beforeEach(() => {
  eksMock.reset();
  ec2Mock.reset();
  autoScalingMock.reset();
  clock = new FakeClock();
});

function run(thePlan: Plan, overrides: Partial<Parameters<typeof executePlan>[2]> = {}) {
  return executePlan(thePlan, ports(), {
    dryRun: false,
    now: clock.now,
    sleep: clock.sleep,
    deadline: clock.in(600),
    pollSeconds: 10,
    ...overrides,
  });
}

describe('dry run', () => {
  it('keeps every action planned and makes no AWS call at all', async () => {
    // Prepare
    const thePlan = plan(createRoute(), replaceRoute(), replaceInstances(), scaleCycle());
    const logger = recordingLogger();

    // Act
    const result = await run(thePlan, { dryRun: true, logger });

    // Assess
    expect(result.actions.map((a) => a.status)).toEqual(['planned', 'planned', 'planned', 'planned']);
    expect(result.actions).toEqual(thePlan.actions);
    expect(result.failedStep).toBeUndefined();
    expect(ec2Mock).toHaveReceivedCommandTimes(CreateRouteCommand, 0);
    expect(ec2Mock).toHaveReceivedCommandTimes(ReplaceRouteCommand, 0);
    expect(autoScalingMock).toHaveReceivedCommandTimes(TerminateInstanceInAutoScalingGroupCommand, 0);
    expect(eksMock).toHaveReceivedCommandTimes(UpdateNodegroupConfigCommand, 0);
    expect(ec2Mock.calls().length + eksMock.calls().length + autoScalingMock.calls().length).toBe(0);
    expect(logger.lines.filter((l) => l.message.startsWith('dry run'))).toHaveLength(4);
  });
});

describe('order and failure', () => {
  it('runs the actions in order and marks each done', async () => {
    // Prepare
    const sequence: string[] = [];
    ec2Mock.on(CreateRouteCommand).callsFake(async () => {
      sequence.push('CreateRoute');
      return { Return: true };
    });
    autoScalingMock.on(TerminateInstanceInAutoScalingGroupCommand).callsFake(async (input: { InstanceId: string }) => {
      sequence.push(`Terminate ${input.InstanceId}`);
      return {};
    });
    const logger = recordingLogger();

    // Act
    const result = await run(plan(createRoute(), replaceInstances([WORLD.instanceId, OTHER_INSTANCE])), { logger });

    // Assess
    expect(sequence).toEqual(['CreateRoute', `Terminate ${WORLD.instanceId}`, `Terminate ${OTHER_INSTANCE}`]);
    expect(result.actions.map((a) => [a.type, a.status])).toEqual([
      ['CREATE_ROUTE', 'done'],
      ['REPLACE_INSTANCES', 'done'],
    ]);
    expect(result.actions[0]!.detail).toMatchObject({ natGatewayId: WORLD.natA, alreadyPresent: false });
    expect(result.actions[1]!.detail).toMatchObject({ terminatedInstanceIds: [WORLD.instanceId, OTHER_INSTANCE] });
    expect(logger.lines.map((l) => [l.level, l.message, l.extra?.['actionType']])).toEqual([
      ['info', 'action done', 'CREATE_ROUTE'],
      ['info', 'action done', 'REPLACE_INSTANCES'],
    ]);
  });

  it('stops at the first failure: records the AWS error and skips every later action without attempting it', async () => {
    // Prepare
    ec2Mock.on(CreateRouteCommand).rejects(ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.'));
    const logger = recordingLogger();

    // Act
    const result = await run(plan(createRoute(), replaceInstances(), scaleCycle()), { logger });

    // Assess
    expect(result.actions.map((a) => a.status)).toEqual(['failed', 'skipped', 'skipped']);
    expect(result.actions[0]!.detail['error']).toEqual({
      name: 'AwsCallError',
      code: 'UnauthorizedOperation',
      message: 'CreateRoute failed: UnauthorizedOperation: You are not authorized to perform this operation.',
    });
    expect(result.failedStep).toEqual({
      index: 0,
      type: 'CREATE_ROUTE',
      resourceId: WORLD.newRouteTableId,
      error: result.actions[0]!.detail['error'],
    });
    expect(autoScalingMock).toHaveReceivedCommandTimes(TerminateInstanceInAutoScalingGroupCommand, 0);
    expect(eksMock.calls()).toHaveLength(0);
    expect(logger.lines.map((l) => l.level)).toEqual(['error', 'warn', 'warn']);
  });
});

describe('CREATE_ROUTE idempotency', () => {
  it('counts a RouteAlreadyExists as done when the table already routes 0.0.0.0/0 to the same NAT gateway, active', async () => {
    // Prepare
    ec2Mock.on(CreateRouteCommand).rejects(ec2Error('RouteAlreadyExists', 'The route identified by 0.0.0.0/0 already exists.'));
    ec2Mock
      .on(DescribeRouteTablesCommand, { RouteTableIds: [WORLD.newRouteTableId] })
      .resolves(routeTableWithDefault(WORLD.newRouteTableId, { NatGatewayId: WORLD.natA, State: 'active' }));

    // Act
    const result = await run(plan(createRoute(), replaceInstances()));

    // Assess
    expect(result.actions[0]).toMatchObject({ status: 'done', detail: { alreadyPresent: true } });
    expect(result.actions[1]!.status).toBe('done');
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeRouteTablesCommand, 1);
  });

  it('fails, naming the other target, when another writer put a different 0.0.0.0/0 route there', async () => {
    // Prepare
    ec2Mock.on(CreateRouteCommand).rejects(ec2Error('RouteAlreadyExists', 'The route identified by 0.0.0.0/0 already exists.'));
    ec2Mock
      .on(DescribeRouteTablesCommand)
      .resolves(routeTableWithDefault(WORLD.newRouteTableId, { TransitGatewayId: 'tgw-0123456789abcdef0', State: 'active' }));

    // Act
    const result = await run(plan(createRoute(), replaceInstances()));

    // Assess
    expect(result.actions.map((a) => a.status)).toEqual(['failed', 'skipped']);
    const error = result.actions[0]!.detail['error'] as { name: string; message: string };
    expect(error.name).toBe('ConflictingRouteError');
    expect(error.message).toContain('tgw-0123456789abcdef0');
    expect((result.actions[0]!.detail as Record<string, unknown>)['existingRoute']).toMatchObject({ transitGatewayId: 'tgw-0123456789abcdef0' });
    expect(ec2Mock).toHaveReceivedCommandTimes(ReplaceRouteCommand, 0);
  });

  it('fails when the route found is to the same NAT gateway but not active', async () => {
    // Prepare
    ec2Mock.on(CreateRouteCommand).rejects(ec2Error('RouteAlreadyExists', 'The route identified by 0.0.0.0/0 already exists.'));
    ec2Mock.on(DescribeRouteTablesCommand).resolves(routeTableWithDefault(WORLD.newRouteTableId, { NatGatewayId: WORLD.natA, State: 'blackhole' }));

    // Act
    const result = await run(plan(createRoute()));

    // Assess
    expect(result.actions[0]!.status).toBe('failed');
    expect((result.actions[0]!.detail['error'] as { message: string }).message).toContain(`${WORLD.natA} (blackhole)`);
  });
});

describe('REPLACE_ROUTE', () => {
  it('re-reads the table and replaces a route that is still a blackhole', async () => {
    // Prepare
    ec2Mock
      .on(DescribeRouteTablesCommand)
      .resolves(routeTableWithDefault(WORLD.blackholeRouteTableId, { NatGatewayId: 'nat-0ffee1234567890ab', State: 'blackhole' }));
    ec2Mock.on(ReplaceRouteCommand).resolves({});

    // Act
    const result = await run(plan(replaceRoute()));

    // Assess
    expect(ec2Mock).toHaveReceivedCommandWith(ReplaceRouteCommand, {
      RouteTableId: WORLD.blackholeRouteTableId,
      DestinationCidrBlock: '0.0.0.0/0',
      NatGatewayId: WORLD.natB,
    });
    expect(result.actions[0]).toMatchObject({ status: 'done', detail: { replacedRoute: { state: 'blackhole' } } });
  });

  it('never replaces a route that became active since the snapshot', async () => {
    // Prepare
    ec2Mock.on(DescribeRouteTablesCommand).resolves(routeTableWithDefault(WORLD.blackholeRouteTableId, { NatGatewayId: WORLD.natA, State: 'active' }));

    // Act
    const result = await run(plan(replaceRoute(), replaceInstances()));

    // Assess
    expect(ec2Mock).toHaveReceivedCommandTimes(ReplaceRouteCommand, 0);
    expect(result.actions.map((a) => a.status)).toEqual(['failed', 'skipped']);
    expect((result.actions[0]!.detail['error'] as { name: string }).name).toBe('ConflictingRouteError');
  });

  it('never replaces a blackhole route that now points at something other than a NAT gateway', async () => {
    // Prepare: since the snapshot, someone pointed 0.0.0.0/0 at a transit gateway that is gone.
    ec2Mock
      .on(DescribeRouteTablesCommand)
      .resolves(routeTableWithDefault(WORLD.blackholeRouteTableId, { TransitGatewayId: 'tgw-0123456789abcdef0', State: 'blackhole' }));
    ec2Mock.on(ReplaceRouteCommand).resolves({});

    // Act
    const result = await run(plan(replaceRoute(), replaceInstances()));

    // Assess
    expect(ec2Mock).toHaveReceivedCommandTimes(ReplaceRouteCommand, 0);
    expect(result.actions.map((a) => a.status)).toEqual(['failed', 'skipped']);
    expect(result.actions[0]!.detail).toMatchObject({
      error: { name: 'ConflictingRouteError' },
      existingRoute: { transitGatewayId: 'tgw-0123456789abcdef0', state: 'blackhole' },
    });
  });

  it('is done without a write when the table already routes to the planned NAT gateway', async () => {
    // Prepare
    ec2Mock.on(DescribeRouteTablesCommand).resolves(routeTableWithDefault(WORLD.blackholeRouteTableId, { NatGatewayId: WORLD.natB, State: 'active' }));

    // Act
    const result = await run(plan(replaceRoute()));

    // Assess
    expect(result.actions[0]).toMatchObject({ status: 'done', detail: { alreadyPresent: true } });
    expect(ec2Mock).toHaveReceivedCommandTimes(ReplaceRouteCommand, 0);
  });

  it('creates the route when the blackhole route was deleted meanwhile', async () => {
    // Prepare
    ec2Mock.on(DescribeRouteTablesCommand).resolves(routeTableWithDefault(WORLD.blackholeRouteTableId));
    ec2Mock.on(CreateRouteCommand).resolves({ Return: true });

    // Act
    const result = await run(plan(replaceRoute()));

    // Assess
    expect(ec2Mock).toHaveReceivedCommandWith(CreateRouteCommand, { RouteTableId: WORLD.blackholeRouteTableId, NatGatewayId: WORLD.natB });
    expect(result.actions[0]).toMatchObject({ status: 'done', detail: { previousRouteGone: true } });
  });
});

describe('REPLACE_INSTANCES', () => {
  it('terminates each instance keeping the desired capacity', async () => {
    // Prepare
    autoScalingMock.on(TerminateInstanceInAutoScalingGroupCommand).resolves({});

    // Act
    await run(plan(replaceInstances([WORLD.instanceId, OTHER_INSTANCE])));

    // Assess
    expect(autoScalingMock).toHaveReceivedCommandTimes(TerminateInstanceInAutoScalingGroupCommand, 2);
    for (const instanceId of [WORLD.instanceId, OTHER_INSTANCE]) {
      expect(autoScalingMock).toHaveReceivedCommandWith(TerminateInstanceInAutoScalingGroupCommand, {
        InstanceId: instanceId,
        ShouldDecrementDesiredCapacity: false,
      });
    }
  });

  it('counts an instance that is already gone as done, with a note', async () => {
    // Prepare
    autoScalingMock
      .on(TerminateInstanceInAutoScalingGroupCommand, { InstanceId: WORLD.instanceId })
      .rejects(
        new AutoScalingServiceException({
          name: 'ValidationError',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: `Instance Id not found - No managed instance found for instance ID: ${WORLD.instanceId}`,
        }),
      );
    autoScalingMock.on(TerminateInstanceInAutoScalingGroupCommand, { InstanceId: OTHER_INSTANCE }).resolves({});

    // Act
    const result = await run(plan(replaceInstances([WORLD.instanceId, OTHER_INSTANCE])));

    // Assess
    expect(result.actions[0]!.status).toBe('done');
    expect(result.actions[0]!.detail).toMatchObject({
      terminatedInstanceIds: [OTHER_INSTANCE],
      alreadyGoneInstanceIds: [WORLD.instanceId],
    });
    expect((result.actions[0]!.detail as Record<string, unknown>)['note']).toContain(WORLD.instanceId);
  });

  it('retries while a scaling activity is in progress', async () => {
    // Prepare
    autoScalingMock
      .on(TerminateInstanceInAutoScalingGroupCommand)
      .rejectsOnce(new ScalingActivityInProgressFault({ $metadata: { httpStatusCode: 400 }, message: 'Scaling activity in progress' }))
      .resolves({});

    // Act
    const result = await run(plan(replaceInstances()));

    // Assess
    expect(result.actions[0]!.status).toBe('done');
    expect(autoScalingMock).toHaveReceivedCommandTimes(TerminateInstanceInAutoScalingGroupCommand, 2);
    expect(clock.sleeps).toEqual([10_000]);
  });

  it('records the instances already terminated when a later one fails', async () => {
    // Prepare
    autoScalingMock.on(TerminateInstanceInAutoScalingGroupCommand, { InstanceId: WORLD.instanceId }).resolves({});
    autoScalingMock
      .on(TerminateInstanceInAutoScalingGroupCommand, { InstanceId: OTHER_INSTANCE })
      .rejects(new AutoScalingServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: {}, message: 'not allowed' }));

    // Act
    const result = await run(plan(replaceInstances([WORLD.instanceId, OTHER_INSTANCE])));

    // Assess
    expect(result.actions[0]!.status).toBe('failed');
    expect((result.actions[0]!.detail as Record<string, unknown>)['terminatedInstanceIds']).toEqual([WORLD.instanceId]);
    expect(result.actions[0]!.detail['error']).toMatchObject({ name: 'AwsCallError', code: 'AccessDenied' });
  });
});

describe('registration re-check before an irreversible step', () => {
  const registeredNow = (instanceIds: string[]) => async () => ({
    nodeCount: instanceIds.length,
    registeredInstanceIds: new Set(instanceIds),
  });

  it('spares an instance that registered since the plan and terminates only the others', async () => {
    // Prepare
    autoScalingMock.on(TerminateInstanceInAutoScalingGroupCommand).resolves({});

    // Act
    const result = await run(plan(replaceInstances([WORLD.instanceId, OTHER_INSTANCE])), {
      registrationNow: registeredNow([WORLD.instanceId]),
    });

    // Assess
    expect(autoScalingMock).toHaveReceivedCommandTimes(TerminateInstanceInAutoScalingGroupCommand, 1);
    expect(autoScalingMock).toHaveReceivedCommandWith(TerminateInstanceInAutoScalingGroupCommand, { InstanceId: OTHER_INSTANCE });
    expect(result.actions[0]).toMatchObject({
      status: 'done',
      detail: { terminatedInstanceIds: [OTHER_INSTANCE], registeredSinceSnapshotInstanceIds: [WORLD.instanceId] },
    });
  });

  it('does not scale to 0 a node group that has a registered node by then', async () => {
    // Prepare
    eksMock.on(DescribeNodegroupCommand).resolves(nodegroupAnswer('ACTIVE', { minSize: 0, maxSize: 1, desiredSize: 1 }));
    eksMock.on(UpdateNodegroupConfigCommand).resolves(updateAnswer('u-1'));

    // Act
    const result = await run(plan(scaleCycle()), { registrationNow: registeredNow([WORLD.instanceId]) });

    // Assess
    expect(eksMock).toHaveReceivedCommandTimes(UpdateNodegroupConfigCommand, 0);
    expect(result.actions[0]).toMatchObject({ status: 'failed', detail: { error: { name: 'NodesRegisteredError' } } });
  });

  it('goes by the plan when registration cannot be re-read, and says so', async () => {
    // Prepare
    autoScalingMock.on(TerminateInstanceInAutoScalingGroupCommand).resolves({});
    const unreachable = async () => {
      throw new Error('connect ETIMEDOUT');
    };

    // Act
    const result = await run(plan(replaceInstances()), { registrationNow: unreachable });

    // Assess
    expect(autoScalingMock).toHaveReceivedCommandTimes(TerminateInstanceInAutoScalingGroupCommand, 1);
    expect(result.actions[0]!.status).toBe('done');
    expect(String((result.actions[0]!.detail as Record<string, unknown>)['registrationRecheck'])).toContain('ETIMEDOUT');
  });
});

describe('SCALE_CYCLE', () => {
  it('scales to 0, waits until the node group is ACTIVE and drained, then restores the original sizes', async () => {
    // Prepare
    const original = { minSize: 0, maxSize: 1, desiredSize: 1 };
    eksMock
      .on(DescribeNodegroupCommand)
      .resolvesOnce(nodegroupAnswer('ACTIVE', original))
      .resolvesOnce(nodegroupAnswer('UPDATING', { minSize: 0, maxSize: 1, desiredSize: 0 }))
      .resolves(nodegroupAnswer('ACTIVE', { minSize: 0, maxSize: 1, desiredSize: 0 }));
    eksMock.on(UpdateNodegroupConfigCommand).resolvesOnce(updateAnswer('update-down')).resolvesOnce(updateAnswer('update-up'));
    autoScalingMock.on(DescribeAutoScalingGroupsCommand).resolves(groupWith([]));

    // Act
    const result = await run(plan(scaleCycle(original)));

    // Assess
    expect(scalingCalls()).toEqual([
      { minSize: 0, maxSize: 1, desiredSize: 0 },
      { minSize: 0, maxSize: 1, desiredSize: 1 },
    ]);
    expect(result.actions[0]).toMatchObject({
      status: 'done',
      detail: { updateIds: ['update-down', 'update-up'], scaledDownTo: { minSize: 0, maxSize: 1, desiredSize: 0 }, restoredTo: original },
    });
    expect(eksMock).toHaveReceivedCommandTimes(DescribeNodegroupCommand, 3);
    expect(clock.sleeps).toEqual([10_000]);
  });

  it('drops minSize to 0 when it was above 0, and restores both minSize and desiredSize', async () => {
    // Prepare
    const original = { minSize: 1, maxSize: 3, desiredSize: 2 };
    eksMock
      .on(DescribeNodegroupCommand)
      .resolvesOnce(nodegroupAnswer('DEGRADED', original))
      .resolves(nodegroupAnswer('ACTIVE', { minSize: 0, maxSize: 3, desiredSize: 0 }));
    eksMock.on(UpdateNodegroupConfigCommand).resolves(updateAnswer('u'));
    autoScalingMock.on(DescribeAutoScalingGroupsCommand).resolves(groupWith(['Terminating', 'Terminated']));

    // Act
    const result = await run(plan(scaleCycle(original)));

    // Assess
    expect(result.actions[0]!.status).toBe('done');
    expect(scalingCalls()).toEqual([
      { minSize: 0, maxSize: 3, desiredSize: 0 },
      { minSize: 1, maxSize: 3, desiredSize: 2 },
    ]);
  });

  it('keeps waiting while the Auto Scaling group still has in-service instances after the scale-down', async () => {
    // Prepare
    eksMock.on(DescribeNodegroupCommand).resolves(nodegroupAnswer('ACTIVE', { minSize: 0, maxSize: 1, desiredSize: 0 }));
    const sequence: string[] = [];
    eksMock.on(UpdateNodegroupConfigCommand).callsFake(async (input: { scalingConfig: ScalingConfig }) => {
      sequence.push(`update desired=${input.scalingConfig.desiredSize}`);
      return updateAnswer('u');
    });
    const groups = [groupWith(['InService']), groupWith(['Terminating:Wait']), groupWith([])];
    autoScalingMock.on(DescribeAutoScalingGroupsCommand).callsFake(async () => {
      const answer = groups.shift()!;
      sequence.push(`group ${answer.AutoScalingGroups![0]!.Instances!.map((i) => i.LifecycleState).join(',')}`);
      return answer;
    });

    // Act
    const result = await run(plan(scaleCycle()));

    // Assess
    expect(result.actions[0]!.status).toBe('done');
    // the restore comes only once no instance is left in service
    expect(sequence).toEqual(['update desired=0', 'group InService', 'group Terminating:Wait', 'update desired=1']);
    expect(clock.sleeps).toEqual([10_000]);
  });

  it('waits for an UPDATING node group before scaling it', async () => {
    // Prepare
    const original = { minSize: 0, maxSize: 1, desiredSize: 1 };
    eksMock
      .on(DescribeNodegroupCommand)
      .resolvesOnce(nodegroupAnswer('UPDATING', original))
      .resolvesOnce(nodegroupAnswer('UPDATING', original))
      .resolvesOnce(nodegroupAnswer('ACTIVE', original))
      .resolves(nodegroupAnswer('ACTIVE', { minSize: 0, maxSize: 1, desiredSize: 0 }));
    const sequence: string[] = [];
    eksMock.on(UpdateNodegroupConfigCommand).callsFake(async () => {
      sequence.push(`update after ${eksMock.commandCalls(DescribeNodegroupCommand).length} reads`);
      return updateAnswer('u');
    });
    autoScalingMock.on(DescribeAutoScalingGroupsCommand).resolves(groupWith([]));

    // Act
    const result = await run(plan(scaleCycle(original)));

    // Assess
    expect(result.actions[0]!.status).toBe('done');
    expect(sequence).toEqual(['update after 3 reads', 'update after 4 reads']);
  });

  it('retries UpdateNodegroupConfig on ResourceInUseException', async () => {
    // Prepare
    eksMock
      .on(DescribeNodegroupCommand)
      .resolvesOnce(nodegroupAnswer('ACTIVE', { minSize: 0, maxSize: 1, desiredSize: 1 }))
      .resolves(nodegroupAnswer('ACTIVE', { minSize: 0, maxSize: 1, desiredSize: 0 }));
    eksMock
      .on(UpdateNodegroupConfigCommand)
      .rejectsOnce(new ResourceInUseException({ $metadata: { httpStatusCode: 409 }, message: 'update in progress' }))
      .resolves(updateAnswer('u'));
    autoScalingMock.on(DescribeAutoScalingGroupsCommand).resolves(groupWith([]));

    // Act
    const result = await run(plan(scaleCycle()));

    // Assess
    expect(result.actions[0]!.status).toBe('done');
    expect(eksMock).toHaveReceivedCommandTimes(UpdateNodegroupConfigCommand, 3);
    expect(scalingCalls()[0]).toEqual(scalingCalls()[1]);
  });

  it('gives up on a node group that stays busy: bounded attempts, then failed', async () => {
    // Prepare
    eksMock.on(DescribeNodegroupCommand).resolves(nodegroupAnswer('ACTIVE', { minSize: 0, maxSize: 1, desiredSize: 1 }));
    eksMock.on(UpdateNodegroupConfigCommand).rejects(new ResourceInUseException({ $metadata: {}, message: 'update in progress' }));

    // Act
    const result = await run(plan(scaleCycle()), { deadline: clock.in(3600) });

    // Assess
    expect(result.actions[0]!.status).toBe('failed');
    expect(result.actions[0]!.detail['error']).toMatchObject({ name: 'ResourceInUseError', code: 'ResourceInUseException' });
    expect(eksMock).toHaveReceivedCommandTimes(UpdateNodegroupConfigCommand, MAX_BUSY_ATTEMPTS);
  });

  it('on a deadline while scaled down, restores the original sizes and reports the cycle as failed', async () => {
    // Prepare
    const original = { minSize: 0, maxSize: 1, desiredSize: 1 };
    eksMock
      .on(DescribeNodegroupCommand)
      .resolvesOnce(nodegroupAnswer('ACTIVE', original))
      .resolves(nodegroupAnswer('UPDATING', { minSize: 0, maxSize: 1, desiredSize: 0 }));
    eksMock.on(UpdateNodegroupConfigCommand).resolvesOnce(updateAnswer('update-down')).resolvesOnce(updateAnswer('update-restore'));

    // Act
    const result = await run(plan(scaleCycle(original)), { deadline: clock.in(60) });

    // Assess
    expect(result.actions[0]!.status).toBe('failed');
    expect(result.actions[0]!.detail).toMatchObject({ updateIds: ['update-down', 'update-restore'], restoredTo: original });
    expect(result.actions[0]!.detail['error']).toMatchObject({ name: 'ScaleCycleIncompleteError' });
    expect(scalingCalls()).toEqual([{ minSize: 0, maxSize: 1, desiredSize: 0 }, original]);
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(60_000);
  });

  it('says what is left when the restore after a timeout fails too', async () => {
    // Prepare
    eksMock
      .on(DescribeNodegroupCommand)
      .resolvesOnce(nodegroupAnswer('ACTIVE', { minSize: 1, maxSize: 2, desiredSize: 1 }))
      .resolves(nodegroupAnswer('UPDATING', { minSize: 0, maxSize: 2, desiredSize: 0 }));
    eksMock
      .on(UpdateNodegroupConfigCommand)
      .resolvesOnce(updateAnswer('update-down'))
      .rejects(new ResourceInUseException({ $metadata: {}, message: 'update in progress' }));

    // Act
    const result = await run(plan(scaleCycle({ minSize: 1, maxSize: 2, desiredSize: 1 })), { deadline: clock.in(30) });

    // Assess
    expect(result.actions[0]!.status).toBe('failed');
    expect((result.actions[0]!.detail as Record<string, unknown>)['nodegroupLeftAt']).toEqual({ minSize: 0, maxSize: 2, desiredSize: 0 });
    expect((result.actions[0]!.detail['error'] as { message: string }).message).toMatch(/restore minSize 1, desiredSize 1/);
  });

  it('refuses a node group that is being deleted, without any update', async () => {
    // Prepare
    eksMock.on(DescribeNodegroupCommand).resolves(nodegroupAnswer('DELETING', { minSize: 0, maxSize: 1, desiredSize: 1 }));

    // Act
    const result = await run(plan(scaleCycle()));

    // Assess
    expect(result.actions[0]!.status).toBe('failed');
    expect(result.actions[0]!.detail['error']).toMatchObject({ name: 'NodegroupStateError' });
    expect(eksMock).toHaveReceivedCommandTimes(UpdateNodegroupConfigCommand, 0);
  });
});

describe('malformed actions', () => {
  it('cannot be built: an action without the detail its type needs does not type-check', () => {
    // Prepare: the engine's actions are typed per `type` (EngineAction in lambda/model.ts), so
    // execute no longer re-checks detail at run time; `tsc --noEmit` enforces the expectation below.
    // @ts-expect-error a CREATE_ROUTE needs routeTableId, destinationCidrBlock, natGatewayId and subnetIds
    const broken: EngineAction = { type: 'CREATE_ROUTE', resourceId: WORLD.newRouteTableId, status: 'planned', detail: {} };

    // Assess
    expect(broken.detail).toEqual({});
  });
});
