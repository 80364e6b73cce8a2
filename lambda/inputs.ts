/**
 * The four input kinds of contract section 6 → what to examine, or why not (SKIPPED).
 * Pure: no AWS call. Inputs that need a lookup (an Auto Scaling group → its node group, or
 * "every cluster of the region") come back as a request the caller resolves, then finishes
 * with `resolveAutoScalingGroupTarget` / `targetsForClusters` from here, so that scope rules
 * (allow-list, skip reasons) stay in this file.
 */
import type { Config } from './config';
import { ValidationError } from './errors';
import { CLUSTER_NAME_PATTERN, NODEGROUP_NAME_PATTERN, type SkippedInput, type Target } from './model';
import type { RecheckRequest } from './ports';
import type { Trigger } from './report';

export type ParsedInput =
  /** Examine these (cluster, node group?) targets. */
  | { kind: 'targets'; targets: Target[] }
  /**
   * Scheduled sweep with an empty allow-list: the caller lists the region's clusters
   * (EKS ListClusters) and passes them to `targetsForClusters`.
   */
  | { kind: 'sweep'; trigger: 'sweep'; triggerDetail: string; triggeredBy: Trigger }
  /**
   * An instance launch: the caller reads the group's tags (DescribeAutoScalingGroups) and
   * passes them to `resolveAutoScalingGroupTarget`, which maps `eks:cluster-name` /
   * `eks:nodegroup-name` to a target or a SKIPPED reason.
   */
  | { kind: 'autoscaling-group'; autoScalingGroupName: string; instanceId?: string; triggerDetail: string; triggeredBy?: Trigger }
  /**
   * A re-check the function scheduled for itself (input 5). `continuation`: the caller examines
   * `pending`; `verify`: the caller reads registration only; others: examine the node group again.
   */
  | { kind: 'recheck'; recheck: RecheckRequest; triggeredBy: Trigger }
  /** Out of scope: report SKIPPED with the reason, make no AWS call. */
  | { kind: 'skipped'; skipped: SkippedInput };

/** Tags EKS puts on a managed node group's Auto Scaling group. */
export const EKS_CLUSTER_NAME_TAG = 'eks:cluster-name';
export const EKS_NODEGROUP_NAME_TAG = 'eks:nodegroup-name';

const CLOUDTRAIL_DETAIL_TYPES = new Set([
  'AWS API Call via CloudTrail',
  // The China partition's documentation spells it this way; accepting it costs nothing.
  'Amazon API Call via CloudTrail',
]);
/** Node group API calls that can leave instances unable to join (contract section 6.1). */
export const NODEGROUP_API_EVENT_NAMES = ['CreateNodegroup', 'UpdateNodegroupConfig', 'UpdateNodegroupVersion'] as const;
const NODEGROUP_EVENT_NAMES: ReadonlySet<string> = new Set(NODEGROUP_API_EVENT_NAMES);
const INSTANCE_LAUNCH_DETAIL_TYPE = 'EC2 Instance Launch Successful';
const SCHEDULED_DETAIL_TYPE = 'Scheduled Event';

const CLUSTER_NAME = CLUSTER_NAME_PATTERN;
const NODEGROUP_NAME = NODEGROUP_NAME_PATTERN;
const MANUAL_FIELDS = ['clusterName', 'nodegroupName', 'dryRun'] as const;

