/**
 * The deployed function on one machine: the real Lambda handler (lambda/handler.ts) run
 * in-process with the ambient AWS credentials and endpoint (AWS_ENDPOINT_URL, typically the
 * emulator's), the knobs of contract section 4 as their Lambda environment variables, and a
 * Lambda-like context (request id, function ARN, a 900 s budget). Against the emulator it first
 * creates what the deployed stack would have created (the ledger table of
 * lambda/ledger/schema.ts, the schedule group, the report topic) and names them to the handler
 * as the stack's environment does.
 *
 * `follow` plays EventBridge Scheduler's part: it lists the re-checks the handler scheduled
 * (GET /_emulator/schedules), waits until each is due, marks it fired (its ActionAfterCompletion
 * applies) and invokes the handler with its input, until none is pending.
 *
 * Used by `npm run invoke` (scripts/invoke.ts), the demo, the benchmark and the end-to-end tests.
 */
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, type CreateTableCommandInput, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { CreateScheduleGroupCommand, GetScheduleGroupCommand, SchedulerClient, ResourceNotFoundException as ScheduleGroupNotFound } from '@aws-sdk/client-scheduler';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { Context } from 'aws-lambda';
import { ENV } from '../lambda/config';
import { createHandler, runtimeFromEnv } from '../lambda/handler';
import { LEDGER_TABLE } from '../lambda/ledger/schema';
import type { MultiReport, Report } from '../lambda/report';
import type { ScheduleView } from './deployed-shape';

/** The name the CDK stack gives the function and, by default, what it creates for it. */
export const FUNCTION_NAME = 'eks-node-join-remediator';
export const DEFAULT_LEDGER_TABLE_NAME = `${FUNCTION_NAME}-ledger`;
export const DEFAULT_SCHEDULE_GROUP_NAME = FUNCTION_NAME;
export const DEFAULT_REPORT_TOPIC_NAME = `${FUNCTION_NAME}-reports`;
/** Lambda's maximum timeout, the deployed function's budget per invocation */
export const LAMBDA_TIMEOUT_MS = 900_000;

export type HandlerResult = Report | MultiReport;
export type LambdaHandler = (event: unknown, context: Context) => Promise<HandlerResult>;

export interface LocalFunctionOptions {
  /** the environment the handler reads its knobs from (default process.env); AWS access stays ambient */
  env?: NodeJS.ProcessEnv;
  /** replaces the real handler (tests of this module only) */
  handler?: LambdaHandler;
  /** progress lines (stderr in the CLI) */
  progress?: (line: string) => void;
  /** budget of each invocation, ms (default 900 000) */
  timeoutMs?: number;
}

export interface Invocation {
  requestId: string;
  /** the handler's return value; undefined when it threw */
  result?: HandlerResult;
  /** what the handler threw (Lambda would report it as the invocation's error) */
  error?: Error;
  /** the reports of `result`, one per node group */
  reports: Report[];
  /** the event the function was invoked with */
  event: unknown;
  /** for a fired re-check: the schedule it came from */
  schedule?: ScheduleView;
}

export interface FollowOptions {
  /** called with each invocation a due schedule caused, as it finishes */
  onInvocation?: (invocation: Invocation) => void;
  /** stop following after this long (ms); default: until none is pending */
  maxDurationMs?: number;
  /** how long to sleep at most between two looks at the schedules (ms, default 1000) */
  pollMs?: number;
  /** only these schedules are followed (default: every one of this function's) */
  filter?: (schedule: ScheduleView) => boolean;
  /**
   * Waiting for a re-check due later: 'fast-forward' (default) moves the emulator's simulation
   * clock to its due time (POST /_emulator/advance; the handler's clock follows), 'real-time'
   * sleeps until then.
   */
  wait?: 'fast-forward' | 'real-time';
}

/** Reports of a handler result, in order. */
export function reportsOf(result: HandlerResult | undefined): Report[] {
  if (!result) return [];
  return 'reports' in result ? result.reports : [result];
}

