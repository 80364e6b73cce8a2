/**
 * CDK context (`-c key=value` or cdk.json "context") → stack props. Pure: the app passes the
 * context in. Values from the command line are strings; cdk.json may hold booleans, numbers or
 * arrays, so every value is read as text and parsed with the Lambda's own parse functions.
 */
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as logs from 'aws-cdk-lib/aws-logs';
import { parseBoolean, parseConfig, type RawConfig } from '../lambda/config';
import { ValidationError } from '../lambda/errors';
import type { NodeJoinRemediatorStackProps } from './node-join-remediator-stack';
import { REGION_NAME, validateOrganizationTargets, type OrganizationTargets } from './organization';
import { MAX_TIMEOUT_SECONDS } from './remediator-settings';

export const DEFAULT_STACK_NAME = 'EksNodeJoinRemediator';

/** Every context key the app reads, with its meaning (the README's Deploy section lists the same). */
export const CONTEXT_KEYS = {
  stackName: 'CloudFormation stack name',
  clusterNames: 'comma-separated cluster allow-list (default: every cluster in the region)',
  dryRun: 'true: plan only, never mutate',
  graceSeconds: 'seconds before an instance without a Node counts as unregistered',
  recycle: 'replace-unjoined | scale-cycle | none',
  natGatewayId: 'NAT gateway override (needs clusterNames)',
  allowSharedRouteTables: 'true: allow changing a shared or main route table',
  waitSeconds: 'seconds to wait for nodes to join after the fix',
  optOutTag: 'KEY=VALUE tag that opts a node group out',
  pollSeconds: 'seconds between verification polls',
  allowInternetEgress: 'true: allow a NAT route on an endpoint-only subnet',
  createNodeAccessEntry: "true: create the node role's missing EKS access entry",
  recycleCooldownSeconds: 'minimum seconds between two recycles of one node group for the same cause',
  readConsoleOutput: 'true: attach serial-console evidence (ec2:GetConsoleOutput)',
  concurrency: 'node groups a sweep examines at once, 1..64',
  reservedConcurrency: 'reserved concurrency of the function (a cap, not a lock), 1..1000',
  tracing: 'false: no X-Ray active tracing / Powertools Tracer',
  account: 'deploy to this account id (default: none in the template, ${AWS::AccountId})',
  region: 'deploy to this region (default: none in the template, ${AWS::Region})',
  timeoutSeconds: 'function timeout, 60..900',
  memorySize: 'function memory in MB',
  sweepSchedule: 'rate(...) or cron(...), or "off" to disable the periodic sweep',
  logRetentionDays: 'CloudWatch Logs retention in days (a value CloudWatch accepts, e.g. 30)',
  vpcId: 'run the function in this VPC (private cluster endpoints)',
  subnetIds: 'comma-separated subnets for the function (with vpcId)',
  securityGroupIds: 'comma-separated security groups for the function (with vpcId)',
  reportTopicArn: 'publish reports to this existing SNS topic',
  createReportTopic: 'true: create an encrypted SNS topic for reports',
  alarmTopicArn: 'SNS topic notified by the alarms',
  createAlarmTopic: 'true: create an encrypted SNS topic the alarms notify',
  createAccessEntries: 'false: do not create EKS access entries (CONFIG_MAP clusters)',
  kubernetesGroups: 'comma-separated Kubernetes groups for the access entries instead of the view access policy',
  routeTableVpcIds: 'comma-separated VPC ids: only their route tables may be written',
  deployment: 'single (one account and region, default) | organization (central stack + StackSet of the member stack)',
  organizationId: 'organization: the AWS Organizations id (o-...) whose principals may publish to the central topic',
  organizationalUnitIds: 'organization: comma-separated OU ids (ou-...) or the root id (r-...) the StackSet deploys to',
  regions: 'organization: comma-separated regions the StackSet deploys to in every member account',
  assetBucketPrefix: 'organization: prefix of the per-region asset buckets <prefix>-<region> in the central account',
  stackSetName: 'organization: name of the StackSet (default EksNodeJoinRemediator)',
  delegatedAdmin: 'organization: false when the central account is the management account (default true: delegated administrator)',
} as const;