const ACCEPTED_INPUTS =
  'accepted inputs: an EventBridge "AWS API Call via CloudTrail" event from aws.eks ' +
  '(CreateNodegroup, UpdateNodegroupConfig, UpdateNodegroupVersion), an "EC2 Instance Launch Successful" ' +
  'event from aws.autoscaling, a "Scheduled Event" from aws.events, or a manual payload ' +
  '{"clusterName": "...", "nodegroupName"?: "...", "dryRun"?: true|false}, or a re-check the function scheduled ' +
  '{"recheck": {"clusterName", "nodegroupName", "remediationId", "reason"}}';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringAt(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** Throws ValidationError for anything that is not one of the four input kinds. */
export function parseInput(event: unknown, config: Config): ParsedInput {
  if (!isObject(event)) {
    throw new ValidationError(`The input must be a JSON object; ${ACCEPTED_INPUTS}.`);
  }
  const detailType = event['detail-type'];
  const source = event['source'];
  if (detailType === undefined && source === undefined) {
    return 'recheck' in event ? parseRecheck(event, config) : parseManual(event, config);
  }

  if (typeof detailType === 'string' && CLOUDTRAIL_DETAIL_TYPES.has(detailType) && source === 'aws.eks') {
    return parseCloudTrail(event, config);
  }
  if (detailType === INSTANCE_LAUNCH_DETAIL_TYPE && source === 'aws.autoscaling') {
    return parseInstanceLaunch(event);
  }
  if (detailType === SCHEDULED_DETAIL_TYPE && source === 'aws.events') {
    return parseSchedule(event, config);
  }
  throw new ValidationError(
    `Unsupported event (source ${JSON.stringify(source)}, detail-type ${JSON.stringify(detailType)}); ` +
      `${ACCEPTED_INPUTS}.`,
    'detail-type',
  );
}

// --- 1. CloudTrail node group API calls ---------------------------------------------------

function parseCloudTrail(event: Json, config: Config): ParsedInput {
  const detail = event['detail'];
  if (!isObject(detail)) {
    throw new ValidationError('The CloudTrail event has no "detail" object (the API call record).', 'detail');
  }
  const eventName = stringAt(detail['eventName']);
  if (!eventName) {
    throw new ValidationError(
      `The CloudTrail event has no API call name in detail.eventName (got ${JSON.stringify(detail['eventName'] ?? null)}).`,
      'detail.eventName',
    );
  }
  const request = isObject(detail['requestParameters']) ? detail['requestParameters'] : {};
  const clusterName = decodeClusterName(stringAt(request['name']));
  const nodegroupName = stringAt(request['nodegroupName']) ?? nodegroupFromResponse(detail['responseElements']);
  const triggerDetail = `CloudTrail ${eventName} ${stringAt(detail['eventID']) ?? ''}`.trim();
  const identity = isObject(detail['userIdentity']) ? detail['userIdentity'] : {};
  const eventId = stringAt(detail['eventID']) ?? stringAt(event['id']);
  const caller = stringAt(identity['arn']);
  const triggeredBy: Trigger = {
    kind: 'cloudtrail',
    ...(eventId ? { eventId } : {}),
    ...(caller ? { caller } : {}),
    detail: triggerDetail,
  };
  const skip = (reason: string): ParsedInput => ({
    kind: 'skipped',
    skipped: skippedInput(reason, clusterName, nodegroupName),
  });

  if (!NODEGROUP_EVENT_NAMES.has(eventName)) {
    return skip(`The event is ${eventName}, not one of ${[...NODEGROUP_EVENT_NAMES].join(', ')}.`);
  }
  const errorCode = stringAt(detail['errorCode']);
  if (errorCode) {
    return skip(`The ${eventName} call failed (${errorCode}), so nothing changed on the node group.`);
  }
  const ownCaller = callerIsOwnRole(detail['userIdentity'], config.ownRoleArn);
  if (ownCaller) {
    return skip(`The ${eventName} call was made by the remediator itself (${ownCaller}); it never re-triggers itself.`);
  }
  if (!clusterName || !CLUSTER_NAME.test(clusterName)) {
    throw new ValidationError(
      `The ${eventName} event has no valid cluster name in detail.requestParameters.name ` +
        `(got ${JSON.stringify(request['name'])}).`,
      'detail.requestParameters.name',
    );
  }
  if (!nodegroupName || !NODEGROUP_NAME.test(nodegroupName)) {
    throw new ValidationError(
      `The ${eventName} event has no valid node group name in detail.requestParameters.nodegroupName ` +
        `or detail.responseElements.nodegroup (got ${JSON.stringify(nodegroupName ?? null)}).`,
      'detail.requestParameters.nodegroupName',
    );
  }
  const outOfScope = allowListSkipReason(clusterName, config);
  if (outOfScope) return skip(outOfScope);
  return { kind: 'targets', targets: [{ clusterName, nodegroupName, trigger: 'cloudtrail', triggerDetail, triggeredBy }] };
}

/** The cluster name is a URI parameter; CloudTrail may record it percent-encoded. */
function decodeClusterName(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw; // malformed escapes: the format check that follows rejects it with a clear message
  }
}

