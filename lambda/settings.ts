/**
 * Where each knob of contract section 4 is set, in the form of each place the engine runs:
 * a CLI flag (`npm run remediate`), a CDK context key (`cdk deploy -c key=value`, the knob's
 * own name, see lib/app-context.ts) and the Lambda environment variable the construct sets
 * (`ENV` in lambda/config.ts). One table, so a report can name the setting the reader can
 * actually change: the CLI flag in the CLI, the context key and variable in Lambda.
 *
 * The engine's texts (reasons, finding messages, `fix` hints) name a knob by its CLI flag, the
 * contract's spelling; `localizeSettings` rewrites those flags for the Lambda.
 */
import { ENV } from './config';

/** Where the text is read: the local CLI, or the deployed function (reports, logs, SNS). */
export type Surface = 'cli' | 'lambda';

export type Knob = keyof typeof ENV;

export interface KnobSetting {
  /** CLI flag; absent for knobs with no flag (opt-out tag, deployed-shape plumbing) */
  flag?: string;
  /** CDK context key (`-c key=value`) */
  contextKey: Knob;
  /** Lambda environment variable */
  env: (typeof ENV)[Knob];
  /** the value that turns an opt-in boolean on, in a CDK context / env var (`=true`) */
  boolean: boolean;
}

/** CLI flags of the knobs that have one (contract section 4). */
const FLAGS: Partial<Record<Knob, { flag: string; boolean: boolean }>> = {
  dryRun: { flag: '--dry-run', boolean: true },
  clusterNames: { flag: '--cluster', boolean: false },
  graceSeconds: { flag: '--grace-seconds', boolean: false },
  recycle: { flag: '--recycle', boolean: false },
  natGatewayId: { flag: '--nat-gateway-id', boolean: false },
  allowSharedRouteTables: { flag: '--allow-shared-route-tables', boolean: true },
  waitSeconds: { flag: '--wait-seconds', boolean: false },
  allowInternetEgress: { flag: '--allow-internet-egress', boolean: true },
  createNodeAccessEntry: { flag: '--create-node-access-entry', boolean: true },
  recycleCooldownSeconds: { flag: '--recycle-cooldown-seconds', boolean: false },
  readConsoleOutput: { flag: '--read-console-output', boolean: true },
  concurrency: { flag: '--concurrency', boolean: false },
};

export const KNOB_SETTINGS: Readonly<Record<Knob, KnobSetting>> = Object.fromEntries(
  (Object.keys(ENV) as Knob[]).map((knob) => {
    const cli = FLAGS[knob];
    return [knob, { ...(cli ? { flag: cli.flag } : {}), contextKey: knob, env: ENV[knob], boolean: cli?.boolean ?? false }];
  }),
) as Record<Knob, KnobSetting>;

/** The knob behind a CLI flag (`--allow-shared-route-tables` → allowSharedRouteTables). */
export function knobOfFlag(flag: string): Knob | undefined {
  return (Object.keys(KNOB_SETTINGS) as Knob[]).find((knob) => KNOB_SETTINGS[knob].flag === flag);
}

/**
 * How to turn a knob on (or set it) where the reader runs:
 *   cli:    `--allow-shared-route-tables` / `--nat-gateway-id VALUE`
 *   lambda: `CDK context allowSharedRouteTables=true (Lambda env ALLOW_SHARED_ROUTE_TABLES=true)`
 * @param value shown for non-boolean knobs (default: a placeholder naming the knob)
 */
export function settingName(knob: Knob, surface: Surface, value?: string): string {
  const setting = KNOB_SETTINGS[knob];
  const shown = setting.boolean ? 'true' : (value ?? `<${setting.contextKey}>`);
  if (surface === 'cli' && setting.flag) return setting.boolean ? setting.flag : `${setting.flag} ${shown}`;
  return `CDK context ${setting.contextKey}=${shown} (Lambda env ${setting.env}=${shown})`;
}

const FLAG_IN_TEXT = /(?<![\w-])(--[a-z][a-z-]*[a-z])(\s+(?!--)[\w.:/-]+)?/g;

/**
 * Rewrites every knob flag in a text for the surface: unchanged in the CLI; in Lambda
 * `--allow-shared-route-tables` becomes `CDK context allowSharedRouteTables=true (Lambda env
 * ALLOW_SHARED_ROUTE_TABLES=true)` and `--nat-gateway-id nat-1` becomes `CDK context
 * natGatewayId=nat-1 (Lambda env NAT_GATEWAY_ID=nat-1)`. Flags that are no knob (`--region`,
 * AWS CLI options in a `fix` command such as `--route-table-id`) are left alone.
 */
/** An `aws …` / `kubectl …` command inside a text, up to `;` or the line's end: its options are theirs, not knobs. */
const COMMAND_IN_TEXT = /\b(?:aws|kubectl)\s+[a-z0-9-]+[^;\n]*/g;

export function localizeSettings(text: string, surface: Surface): string {
  if (surface === 'cli') return text;
  // `aws ec2 create-route ... --nat-gateway-id nat-1` must stay a working command.
  let out = '';
  let last = 0;
  for (const command of text.matchAll(COMMAND_IN_TEXT)) {
    out += localizeProse(text.slice(last, command.index), surface) + command[0];
    last = command.index! + command[0].length;
  }
  return out + localizeProse(text.slice(last), surface);
}

function localizeProse(text: string, surface: Surface): string {
  return text.replace(FLAG_IN_TEXT, (match: string, flag: string, rest: string | undefined) => {
    const knob = knobOfFlag(flag);
    if (!knob) return match;
    if (KNOB_SETTINGS[knob].boolean) return `${settingName(knob, surface)}${rest ?? ''}`;
    return settingName(knob, surface, rest?.trim());
  });
}
