/**
 * The real Lambda handler wired to a running emulator, as the deployed function would be to
 * AWS: real SDK clients over HTTP with the scenario's remediator credentials, the real
 * Kubernetes client over HTTPS, the remediator's role as REMEDIATOR_ROLE_ARN (loop guard).
 * Used by `npm run demo` and the end-to-end tests; nothing here is mocked.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { configFromEnv } from '../lambda/config';
import { createHandler, type HandlerRuntime } from '../lambda/handler';
import type { LedgerPort } from '../lambda/ports';
import type { MultiReport, Report } from '../lambda/report';
import { createPorts } from '../lambda/wiring';
import { startEmulator, type EventBridgeEnvelope, type RunningEmulator, type Scenario } from './index';

export interface HarnessOptions {
  /** a scenario object, file path or bundled scenario name ("seed") */
  scenario: Scenario | string;
  /** knobs as the Lambda environment spells them (DRY_RUN, GRACE_SECONDS, WAIT_SECONDS, ...) */
  env?: Record<string, string>;
  /** scenario principal the function runs as (default "remediator") */
  principal?: string;
  /** Powertools log level of the handler (default SILENT) */
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  /** one ledger shared by every invocation (the deployed table's role); default: one per invocation */
  ledger?: LedgerPort;
}

export interface Harness {
  emulator: RunningEmulator;
  /** the role ARN the function runs as */
  remediatorRoleArn: string;
  /** invoke the handler as Lambda would */
  invoke(event: unknown): Promise<Report | MultiReport>;
  /** Lambda-style invocation environment for the CLI (AWS_ENDPOINT_URL and credentials) */
  cliEnv(principal?: string): Record<string, string>;
  /** events emitted since `since` (an index into the emulator's event log) matching `filter` */
  eventsSince(since: number, filter?: (event: EventBridgeEnvelope) => boolean): EventBridgeEnvelope[];
  close(): Promise<void>;
}

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const emulator = await startEmulator({ scenario: options.scenario, port: 0 });
  try {
    const principalName = options.principal ?? 'remediator';
    const principal = emulator.principals.find((p) => p.name === principalName);
    if (!principal) throw new Error(`the scenario has no principal named "${principalName}"`);
    const credentials = emulator.credentialsOf(principalName);
    const runtime = (): HandlerRuntime => ({
      config: configFromEnv({ REMEDIATOR_ROLE_ARN: principal.arn, POLL_SECONDS: '1', ...options.env }),
      region: emulator.region,
      ports: createPorts(emulator.region, { endpoint: emulator.awsEndpoint, credentials, maxAttempts: 8 }),
      logger: new Logger({ serviceName: 'eks-node-join-remediator', logLevel: options.logLevel ?? 'SILENT' }),
      // The function's clock is the world's: advancing the simulation ages instances and ledger records alike.
      now: () => emulator.world.clock.nowDate(),
      ...(options.ledger ? { ledger: options.ledger } : {}),
    });
    const handler = createHandler(runtime);
    return {
      emulator,
      remediatorRoleArn: principal.arn,
      invoke: (event) => handler(event, { getRemainingTimeInMillis: () => 120_000 }),
      cliEnv: (name = principalName) => {
        const c = emulator.credentialsOf(name);
        return {
          AWS_ENDPOINT_URL: emulator.awsEndpoint,
          AWS_REGION: emulator.region,
          AWS_DEFAULT_REGION: emulator.region,
          AWS_ACCESS_KEY_ID: c.accessKeyId,
          AWS_SECRET_ACCESS_KEY: c.secretAccessKey,
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_CONFIG_FILE: '/dev/null',
          AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        };
      },
      eventsSince: (since, filter = () => true) => emulator.events().slice(since).filter(filter),
      close: () => emulator.close(),
    };
  } catch (error) {
    await emulator.close();
    throw error;
  }
}