/** CreateNodegroup responds with the node group object; older records may hold just its name. */
function nodegroupFromResponse(response: unknown): string | undefined {
  if (!isObject(response)) return undefined;
  const nodegroup = response['nodegroup'];
  if (typeof nodegroup === 'string') return stringAt(nodegroup);
  if (isObject(nodegroup)) return stringAt(nodegroup['nodegroupName']);
  return undefined;
}

/**
 * When the API caller is the remediator's own role, returns the matching ARN (for the reason);
 * otherwise undefined. Matches the session issuer (the IAM role ARN, path included) or, when
 * only the STS assumed-role ARN is present, the account and role name.
 */
export function callerIsOwnRole(userIdentity: unknown, ownRoleArn: string | undefined): string | undefined {
  if (!ownRoleArn || !isObject(userIdentity)) return undefined;
  const own = parseRoleArn(ownRoleArn);
  if (!own) return undefined;
  const sessionContext = isObject(userIdentity['sessionContext']) ? userIdentity['sessionContext'] : {};
  const issuer = isObject(sessionContext['sessionIssuer']) ? sessionContext['sessionIssuer'] : {};
  const candidates = [stringAt(issuer['arn']), stringAt(userIdentity['arn'])].filter((a): a is string => !!a);
  for (const arn of candidates) {
    const caller = parseRoleArn(arn) ?? parseAssumedRoleArn(arn);
    // IAM role names are unique case-insensitively within an account.
    if (caller && caller.accountId === own.accountId && caller.roleName.toLowerCase() === own.roleName.toLowerCase()) {
      return arn;
    }
  }
  return undefined;
}

function parseRoleArn(arn: string): { accountId: string; roleName: string } | undefined {
  const match = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(arn);
  return match ? { accountId: match[1]!, roleName: match[2]! } : undefined;
}

function parseAssumedRoleArn(arn: string): { accountId: string; roleName: string } | undefined {
  const match = /^arn:aws[a-z-]*:sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(arn);
  return match ? { accountId: match[1]!, roleName: match[2]! } : undefined;
}

// --- 2. Auto Scaling instance launches ------------------------------------------------------

function parseInstanceLaunch(event: Json): ParsedInput {
  const detail = isObject(event['detail']) ? event['detail'] : {};
  const autoScalingGroupName = stringAt(detail['AutoScalingGroupName']);
  if (!autoScalingGroupName) {
    throw new ValidationError(
      'The "EC2 Instance Launch Successful" event has no detail.AutoScalingGroupName.',
      'detail.AutoScalingGroupName',
    );
  }
  const instanceId = stringAt(detail['EC2InstanceId']);
  const eventId = stringAt(event['id']);
  const triggerDetail = `instance ${instanceId ?? '(unknown)'} launched in ${autoScalingGroupName}`;
  return {
    kind: 'autoscaling-group',
    autoScalingGroupName,
    ...(instanceId ? { instanceId } : {}),
    triggerDetail,
    triggeredBy: {
      kind: 'instance-launch',
      ...(eventId ? { eventId } : {}),
      ...(instanceId ? { instanceId } : {}),
      detail: triggerDetail,
    },
  };
}

