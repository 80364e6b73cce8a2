/**
 * The knobs of contract section 4, parsed once and validated. The same names reach us from
 * the Lambda environment (set by the CDK construct) and from CLI flags.
 */
import { ValidationError } from './errors';
import { CLUSTER_NAME_PATTERN } from './model';

export const RECYCLE_STRATEGIES = ['replace-unjoined', 'scale-cycle', 'none'] as const;
export type RecycleStrategy = (typeof RECYCLE_STRATEGIES)[number];

export interface Config {
  dryRun: boolean;
  /** empty = every cluster in the region */
  clusterNames: string[];
  graceSeconds: number;
  recycle: RecycleStrategy;
  /** NAT gateway override; still validated against the safety rules */
  natGatewayId?: string;
  allowSharedRouteTables: boolean;
  waitSeconds: number;
  optOutTag: { key: string; value: string };
  /** the remediator's own IAM role ARN: events it caused are skipped */
  ownRoleArn?: string;
  /** SNS topic to publish reports to (Lambda only) */
  reportTopicArn?: string;
  /** seconds between verification polls */
  pollSeconds: number;
  /** write a NAT route even on an endpoint-only subnet (contract section 3) */
  allowInternetEgress: boolean;
  /** opt-in CREATE_ACCESS_ENTRY for the node role (contract section 3, identities) */
  createNodeAccessEntry: boolean;
  /** minimum seconds between two recycles of one node group for the same cause */
  recycleCooldownSeconds: number;
  /** attach matched serial-console lines of unregistered instances as evidence */
  readConsoleOutput: boolean;
  /** how many node groups a sweep examines at once */
  concurrency: number;
  /** DynamoDB table holding leases and the remediation ledger (deployed shape; absent in the CLI) */
  ledgerTableName?: string;
  /** EventBridge Scheduler group for the function's own re-checks (deployed shape) */
  scheduleGroupName?: string;
  /** role EventBridge Scheduler assumes to invoke the function (deployed shape) */
  schedulerRoleArn?: string;
}

export const DEFAULT_CONFIG: Config = {
  dryRun: false,
  clusterNames: [],
  graceSeconds: 300,
  recycle: 'replace-unjoined',
  allowSharedRouteTables: false,
  waitSeconds: 600,
  optOutTag: { key: 'node-join-remediator/disabled', value: 'true' },
  pollSeconds: 10,
  allowInternetEgress: false,
  createNodeAccessEntry: false,
  recycleCooldownSeconds: 3600,
  readConsoleOutput: false,
  concurrency: 8,
};

/** Lambda environment variable for each knob (the CDK construct sets these). */
export const ENV = {
  dryRun: 'DRY_RUN',
  clusterNames: 'CLUSTER_NAMES',
  graceSeconds: 'GRACE_SECONDS',
  recycle: 'RECYCLE_STRATEGY',
  natGatewayId: 'NAT_GATEWAY_ID',
  allowSharedRouteTables: 'ALLOW_SHARED_ROUTE_TABLES',
  waitSeconds: 'WAIT_SECONDS',
  optOutTag: 'OPT_OUT_TAG',
  ownRoleArn: 'REMEDIATOR_ROLE_ARN',
  reportTopicArn: 'REPORT_TOPIC_ARN',
  pollSeconds: 'POLL_SECONDS',
  allowInternetEgress: 'ALLOW_INTERNET_EGRESS',
  createNodeAccessEntry: 'CREATE_NODE_ACCESS_ENTRY',
  recycleCooldownSeconds: 'RECYCLE_COOLDOWN_SECONDS',
  readConsoleOutput: 'READ_CONSOLE_OUTPUT',
  concurrency: 'CONCURRENCY',
  ledgerTableName: 'LEDGER_TABLE_NAME',
  scheduleGroupName: 'SCHEDULE_GROUP_NAME',
  schedulerRoleArn: 'SCHEDULER_ROLE_ARN',
} as const;

/** Raw knob values as strings, from env or flags; undefined/empty = default. */
export type RawConfig = Partial<Record<keyof typeof ENV, string | undefined>>;

const NAT_GATEWAY_ID = /^nat-[0-9a-f]{8,17}$/;

