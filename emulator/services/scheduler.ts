/**
 * Amazon EventBridge Scheduler over REST-JSON: schedule groups and schedules, as the deployed
 * function uses them for its own re-checks (one-time `at(...)` schedules, deleted after
 * completion). The emulator does not invoke targets itself: a harness lists the due schedules
 * (GET /_emulator/schedules), invokes the handler with their input and marks them fired
 * (POST /_emulator/schedules/{group}/{name}/fire), which honours ActionAfterCompletion as
 * Scheduler does after a one-time schedule's invocation.
 *
 * Shapes and errors: the Scheduler API reference (CreateSchedule, GetSchedule, ListSchedules,
 * UpdateSchedule, DeleteSchedule, CreateScheduleGroup, GetScheduleGroup, ListScheduleGroups,
 * DeleteScheduleGroup); timestamps are epoch seconds; error bodies carry `Message`.
 */
import { AwsApiError } from '../errors';
import { epochSeconds, jsonReply, matchRoute, parseJsonBody, REST_JSON_AUTH_ERRORS, type RestRoute } from '../protocols/rest-json';
import type { World } from '../world/world';
import { paginate } from './listing';
import type { HttpReply, ParsedCall, ServiceProtocol, ServiceRequest } from './types';

type Operation =
  | 'CreateSchedule'
  | 'GetSchedule'
  | 'UpdateSchedule'
  | 'DeleteSchedule'
  | 'ListSchedules'
  | 'CreateScheduleGroup'
  | 'GetScheduleGroup'
  | 'DeleteScheduleGroup'
  | 'ListScheduleGroups';

const ROUTES: RestRoute<Operation>[] = [
  { method: 'POST', template: '/schedules/{Name}', operation: 'CreateSchedule' },
  { method: 'GET', template: '/schedules/{Name}', operation: 'GetSchedule' },
  { method: 'PUT', template: '/schedules/{Name}', operation: 'UpdateSchedule' },
  { method: 'DELETE', template: '/schedules/{Name}', operation: 'DeleteSchedule' },
  { method: 'GET', template: '/schedules', operation: 'ListSchedules' },
  { method: 'POST', template: '/schedule-groups/{Name}', operation: 'CreateScheduleGroup' },
  { method: 'GET', template: '/schedule-groups/{Name}', operation: 'GetScheduleGroup' },
  { method: 'DELETE', template: '/schedule-groups/{Name}', operation: 'DeleteScheduleGroup' },
  { method: 'GET', template: '/schedule-groups', operation: 'ListScheduleGroups' },
];

export const DEFAULT_SCHEDULE_GROUP = 'default';
const NAME = /^[0-9a-zA-Z\-_.]{1,64}$/;
const ROLE_ARN = /^arn:aws(-[a-z]+)?:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const AT_EXPRESSION = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/;
const RATE_EXPRESSION = /^rate\(\d+ (minute|minutes|hour|hours|day|days)\)$/;
const CRON_EXPRESSION = /^cron\(\S+( \S+){5}\)$/;

export interface ScheduleGroupRecord {
  name: string;
  arn: string;
  creationDate: number;
  lastModificationDate: number;
}

export interface ScheduleTarget {
  Arn: string;
  RoleArn: string;
  Input?: string;
  [member: string]: unknown;
}

export interface ScheduleRecord {
  name: string;
  groupName: string;
  arn: string;
  scheduleExpression: string;
  scheduleExpressionTimezone?: string;
  /** epoch ms of the one-time `at(...)` invocation; undefined for rate/cron schedules */
  dueMs?: number;
  state: 'ENABLED' | 'DISABLED';
  actionAfterCompletion: 'NONE' | 'DELETE';
  flexibleTimeWindow: { Mode: string; MaximumWindowInMinutes?: number };
  target: ScheduleTarget;
  description?: string;
  startDate?: number;
  endDate?: number;
  creationDate: number;
  lastModificationDate: number;
  /** epoch ms at which a harness fired it (schedules kept after completion) */
  firedMs?: number;
}

/** One schedule as GET /_emulator/schedules shows it. */
export interface ScheduleView {
  name: string;
  group: string;
  arn: string;
  scheduleExpression: string;
  /** ISO-8601 time of a one-time schedule's invocation; null for rate/cron */
  dueAt: string | null;
  /** dueAt has come (simulation clock), it is enabled and was not fired yet */
  due: boolean;
  state: string;
  actionAfterCompletion: string;
  targetArn: string;
  roleArn: string;
  /** Target.Input parsed as JSON (the raw string when it is not JSON) */
  input: unknown;
  firedAt: string | null;
}