/**
 * Second half of an instance-launch input: the group's tags (from DescribeAutoScalingGroups;
 * undefined when the group no longer exists) → the node group to examine, or SKIPPED.
 */
export function resolveAutoScalingGroupTarget(
  input: Extract<ParsedInput, { kind: 'autoscaling-group' }>,
  tags: Record<string, string> | undefined,
  config: Config,
): Extract<ParsedInput, { kind: 'targets' | 'skipped' }> {
  const skip = (reason: string, clusterName?: string, nodegroupName?: string): ParsedInput & { kind: 'skipped' } => ({
    kind: 'skipped',
    skipped: skippedInput(reason, clusterName, nodegroupName),
  });
  if (!tags) return skip(`The Auto Scaling group ${input.autoScalingGroupName} no longer exists.`);
  const clusterName = tags[EKS_CLUSTER_NAME_TAG];
  const nodegroupName = tags[EKS_NODEGROUP_NAME_TAG];
  if (!clusterName || !nodegroupName) {
    return skip(
      `The Auto Scaling group ${input.autoScalingGroupName} is not an EKS managed node group's ` +
        `(no ${EKS_CLUSTER_NAME_TAG} and ${EKS_NODEGROUP_NAME_TAG} tags).`,
    );
  }
  const outOfScope = allowListSkipReason(clusterName, config);
  if (outOfScope) return skip(outOfScope, clusterName, nodegroupName);
  return {
    kind: 'targets',
    targets: [
      {
        clusterName,
        nodegroupName,
        trigger: 'instance-launch',
        triggerDetail: input.triggerDetail,
        triggeredBy: input.triggeredBy ?? { kind: 'instance-launch', detail: input.triggerDetail },
      },
    ],
  };
}

// --- 3. Scheduled sweep ---------------------------------------------------------------------

function parseSchedule(event: Json, config: Config): ParsedInput {
  const rule = Array.isArray(event['resources']) ? stringAt(event['resources'][0]) : undefined;
  const triggerDetail = `scheduled sweep${rule ? ` (${rule})` : ''}`;
  const eventId = stringAt(event['id']);
  const triggeredBy: Trigger = { kind: 'sweep', ...(eventId ? { eventId } : {}), detail: triggerDetail };
  if (config.clusterNames.length === 0) return { kind: 'sweep', trigger: 'sweep', triggerDetail, triggeredBy };
  return { kind: 'targets', targets: targetsForClusters(config.clusterNames, config, triggerDetail, triggeredBy) };
}

/** One whole-cluster target per cluster in scope (allow-list applied), for a sweep. */
export function targetsForClusters(
  clusterNames: string[],
  config: Config,
  triggerDetail = 'scheduled sweep',
  triggeredBy: Trigger = { kind: 'sweep', detail: triggerDetail },
): Target[] {
  return [...new Set(clusterNames)]
    .filter((name) => allowListSkipReason(name, config) === undefined)
    .map((clusterName) => ({ clusterName, trigger: 'sweep', triggerDetail, triggeredBy }));
}

// --- 4. Manual invocation -------------------------------------------------------------------

