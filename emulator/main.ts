/**
 * `npm run --silent emulator -- --scenario FILE [--port N] [--print-env] [--verbose]`: serves the
 * scenario on loopback and prints one JSON line (endpoint, region, operator credentials) when
 * ready, or with --print-env the shell `export` lines for the AWS CLI and a temporary KUBECONFIG.
 */
import { printEnvLines, writeTemporaryKubeconfig } from './print-env';
import { startEmulator, ScenarioError, type RunningEmulator } from './index';
import { launcherChain, NPM_LAUNCHER_DEPTH, startedByNpm, systemProcessTable, watchLaunchers } from './launcher-watch';

export const USAGE = `Usage: npm run --silent emulator -- --scenario FILE|NAME [--port N] [--print-env] [--verbose]

Serves a simulated AWS account (EC2, Auto Scaling, EKS, STS, DynamoDB, Scheduler, SNS, IAM,
CloudTrail) and one Kubernetes API per cluster on 127.0.0.1, until stopped (Ctrl-C).

Options:
  --scenario FILE|NAME  the world: a scenario file, or a bundled one (seed, blackhole, healthy,
                        no-usable-nat, shared-main-table)
  --port N              the AWS endpoint's port (default 0: any free port)
  --print-env           instead of the JSON line, print shell lines for the AWS CLI and kubectl:
                        export AWS_ENDPOINT_URL, AWS_REGION, the operator's keys, and KUBECONFIG
                        (a kubeconfig for every cluster, written to a new temporary directory
                        and removed when the emulator stops; ~/.kube/config is never touched)
  --verbose             log each API call to stderr
  -h, --help            show this help

When ready it prints one line on stdout:
  {"awsEndpoint": "http://127.0.0.1:PORT", "region": "...", "accessKeyId": "...", "secretAccessKey": "..."}`;

/** --help: not an error (exit 0, usage on stdout). */
export class HelpRequested extends Error {
  override readonly name = 'HelpRequested';
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

interface CliOptions {
  scenario: string;
  port: number;
  verbose: boolean;
  printEnv: boolean;
}

export function parseArguments(argv: string[]): CliOptions {
  let scenario: string | undefined;
  let port = 0;
  let verbose = false;
  let printEnv = false;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[(i += 1)];
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--scenario':
        scenario = value();
        break;
      case '--port': {
        const text = value();
        port = Number(text);
        if (!/^\d+$/.test(text) || port > 65535) throw new UsageError(`--port must be an integer between 0 and 65535, got "${text}"`);
        break;
      }
      case '--verbose':
        verbose = true;
        break;
      case '--print-env':
        printEnv = true;
        break;
      case '--help':
      case '-h':
        throw new HelpRequested(USAGE);
      default:
        throw new UsageError(`unknown argument "${arg}"`);
    }
  }
  if (!scenario) throw new UsageError('--scenario is required (a scenario file, or a bundled name such as seed)');
  return { scenario, port, verbose, printEnv };
}

async function main(): Promise<void> {
  let options: CliOptions;
  try {
    options = parseArguments(process.argv.slice(2));
  } catch (error) {
    if (error instanceof HelpRequested) {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    process.stderr.write(`error: ${(error as Error).message}\n\n${USAGE}\n`);
    process.exit(1);
  }
  let emulator: RunningEmulator;
  try {
    emulator = await startEmulator({
      scenario: options.scenario,
      port: options.port,
      log: options.verbose ? (line) => process.stderr.write(`${line}\n`) : undefined,
    });
  } catch (error) {
    const message = error instanceof ScenarioError ? `invalid scenario ${options.scenario}: ${error.message}` : `emulator failed to start: ${(error as Error).message}`;
    process.stderr.write(`${message}\n`);
    process.exit(1);
  }
  let kubeconfig: { path: string; remove: () => void } | undefined;
  if (options.printEnv) {
    kubeconfig = writeTemporaryKubeconfig(emulator);
    process.stdout.write(printEnvLines(emulator, kubeconfig.path));
  } else {
    process.stdout.write(
      `${JSON.stringify({
        awsEndpoint: emulator.awsEndpoint,
        region: emulator.region,
        accessKeyId: emulator.operator.accessKeyId,
        secretAccessKey: emulator.operator.secretAccessKey,
      })}\n`,
    );
  }
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    kubeconfig?.remove();
    emulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`error while stopping: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // Under npm a SIGTERM stops at the script's shell: stop with the launchers instead of outliving them.
  const processes = startedByNpm(process.env) ? systemProcessTable() : undefined;
  if (processes) watchLaunchers(processes, launcherChain(processes, process.pid, NPM_LAUNCHER_DEPTH), stop);
}

if (require.main === module) {
  void main();
}
