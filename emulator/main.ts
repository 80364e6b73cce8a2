/**
 * `npm run --silent emulator -- --scenario FILE [--port N] [--verbose]`: serves the scenario on
 * loopback and prints one JSON line (endpoint, region, operator credentials) when ready.
 */
import { startEmulator, ScenarioError, type RunningEmulator } from './index';
import { launcherChain, NPM_LAUNCHER_DEPTH, startedByNpm, systemProcessTable, watchLaunchers } from './launcher-watch';

const USAGE = 'usage: npm run --silent emulator -- --scenario FILE [--port N] [--verbose]';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

interface CliOptions {
  scenario: string;
  port: number;
  verbose: boolean;
}

export function parseArguments(argv: string[]): CliOptions {
  let scenario: string | undefined;
  let port = 0;
  let verbose = false;
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
      case '--help':
      case '-h':
        throw new UsageError(USAGE);
      default:
        throw new UsageError(`unknown argument "${arg}"`);
    }
  }
  if (!scenario) throw new UsageError('--scenario is required');
  return { scenario, port, verbose };
}

async function main(): Promise<void> {
  let options: CliOptions;
  try {
    options = parseArguments(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${(error as Error).message === USAGE ? '' : `${USAGE}\n`}`);
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
  process.stdout.write(
    `${JSON.stringify({
      awsEndpoint: emulator.awsEndpoint,
      region: emulator.region,
      accessKeyId: emulator.operator.accessKeyId,
      secretAccessKey: emulator.operator.secretAccessKey,
    })}\n`,
  );
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
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