/** `AWS_ENDPOINT_URL` when it is the emulator's (it answers GET /_emulator/health), else undefined. */
export async function emulatorEndpoint(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const endpoint = env['AWS_ENDPOINT_URL'];
  if (!endpoint) return undefined;
  try {
    const response = await fetch(new URL('/_emulator/health', endpoint), { signal: AbortSignal.timeout(2000) });
    if (!response.ok) return undefined;
    const body = (await response.json()) as { ok?: unknown };
    return body.ok === true ? endpoint.replace(/\/+$/, '') : undefined;
  } catch {
    return undefined;
  }
}

/** arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION → arn:aws:iam::ACCOUNT:role/ROLE (the role a Lambda runs as) */
export function roleArnOfCaller(callerArn: string): string | undefined {
  const assumed = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(callerArn);
  if (assumed) return `arn:${assumed[1]}:iam::${assumed[2]}:role/${assumed[3]}`;
  return /^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(callerArn) ? callerArn : undefined;
}

const given = (env: NodeJS.ProcessEnv, name: string): string | undefined => {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
};

/** CreateTable input of the ledger table (lambda/ledger/schema.ts), as the CDK stack defines it. */
export function ledgerCreateTableInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: LEDGER_TABLE.partitionKey, AttributeType: 'S' },
      { AttributeName: LEDGER_TABLE.sortKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: LEDGER_TABLE.partitionKey, KeyType: 'HASH' },
      { AttributeName: LEDGER_TABLE.sortKey, KeyType: 'RANGE' },
    ],
  };
}

/** Creates the ledger table when missing and waits until it is ACTIVE; true when it created it. */
async function ensureLedgerTable(client: DynamoDBClient, tableName: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return false;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  await client.send(new CreateTableCommand(ledgerCreateTableInput(tableName)));
  // dynalite does not implement UpdateTimeToLive; expiry is the handler's own check anyway.
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1 }, { TableName: tableName });
  return true;
}

