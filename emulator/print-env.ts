/**
 * `npm run --silent emulator -- --scenario seed --print-env`: the shell lines that point the AWS
 * CLI, the SDK and kubectl at a running emulator, and a kubeconfig for its clusters written to a
 * fresh temporary directory (never the user's own ~/.kube/config).
 *
 * The kubeconfig has the shape `aws eks update-kubeconfig` writes (one cluster, user and context
 * per cluster, named by the cluster ARN; the `aws eks get-token` exec plugin), and its exec
 * section carries the emulator's endpoint and credentials, so kubectl works with it even in a
 * shell that did not evaluate the export lines.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningEmulator } from './index';

type EmulatorView = Pick<RunningEmulator, 'awsEndpoint' | 'region' | 'accountId' | 'operator' | 'clusterApis'>;

/** The environment the AWS CLI / SDK need (operator credentials), in export order. */
export function awsEnvironment(emulator: EmulatorView): [string, string][] {
  return [
    ['AWS_ENDPOINT_URL', emulator.awsEndpoint],
    ['AWS_REGION', emulator.region],
    ['AWS_DEFAULT_REGION', emulator.region],
    ['AWS_ACCESS_KEY_ID', emulator.operator.accessKeyId],
    ['AWS_SECRET_ACCESS_KEY', emulator.operator.secretAccessKey],
  ];
}

/** A kubeconfig (JSON, which kubectl reads like YAML) for every cluster of the emulator. */
export function kubeconfigFor(emulator: EmulatorView): Record<string, unknown> {
  const names = Object.keys(emulator.clusterApis).sort();
  const arn = (name: string) => `arn:aws:eks:${emulator.region}:${emulator.accountId}:cluster/${name}`;
  const env = awsEnvironment(emulator).map(([name, value]) => ({ name, value }));
  return {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: names.map((name) => ({
      name: arn(name),
      cluster: { server: emulator.clusterApis[name]!.endpoint, 'certificate-authority-data': emulator.clusterApis[name]!.certificateAuthorityData },
    })),
    users: names.map((name) => ({
      name: arn(name),
      user: {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1beta1',
          command: 'aws',
          args: ['--region', emulator.region, 'eks', 'get-token', '--cluster-name', name, '--output', 'json'],
          env,
          interactiveMode: 'Never',
        },
      },
    })),
    contexts: names.map((name) => ({ name: arn(name), context: { cluster: arn(name), user: arn(name) } })),
    'current-context': names.length > 0 ? arn(names[0]!) : '',
  };
}

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@=-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The lines `--print-env` prints: exports for the AWS CLI and KUBECONFIG, ready for `eval` or `source`. */
export function printEnvLines(emulator: EmulatorView, kubeconfigPath: string): string {
  return [
    `# eks-node-join-remediator emulator at ${emulator.awsEndpoint} (operator credentials); stop it to remove ${path.dirname(kubeconfigPath)}`,
    ...awsEnvironment(emulator).map(([name, value]) => `export ${name}=${shellQuote(value)}`),
    // A session token or profile left in the shell would be sent with the emulator's keys.
    'unset AWS_SESSION_TOKEN AWS_PROFILE',
    `export KUBECONFIG=${shellQuote(kubeconfigPath)}`,
    '',
  ].join('\n');
}

/** Writes the kubeconfig into a new temporary directory; `remove` deletes that directory. */
export function writeTemporaryKubeconfig(emulator: EmulatorView): { path: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'eks-emulator-'));
  const file = path.join(dir, 'kubeconfig');
  writeFileSync(file, `${JSON.stringify(kubeconfigFor(emulator), null, 2)}\n`, { mode: 0o600 });
  return { path: file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
