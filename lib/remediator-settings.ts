/**
 * Validates the construct's knobs once, at synth, with the same parse functions (and so the
 * same messages) the Lambda applies to its environment. Pure: no constructs, no tokens.
 */
import { ENV, parseConfig, type Config, type RawConfig, type RecycleStrategy } from '../lambda/config';
import { ValidationError } from '../lambda/errors';

/** Lambda's hard limit on a function timeout. */
export const MAX_TIMEOUT_SECONDS = 900;

/** Time the run needs besides waiting for nodes: snapshot, diagnosis, fix, report. */
export const VERIFICATION_HEADROOM_SECONDS = 120;

const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;

/** The knobs of contract section 4, as the construct takes them (see `NodeJoinRemediatorProps`). */
export interface RemediatorKnobs {
  readonly dryRun?: boolean;
  readonly clusterNames?: readonly string[];
  readonly graceSeconds?: number;
  readonly recycle?: RecycleStrategy;
  readonly natGatewayId?: string;
  readonly allowSharedRouteTables?: boolean;
  readonly waitSeconds?: number;
  readonly optOutTag?: { readonly key: string; readonly value: string };
  readonly pollSeconds?: number;
  readonly allowInternetEgress?: boolean;
  readonly createNodeAccessEntry?: boolean;
  readonly recycleCooldownSeconds?: number;
  readonly readConsoleOutput?: boolean;
  readonly concurrency?: number;
}

/** Knobs, validated and defaulted, with what the construct derives from them. */
export interface RemediatorSettings {
  readonly config: Config;
  readonly timeoutSeconds: number;
  readonly routeTableVpcIds: string[];
  /** Lambda environment for the knobs; the role ARN and topic ARN are tokens added by the construct. */
  readonly environment: Record<string, string>;
}

export interface SettingsInput extends RemediatorKnobs {
  readonly timeoutSeconds: number;
  readonly routeTableVpcIds?: readonly string[];
}

/** Raw strings for `parseConfig`, so numbers and names are checked exactly as the Lambda checks them. */
function rawKnobs(knobs: RemediatorKnobs): RawConfig {
  const text = (value: unknown): string | undefined => (value === undefined ? undefined : String(value));
  return {
    dryRun: text(knobs.dryRun),
    clusterNames: knobs.clusterNames === undefined ? undefined : knobs.clusterNames.join(','),
    graceSeconds: text(knobs.graceSeconds),
    recycle: knobs.recycle,
    natGatewayId: knobs.natGatewayId,
    allowSharedRouteTables: text(knobs.allowSharedRouteTables),
    waitSeconds: text(knobs.waitSeconds),
    optOutTag: knobs.optOutTag === undefined ? undefined : `${knobs.optOutTag.key}=${knobs.optOutTag.value}`,
    pollSeconds: text(knobs.pollSeconds),
    allowInternetEgress: text(knobs.allowInternetEgress),
    createNodeAccessEntry: text(knobs.createNodeAccessEntry),
    recycleCooldownSeconds: text(knobs.recycleCooldownSeconds),
    readConsoleOutput: text(knobs.readConsoleOutput),
    concurrency: text(knobs.concurrency),
  };
}

/** Throws ValidationError (field = the prop / context key at fault) on any invalid value or combination. */
export function resolveRemediatorSettings(input: SettingsInput): RemediatorSettings {
  const config = parseConfig(rawKnobs(input), (key) => key);
  const { timeoutSeconds } = input;

  if (input.clusterNames !== undefined && input.clusterNames.some((name) => name.trim() === '')) {
    throw new ValidationError('clusterNames must not contain empty names', 'clusterNames');
  }
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 60 || timeoutSeconds > MAX_TIMEOUT_SECONDS) {
    throw new ValidationError(
      `timeout must be a whole number of seconds from 60 to ${MAX_TIMEOUT_SECONDS} (Lambda's limit), got ${timeoutSeconds}`,
      'timeout',
    );
  }
  if (config.waitSeconds + VERIFICATION_HEADROOM_SECONDS > timeoutSeconds) {
    throw new ValidationError(
      `waitSeconds (${config.waitSeconds}) plus ${VERIFICATION_HEADROOM_SECONDS} s for diagnosis and reporting must fit in ` +
        `the function timeout (${timeoutSeconds} s): lower waitSeconds to at most ${timeoutSeconds - VERIFICATION_HEADROOM_SECONDS} or raise the timeout`,
      'waitSeconds',
    );
  }
  if (config.pollSeconds > config.waitSeconds && config.waitSeconds > 0) {
    throw new ValidationError(
      `pollSeconds (${config.pollSeconds}) must not exceed waitSeconds (${config.waitSeconds})`,
      'pollSeconds',
    );
  }
  if (config.natGatewayId !== undefined && config.clusterNames.length === 0) {
    throw new ValidationError(
      `natGatewayId pins one NAT gateway, which lives in one VPC: list the clusters it serves in clusterNames`,
      'natGatewayId',
    );
  }
  const routeTableVpcIds = [...new Set((input.routeTableVpcIds ?? []).map((id) => id.trim()))];
  for (const vpcId of routeTableVpcIds) {
    if (!VPC_ID.test(vpcId)) {
      throw new ValidationError(`routeTableVpcIds must list VPC ids like vpc-0123456789abcdef0, got "${vpcId}"`, 'routeTableVpcIds');
    }
  }

  return { config, timeoutSeconds, routeTableVpcIds, environment: knobEnvironment(config) };
}

/** Only knobs; `configFromEnv` in the Lambda reads these back. An unset variable means "default". */
function knobEnvironment(config: Config): Record<string, string> {
  const environment: Record<string, string> = {
    [ENV.dryRun]: String(config.dryRun),
    [ENV.graceSeconds]: String(config.graceSeconds),
    [ENV.recycle]: config.recycle,
    [ENV.allowSharedRouteTables]: String(config.allowSharedRouteTables),
    [ENV.waitSeconds]: String(config.waitSeconds),
    [ENV.optOutTag]: `${config.optOutTag.key}=${config.optOutTag.value}`,
    [ENV.pollSeconds]: String(config.pollSeconds),
    [ENV.allowInternetEgress]: String(config.allowInternetEgress),
    [ENV.createNodeAccessEntry]: String(config.createNodeAccessEntry),
    [ENV.recycleCooldownSeconds]: String(config.recycleCooldownSeconds),
    [ENV.readConsoleOutput]: String(config.readConsoleOutput),
    [ENV.concurrency]: String(config.concurrency),
  };
  if (config.clusterNames.length > 0) environment[ENV.clusterNames] = config.clusterNames.join(',');
  if (config.natGatewayId !== undefined) environment[ENV.natGatewayId] = config.natGatewayId;
  return environment;
}