const validation = (message: string): AwsApiError => new AwsApiError('ValidationException', message, 400);
const notFound = (message: string): AwsApiError => new AwsApiError('ResourceNotFoundException', message, 404);
const conflict = (message: string): AwsApiError => new AwsApiError('ConflictException', message, 409);

function constraint(value: unknown, field: string, rule: string): AwsApiError {
  const shown = value === undefined || value === null ? 'null' : `'${String(value)}'`;
  return validation(`1 validation error detected: Value ${shown} at '${field}' failed to satisfy constraint: ${rule}`);
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** Epoch ms of the wall-clock time `parts` in `timeZone` (IANA name). */
function zonedTimeToUtc(parts: number[], timeZone: string): number {
  const [year, month, day, hour, minute, second] = parts as [number, number, number, number, number, number];
  const asUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return asUtc;
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
  });
  const offsetAt = (ms: number): number => {
    const p = Object.fromEntries(format.formatToParts(new Date(ms)).map((x) => [x.type, Number(x.value)]));
    return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - ms;
  };
  const first = asUtc - offsetAt(asUtc);
  return asUtc - offsetAt(first);
}

function validTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

function epochDate(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = typeof value === 'number' ? value * 1000 : Date.parse(String(value));
  if (!Number.isFinite(ms)) throw constraint(value, field, 'Member must be a timestamp');
  return ms;
}

export class SchedulerStore {
  private readonly groups = new Map<string, ScheduleGroupRecord>();
  private readonly schedules = new Map<string, ScheduleRecord>();

  constructor(private readonly world: Pick<World, 'region' | 'accountId' | 'clock'>) {
    this.createGroup(DEFAULT_SCHEDULE_GROUP);
  }

  private groupArn(name: string): string {
    return `arn:aws:scheduler:${this.world.region}:${this.world.accountId}:schedule-group/${name}`;
  }

  private key(groupName: string, name: string): string {
    return `${groupName}/${name}`;
  }

  createGroup(name: string): ScheduleGroupRecord {
    if (!NAME.test(name)) throw constraint(name, 'name', 'Member must satisfy regular expression pattern: [0-9a-zA-Z-_.]+');
    if (this.groups.has(name)) throw conflict(`Schedule group ${name} already exists.`);
    const now = this.world.clock.now();
    const group = { name, arn: this.groupArn(name), creationDate: now, lastModificationDate: now };
    this.groups.set(name, group);
    return group;
  }

  getGroup(name: string): ScheduleGroupRecord {
    const group = this.groups.get(name);
    if (!group) throw notFound(`Schedule group ${name} does not exist.`);
    return group;
  }

  deleteGroup(name: string): void {
    if (name === DEFAULT_SCHEDULE_GROUP) throw validation('You cannot delete the default group.');
    this.getGroup(name);
    this.groups.delete(name);
    for (const [key, schedule] of this.schedules) if (schedule.groupName === name) this.schedules.delete(key);
  }

