/**
 * EventBridge Scheduler on the emulator: the one-time re-check schedule's life as the deployed
 * function and a harness see it — created with the SDK, listed at GET /_emulator/schedules with
 * its due time and parsed input, fired by the harness (ActionAfterCompletion DELETE removes it),
 * and refused with Scheduler's own errors when malformed.
 */
import {
  ConflictException,
  CreateScheduleCommand,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  GetScheduleGroupCommand,
  ListScheduleGroupsCommand,
  ListSchedulesCommand,
  ResourceNotFoundException,
  SchedulerClient,
  ValidationException,
} from '@aws-sdk/client-scheduler';
import { startEmulator, type RunningEmulator } from '../../../../emulator/index';

const FUNCTION_ARN = 'arn:aws:lambda:us-west-2:123456789012:function:eks-node-join-remediator';
const ROLE_ARN = 'arn:aws:iam::123456789012:role/eks-node-join-remediator-scheduler';
const GROUP = 'eks-node-join-remediator';

/** `at(...)` of a time, as Scheduler wants it (UTC, seconds, no zone suffix). */
const at = (ms: number): string => `at(${new Date(ms).toISOString().slice(0, 19)})`;

describe('EventBridge Scheduler through the emulator', () => {
  let emulator: RunningEmulator;
  let scheduler: SchedulerClient;

  beforeAll(async () => {
    emulator = await startEmulator({ scenario: 'seed', kubernetes: false });
    scheduler = new SchedulerClient({ region: emulator.region, endpoint: emulator.awsEndpoint, credentials: emulator.credentialsOf('remediator'), maxAttempts: 1 });
    await scheduler.send(new CreateScheduleGroupCommand({ Name: GROUP }));
  });
  afterAll(async () => {
    scheduler?.destroy();
    await emulator?.close();
  });

  const recheck = { recheck: { clusterName: 'eks-workshop', nodegroupName: 'new_nodegroup_2', remediationId: 'r-1', reason: 'grace-period' } };
  const create = (name: string, dueMs: number, extra: Record<string, unknown> = {}) =>
    scheduler.send(
      new CreateScheduleCommand({
        Name: name,
        GroupName: GROUP,
        ScheduleExpression: at(dueMs),
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        Target: { Arn: FUNCTION_ARN, RoleArn: ROLE_ARN, Input: JSON.stringify(recheck) },
        ...extra,
      }),
    );

  it('lists a created one-time schedule with its due time, target and parsed input, and deletes it once fired', async () => {
    // Prepare
    const dueMs = Math.floor(emulator.world.clock.now() / 1000) * 1000 - 1000;
    const { ScheduleArn } = await create('recheck-grace-1', dueMs);

    // Act
    const listed = emulator.schedules();
    const fired = emulator.fireSchedule(GROUP, 'recheck-grace-1');

    // Assess
    expect(ScheduleArn).toBe(`arn:aws:scheduler:us-west-2:123456789012:schedule/${GROUP}/recheck-grace-1`);
    expect(listed).toEqual([
      expect.objectContaining({
        name: 'recheck-grace-1',
        group: GROUP,
        dueAt: new Date(dueMs).toISOString(),
        due: true,
        targetArn: FUNCTION_ARN,
        input: recheck,
        actionAfterCompletion: 'DELETE',
      }),
    ]);
    expect(fired.input).toEqual(recheck);
    await expect(scheduler.send(new GetScheduleCommand({ Name: 'recheck-grace-1', GroupName: GROUP }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect(emulator.schedules()).toEqual([]);
  });

  it('keeps a schedule whose ActionAfterCompletion is NONE after it fired, no longer due', async () => {
    // Prepare
    await create('kept', emulator.world.clock.now() - 5000, { ActionAfterCompletion: 'NONE' });

    // Act
    emulator.fireSchedule(GROUP, 'kept');

    // Assess
    const [kept] = emulator.schedules();
    expect(kept).toMatchObject({ name: 'kept', due: false, firedAt: expect.any(String) });
    expect(() => emulator.fireSchedule(GROUP, 'kept')).toThrow(/already fired/);
    await scheduler.send(new DeleteScheduleCommand({ Name: 'kept', GroupName: GROUP }));
  });

  it('answers Get and List as the SDK expects, a future schedule not yet due', async () => {
    // Prepare
    const dueMs = Math.floor(emulator.world.clock.now() / 1000) * 1000 + 300_000;
    await create('recheck-verify-1', dueMs);

    // Act
    const got = await scheduler.send(new GetScheduleCommand({ Name: 'recheck-verify-1', GroupName: GROUP }));
    const listed = await scheduler.send(new ListSchedulesCommand({ GroupName: GROUP }));
    const groups = await scheduler.send(new ListScheduleGroupsCommand({}));
    const group = await scheduler.send(new GetScheduleGroupCommand({ Name: GROUP }));

    // Assess
    expect(got).toMatchObject({
      Name: 'recheck-verify-1',
      GroupName: GROUP,
      ScheduleExpression: at(dueMs),
      State: 'ENABLED',
      ActionAfterCompletion: 'DELETE',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: FUNCTION_ARN, RoleArn: ROLE_ARN, Input: JSON.stringify(recheck) },
    });
    expect(got.CreationDate).toBeInstanceOf(Date);
    expect(listed.Schedules).toEqual([expect.objectContaining({ Name: 'recheck-verify-1', Target: { Arn: FUNCTION_ARN } })]);
    expect(groups.ScheduleGroups?.map((g) => g.Name)).toEqual(['default', GROUP]);
    expect(group.State).toBe('ACTIVE');
    expect(emulator.schedules()[0]).toMatchObject({ due: false });
    await scheduler.send(new DeleteScheduleCommand({ Name: 'recheck-verify-1', GroupName: GROUP }));
  });

  it('refuses a duplicate name, an unknown group, a malformed expression and a role that is not a role ARN', async () => {
    // Prepare
    const soon = emulator.world.clock.now() + 60_000;
    await create('twice', soon);

    // Act / Assess
    await expect(create('twice', soon)).rejects.toBeInstanceOf(ConflictException);
    await expect(create('elsewhere', soon, { GroupName: 'no-such-group' })).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(create('bad-expression', soon, { ScheduleExpression: 'at(2026-13-01T00:00:00)' })).rejects.toBeInstanceOf(ValidationException);
    await expect(
      create('bad-role', soon, { Target: { Arn: FUNCTION_ARN, RoleArn: 'eks-node-join-remediator-scheduler', Input: '{}' } }),
    ).rejects.toBeInstanceOf(ValidationException);
    await expect(scheduler.send(new DeleteScheduleCommand({ Name: 'never-made', GroupName: GROUP }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect(emulator.schedules().map((s) => s.name)).toEqual(['twice']);
  });

  it('serves the schedule list and the fire action on the control endpoints', async () => {
    // Prepare
    await create('over-http', emulator.world.clock.now() - 1000);

    // Act
    const listed = (await (await fetch(`${emulator.awsEndpoint}/_emulator/schedules`)).json()) as { name: string }[];
    const fired = await fetch(`${emulator.awsEndpoint}/_emulator/schedules/${GROUP}/over-http/fire`, { method: 'POST' });
    const again = await fetch(`${emulator.awsEndpoint}/_emulator/schedules/${GROUP}/over-http/fire`, { method: 'POST' });

    // Assess
    expect(listed.map((s) => s.name)).toContain('over-http');
    expect(fired.status).toBe(200);
    expect(await fired.json()).toMatchObject({ name: 'over-http', input: recheck });
    expect(again.status).toBe(404);
  });
});