function parseManual(payload: Json, config: Config): ParsedInput {
  const allowed = MANUAL_FIELDS.join(', ');
  for (const field of Object.keys(payload)) {
    if (!(MANUAL_FIELDS as readonly string[]).includes(field)) {
      throw new ValidationError(`Unknown field "${field}" in the manual payload; allowed fields: ${allowed}.`, field);
    }
  }
  const { clusterName, nodegroupName, dryRun } = payload;
  if (clusterName === undefined) {
    throw new ValidationError(
      `The manual payload needs "clusterName" (a string); allowed fields: ${allowed}.`,
      'clusterName',
    );
  }
  if (typeof clusterName !== 'string' || !CLUSTER_NAME.test(clusterName)) {
    throw new ValidationError(
      `"clusterName" must be an EKS cluster name (1-100 letters, digits, - or _, starting with a letter or digit), ` +
        `got ${JSON.stringify(clusterName)}.`,
      'clusterName',
    );
  }
  if (nodegroupName !== undefined && (typeof nodegroupName !== 'string' || !NODEGROUP_NAME.test(nodegroupName))) {
    throw new ValidationError(
      `"nodegroupName" must be an EKS node group name (1-63 letters, digits, - or _, starting with a letter or digit), ` +
        `got ${JSON.stringify(nodegroupName)}.`,
      'nodegroupName',
    );
  }
  if (dryRun !== undefined && typeof dryRun !== 'boolean') {
    throw new ValidationError(
      `"dryRun" must be true or false (a JSON boolean), got ${JSON.stringify(dryRun)}.`,
      'dryRun',
    );
  }
  const outOfScope = allowListSkipReason(clusterName, config);
  if (outOfScope) {
    const skipped = skippedInput(outOfScope, clusterName, nodegroupName);
    return { kind: 'skipped', skipped: dryRun === undefined ? skipped : { ...skipped, dryRun } };
  }
  const target: Target = {
    clusterName,
    trigger: 'manual',
    triggerDetail: 'manual invocation',
    triggeredBy: { kind: 'manual', detail: 'manual invocation' },
    ...(nodegroupName !== undefined ? { nodegroupName } : {}),
    ...(dryRun !== undefined ? { dryRun } : {}),
  };
  return { kind: 'targets', targets: [target] };
}

// --- 5. Re-checks the function scheduled for itself -------------------------------------------