export const DEPLOYMENTS = ['single', 'organization'] as const;
export type Deployment = (typeof DEPLOYMENTS)[number];

/** Keys of the organisation shape only. */
const ORGANIZATION_KEYS = ['organizationId', 'organizationalUnitIds', 'regions', 'assetBucketPrefix', 'stackSetName', 'delegatedAdmin'] as const;
/** Keys of the single-account shape only, with what to use instead in an organisation. */
const SINGLE_ONLY_KEYS: Partial<Record<ContextKey, string>> = {
  reportTopicArn: 'members publish to the central report topic',
  createReportTopic: 'the central stack creates the report topic',
  alarmTopicArn: 'use createAlarmTopic=true (one topic per member)',
  vpcId: 'VPC ids differ per account',
  subnetIds: 'subnet ids differ per account',
  securityGroupIds: 'security group ids differ per account',
};
const REQUIRED_ORGANIZATION_KEYS = ['organizationId', 'organizationalUnitIds', 'regions', 'assetBucketPrefix'] as const;

export const DEFAULT_ORGANIZATION_STACK_NAME = 'EksNodeJoinRemediatorOrganization';

export type ContextKey = keyof typeof CONTEXT_KEYS;

export interface AppSettings {
  readonly stackName: string;
  readonly stackProps: NodeJoinRemediatorStackProps;
  /**
   * Only from explicit `-c account=` / `-c region=`: never from CDK_DEFAULT_ACCOUNT/REGION, which
   * the CDK CLI always sets (us-east-1 when nothing is configured) and which would bake one region
   * into every ARN. Undefined: the template uses ${AWS::AccountId} / ${AWS::Region}.
   */
  readonly env: { readonly account?: string; readonly region?: string };
  readonly deployment: Deployment;
  /** With deployment=organization: the StackSet's targets (validated again by the central stack). */
  readonly organization?: OrganizationTargets;
}