export function parseBoolean(value: string, field: string): boolean {
  const normalized = value.trim().toLowerCase();
  if (normalized === 'true') return true;
  if (normalized === 'false') return false;
  throw new ValidationError(`${field} must be "true" or "false", got "${value}"`, field);
}

export function parseSeconds(value: string, field: string, max: number): number {
  const trimmed = value.trim();
  if (!/^\d+$/.test(trimmed) || Number(trimmed) > max) {
    throw new ValidationError(`${field} must be a whole number of seconds from 0 to ${max}, got "${value}"`, field);
  }
  return Number(trimmed);
}

export function parseRecycle(value: string, field: string): RecycleStrategy {
  const strategy = RECYCLE_STRATEGIES.find((s) => s === value.trim());
  if (!strategy) {
    throw new ValidationError(`${field} must be one of ${RECYCLE_STRATEGIES.join(', ')}, got "${value}"`, field);
  }
  return strategy;
}

export function parseClusterNames(value: string, field: string): string[] {
  const names = value
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n.length > 0);
  for (const name of names) {
    if (!CLUSTER_NAME_PATTERN.test(name)) {
      throw new ValidationError(
        `${field} must be a comma-separated list of EKS cluster names (letters, digits, - and _), got "${name}"`,
        field,
      );
    }
  }
  return [...new Set(names)];
}

export function parseNatGatewayId(value: string, field: string): string {
  const id = value.trim();
  if (!NAT_GATEWAY_ID.test(id)) {
    throw new ValidationError(`${field} must be a NAT gateway id like nat-0123456789abcdef0, got "${value}"`, field);
  }
  return id;
}

export function parseOptOutTag(value: string, field: string): { key: string; value: string } {
  const at = value.indexOf('=');
  const key = at > 0 ? value.slice(0, at).trim() : '';
  const tagValue = at > 0 ? value.slice(at + 1).trim() : '';
  // Blank halves would match the wrong tags (an empty value matches a tag set to "").
  if (key === '' || tagValue === '') {
    throw new ValidationError(`${field} must be KEY=VALUE, got "${value}"`, field);
  }
  return { key, value: tagValue };
}

/** A sweep's parallelism: 1 to 64 node groups at once. */
export function parseConcurrency(value: string, field: string): number {
  const trimmed = value.trim();
  if (!/^\d+$/.test(trimmed) || Number(trimmed) < 1 || Number(trimmed) > 64) {
    throw new ValidationError(`${field} must be a whole number from 1 to 64, got "${value}"`, field);
  }
  return Number(trimmed);
}

