#!/usr/bin/env node
/**
 * `npm run --silent invoke -- --payload FILE|JSON [--follow]` (contract section 5): the real
 * Lambda handler, in-process, with the ambient AWS credentials and endpoint and the knobs of
 * section 4 as their Lambda environment variables. Prints the handler's return value as JSON;
 * with --follow, every report as one JSON line while it fires the re-checks the handler
 * scheduled, until none is pending. Progress goes to stderr. The work is in
 * emulator/local-function.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { exitCodeFor } from '../lambda/cli';
import { describeError } from '../lambda/errors';
import type { Report } from '../lambda/report';
import { startEmulator, ScenarioError, type RunningEmulator } from '../emulator/index';
import { LocalFunction, type Invocation } from '../emulator/local-function';

export const USAGE = `Usage: npm run --silent invoke -- --payload FILE|JSON [--follow] [--emulator SCENARIO]

Runs the real Lambda handler in-process with the ambient AWS credentials and endpoint
(AWS_ENDPOINT_URL, typically the emulator's) and the knobs as their Lambda environment
variables (DRY_RUN, GRACE_SECONDS, ...). Against the emulator it first creates the ledger
table, schedule group and report topic the deployed function relies on, if missing.

Options:
  --payload FILE|JSON   the event: a file (see events/) or the JSON text itself (required)
  --follow              fire each re-check the handler scheduled when it comes due, printing
                        every report as one JSON line, until none is pending (emulator only).
                        A re-check due later moves the emulator's clock forward to it
  --real-time           with --follow: wait for each re-check in real time instead
  --emulator SCENARIO   start a local emulator with this scenario (a file, or a bundled name:
                        seed, blackhole, healthy, no-usable-nat, shared-main-table) for this
                        run only, and invoke the handler against it as the scenario's
                        "remediator" principal; it stops when the run ends
  -h, --help            show this help

Exit status: 0 HEALTHY or REMEDIATED; 2 DRY_RUN, UNRESOLVED or SKIPPED; 1 FAILED, a handler
error or bad arguments (from the last report of each node group).`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface InvokeArguments {
  payload: unknown;
  follow: boolean;
  /** --emulator: a scenario file or bundled scenario name */
  emulator?: string;
  /** --real-time: wait for re-checks instead of moving the emulator's clock */
  realTime: boolean;
}

