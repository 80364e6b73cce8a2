/**
 * startEmulator: the local AWS account of a scenario, served on loopback — the AWS endpoint
 * (EC2, Auto Scaling, EKS, STS, and the deployed shape's DynamoDB, Scheduler, SNS) plus one
 * Kubernetes API per cluster — for tests, the demo and
 * `npm run emulator`.
 */
import { startDeployedShapeServices, type NotificationRecord, type ScheduleView } from './deployed-shape';
import { EventLog, type EventBridgeEnvelope, type EventListener } from './events';
import { FaultRegistry, type ActiveFault } from './faults';
import { prepareKeyPairs } from './pki';
import { startClusterApi as startRealClusterApi, type KubeClusterView, type RunningClusterApi } from './kubernetes/server';
import { loadScenarioFile, parseScenario, type Scenario, type ScenarioFault, type ScenarioPrincipal } from './scenario';
import { AwsEndpoint, type CallRecord } from './server';
import { trailOf } from './services/cloudtrail';
import { SimulationClock } from './world/clock';
import { ec2TrustVerdicts } from './world/identity';
import { World } from './world/world';

export type { CallRecord } from './server';
export type { NotificationRecord, ScheduleView } from './deployed-shape';
export type { EventBridgeEnvelope, EventListener } from './events';
export type { Scenario, ScenarioFault, ScenarioPrincipal } from './scenario';
export { loadScenarioFile, parseScenario, ScenarioError } from './scenario';

export interface StartEmulatorOptions {
  /** a scenario object, a scenario file path, or the name of a bundled scenario ("seed") */
  scenario: Scenario | string;
  /** 0 (default) = any free port */
  port?: number;
  /** start a Kubernetes API per cluster (default true) */
  kubernetes?: boolean;
  /** replaces ./kubernetes/server's startClusterApi (tests) */
  startClusterApi?: (view: KubeClusterView) => Promise<RunningClusterApi>;
  /** receives every event as it is emitted, from the first (instances launched at start) on */
  onEvent?: EventListener;
  /** one line per AWS call and per refused Kubernetes token */
  log?: (line: string) => void;
}

export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface RunningEmulator {
  /** http://127.0.0.1:PORT */
  awsEndpoint: string;
  region: string;
  accountId: string;
  principals: ScenarioPrincipal[];
  /** the scenario principal named "operator" (else the first one) */
  operator: StaticCredentials;
  /** credentials of the principal with this name; throws when there is none */
  credentialsOf(principalName: string): StaticCredentials;
  /** the Kubernetes API of each cluster, by cluster name */
  clusterApis: Record<string, { endpoint: string; certificateAuthorityData: string }>;
  /** the live world (tests may read it; mutate only through the APIs) */
  world: World;
  /** the world as JSON, as GET /_emulator/state returns it */
  state(): Record<string, unknown>;
  calls(): CallRecord[];
  clearCalls(): void;
  events(): EventBridgeEnvelope[];
  subscribe(listener: EventListener): () => void;
  injectFault(fault: ScenarioFault): ActiveFault;
  clearFaults(): void;
  /** moves the simulation clock forward, running every timer that becomes due */
  advance(seconds: number): void;
  /** EventBridge Scheduler schedules, as GET /_emulator/schedules lists them */
  schedules(): ScheduleView[];
  /** a harness invoked this schedule's target: ActionAfterCompletion applies */
  fireSchedule(group: string, name: string): ScheduleView;
  /** SNS messages published, as GET /_emulator/notifications lists them */
  notifications(): NotificationRecord[];
  close(): Promise<void>;
}