async function ensureScheduleGroup(client: SchedulerClient, name: string): Promise<boolean> {
  try {
    await client.send(new GetScheduleGroupCommand({ Name: name }));
    return false;
  } catch (error) {
    if (!(error instanceof ScheduleGroupNotFound)) throw error;
  }
  await client.send(new CreateScheduleGroupCommand({ Name: name }));
  return true;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class LocalFunction {
  private readonly handler: LambdaHandler;
  private readonly timeoutMs: number;
  private readonly progress: (line: string) => void;
  /** emulator clock minus this process's clock, ms: the handler's `now` is the emulator's */
  private clockOffsetMs = 0;

  private constructor(
    /** arn:aws:lambda:REGION:ACCOUNT:function:eks-node-join-remediator */
    readonly functionArn: string,
    readonly region: string,
    readonly accountId: string,
    /** the emulator's endpoint, when AWS_ENDPOINT_URL is the emulator */
    readonly emulator: string | undefined,
    /** the environment the handler sees: the given one plus the deployed-shape names */
    readonly env: NodeJS.ProcessEnv,
    options: LocalFunctionOptions,
  ) {
    this.timeoutMs = options.timeoutMs ?? LAMBDA_TIMEOUT_MS;
    this.progress = options.progress ?? (() => undefined);
    // The real handler, its runtime built from this environment on the first invocation. Against
    // the emulator its clock is the emulator's simulation clock, which `follow` may move forward.
    const runtime = () => ({ ...runtimeFromEnv(env), ...(emulator ? { now: () => new Date(Date.now() + this.clockOffsetMs) } : {}) });
    this.handler = options.handler ?? (createHandler(runtime) as LambdaHandler);
  }

  /**
   * Resolves region and account (STS GetCallerIdentity), and against the emulator creates the
   * ledger table, schedule group and report topic when missing, naming them to the handler
   * (LEDGER_TABLE_NAME, SCHEDULE_GROUP_NAME, SCHEDULER_ROLE_ARN, REPORT_TOPIC_ARN,
   * REMEDIATOR_ROLE_ARN) unless the environment already does.
   */
  static async prepare(options: LocalFunctionOptions = {}): Promise<LocalFunction> {
    const base = options.env ?? process.env;
    const region = given(base, 'AWS_REGION') ?? given(base, 'AWS_DEFAULT_REGION');
    if (!region) throw new Error('AWS_REGION is not set: the function runs in one region (set AWS_REGION or AWS_DEFAULT_REGION)');
    const progress = options.progress ?? (() => undefined);
    const sts = new STSClient({ region });
    let identity;
    try {
      identity = await sts.send(new GetCallerIdentityCommand({}));
    } finally {
      sts.destroy();
    }
    const accountId = identity.Account ?? '000000000000';
    const env: NodeJS.ProcessEnv = { ...base, AWS_REGION: region };
    const emulator = await emulatorEndpoint(base);
    const roleArn = roleArnOfCaller(identity.Arn ?? '');
    if (!given(env, ENV.ownRoleArn) && roleArn) env[ENV.ownRoleArn] = roleArn;
    env['AWS_LAMBDA_FUNCTION_NAME'] ??= FUNCTION_NAME;

    if (emulator) {
      const tableName = given(env, ENV.ledgerTableName) ?? DEFAULT_LEDGER_TABLE_NAME;
      const groupName = given(env, ENV.scheduleGroupName) ?? DEFAULT_SCHEDULE_GROUP_NAME;
      const dynamodb = new DynamoDBClient({ region });
      const scheduler = new SchedulerClient({ region });
      const sns = new SNSClient({ region });
      try {
        if (await ensureLedgerTable(dynamodb, tableName)) progress(`created the ledger table ${tableName}`);
        if (await ensureScheduleGroup(scheduler, groupName)) progress(`created the schedule group ${groupName}`);
        if (!given(env, ENV.reportTopicArn)) {
          // CreateTopic is idempotent: it returns the existing topic's ARN.
          env[ENV.reportTopicArn] = (await sns.send(new CreateTopicCommand({ Name: DEFAULT_REPORT_TOPIC_NAME }))).TopicArn;
        }
      } finally {
        dynamodb.destroy();
        scheduler.destroy();
        sns.destroy();
      }
      env[ENV.ledgerTableName] = tableName;
      env[ENV.scheduleGroupName] = groupName;
      env[ENV.schedulerRoleArn] ??= `arn:aws:iam::${accountId}:role/${FUNCTION_NAME}-scheduler`;
    }
    return new LocalFunction(`arn:aws:lambda:${region}:${accountId}:function:${FUNCTION_NAME}`, region, accountId, emulator, env, options);
  }

  /** A Lambda-like context whose remaining time counts down from the budget. */
  context(requestId: string): Context {
    const deadline = Date.now() + this.timeoutMs;
    const unsupported = (): never => {
      throw new Error('callback-style completion is not supported: the handler is async');
    };
    return {
      callbackWaitsForEmptyEventLoop: true,
      functionName: FUNCTION_NAME,
      functionVersion: '$LATEST',
      invokedFunctionArn: this.functionArn,
      memoryLimitInMB: '512',
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${FUNCTION_NAME}`,
      logStreamName: `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]${requestId.replace(/-/g, '')}`,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: unsupported,
      fail: unsupported,
      succeed: unsupported,
    };
  }

  /** One invocation, as Lambda would make it; never throws: the handler's error is returned. */
  async invoke(event: unknown, schedule?: ScheduleView): Promise<Invocation> {
    const requestId = randomUUID();
    if (this.emulator) await this.emulatorNow();
    try {
      const result = await this.handler(event, this.context(requestId));
      return { requestId, result, reports: reportsOf(result), event, ...(schedule ? { schedule } : {}) };
    } catch (error) {
      return { requestId, error: error instanceof Error ? error : new Error(String(error)), reports: [], event, ...(schedule ? { schedule } : {}) };
    }
  }

  /** This function's schedules not fired yet (the emulator's view), earliest first. */
  async pendingSchedules(): Promise<ScheduleView[]> {
    if (!this.emulator) throw new Error('following re-checks needs the emulator: AWS_ENDPOINT_URL must be the endpoint of `npm run emulator`');
    const response = await fetch(`${this.emulator}/_emulator/schedules`);
    if (!response.ok) throw new Error(`GET /_emulator/schedules answered ${response.status}`);
    const group = this.env[ENV.scheduleGroupName];
    return ((await response.json()) as ScheduleView[])
      .filter((s) => s.targetArn === this.functionArn && s.group === group && s.firedAt === null && s.state === 'ENABLED' && s.dueAt !== null)
      .sort((a, b) => Date.parse(a.dueAt!) - Date.parse(b.dueAt!));
  }

  /** The emulator's simulation time (ms); keeps the handler's clock in step with it. */
  async emulatorNow(): Promise<number> {
    const response = await fetch(`${this.emulator}/_emulator/health`);
    const body = (await response.json()) as { time: string };
    const now = Date.parse(body.time);
    this.clockOffsetMs = now - Date.now();
    return now;
  }

  /** Moves the emulator's simulation clock forward (its timers run: instances boot, nodes join). */
  async advance(seconds: number): Promise<void> {
    const response = await fetch(`${this.emulator}/_emulator/advance`, { method: 'POST', body: JSON.stringify({ seconds }) });
    if (!response.ok) throw new Error(`POST /_emulator/advance answered ${response.status}: ${await response.text()}`);
    await this.emulatorNow();
  }

  /**
   * Fires each pending re-check when it comes due, in due order, until none is pending (or
   * `maxDurationMs` passed). Returns every invocation made. A schedule another harness fired
   * first is skipped.
   */
  async follow(options: FollowOptions = {}): Promise<Invocation[]> {
    const started = Date.now();
    const pollMs = options.pollMs ?? 1000;
    const invocations: Invocation[] = [];
    let announced: string | undefined;
    for (;;) {
      if (options.maxDurationMs !== undefined && Date.now() - started > options.maxDurationMs) {
        this.progress(`stopped following after ${Math.round((Date.now() - started) / 1000)} s with re-checks still pending`);
        break;
      }
      const [next] = (await this.pendingSchedules()).filter(options.filter ?? (() => true));
      if (!next) break;
      const waitMs = Date.parse(next.dueAt!) - (await this.emulatorNow());
      if (waitMs > 0) {
        if (options.wait !== 'real-time') {
          this.progress(`advancing the emulator clock ${Math.ceil(waitMs / 1000)} s to the re-check ${describeSchedule(next)} due at ${next.dueAt}`);
          await this.advance(waitMs / 1000);
          continue;
        }
        if (announced !== next.arn) {
          this.progress(`waiting ${Math.ceil(waitMs / 1000)} s for the re-check ${describeSchedule(next)} due at ${next.dueAt}`);
          announced = next.arn;
        }
        await sleep(Math.min(waitMs, pollMs));
        continue;
      }
      const fired = await fetch(`${this.emulator}/_emulator/schedules/${encodeURIComponent(next.group)}/${encodeURIComponent(next.name)}/fire`, { method: 'POST' });
      if (!fired.ok) continue; // fired or deleted by someone else meanwhile
      const schedule = (await fired.json()) as ScheduleView;
      this.progress(`firing the re-check ${describeSchedule(schedule)}`);
      const invocation = await this.invoke(schedule.input, schedule);
      invocations.push(invocation);
      options.onInvocation?.(invocation);
    }
    return invocations;
  }
}

/** The `recheck` payload a schedule carries, if it is one of the function's re-checks. */
export function recheckOf(schedule: ScheduleView): { clusterName?: string; nodegroupName?: string; reason?: string } | undefined {
  return (schedule.input as { recheck?: { clusterName?: string; nodegroupName?: string; reason?: string } } | null)?.recheck;
}

function describeSchedule(schedule: ScheduleView): string {
  const recheck = recheckOf(schedule);
  return recheck ? `${schedule.name} (${recheck.reason ?? '?'}, ${recheck.clusterName ?? '?'}/${recheck.nodegroupName ?? '?'})` : schedule.name;
}