const SWEEP_OFF = ['off', 'false', 'none', 'disabled'];
const SCHEDULE_EXPRESSION = /^(rate|cron)\(.+\)$/;
const RETENTION_DAYS = new Set(Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number'));
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
const ACCOUNT_ID = /^\d{12}$/;


/**
 * @param context every context value of the app (`app.node.getAllContext()`); keys that look like
 *   ours but are unknown (typos such as `clusterName`) are rejected, CDK's own keys are ignored.
 */
export function appSettingsFromContext(context: Record<string, unknown>): AppSettings {
  rejectUnknownKeys(context);
  const text = (key: ContextKey): string | undefined => contextText(context[key], key);
  const list = (key: ContextKey): string[] | undefined => {
    const value = text(key);
    return value === undefined ? undefined : value.split(',').map((item) => item.trim()).filter((item) => item !== '');
  };
  const flag = (key: ContextKey): boolean | undefined => {
    const value = text(key);
    return value === undefined ? undefined : parseBoolean(value, key);
  };

  const raw: RawConfig = {
    dryRun: text('dryRun'),
    clusterNames: text('clusterNames'),
    graceSeconds: text('graceSeconds'),
    recycle: text('recycle'),
    natGatewayId: text('natGatewayId'),
    allowSharedRouteTables: text('allowSharedRouteTables'),
    waitSeconds: text('waitSeconds'),
    optOutTag: text('optOutTag'),
    pollSeconds: text('pollSeconds'),
    allowInternetEgress: text('allowInternetEgress'),
    createNodeAccessEntry: text('createNodeAccessEntry'),
    recycleCooldownSeconds: text('recycleCooldownSeconds'),
    readConsoleOutput: text('readConsoleOutput'),
    concurrency: text('concurrency'),
  };
  const config = parseConfig(raw, (key) => key);

  const timeoutText = text('timeoutSeconds');
  const memoryText = text('memorySize');
  const retentionText = text('logRetentionDays');
  const vpcId = text('vpcId');
  const subnetIds = list('subnetIds');
  const securityGroupIds = list('securityGroupIds');
  if (vpcId === undefined && (subnetIds !== undefined || securityGroupIds !== undefined)) {
    throw new ValidationError('subnetIds and securityGroupIds need vpcId: give the VPC the function runs in', 'vpcId');
  }

  const deploymentText = text('deployment') ?? 'single';
  const deployment = DEPLOYMENTS.find((candidate) => candidate === deploymentText);
  if (deployment === undefined) {
    throw new ValidationError(`deployment must be one of ${DEPLOYMENTS.join(', ')}, got "${deploymentText}"`, 'deployment');
  }
  const organization = deployment === 'organization' ? organizationTargets(text, list, flag) : undefined;
  if (deployment === 'single') {
    const given = ORGANIZATION_KEYS.find((key) => text(key) !== undefined);
    if (given !== undefined) throw new ValidationError(`${given} applies to -c deployment=organization only (deployment is "single")`, given);
  } else {
    const given = (Object.keys(SINGLE_ONLY_KEYS) as ContextKey[]).find((key) => text(key) !== undefined);
    if (given !== undefined) throw new ValidationError(`${given} does not apply to deployment=organization: ${SINGLE_ONLY_KEYS[given]}`, given);
  }

  const stackName = text('stackName') ?? (deployment === 'organization' ? DEFAULT_ORGANIZATION_STACK_NAME : DEFAULT_STACK_NAME);
  if (!STACK_NAME.test(stackName)) {
    throw new ValidationError(`stackName must start with a letter and hold only letters, digits and -, got "${stackName}"`, 'stackName');
  }

  const sweep = parseSweepSchedule(text('sweepSchedule'));
  const reservedText = text('reservedConcurrency');
  const account = text('account');
  const region = text('region');
  if (account !== undefined && !ACCOUNT_ID.test(account)) {
    throw new ValidationError(`account must be a 12-digit AWS account id, got "${account}"`, 'account');
  }
  if (region !== undefined && !REGION_NAME.test(region)) {
    throw new ValidationError(`region must be an AWS region name like us-west-2, got "${region}"`, 'region');
  }
  return {
    stackName,
    env: { account, region },
    deployment,
    organization,
    stackProps: {
      remediator: {
        dryRun: config.dryRun,
        clusterNames: config.clusterNames,
        graceSeconds: config.graceSeconds,
        recycle: config.recycle,
        natGatewayId: config.natGatewayId,
        allowSharedRouteTables: config.allowSharedRouteTables,
        waitSeconds: config.waitSeconds,
        optOutTag: config.optOutTag,
        pollSeconds: config.pollSeconds,
        allowInternetEgress: config.allowInternetEgress,
        createNodeAccessEntry: config.createNodeAccessEntry,
        recycleCooldownSeconds: config.recycleCooldownSeconds,
        readConsoleOutput: config.readConsoleOutput,
        concurrency: config.concurrency,
        reservedConcurrency: reservedText === undefined ? undefined : parseWholeNumber(reservedText, 'reservedConcurrency'),
        tracing: flag('tracing'),
        createAlarmTopic: flag('createAlarmTopic'),
        timeout: timeoutText === undefined ? undefined : Duration.seconds(parseTimeoutSeconds(timeoutText)),
        memorySize: memoryText === undefined ? undefined : parseWholeNumber(memoryText, 'memorySize'),
        logRetention: retentionText === undefined ? undefined : parseRetention(retentionText),
        ...sweep,
        createAccessEntries: flag('createAccessEntries'),
        kubernetesGroups: list('kubernetesGroups'),
        routeTableVpcIds: list('routeTableVpcIds'),
      },
      network: vpcId === undefined ? undefined : { vpcId, subnetIds: subnetIds ?? [], securityGroupIds },
      reportTopicArn: text('reportTopicArn'),
      createReportTopic: flag('createReportTopic'),
      alarmTopicArn: text('alarmTopicArn'),
    },
  };
}

/** The organisation keys: each required one present, each value in its allowed form. */
function organizationTargets(
  text: (key: ContextKey) => string | undefined,
  list: (key: ContextKey) => string[] | undefined,
  flag: (key: ContextKey) => boolean | undefined,
): OrganizationTargets {
  for (const key of REQUIRED_ORGANIZATION_KEYS) {
    if (text(key) === undefined) throw new ValidationError(`deployment=organization needs -c ${key}=... (${CONTEXT_KEYS[key].replace(/^organization: /, '')})`, key);
  }
  const targets: OrganizationTargets = {
    organizationId: text('organizationId')!,
    organizationalUnitIds: [...new Set(list('organizationalUnitIds'))],
    regions: [...new Set(list('regions'))],
    assetBucketPrefix: text('assetBucketPrefix')!,
    stackSetName: text('stackSetName'),
    delegatedAdmin: flag('delegatedAdmin'),
  };
  validateOrganizationTargets(targets);
  return targets;
}

/** Undefined when absent or empty; arrays (cdk.json) become comma-separated text. */
function contextText(value: unknown, key: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value.trim() === '' ? undefined : value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value.join(',');
  throw new ValidationError(`context ${key} must be a string, number, boolean or list of strings, got ${JSON.stringify(value)}`, key);
}

/** Keys this app reads besides the knobs (e.g. the organisation shape's keys); set by `rejectUnknownKeys` callers. */
function rejectUnknownKeys(context: Record<string, unknown>, knownKeys: readonly string[] = Object.keys(CONTEXT_KEYS)): void {
  const known = new Set<string>(knownKeys);
  for (const key of Object.keys(context)) {
    // CDK's own keys carry ':' '/' '@' or '-' (feature flags, aws:cdk:*, cli-telemetry...).
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(key) || known.has(key)) continue;
    const suggestion = closestKey(key, [...known]);
    throw new ValidationError(
      `unknown context key "${key}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; known keys: ${[...known].join(', ')}`,
      key,
    );
  }
}