/** Parses raw knob values (names of `ENV` as keys). `label` maps a key to the name shown in errors. */
export function parseConfig(raw: RawConfig, label: (key: keyof typeof ENV) => string = (k) => ENV[k]): Config {
  const config: Config = { ...DEFAULT_CONFIG, optOutTag: { ...DEFAULT_CONFIG.optOutTag } };
  const given = (key: keyof typeof ENV): string | undefined => {
    const value = raw[key];
    return value === undefined || value.trim() === '' ? undefined : value;
  };
  const v = {
    dryRun: given('dryRun'),
    clusterNames: given('clusterNames'),
    graceSeconds: given('graceSeconds'),
    recycle: given('recycle'),
    natGatewayId: given('natGatewayId'),
    allowSharedRouteTables: given('allowSharedRouteTables'),
    waitSeconds: given('waitSeconds'),
    optOutTag: given('optOutTag'),
    ownRoleArn: given('ownRoleArn'),
    reportTopicArn: given('reportTopicArn'),
    pollSeconds: given('pollSeconds'),
    allowInternetEgress: given('allowInternetEgress'),
    createNodeAccessEntry: given('createNodeAccessEntry'),
    recycleCooldownSeconds: given('recycleCooldownSeconds'),
    readConsoleOutput: given('readConsoleOutput'),
    concurrency: given('concurrency'),
    ledgerTableName: given('ledgerTableName'),
    scheduleGroupName: given('scheduleGroupName'),
    schedulerRoleArn: given('schedulerRoleArn'),
  };
  if (v.dryRun !== undefined) config.dryRun = parseBoolean(v.dryRun, label('dryRun'));
  if (v.clusterNames !== undefined) config.clusterNames = parseClusterNames(v.clusterNames, label('clusterNames'));
  if (v.graceSeconds !== undefined) config.graceSeconds = parseSeconds(v.graceSeconds, label('graceSeconds'), 86_400);
  if (v.recycle !== undefined) config.recycle = parseRecycle(v.recycle, label('recycle'));
  if (v.natGatewayId !== undefined) config.natGatewayId = parseNatGatewayId(v.natGatewayId, label('natGatewayId'));
  if (v.allowSharedRouteTables !== undefined) {
    config.allowSharedRouteTables = parseBoolean(v.allowSharedRouteTables, label('allowSharedRouteTables'));
  }
  if (v.waitSeconds !== undefined) config.waitSeconds = parseSeconds(v.waitSeconds, label('waitSeconds'), 3_600);
  if (v.optOutTag !== undefined) config.optOutTag = parseOptOutTag(v.optOutTag, label('optOutTag'));
  if (v.ownRoleArn !== undefined) {
    if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(v.ownRoleArn.trim())) {
      throw new ValidationError(
        `${label('ownRoleArn')} must be an IAM role ARN like arn:aws:iam::123456789012:role/name, got "${v.ownRoleArn}"`,
        label('ownRoleArn'),
      );
    }
    config.ownRoleArn = v.ownRoleArn.trim();
  }
  if (v.reportTopicArn !== undefined) {
    if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:.+$/.test(v.reportTopicArn.trim())) {
      throw new ValidationError(`${label('reportTopicArn')} must be an SNS topic ARN, got "${v.reportTopicArn}"`, label('reportTopicArn'));
    }
    config.reportTopicArn = v.reportTopicArn.trim();
  }
  if (v.pollSeconds !== undefined) config.pollSeconds = Math.max(1, parseSeconds(v.pollSeconds, label('pollSeconds'), 300));
  if (v.allowInternetEgress !== undefined) {
    config.allowInternetEgress = parseBoolean(v.allowInternetEgress, label('allowInternetEgress'));
  }
  if (v.createNodeAccessEntry !== undefined) {
    config.createNodeAccessEntry = parseBoolean(v.createNodeAccessEntry, label('createNodeAccessEntry'));
  }
  if (v.recycleCooldownSeconds !== undefined) {
    config.recycleCooldownSeconds = parseSeconds(v.recycleCooldownSeconds, label('recycleCooldownSeconds'), 604_800);
  }
  if (v.readConsoleOutput !== undefined) config.readConsoleOutput = parseBoolean(v.readConsoleOutput, label('readConsoleOutput'));
  if (v.concurrency !== undefined) config.concurrency = parseConcurrency(v.concurrency, label('concurrency'));
  if (v.ledgerTableName !== undefined) {
    if (!/^[a-zA-Z0-9_.-]{3,255}$/.test(v.ledgerTableName.trim())) {
      throw new ValidationError(
        `${label('ledgerTableName')} must be a DynamoDB table name (3-255 of a-z A-Z 0-9 _ . -), got "${v.ledgerTableName}"`,
        label('ledgerTableName'),
      );
    }
    config.ledgerTableName = v.ledgerTableName.trim();
  }
  if (v.scheduleGroupName !== undefined) {
    if (!/^[0-9a-zA-Z-_.]{1,64}$/.test(v.scheduleGroupName.trim())) {
      throw new ValidationError(
        `${label('scheduleGroupName')} must be an EventBridge Scheduler group name (1-64 of 0-9 a-z A-Z - _ .), got "${v.scheduleGroupName}"`,
        label('scheduleGroupName'),
      );
    }
    config.scheduleGroupName = v.scheduleGroupName.trim();
  }
  if (v.schedulerRoleArn !== undefined) {
    if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(v.schedulerRoleArn.trim())) {
      throw new ValidationError(
        `${label('schedulerRoleArn')} must be an IAM role ARN like arn:aws:iam::123456789012:role/name, got "${v.schedulerRoleArn}"`,
        label('schedulerRoleArn'),
      );
    }
    config.schedulerRoleArn = v.schedulerRoleArn.trim();
  }
  return config;
}

/** Config from the Lambda environment (or any env-like map). */
export function configFromEnv(env: NodeJS.ProcessEnv): Config {
  const raw: RawConfig = {};
  for (const key of Object.keys(ENV) as (keyof typeof ENV)[]) raw[key] = env[ENV[key]];
  return parseConfig(raw);
}
