/**
 * The AWS services the deployed function uses besides those the world models (contract section
 * 7.2): DynamoDB (embedded dynalite), EventBridge Scheduler and SNS, served on the emulator's one
 * endpoint, and their control endpoints:
 *   GET    /_emulator/schedules                         every schedule (ScheduleView), due or not
 *   POST   /_emulator/schedules/{group}/{name}/fire     a harness invoked its target: honour ActionAfterCompletion
 *   DELETE /_emulator/schedules/{group}/{name}          drop it without firing
 *   GET    /_emulator/notifications                     every SNS Publish accepted (NotificationRecord)
 *   DELETE /_emulator/notifications                     forget them
 */
import { AwsApiError } from './errors';
import { startEmbeddedDynamoDb } from './services/dynamodb';
import { createSchedulerService, SchedulerStore, type ScheduleView } from './services/scheduler';
import { createSnsService, SnsStore, type NotificationRecord } from './services/sns';
import type { HttpReply, ServiceProtocol } from './services/types';
import type { World } from './world/world';

export type { ScheduleView } from './services/scheduler';
export type { NotificationRecord } from './services/sns';

export interface DeployedShapeServices {
  /** by SigV4 signing name */
  services: Record<string, ServiceProtocol>;
  control: (method: string, url: URL, body: string) => HttpReply | undefined;
  scheduler: SchedulerStore;
  sns: SnsStore;
  schedules(): ScheduleView[];
  /** marks a schedule fired (see SchedulerStore.fire) */
  fireSchedule(group: string, name: string): ScheduleView;
  notifications(): NotificationRecord[];
  close(): Promise<void>;
}

const json = (status: number, value: unknown): HttpReply => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(value, null, 2),
});

export async function startDeployedShapeServices(world: World): Promise<DeployedShapeServices> {
  const dynamodb = await startEmbeddedDynamoDb();
  const scheduler = new SchedulerStore(world);
  const sns = new SnsStore(world);

  const control = (method: string, url: URL, _body: string): HttpReply | undefined => {
    const path = url.pathname.replace(/\/+$/, '');
    if (path === '/_emulator/schedules' && method === 'GET') return json(200, scheduler.views());
    if (path === '/_emulator/notifications') {
      if (method === 'GET') return json(200, sns.notifications());
      if (method === 'DELETE') {
        sns.clearNotifications();
        return json(200, { cleared: true });
      }
    }
    const fire = /^\/_emulator\/schedules\/([^/]+)\/([^/]+)\/fire$/.exec(path);
    const one = /^\/_emulator\/schedules\/([^/]+)\/([^/]+)$/.exec(path);
    try {
      if (fire && method === 'POST') return json(200, scheduler.fire(decodeURIComponent(fire[1]!), decodeURIComponent(fire[2]!)));
      if (one && method === 'DELETE') {
        scheduler.deleteSchedule(decodeURIComponent(one[1]!), decodeURIComponent(one[2]!));
        return json(200, { deleted: `${decodeURIComponent(one[1]!)}/${decodeURIComponent(one[2]!)}` });
      }
    } catch (error) {
      if (error instanceof AwsApiError) return json(error.httpStatus, { code: error.code, message: error.message });
      throw error;
    }
    return undefined;
  };

  return {
    services: { dynamodb: dynamodb.service, scheduler: createSchedulerService(scheduler), sns: createSnsService(sns) },
    control,
    scheduler,
    sns,
    schedules: () => scheduler.views(),
    fireSchedule: (group, name) => scheduler.fire(group, name),
    notifications: () => sns.notifications(),
    close: () => dynamodb.close(),
  };
}