export const RECHECK_REASONS = ['grace-period', 'verify', 'lease-held', 'continuation'] as const;
const RECHECK_FIELDS = ['clusterName', 'nodegroupName', 'remediationId', 'reason', 'pending', 'replacedInstanceIds', 'verifyUntil', 'dryRun'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

function parseRecheck(payload: Json, config: Config): ParsedInput {
  const extra = Object.keys(payload).filter((key) => key !== 'recheck');
  if (extra.length > 0) {
    throw new ValidationError(`Unknown field "${extra[0]}" beside "recheck"; a re-check payload is {"recheck": {...}} only.`, extra[0]);
  }
  const recheck = payload['recheck'];
  if (!isObject(recheck)) throw new ValidationError('"recheck" must be an object.', 'recheck');
  const allowed = RECHECK_FIELDS.join(', ');
  for (const field of Object.keys(recheck)) {
    if (!(RECHECK_FIELDS as readonly string[]).includes(field)) {
      throw new ValidationError(`Unknown field "recheck.${field}"; allowed fields: ${allowed}.`, `recheck.${field}`);
    }
  }
  const { clusterName, nodegroupName, remediationId, reason, pending, replacedInstanceIds, verifyUntil, dryRun } = recheck;
  const reasonValue = RECHECK_REASONS.find((r) => r === reason);
  if (!reasonValue) {
    throw new ValidationError(
      `"recheck.reason" must be one of ${RECHECK_REASONS.join(', ')}, got ${JSON.stringify(reason ?? null)}.`,
      'recheck.reason',
    );
  }
  const nodegroupRef = (value: unknown, field: string): { clusterName: string; nodegroupName: string } => {
    const ref = isObject(value) ? value : {};
    if (typeof ref['clusterName'] !== 'string' || !CLUSTER_NAME.test(ref['clusterName'])) {
      throw new ValidationError(`"${field}.clusterName" must be an EKS cluster name, got ${JSON.stringify(ref['clusterName'] ?? null)}.`, `${field}.clusterName`);
    }
    if (typeof ref['nodegroupName'] !== 'string' || !NODEGROUP_NAME.test(ref['nodegroupName'])) {
      throw new ValidationError(`"${field}.nodegroupName" must be an EKS node group name, got ${JSON.stringify(ref['nodegroupName'] ?? null)}.`, `${field}.nodegroupName`);
    }
    return { clusterName: ref['clusterName'], nodegroupName: ref['nodegroupName'] };
  };
  const target = nodegroupRef({ clusterName, nodegroupName }, 'recheck');
  if (typeof remediationId !== 'string' || !UUID.test(remediationId)) {
    throw new ValidationError(`"recheck.remediationId" must be a UUID, got ${JSON.stringify(remediationId ?? null)}.`, 'recheck.remediationId');
  }
  const request: RecheckRequest = { ...target, remediationId, reason: reasonValue };
  if (pending !== undefined) {
    if (!Array.isArray(pending)) throw new ValidationError('"recheck.pending" must be a list of {clusterName, nodegroupName}.', 'recheck.pending');
    request.pending = pending.map((p, i) => nodegroupRef(p, `recheck.pending[${i}]`));
  }
  if (reasonValue === 'continuation' && (request.pending?.length ?? 0) === 0) {
    throw new ValidationError('A continuation re-check needs "recheck.pending": the node groups not yet examined.', 'recheck.pending');
  }
  if (replacedInstanceIds !== undefined) {
    if (!Array.isArray(replacedInstanceIds) || !replacedInstanceIds.every((id) => typeof id === 'string' && INSTANCE_ID.test(id))) {
      throw new ValidationError('"recheck.replacedInstanceIds" must be a list of EC2 instance ids (i-...).', 'recheck.replacedInstanceIds');
    }
    request.replacedInstanceIds = replacedInstanceIds as string[];
  }
  if (verifyUntil !== undefined) {
    if (typeof verifyUntil !== 'string' || Number.isNaN(Date.parse(verifyUntil))) {
      throw new ValidationError(`"recheck.verifyUntil" must be an ISO-8601 time, got ${JSON.stringify(verifyUntil)}.`, 'recheck.verifyUntil');
    }
    request.verifyUntil = verifyUntil;
  }
  if (dryRun !== undefined) {
    if (typeof dryRun !== 'boolean') {
      throw new ValidationError(`"recheck.dryRun" must be true or false, got ${JSON.stringify(dryRun)}.`, 'recheck.dryRun');
    }
    request.dryRun = dryRun;
  }
  const triggeredBy: Trigger = { kind: 'recheck', reason: reasonValue, detail: `${reasonValue} re-check of remediation ${remediationId}` };
  if (reasonValue !== 'continuation') {
    const outOfScope = allowListSkipReason(target.clusterName, config);
    if (outOfScope) {
      return { kind: 'skipped', skipped: { ...skippedInput(outOfScope, target.clusterName, target.nodegroupName), ...(request.dryRun !== undefined ? { dryRun: request.dryRun } : {}) } };
    }
  } else {
    request.pending = request.pending!.filter((p) => allowListSkipReason(p.clusterName, config) === undefined);
  }
  return { kind: 'recheck', recheck: request, triggeredBy };
}

function skippedInput(reason: string, clusterName?: string, nodegroupName?: string): SkippedInput {
  return { skipped: true, reason, ...(clusterName ? { clusterName } : {}), ...(nodegroupName ? { nodegroupName } : {}) };
}

// --- Scope ----------------------------------------------------------------------------------

function allowListSkipReason(clusterName: string, config: Config): string | undefined {
  if (config.clusterNames.length === 0 || config.clusterNames.includes(clusterName)) return undefined;
  return `Cluster ${clusterName} is not in the allow-list (${config.clusterNames.join(', ')}).`;
}

/** True when the node group carries the opt-out tag (value compared case-insensitively). */
export function isOptedOut(tags: Record<string, string> | undefined, config: Pick<Config, 'optOutTag'>): boolean {
  const value = tags?.[config.optOutTag.key];
  return value !== undefined && value.trim().toLowerCase() === config.optOutTag.value.trim().toLowerCase();
}
