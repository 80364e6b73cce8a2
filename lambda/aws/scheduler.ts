/**
 * The SchedulerPort adapter: one-time EventBridge Scheduler schedules that invoke this function
 * with `{"recheck": {...}}` (contract section 6 input 5, section 8), deleted by Scheduler after
 * they fire (ActionAfterCompletion DELETE).
 *
 * IAM: scheduler:CreateSchedule, scheduler:DeleteSchedule on the group's schedules, and
 * iam:PassRole on the scheduler role (Scheduler assumes it to call lambda:InvokeFunction).
 */
import { randomUUID } from 'node:crypto';
import { CreateScheduleCommand, DeleteScheduleCommand, ResourceNotFoundException, SchedulerClient } from '@aws-sdk/client-scheduler';
import type { RecheckRequest, SchedulerPort } from '../ports';
import { awsCallError, awsClientConfig, instrumented, awsErrorCode, type AwsClientOptions } from './clients';

export interface SchedulerTarget {
  /** schedule group of the function's re-checks (config.scheduleGroupName) */
  groupName: string;
  /** role Scheduler assumes to invoke the function (config.schedulerRoleArn) */
  roleArn: string;
  /** the function's own ARN (context.invokedFunctionArn) */
  functionArn: string;
}

/**
 * `at(yyyy-mm-ddThh:mm:ss)` in UTC: the one-time expression of EventBridge Scheduler
 * (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#one-time).
 */
export function atExpression(at: Date): string {
  return `at(${at.toISOString().slice(0, 19)})`;
}

/** Schedule names: 1-64 of [0-9a-zA-Z-_.]; unique per re-check. */
export function scheduleName(recheck: RecheckRequest): string {
  return `recheck-${recheck.reason}-${randomUUID()}`.slice(0, 64);
}

export class EventBridgeScheduler implements SchedulerPort {
  constructor(
    private readonly target: SchedulerTarget,
    private readonly client: SchedulerClient = new SchedulerClient(awsClientConfig()),
  ) {}

  async scheduleRecheck(at: Date, recheck: RecheckRequest): Promise<string> {
    const name = scheduleName(recheck);
    try {
      await this.client.send(
        new CreateScheduleCommand({
          Name: name,
          GroupName: this.target.groupName,
          ScheduleExpression: atExpression(at),
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Description: `${recheck.reason} re-check of ${recheck.clusterName}/${recheck.nodegroupName} (${recheck.remediationId})`.slice(0, 512),
          Target: {
            Arn: this.target.functionArn,
            RoleArn: this.target.roleArn,
            Input: JSON.stringify({ recheck }),
          },
        }),
      );
    } catch (error) {
      throw awsCallError('CreateSchedule', error);
    }
    return name;
  }

  async deleteSchedule(name: string): Promise<void> {
    try {
      await this.client.send(new DeleteScheduleCommand({ Name: name, GroupName: this.target.groupName }));
    } catch (error) {
      // Already fired and deleted (ActionAfterCompletion DELETE), or never created: nothing to do.
      if (error instanceof ResourceNotFoundException || awsErrorCode(error) === 'ResourceNotFoundException') return;
      throw awsCallError('DeleteSchedule', error);
    }
  }
}

/** The shared client config for the Scheduler client; one client per process. */
export function createSchedulerClient(options: AwsClientOptions = {}): SchedulerClient {
  return instrumented(new SchedulerClient(awsClientConfig(options)), options);
}