/**
 * The known key a typo most likely meant: one that starts with it (or that it starts with), else
 * the nearest by edit distance within a third of its length. Hand-written: a dozen lines for a
 * synth-time hint do not justify a runtime dependency.
 */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const byPrefix = known.find((candidate) => candidate.toLowerCase().startsWith(lower) || lower.startsWith(candidate.toLowerCase()));
  if (byPrefix !== undefined) return byPrefix;
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance <= Math.max(2, Math.floor(candidate.length / 3)) && (best === undefined || distance < best.distance)) best = { key: candidate, distance };
  }
  return best?.key;
}

/** Levenshtein distance (insertions, deletions, substitutions). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

function parseSweepSchedule(value: string | undefined): { sweepEnabled?: boolean; sweepSchedule?: events.Schedule } {
  if (value === undefined) return {};
  if (SWEEP_OFF.includes(value.toLowerCase())) return { sweepEnabled: false };
  if (!SCHEDULE_EXPRESSION.test(value)) {
    throw new ValidationError(`sweepSchedule must be rate(...) or cron(...) (EventBridge syntax) or "off", got "${value}"`, 'sweepSchedule');
  }
  return { sweepSchedule: events.Schedule.expression(value) };
}

function parseWholeNumber(value: string, field: string): number {
  if (!/^\d+$/.test(value)) throw new ValidationError(`${field} must be a whole number, got "${value}"`, field);
  return Number(value);
}

function parseTimeoutSeconds(value: string): number {
  const seconds = parseWholeNumber(value, 'timeoutSeconds');
  if (seconds < 60 || seconds > MAX_TIMEOUT_SECONDS) {
    throw new ValidationError(`timeoutSeconds must be from 60 to ${MAX_TIMEOUT_SECONDS} (Lambda's limit), got ${seconds}`, 'timeoutSeconds');
  }
  return seconds;
}

function parseRetention(value: string): logs.RetentionDays {
  const days = parseWholeNumber(value, 'logRetentionDays');
  if (!RETENTION_DAYS.has(days)) {
    throw new ValidationError(`logRetentionDays must be one of ${[...RETENTION_DAYS].join(', ')}, got ${days}`, 'logRetentionDays');
  }
  return days as logs.RetentionDays;
}
