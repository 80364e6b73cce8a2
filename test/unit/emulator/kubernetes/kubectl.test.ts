/**
 * The real kubectl against the emulated cluster API: static bearer token + the cluster's CA
 * in a kubeconfig, exactly how an operator would point kubectl at the emulator.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startClusterApi, type KubePrincipal, type RunningClusterApi } from '../../../../emulator/kubernetes/server';
import { fakeClusterView, loadFixtureNodes, mintEksToken, OPERATOR, VIEWER } from './support/cluster-fixtures';

function isOnPath(command: string, versionArgs: string[]): boolean {
  try {
    execFileSync(command, versionArgs, { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

const kubectl = isOnPath('kubectl', ['version', '--client']) ? 'kubectl' : undefined;
const awsCli = isOnPath('aws', ['--version']);
if (!kubectl) {
  // eslint-disable-next-line no-console -- the reason a whole suite is skipped must be visible
  console.warn('kubectl.test.ts skipped: no kubectl on PATH');
} else if (!awsCli) {
  // eslint-disable-next-line no-console -- the reason a test is skipped must be visible
  console.warn('kubectl.test.ts: the `aws eks get-token` exec-plugin test is skipped: no aws CLI on PATH');
}
const describeWithKubectl = kubectl ? describe : describe.skip;
const itWithAwsCli = awsCli ? it : it.skip;

interface KubectlRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

describeWithKubectl('kubectl against the emulated cluster API', () => {
  const fixtureNodes = loadFixtureNodes();
  const namesInNodegroup = (nodegroup: string) =>
    fixtureNodes.filter((node) => node.metadata.labels['eks.amazonaws.com/nodegroup'] === nodegroup).map((node) => node.metadata.name).sort();
  let api: RunningClusterApi;
  let workDir: string;

  beforeAll(async () => {
    api = await startClusterApi(fakeClusterView());
    workDir = mkdtempSync(join(tmpdir(), 'kubectl-emulator-'));
  });

  afterAll(async () => {
    await api.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  async function writeKubeconfig(principal: KubePrincipal): Promise<string> {
    const token = await mintEksToken({ clusterName: 'eks-workshop', principal });
    return writeKubeconfigFile(`kubeconfig-${principal.accessKeyId}`, api, [`    token: ${token}`]);
  }

  function writeKubeconfigFile(fileName: string, cluster: RunningClusterApi, userLines: string[]): string {
    const path = join(workDir, fileName);
    writeFileSync(
      path,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: eks-workshop',
        '  cluster:',
        `    server: ${cluster.endpoint}`,
        `    certificate-authority-data: ${cluster.certificateAuthorityData}`,
        'users:',
        '- name: caller',
        '  user:',
        ...userLines,
        'contexts:',
        '- name: eks-workshop',
        '  context: {cluster: eks-workshop, user: caller}',
        'current-context: eks-workshop',
        '',
      ].join('\n'),
    );
    return path;
  }

  /** Asynchronous on purpose: the server runs in this process and must keep answering. */
  function runKubectl(kubeconfig: string, args: string[], extraEnv: Record<string, string> = {}): Promise<KubectlRun> {
    return new Promise((resolve) => {
      execFile(
        kubectl as string,
        ['--kubeconfig', kubeconfig, '--cache-dir', join(workDir, 'cache'), '--request-timeout', '20s', ...args],
        {
          env: { PATH: process.env.PATH ?? '', HOME: workDir, NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost', ...extraEnv },
          timeout: 25_000,
        },
        (error, stdout, stderr) => resolve({ exitCode: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  it('lists the node group nodes as JSON with --selector', async () => {
    // Prepare
    const kubeconfig = await writeKubeconfig(OPERATOR);

    // Act
    const run = await runKubectl(kubeconfig, ['get', 'nodes', '--selector=eks.amazonaws.com/nodegroup=default', '-o', 'json']);

    // Assess
    expect(run).toMatchObject({ exitCode: 0, stderr: '' });
    const list = JSON.parse(run.stdout) as { items: { kind: string; metadata: { name: string } }[] };
    expect(list.items.map((item) => item.metadata.name)).toEqual(namesInNodegroup('default'));
    expect(list.items.every((item) => item.kind === 'Node')).toBe(true);
  });

  it('prints the server-side table, and the wide columns with -o wide', async () => {
    // Prepare
    const kubeconfig = await writeKubeconfig(OPERATOR);
    const expectedNames = namesInNodegroup('new_nodegroup_2');

    // Act
    const plain = await runKubectl(kubeconfig, ['get', 'nodes', '--selector=eks.amazonaws.com/nodegroup=new_nodegroup_2']);
    const wide = await runKubectl(kubeconfig, ['get', 'nodes', '--selector=eks.amazonaws.com/nodegroup=new_nodegroup_2', '-o', 'wide']);

    // Assess
    const [plainHeader, ...plainRows] = plain.stdout.trim().split('\n');
    expect(plain.exitCode).toBe(0);
    expect(plainHeader?.split(/\s+/)).toEqual(['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']);
    expect(plainRows.map((row) => row.split(/\s+/)[0])).toEqual(expectedNames);
    expect(plainRows.map((row) => row.split(/\s+/)[1])).toEqual(expectedNames.map(() => 'NotReady'));
    expect(wide.exitCode).toBe(0);
    expect(wide.stdout.split('\n')[0]?.split(/\s+/)).toEqual(
      ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', 'INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME'],
    );
  });

  it('says "No resources found" for a node group without nodes, as in the seed story', async () => {
    // Prepare
    const kubeconfig = await writeKubeconfig(OPERATOR);

    // Act
    const run = await runKubectl(kubeconfig, ['get', 'nodes', '--selector=eks.amazonaws.com/nodegroup=no_such_nodegroup']);

    // Assess
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('No resources found');
  });

  it('fails with Forbidden for a principal whose access entry has only AmazonEKSViewPolicy', async () => {
    // Prepare
    const kubeconfig = await writeKubeconfig(VIEWER);

    // Act
    const run = await runKubectl(kubeconfig, ['get', 'nodes']);

    // Assess
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toContain(`nodes is forbidden: User "${VIEWER.arn}" cannot list resource "nodes"`);
  });

  itWithAwsCli('authenticates with `aws eks get-token` as exec plugin, presigning against AWS_ENDPOINT_URL', async () => {
    // Prepare: get-token only presigns locally, so nothing has to listen on the AWS endpoint.
    const awsEndpointHost = '127.0.0.1:45661';
    const emulated = await startClusterApi(fakeClusterView({ awsEndpointHost }));
    const kubeconfig = writeKubeconfigFile('kubeconfig-exec', emulated, [
      '    exec:',
      '      apiVersion: client.authentication.k8s.io/v1beta1',
      '      command: aws',
      '      args: [eks, get-token, --cluster-name, eks-workshop, --region, us-west-2]',
      '      interactiveMode: Never',
      '      env:',
      `      - {name: AWS_ENDPOINT_URL, value: "http://${awsEndpointHost}"}`,
    ]);
    const awsEnvironment = {
      AWS_ACCESS_KEY_ID: OPERATOR.accessKeyId,
      AWS_SECRET_ACCESS_KEY: OPERATOR.secretAccessKey,
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      ...(process.env.PYENV_ROOT ? { PYENV_ROOT: process.env.PYENV_ROOT } : {}),
    };

    // Act
    const run = await runKubectl(kubeconfig, ['get', 'nodes', '--selector=eks.amazonaws.com/nodegroup=default', '-o', 'name'], awsEnvironment).finally(() =>
      emulated.close(),
    );

    // Assess
    expect(run).toMatchObject({ exitCode: 0 });
    expect(run.stdout.trim().split('\n')).toEqual(namesInNodegroup('default').map((name) => `node/${name}`));
  });
});
