/**
 * The emulator against real clients outside the SDK: the installed AWS CLI, and the emulator's
 * own command line (`tsx emulator/main.ts`).
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { RunningEmulator } from '../../../emulator/index';
import { awsCliEnv, bundledScenario, SEED, startTestEmulator } from './support/harness';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../../..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const awsCliMissing = spawnSync('aws', ['--version']).error !== undefined;

function awsEnv(emulator: RunningEmulator, principal = 'operator'): NodeJS.ProcessEnv {
  return awsCliEnv(emulator, principal);
}

async function aws(emulator: RunningEmulator, args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run('aws', [...args, '--output', 'json'], { env: awsEnv(emulator), timeout: 20_000 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string; code?: number };
    return { stdout: failure.stdout ?? '', stderr: failure.stderr ?? '', code: failure.code ?? 1 };
  }
}

(awsCliMissing ? describe.skip : describe)('emulator with the installed AWS CLI', () => {
  let emulator: RunningEmulator;

  beforeAll(async () => {
    emulator = await startTestEmulator(bundledScenario('seed'));
  });

  afterAll(async () => {
    await emulator.close();
  });

  it('describe-route-tables with an association.subnet-id filter shows only the local route', async () => {
    // Act
    const result = await aws(emulator, ['ec2', 'describe-route-tables', '--filters', `Name=association.subnet-id,Values=${SEED.newSubnetId}`]);

    // Assess
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout) as { RouteTables: { RouteTableId: string; Routes: unknown[]; Associations: { SubnetId?: string }[] }[] };
    expect(out.RouteTables.map((t) => t.RouteTableId)).toEqual([SEED.newRouteTableId]);
    expect(out.RouteTables[0]?.Routes).toEqual([{ DestinationCidrBlock: '10.42.0.0/16', GatewayId: 'local', Origin: 'CreateRouteTable', State: 'active' }]);
    expect(out.RouteTables[0]?.Associations[0]?.SubnetId).toBe(SEED.newSubnetId);
  });

  it('describe-nodegroup shows the seed node group', async () => {
    // Act
    const result = await aws(emulator, ['eks', 'describe-nodegroup', '--cluster-name', SEED.cluster, '--nodegroup-name', SEED.brokenNodegroup]);

    // Assess
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout) as { nodegroup: Record<string, unknown> & { resources: { autoScalingGroups: { name: string }[] } } };
    expect(out.nodegroup).toMatchObject({ status: 'ACTIVE', capacityType: 'ON_DEMAND', scalingConfig: { minSize: 0, maxSize: 1, desiredSize: 1 }, health: { issues: [] } });
    expect(out.nodegroup.resources.autoScalingGroups[0]?.name).toMatch(/^eks-new_nodegroup_2-/);
  });

  it('create-route adds the route, and a second one fails with RouteAlreadyExists', async () => {
    // Act
    const created = await aws(emulator, ['ec2', 'create-route', '--route-table-id', SEED.newRouteTableId, '--destination-cidr-block', '0.0.0.0/0', '--nat-gateway-id', SEED.natGatewayId]);
    const again = await aws(emulator, ['ec2', 'create-route', '--route-table-id', SEED.newRouteTableId, '--destination-cidr-block', '0.0.0.0/0', '--nat-gateway-id', SEED.natGatewayId]);

    // Assess
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toEqual({ Return: true });
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('RouteAlreadyExists');
    const call = emulator.calls().find((c) => c.operation === 'CreateRoute');
    expect(call).toMatchObject({ service: 'ec2', principalArn: SEED.operatorArn, params: { RouteTableId: SEED.newRouteTableId, NatGatewayId: SEED.natGatewayId } });
  });

  it('update-nodegroup-config then wait nodegroup-active, then describe-scaling-activities', async () => {
    // Act
    const update = await aws(emulator, ['eks', 'update-nodegroup-config', '--cluster-name', SEED.cluster, '--nodegroup-name', SEED.brokenNodegroup, '--scaling-config', 'desiredSize=0']);
    emulator.advance(2);
    const wait = await aws(emulator, ['eks', 'wait', 'nodegroup-active', '--cluster-name', SEED.cluster, '--nodegroup-name', SEED.brokenNodegroup]);
    const ng = JSON.parse((await aws(emulator, ['eks', 'describe-nodegroup', '--cluster-name', SEED.cluster, '--nodegroup-name', SEED.brokenNodegroup])).stdout) as {
      nodegroup: { resources: { autoScalingGroups: { name: string }[] } };
    };
    const activities = await aws(emulator, ['autoscaling', 'describe-scaling-activities', '--auto-scaling-group-name', ng.nodegroup.resources.autoScalingGroups[0]?.name ?? '']);

    // Assess
    expect(update.code).toBe(0);
    expect(JSON.parse(update.stdout)).toMatchObject({ update: { status: 'InProgress', type: 'ConfigUpdate' } });
    expect(wait.code).toBe(0);
    const descriptions = (JSON.parse(activities.stdout) as { Activities: { Description: string }[] }).Activities.map((a) => a.Description);
    expect(descriptions[0]).toMatch(/^Terminating EC2 instance: i-/);
    expect(descriptions[1]).toMatch(/^Launching a new EC2 instance: i-/);
  });

  it('sts get-caller-identity names the assumed-role session', async () => {
    // Act
    const result = await aws(emulator, ['sts', 'get-caller-identity']);

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ Account: '123456789012', Arn: 'arn:aws:sts::123456789012:assumed-role/platform-admin/alice' });
  });
});

if (awsCliMissing) {
  // eslint-disable-next-line no-console
  console.log('emulator AWS CLI tests skipped: the `aws` command is not installed');
}

describe('emulator command line (emulator/main.ts)', () => {
  it('prints one JSON line with the endpoint and operator credentials, serves, and stops on SIGTERM', async () => {
    // Prepare
    const child = spawn(TSX, [path.join(ROOT, 'emulator/main.ts'), '--scenario', 'seed', '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

    try {
      // Act
      const line = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ready line; stdout so far: ${stdout}`)), 20_000);
        child.stdout.on('data', () => {
          if (stdout.includes('\n')) {
            clearTimeout(timer);
            resolve(stdout.split('\n')[0] as string);
          }
        });
      });
      const ready = JSON.parse(line) as { awsEndpoint: string; region: string; accessKeyId: string; secretAccessKey: string };
      const state = (await (await fetch(`${ready.awsEndpoint}/_emulator/state`)).json()) as { region: string };
      child.kill('SIGTERM');
      const code = await exited;

      // Assess
      expect(Object.keys(ready).sort()).toEqual(['accessKeyId', 'awsEndpoint', 'region', 'secretAccessKey']);
      expect(ready.awsEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(ready).toMatchObject({ region: 'us-west-2', accessKeyId: 'AKIA5EKSWORKSHOP0001' });
      expect(state.region).toBe('us-west-2');
      expect(code).toBe(0);
      expect(stdout.trim().split('\n')).toHaveLength(1);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('npm run emulator: SIGTERM to npm stops the emulator and leaves no process behind', async () => {
    // Prepare: npm hands SIGTERM to the script's shell only; tsx and the emulator run below it.
    const child = spawn('npm', ['run', '--silent', 'emulator', '--', '--scenario', 'emulator/scenarios/seed.json', '--port', '0'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    let launched: number[] = [];

    try {
      await waitFor(() => stdout.includes('\n'), 30_000, () => `no ready line; stdout so far: ${stdout}`);
      launched = descendantsOf(child.pid as number);
      const ready = JSON.parse(stdout.split('\n')[0] as string) as { awsEndpoint: string };

      // Act
      child.kill('SIGTERM');
      await exited;
      await waitFor(() => launched.every((pid) => !isRunning(pid)), 10_000, () => `still running: ${launched.filter(isRunning).join(', ')}`);

      // Assess: the emulator process was among them, and its port is closed.
      expect(launched.length).toBeGreaterThanOrEqual(2);
      await expect(fetch(`${ready.awsEndpoint}/_emulator/health`)).rejects.toThrow();
    } finally {
      for (const pid of [child.pid as number, ...launched]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }, 60_000);

  it('exits 1 with the bad field named on stderr for an invalid scenario', async () => {
    // Prepare
    const dir = mkdtempSync(path.join(tmpdir(), 'emulator-cli-'));
    const file = path.join(dir, 'bad.json');
    const scenario = bundledScenario('seed') as unknown as Record<string, unknown>;
    delete (scenario.timing as Record<string, unknown>).nodeJoinSeconds;
    writeFileSync(file, JSON.stringify(scenario));

    try {
      // Act
      const result = await run(TSX, [path.join(ROOT, 'emulator/main.ts'), '--scenario', file], { cwd: ROOT, timeout: 20_000 }).then(
        () => ({ code: 0, stderr: '', stdout: '' }),
        (error: { code?: number; stderr?: string; stdout?: string }) => ({ code: error.code ?? 0, stderr: error.stderr ?? '', stdout: error.stdout ?? '' }),
      );

      // Assess
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('timing.nodeJoinSeconds');
      expect(result.stdout).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 1 with usage for bad arguments', async () => {
    // Act
    const result = await run(TSX, [path.join(ROOT, 'emulator/main.ts'), '--port', 'abc'], { cwd: ROOT, timeout: 20_000 }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code?: number; stderr?: string }) => ({ code: error.code ?? 0, stderr: error.stderr ?? '' }),
    );

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--port must be an integer');
    expect(result.stderr).toContain('Usage: npm run --silent emulator');
  });

  it('--help prints the usage on stdout and exits 0', async () => {
    // Act
    const result = await run(TSX, [path.join(ROOT, 'emulator/main.ts'), '--help'], { cwd: ROOT, timeout: 20_000 }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? 1, stdout: error.stdout ?? '', stderr: error.stderr ?? '' }),
    );

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: npm run --silent emulator -- --scenario FILE\|NAME/);
    expect(result.stdout).toContain('--print-env');
    expect(result.stderr).toBe('');
  });

  it('--print-env prints export lines and a temporary KUBECONFIG that kubectl uses, never ~/.kube/config, removed on stop', async () => {
    // Prepare: a HOME of its own, to prove nothing is written to ~/.kube.
    const home = mkdtempSync(path.join(tmpdir(), 'emulator-home-'));
    const child = spawn(TSX, [path.join(ROOT, 'emulator/main.ts'), '--scenario', 'seed', '--print-env'], {
      cwd: ROOT,
      env: { ...process.env, HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

    try {
      // Act
      await waitFor(() => /^export KUBECONFIG=.*$/m.test(stdout), 30_000, () => `no KUBECONFIG line; stdout so far: ${stdout}`);
      const exports = Object.fromEntries([...stdout.matchAll(/^export ([A-Z_]+)=(.*)$/gm)].map((m) => [m[1], m[2]])) as Record<string, string>;
      const kubeconfig = JSON.parse(readFileSync(exports['KUBECONFIG']!, 'utf8')) as { 'current-context': string; clusters: { name: string }[] };
      const kubectl = kubectlPresent && !awsCliMissing
        ? await run('kubectl', ['get', 'nodes', '-o', 'name'], {
            env: { PATH: process.env.PATH, HOME: home, ...exports, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' },
            timeout: 30_000,
          })
        : undefined;
      child.kill('SIGTERM');
      const code = await exited;

      // Assess
      expect(Object.keys(exports)).toEqual(['AWS_ENDPOINT_URL', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'KUBECONFIG']);
      expect(exports['AWS_ENDPOINT_URL']).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(exports).toMatchObject({ AWS_REGION: 'us-west-2', AWS_ACCESS_KEY_ID: 'AKIA5EKSWORKSHOP0001' });
      expect(exports['KUBECONFIG']!.startsWith(tmpdir())).toBe(true);
      expect(kubeconfig['current-context']).toBe('arn:aws:eks:us-west-2:123456789012:cluster/eks-workshop');
      if (kubectl) expect(kubectl.stdout).toMatch(/^node\/ip-10-42-/m);
      // kubectl may cache discovery under ~/.kube/cache; the config itself is never written.
      expect(existsSync(path.join(home, '.kube', 'config'))).toBe(false);
      expect(code).toBe(0);
      expect(existsSync(exports['KUBECONFIG']!)).toBe(false);
    } finally {
      child.kill('SIGKILL');
      rmSync(home, { recursive: true, force: true });
    }
  }, 60_000);
});

const kubectlPresent = spawnSync('kubectl', ['version', '--client']).error === undefined;

/** Every process below `root`, from `ps` (Linux and macOS). */
function descendantsOf(root: number): number[] {
  const table = spawnSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' }).stdout
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift() as number;
    for (const [pid, ppid] of table) {
      if (ppid === parent && !found.includes(pid)) {
        found.push(pid);
        queue.push(pid);
      }
    }
  }
  return found;
}

/** Running, not a zombie waiting to be reaped. */
function isRunning(pid: number): boolean {
  const result = spawnSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' });
  const state = result.stdout.trim();
  return result.status === 0 && state !== '' && !state.startsWith('Z');
}

async function waitFor(condition: () => boolean, timeoutMs: number, describeFailure: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(describeFailure());
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