  listGroups(): ScheduleGroupRecord[] {
    return [...this.groups.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** CreateSchedule (existing = undefined) or UpdateSchedule (a full replacement of `existing`). */
  putSchedule(name: string, body: Record<string, unknown>, mode: 'create' | 'update'): ScheduleRecord {
    if (!NAME.test(name)) throw constraint(name, 'name', 'Member must satisfy regular expression pattern: [0-9a-zA-Z-_.]+');
    const groupName = body.GroupName === undefined ? DEFAULT_SCHEDULE_GROUP : String(body.GroupName);
    if (!NAME.test(groupName)) throw constraint(groupName, 'groupName', 'Member must satisfy regular expression pattern: [0-9a-zA-Z-_.]+');

    const expression = body.ScheduleExpression;
    if (typeof expression !== 'string' || expression === '') throw constraint(expression, 'scheduleExpression', 'Member must not be null');
    if (expression.length > 256) throw constraint(expression, 'scheduleExpression', 'Member must have length less than or equal to 256');
    const timeZone = body.ScheduleExpressionTimezone === undefined ? undefined : String(body.ScheduleExpressionTimezone);
    if (timeZone !== undefined && !validTimeZone(timeZone)) throw validation(`Invalid timezone: ${timeZone}`);
    let dueMs: number | undefined;
    const at = AT_EXPRESSION.exec(expression);
    if (at) {
      const parts = at.slice(1).map(Number);
      const [, month, day, hour, minute, second] = parts as [number, number, number, number, number, number];
      if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
        throw validation(`Invalid Schedule Expression ${expression}.`);
      }
      dueMs = zonedTimeToUtc(parts, timeZone ?? 'UTC');
    } else if (!RATE_EXPRESSION.test(expression) && !CRON_EXPRESSION.test(expression)) {
      throw validation(`Invalid Schedule Expression ${expression}.`);
    }

    const window = asObject(body.FlexibleTimeWindow);
    if (!window) throw constraint(undefined, 'flexibleTimeWindow', 'Member must not be null');
    if (window.Mode !== 'OFF' && window.Mode !== 'FLEXIBLE') {
      throw constraint(window.Mode, 'flexibleTimeWindow.mode', 'Member must satisfy enum value set: [OFF, FLEXIBLE]');
    }
    const maxWindow = window.MaximumWindowInMinutes;
    if (window.Mode === 'FLEXIBLE' && (typeof maxWindow !== 'number' || maxWindow < 1 || maxWindow > 1440)) {
      throw validation('MaximumWindowInMinutes is required and must be between 1 and 1440 when Mode is FLEXIBLE.');
    }
    if (window.Mode === 'OFF' && maxWindow !== undefined) {
      throw validation('MaximumWindowInMinutes must not be set when Mode is OFF.');
    }

    const target = asObject(body.Target);
    if (!target) throw constraint(undefined, 'target', 'Member must not be null');
    if (typeof target.Arn !== 'string' || target.Arn === '') throw constraint(target.Arn, 'target.arn', 'Member must not be null');
    if (typeof target.RoleArn !== 'string' || !ROLE_ARN.test(target.RoleArn)) {
      throw constraint(target.RoleArn, 'target.roleArn', 'Member must satisfy regular expression pattern: ^arn:aws(-[a-z]+)?:iam::\\d{12}:role\\/[\\w+=,.@/-]+$');
    }
    if (target.Input !== undefined && (typeof target.Input !== 'string' || target.Input.length < 1 || target.Input.length > 8192)) {
      throw constraint(typeof target.Input === 'string' ? target.Input.slice(0, 40) : target.Input, 'target.input', 'Member must have length between 1 and 8192');
    }

    const state = body.State === undefined ? 'ENABLED' : body.State;
    if (state !== 'ENABLED' && state !== 'DISABLED') throw constraint(state, 'state', 'Member must satisfy enum value set: [ENABLED, DISABLED]');
    const after = body.ActionAfterCompletion === undefined ? 'NONE' : body.ActionAfterCompletion;
    if (after !== 'NONE' && after !== 'DELETE') {
      throw constraint(after, 'actionAfterCompletion', 'Member must satisfy enum value set: [NONE, DELETE]');
    }
    if (body.Description !== undefined && String(body.Description).length > 512) {
      throw constraint(body.Description, 'description', 'Member must have length less than or equal to 512');
    }

    this.getGroup(groupName);
    const key = this.key(groupName, name);
    const existing = this.schedules.get(key);
    if (mode === 'create' && existing) throw conflict(`Schedule ${name} already exists.`);
    if (mode === 'update' && !existing) throw notFound(`Schedule ${name} does not exist.`);
    const now = this.world.clock.now();
    const schedule: ScheduleRecord = {
      name,
      groupName,
      arn: `arn:aws:scheduler:${this.world.region}:${this.world.accountId}:schedule/${groupName}/${name}`,
      scheduleExpression: expression,
      ...(timeZone !== undefined ? { scheduleExpressionTimezone: timeZone } : {}),
      ...(dueMs !== undefined ? { dueMs } : {}),
      state,
      actionAfterCompletion: after,
      flexibleTimeWindow: { Mode: window.Mode, ...(typeof maxWindow === 'number' ? { MaximumWindowInMinutes: maxWindow } : {}) },
      target: structuredClone(target) as ScheduleTarget,
      ...(body.Description !== undefined ? { description: String(body.Description) } : {}),
      ...(body.StartDate !== undefined ? { startDate: epochDate(body.StartDate, 'startDate') } : {}),
      ...(body.EndDate !== undefined ? { endDate: epochDate(body.EndDate, 'endDate') } : {}),
      creationDate: existing?.creationDate ?? now,
      lastModificationDate: now,
    };
    this.schedules.set(key, schedule);
    return schedule;
  }

  getSchedule(groupName: string, name: string): ScheduleRecord {
    const schedule = this.schedules.get(this.key(groupName, name));
    if (!schedule) throw notFound(`Schedule ${name} does not exist.`);
    return schedule;
  }

  deleteSchedule(groupName: string, name: string): void {
    this.getSchedule(groupName, name);
    this.schedules.delete(this.key(groupName, name));
  }

  listSchedules(filter: { groupName?: string; namePrefix?: string; state?: string } = {}): ScheduleRecord[] {
    return [...this.schedules.values()]
      .filter((s) => (filter.groupName === undefined || s.groupName === filter.groupName)
        && (filter.namePrefix === undefined || s.name.startsWith(filter.namePrefix))
        && (filter.state === undefined || s.state === filter.state))
      .sort((a, b) => a.groupName.localeCompare(b.groupName) || a.name.localeCompare(b.name));
  }

  /**
   * What Scheduler does once it has invoked a one-time schedule's target: with
   * ActionAfterCompletion DELETE the schedule is deleted, otherwise it stays (and never runs again).
   * Returns the schedule as it was fired; throws when it does not exist or was already fired.
   */
  fire(groupName: string, name: string): ScheduleView {
    const schedule = this.getSchedule(groupName, name);
    if (schedule.firedMs !== undefined) throw conflict(`Schedule ${name} was already fired.`);
    const view = this.view(schedule);
    if (schedule.actionAfterCompletion === 'DELETE') this.schedules.delete(this.key(groupName, name));
    else schedule.firedMs = this.world.clock.now();
    return view;
  }

  view(schedule: ScheduleRecord): ScheduleView {
    const now = this.world.clock.now();
    let input: unknown = schedule.target.Input ?? null;
    if (typeof input === 'string') {
      try {
        input = JSON.parse(input);
      } catch {
        // not JSON: shown as the raw string
      }
    }
    return {
      name: schedule.name,
      group: schedule.groupName,
      arn: schedule.arn,
      scheduleExpression: schedule.scheduleExpression,
      dueAt: schedule.dueMs === undefined ? null : new Date(schedule.dueMs).toISOString(),
      due: schedule.dueMs !== undefined && schedule.dueMs <= now && schedule.state === 'ENABLED' && schedule.firedMs === undefined,
      state: schedule.state,
      actionAfterCompletion: schedule.actionAfterCompletion,
      targetArn: schedule.target.Arn,
      roleArn: schedule.target.RoleArn,
      input,
      firedAt: schedule.firedMs === undefined ? null : new Date(schedule.firedMs).toISOString(),
    };
  }

  views(): ScheduleView[] {
    return this.listSchedules().map((s) => this.view(s));
  }
}

function scheduleOutput(s: ScheduleRecord): Record<string, unknown> {
  return {
    Arn: s.arn,
    Name: s.name,
    GroupName: s.groupName,
    ScheduleExpression: s.scheduleExpression,
    ...(s.scheduleExpressionTimezone !== undefined ? { ScheduleExpressionTimezone: s.scheduleExpressionTimezone } : {}),
    State: s.state,
    ActionAfterCompletion: s.actionAfterCompletion,
    FlexibleTimeWindow: s.flexibleTimeWindow,
    Target: s.target,
    ...(s.description !== undefined ? { Description: s.description } : {}),
    ...(s.startDate !== undefined ? { StartDate: epochSeconds(s.startDate) } : {}),
    ...(s.endDate !== undefined ? { EndDate: epochSeconds(s.endDate) } : {}),
    CreationDate: epochSeconds(s.creationDate),
    LastModificationDate: epochSeconds(s.lastModificationDate),
  };
}

function groupOutput(g: ScheduleGroupRecord): Record<string, unknown> {
  return {
    Arn: g.arn,
    Name: g.name,
    State: 'ACTIVE',
    CreationDate: epochSeconds(g.creationDate),
    LastModificationDate: epochSeconds(g.lastModificationDate),
  };
}

function maxResults(query: URLSearchParams): number | undefined {
  const raw = query.get('MaxResults');
  if (raw === null) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 100) {
    throw constraint(raw, 'maxResults', 'Member must have value less than or equal to 100');
  }
  return value;
}