/** `--payload` text: JSON when it looks like JSON, else a file holding JSON. */
export function readPayload(value: string): unknown {
  const trimmed = value.trim();
  const fromFile = !/^[[{"]/.test(trimmed) && !/^(true|false|null|-?\d)/.test(trimmed);
  let text = value;
  if (fromFile) {
    if (!existsSync(value)) throw new UsageError(`--payload: no such file "${value}" (give a file or the JSON text itself)`);
    text = readFileSync(value, 'utf8');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`--payload ${fromFile ? `file "${value}"` : 'text'} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

export function parseInvokeArguments(argv: string[]): InvokeArguments | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        payload: { type: 'string' },
        follow: { type: 'boolean' },
        emulator: { type: 'string' },
        'real-time': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  if (parsed.values.help) return 'help';
  if (parsed.values['real-time'] && !parsed.values.follow) throw new UsageError('--real-time only applies with --follow');
  if (parsed.values.payload === undefined) throw new UsageError('--payload is required (a file such as events/manual.json, or the JSON text)');
  const scenario = parsed.values.emulator;
  if (scenario !== undefined && scenario.trim() === '') {
    throw new UsageError('--emulator needs a scenario: a file, or a bundled name such as seed');
  }
  return {
    payload: readPayload(parsed.values.payload),
    follow: parsed.values.follow ?? false,
    realTime: parsed.values['real-time'] ?? false,
    ...(scenario !== undefined ? { emulator: scenario } : {}),
  };
}

/** The last report of each node group decides, as `remediate` decides from its reports. */
export function exitCodeOf(invocations: Invocation[]): number {
  if (invocations.some((i) => i.error)) return 1;
  const latest = new Map<string, Report>();
  for (const report of invocations.flatMap((i) => i.reports)) latest.set(`${report.clusterName}/${report.nodegroupName}`, report);
  return latest.size === 0 ? 1 : exitCodeFor([...latest.values()]);
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let args: InvokeArguments | 'help';
  try {
    args = parseInvokeArguments(argv);
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n\n${USAGE}\n`);
    return 1;
  }
  if (args === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (args.emulator === undefined) return invokeWith(args, env);
  // A world of its own for this run: the SDK reads the endpoint and keys from process.env.
  let emulator: RunningEmulator;
  try {
    emulator = await startEmulator({ scenario: args.emulator, port: 0 });
  } catch (error) {
    const what = error instanceof ScenarioError ? `invalid scenario ${args.emulator}: ${error.message}` : `the emulator failed to start: ${describeError(error)}`;
    process.stderr.write(`error: --emulator ${what}\n`);
    return 1;
  }
  try {
    const principal = emulator.principals.find((p) => p.name === 'remediator') ?? emulator.principals[0]!;
    const credentials = emulator.credentialsOf(principal.name);
    const aws = {
      AWS_ENDPOINT_URL: emulator.awsEndpoint,
      AWS_REGION: emulator.region,
      AWS_DEFAULT_REGION: emulator.region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    Object.assign(process.env, aws);
    delete process.env['AWS_SESSION_TOKEN'];
    delete process.env['AWS_PROFILE'];
    process.stderr.write(`started the emulator (scenario ${args.emulator}) at ${emulator.awsEndpoint}, acting as ${principal.arn}\n`);
    // The loop guard knows the function's own role, as the deployed stack sets it.
    return await invokeWith(args, { ...env, ...aws, REMEDIATOR_ROLE_ARN: env['REMEDIATOR_ROLE_ARN'] ?? principal.arn });
  } finally {
    await emulator.close();
  }
}

async function invokeWith(args: InvokeArguments, env: NodeJS.ProcessEnv): Promise<number> {
  const { payload, follow, realTime } = args;
  const progress = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  // stdout carries only the result. The handler's own output (Powertools logs and EMF metrics,
  // which Lambda would send to CloudWatch Logs) goes to stderr with the progress lines.
  const stdout = process.stdout.write.bind(process.stdout) as (text: string) => boolean;
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  let fn: LocalFunction;
  try {
    fn = await LocalFunction.prepare({ env, progress });
  } catch (error) {
    process.stderr.write(`error: ${describeError(error)}\n`);
    return 1;
  }
  if (follow && !fn.emulator) {
    process.stderr.write('error: --follow needs the emulator: AWS_ENDPOINT_URL must be the endpoint `npm run emulator` printed\n');
    return 1;
  }
  progress(`invoking ${fn.functionArn} against ${env['AWS_ENDPOINT_URL'] ?? `the AWS endpoints of ${fn.region}`}`);

  const print = (invocation: Invocation): void => {
    if (invocation.error) {
      process.stderr.write(`error: the handler threw ${describeError(invocation.error)}\n`);
      const lambdaError = { errorType: invocation.error.name, errorMessage: invocation.error.message };
      stdout(`${JSON.stringify(lambdaError, null, follow ? undefined : 2)}\n`);
      return;
    }
    if (follow) {
      for (const report of invocation.reports) stdout(`${JSON.stringify(report)}\n`);
    } else {
      stdout(`${JSON.stringify(invocation.result, null, 2)}\n`);
    }
  };

  const first = await fn.invoke(payload);
  print(first);
  const invocations = [first];
  if (follow) invocations.push(...(await fn.follow({ onInvocation: print, wait: realTime ? 'real-time' : 'fast-forward' })));
  return exitCodeOf(invocations);
}

if (require.main === module) {
  // The SDK's Node.js support notice is noise on a command's stderr.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`error: ${describeError(error)}\n`);
      process.exitCode = 1;
    },
  );
}
