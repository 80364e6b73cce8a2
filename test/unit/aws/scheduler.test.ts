import { CreateScheduleCommand, DeleteScheduleCommand, ResourceNotFoundException, SchedulerClient } from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { atExpression, EventBridgeScheduler } from '../../../lambda/aws/scheduler';
import { AwsCallError } from '../../../lambda/errors';
import type { RecheckRequest } from '../../../lambda/ports';
import { WORLD } from '../../fixtures/aws/responses';

const scheduler = mockClient(SchedulerClient);
const TARGET = {
  groupName: 'node-join-remediator',
  roleArn: 'arn:aws:iam::123456789012:role/node-join-remediator-scheduler',
  functionArn: 'arn:aws:lambda:us-west-2:123456789012:function:node-join-remediator',
};
const RECHECK: RecheckRequest = {
  clusterName: WORLD.clusterName,
  nodegroupName: WORLD.nodegroupName,
  remediationId: '6f1c1a52-8c1e-4a37-9a61-0d6f3f0b8a11',
  reason: 'grace-period',
};

function adapter(): EventBridgeScheduler {
  return new EventBridgeScheduler(TARGET, new SchedulerClient({ region: WORLD.region }));
}

beforeEach(() => scheduler.reset());

describe('scheduleRecheck', () => {
  it('creates a one-time UTC schedule invoking the function with {"recheck": ...}, deleted after it fires', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:aws:scheduler:us-west-2:123456789012:schedule/x/y' });

    // Act
    const name = await adapter().scheduleRecheck(new Date('2026-11-29T06:05:01.400Z'), RECHECK);

    // Assess
    expect(name).toMatch(/^recheck-grace-period-[0-9a-f-]{36}$/);
    expect(name.length).toBeLessThanOrEqual(64);
    expect(scheduler).toHaveReceivedCommandWith(CreateScheduleCommand, {
      Name: name,
      GroupName: TARGET.groupName,
      ScheduleExpression: 'at(2026-11-29T06:05:01)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: { Arn: TARGET.functionArn, RoleArn: TARGET.roleArn, Input: JSON.stringify({ recheck: RECHECK }) },
    });
  });

  it('maps a failed call to AwsCallError naming CreateSchedule', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).rejects(Object.assign(new Error('not authorized to pass role'), { name: 'AccessDeniedException' }));

    // Act
    const run = adapter().scheduleRecheck(new Date(), RECHECK);

    // Assess
    await expect(run).rejects.toBeInstanceOf(AwsCallError);
    await expect(adapter().scheduleRecheck(new Date(), RECHECK)).rejects.toThrow(/CreateSchedule failed: AccessDeniedException/);
  });
});

describe('deleteSchedule', () => {
  it('deletes by name in the group, and a schedule already gone is fine', async () => {
    // Prepare
    scheduler.on(DeleteScheduleCommand).rejects(new ResourceNotFoundException({ message: 'gone', Message: 'gone', $metadata: {} }));

    // Act
    await adapter().deleteSchedule('recheck-verify-1');

    // Assess
    expect(scheduler).toHaveReceivedCommandWith(DeleteScheduleCommand, { Name: 'recheck-verify-1', GroupName: TARGET.groupName });
  });
});

describe('atExpression', () => {
  it('drops milliseconds and zone: Scheduler wants yyyy-mm-ddThh:mm:ss', () => {
    expect(atExpression(new Date('2026-01-02T03:04:05.999Z'))).toBe('at(2026-01-02T03:04:05)');
  });
});