const invalidToken = (): AwsApiError => validation('Invalid NextToken');

function execute(store: SchedulerStore, operation: Operation, pathName: string, query: URLSearchParams, body: Record<string, unknown>): unknown {
  const optional = (key: string): string | undefined => query.get(key) ?? undefined;
  switch (operation) {
    case 'CreateSchedule':
      return { ScheduleArn: store.putSchedule(pathName, body, 'create').arn };
    case 'UpdateSchedule':
      return { ScheduleArn: store.putSchedule(pathName, body, 'update').arn };
    case 'GetSchedule':
      return scheduleOutput(store.getSchedule(optional('groupName') ?? DEFAULT_SCHEDULE_GROUP, pathName));
    case 'DeleteSchedule':
      store.deleteSchedule(optional('groupName') ?? DEFAULT_SCHEDULE_GROUP, pathName);
      return {};
    case 'ListSchedules': {
      const state = optional('State');
      if (state !== undefined && state !== 'ENABLED' && state !== 'DISABLED') {
        throw constraint(state, 'state', 'Member must satisfy enum value set: [ENABLED, DISABLED]');
      }
      const groupName = optional('ScheduleGroup');
      if (groupName !== undefined) store.getGroup(groupName);
      const page = paginate(store.listSchedules({ groupName, namePrefix: optional('NamePrefix'), state }), {
        maxResults: maxResults(query),
        nextToken: optional('NextToken'),
        defaultPageSize: 100,
        invalidToken,
      });
      return {
        Schedules: page.items.map((s) => ({
          Arn: s.arn,
          Name: s.name,
          GroupName: s.groupName,
          State: s.state,
          CreationDate: epochSeconds(s.creationDate),
          LastModificationDate: epochSeconds(s.lastModificationDate),
          Target: { Arn: s.target.Arn },
        })),
        ...(page.nextToken ? { NextToken: page.nextToken } : {}),
      };
    }
    case 'CreateScheduleGroup':
      return { ScheduleGroupArn: store.createGroup(pathName).arn };
    case 'GetScheduleGroup':
      return groupOutput(store.getGroup(pathName));
    case 'DeleteScheduleGroup':
      store.deleteGroup(pathName);
      return {};
    case 'ListScheduleGroups': {
      const prefix = optional('NamePrefix');
      const page = paginate(store.listGroups().filter((g) => prefix === undefined || g.name.startsWith(prefix)), {
        maxResults: maxResults(query),
        nextToken: optional('NextToken'),
        defaultPageSize: 100,
        invalidToken,
      });
      return { ScheduleGroups: page.items.map(groupOutput), ...(page.nextToken ? { NextToken: page.nextToken } : {}) };
    }
  }
}