export async function startEmulator(options: StartEmulatorOptions): Promise<RunningEmulator> {
  const scenario = typeof options.scenario === 'string' ? loadScenarioFile(options.scenario) : parseScenario(options.scenario);
  const log = options.log;
  const clock = new SimulationClock((label, error) => log?.(`simulation task ${label} failed: ${(error as Error).message}`));
  const events = new EventLog((error) => log?.(`event listener failed: ${(error as Error).message}`));
  if (options.onEvent) events.subscribe(options.onEvent);
  // Trust policies are judged by the (asynchronous) policy evaluator before the first instance boots.
  const trust = await ec2TrustVerdicts(scenario.iam, scenario.accountId);
  const world = new World(scenario, { clock, events, trust });
  trailOf(world).loadHistory(scenario.cloudTrail ?? [], world);
  const faults = new FaultRegistry();
  for (const fault of scenario.faults ?? []) faults.add(fault);

  const deployed = await startDeployedShapeServices(world);
  const endpoint = new AwsEndpoint({
    world,
    principals: scenario.principals,
    faults,
    verifySignatures: scenario.verifySignatures ?? true,
    log,
    services: deployed.services,
    controls: [deployed.control],
  });
  const clusterApis: RunningClusterApi[] = [];
  const shutdown = async (): Promise<void> => {
    world.close();
    await Promise.allSettled([endpoint.close(), deployed.close(), ...clusterApis.map((api) => api.close())]);
  };

  let port: number;
  try {
    port = await endpoint.listen(options.port ?? 0);
    if (options.kubernetes !== false) {
      // A CA and a server certificate per cluster: their keys made in parallel first.
      if (!options.startClusterApi) await prepareKeyPairs(2 * world.clusters.size);
      const start = options.startClusterApi ?? ((view: KubeClusterView) =>
        startRealClusterApi(view, log ? { onTokenRejected: (reason) => log(`kubernetes token refused: ${reason}`) } : {}));
      // One Kubernetes API per cluster, each with its own CA.
      await Promise.all(
        [...world.clusters.values()].map(async (cluster) => {
          const api = await start({
            clusterName: cluster.name,
            region: world.region,
            principals: () => scenario.principals.map((p) => ({ accessKeyId: p.accessKeyId, secretAccessKey: p.secretAccessKey, arn: p.arn })),
            accessEntries: () => cluster.accessEntries,
            nodes: () => world.nodesOf(cluster.name),
            identity: {
              authenticationMode: () => cluster.authenticationMode,
              awsAuthMapRoles: () => cluster.awsAuthMapRoles,
              webhooks: () => cluster.webhooks,
            },
            awsEndpointHost: `127.0.0.1:${port}`,
          });
          clusterApis.push(api);
          cluster.endpoint = api.endpoint;
          cluster.certificateAuthorityData = api.certificateAuthorityData;
        }),
      );
    }
  } catch (error) {
    await shutdown();
    throw error;
  }

  const operator = scenario.principals.find((p) => p.name === 'operator') ?? (scenario.principals[0] as ScenarioPrincipal);
  const credentialsOf = (name: string): StaticCredentials => {
    const principal = scenario.principals.find((p) => p.name === name);
    if (!principal) throw new Error(`the scenario has no principal named "${name}"`);
    return { accessKeyId: principal.accessKeyId, secretAccessKey: principal.secretAccessKey };
  };
  let closing: Promise<void> | undefined;
  return {
    awsEndpoint: `http://127.0.0.1:${port}`,
    region: scenario.region,
    accountId: scenario.accountId,
    principals: scenario.principals,
    operator: { accessKeyId: operator.accessKeyId, secretAccessKey: operator.secretAccessKey },
    credentialsOf,
    clusterApis: Object.fromEntries(
      [...world.clusters.values()]
        .filter((c) => c.endpoint && c.certificateAuthorityData)
        .map((c) => [c.name, { endpoint: c.endpoint as string, certificateAuthorityData: c.certificateAuthorityData as string }]),
    ),
    world,
    state: () => world.snapshot(),
    calls: () => endpoint.callLog(),
    clearCalls: () => endpoint.clearCalls(),
    events: () => events.all(),
    subscribe: (listener) => events.subscribe(listener),
    injectFault: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    advance: (seconds) => clock.advance(seconds),
    schedules: () => deployed.schedules(),
    fireSchedule: (group, name) => deployed.fireSchedule(group, name),
    notifications: () => deployed.notifications(),
    close: () => {
      closing ??= shutdown();
      return closing;
    },
  };
}