/** Scheduler's error document: the code in `x-amzn-ErrorType`, the text as `Message`. */
function errorReply(error: AwsApiError, requestId: string): HttpReply {
  return {
    status: error.httpStatus,
    headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId, 'x-amzn-errortype': error.code },
    body: JSON.stringify({ Message: error.message }),
  };
}

export function createSchedulerService(store: SchedulerStore): ServiceProtocol {
  return {
    name: 'scheduler',
    recognizes: (request: ServiceRequest) => /^\/(schedules|schedule-groups)(\/|$)/.test(request.path),
    operationName: (request) => matchRoute(ROUTES, request.method, request.path)?.operation ?? 'Unknown',
    parse(request): ParsedCall {
      const match = matchRoute(ROUTES, request.method, request.path);
      if (!match) throw new AwsApiError('UnknownOperationException', `No operation for ${request.method} ${request.path}`, 404);
      const body = request.method === 'POST' || request.method === 'PUT' ? parseJsonBody(request.body) : {};
      const pathName = match.pathParams.Name ?? '';
      return {
        operation: match.operation,
        params: { ...Object.fromEntries(request.query.entries()), ...(pathName ? { Name: pathName } : {}), ...body },
        emitsCloudTrailEvent: false,
        execute: (context) => ({ reply: jsonReply(200, execute(store, match.operation, pathName, request.query, body), context.requestId) }),
      };
    },
    errors: {
      ...REST_JSON_AUTH_ERRORS,
      throttle: () => new AwsApiError('ThrottlingException', 'Rate exceeded', 429),
      serverError: () => new AwsApiError('InternalServerException', 'Internal Server Error', 500),
      accessDenied: (operation, callerArn) =>
        new AwsApiError('AccessDeniedException', `User: ${callerArn} is not authorized to perform: scheduler:${operation} because no identity-based policy allows the scheduler:${operation} action`, 403),
    },
    errorReply,
  };
}
