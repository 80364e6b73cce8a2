/**
 * `npm run bench`: the deployed function at fleet scale, on one machine, in one run.
 *
 * For each generated fleet (emulator/fleet-scenario.ts: 1x10, 10x10, 50x10 clusters x node
 * groups, 2% broken) and each injected latency (0 and 50 ms per AWS call, emulator/faults.ts):
 * a fresh emulator process serves the fleet; a separate process runs the real handler
 * (emulator/local-function.ts, as `npm run invoke` does) on a scheduled sweep event and fires
 * the sweep's continuation re-checks until every node group is reported. Measured: sweep wall
 * time, reports emitted, FAILED reports, throttled AWS calls, AWS calls (GET /_emulator/calls),
 * SNS messages, peak RSS of the function's process and of the emulator, the emulator's start-up.
 * Then the bundle (scripts/measure-bundle.ts): size and cold module load, deployed vs a naive
 * CommonJS bundle. Finally whether the issue's target is met: 50x10 at 50 ms in <= 60 s, no
 * throttling failure, all 500 reports.
 *
 *   npm run bench [-- --sizes 1x10,10x10 --latencies 0,50 --runs 5]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fleetScenario, isBrokenIndex } from '../emulator/fleet-scenario';
import { LocalFunction, recheckOf, type Invocation } from '../emulator/local-function';
import type { CallRecord } from '../emulator/server';

const ROOT = path.join(__dirname, '..');
const RESULT_MARK = 'BENCH_RESULT ';
const TARGET = { clusters: 50, nodegroupsPerCluster: 10, latencyMs: 50, maxSeconds: 60 };
const THROTTLING = /Throttl|ProvisionedThroughputExceeded|TooManyRequests|RequestLimitExceeded/;

interface SweepResult {
  wallMs: number;
  invocations: number;
  handlerErrors: string[];
  reports: number;
  nodegroupsReported: number;
  outcomes: Record<string, number>;
  peakRssBytes: number;
}

interface RunResult extends SweepResult {
  clusters: number;
  nodegroupsPerCluster: number;
  latencyMs: number;
  broken: number;
  emulatorStartMs: number;
  emulatorPeakRssBytes: number | undefined;
  awsCalls: number;
  throttledCalls: number;
  /** AWS calls by service:operation */
  callsByOperation: Record<string, number>;
  snsMessages: number;
}

// ---- the function's side: one sweep, in its own process ----------------------------------------

async function sweepInThisProcess(): Promise<void> {
  const fn = await LocalFunction.prepare({ progress: (line) => process.stderr.write(`${line}\n`) });
  // Only the sweep's calls are counted, not the set-up of the table, group and topic.
  await fetch(`${fn.emulator}/_emulator/calls`, { method: 'DELETE' });
  const event = JSON.parse(readFileSync(path.join(ROOT, 'events', 'scheduled-sweep.json'), 'utf8')) as unknown;
  const started = performance.now();
  const invocations: Invocation[] = [await fn.invoke(event)];
  // A sweep that runs short of time hands the rest to a continuation: follow those (not the
  // grace-period or verification re-checks, which belong to the remediations, not the sweep).
  invocations.push(...(await fn.follow({ filter: (s) => recheckOf(s)?.reason === 'continuation', pollMs: 100 })));
  const wallMs = performance.now() - started;
  const reports = invocations.flatMap((i) => i.reports);
  const outcomes: Record<string, number> = {};
  for (const r of reports) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
  const result: SweepResult = {
    wallMs,
    invocations: invocations.length,
    handlerErrors: invocations.filter((i) => i.error).map((i) => `${i.error!.name}: ${i.error!.message}`.slice(0, 300)),
    reports: reports.length,
    nodegroupsReported: new Set(reports.map((r) => `${r.clusterName}/${r.nodegroupName}`)).size,
    outcomes,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
  process.stdout.write(`\n${RESULT_MARK}${JSON.stringify(result)}\n`);
}

// ---- the orchestrator ----------------------------------------------------------------------------

function peakRssOf(pid: number | undefined): number | undefined {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

function nodeWithTsx(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString();
      const newline = buffered.indexOf('\n');
      if (newline >= 0) {
        child.stdout!.off('data', onData);
        resolve(buffered.slice(0, newline));
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited (${code}) before it was ready: ${stderr.trim().slice(-500)}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}

async function runOnce(workdir: string, clusters: number, nodegroupsPerCluster: number, latencyMs: number): Promise<RunResult> {
  const total = clusters * nodegroupsPerCluster;
  const scenarioFile = path.join(workdir, `fleet-${clusters}x${nodegroupsPerCluster}.json`);
  writeFileSync(scenarioFile, JSON.stringify(fleetScenario({ clusters, nodegroupsPerCluster })));
  const startedAt = performance.now();
  const emulator = nodeWithTsx(['emulator/main.ts', '--scenario', scenarioFile], { ...process.env });
  try {
    const ready = JSON.parse(await firstLine(emulator)) as { awsEndpoint: string; region: string };
    const emulatorStartMs = performance.now() - startedAt;
    if (latencyMs > 0) {
      const armed = await fetch(`${ready.awsEndpoint}/_emulator/faults`, { method: 'POST', body: JSON.stringify({ operation: '*', latencyMs }) });
      if (!armed.ok) throw new Error(`arming the latency fault failed: ${await armed.text()}`);
    }
    const sweep = nodeWithTsx(['scripts/bench.ts', '--sweep'], {
      ...process.env,
      AWS_ENDPOINT_URL: ready.awsEndpoint,
      AWS_REGION: ready.region,
      AWS_ACCESS_KEY_ID: 'AKIA5EKSWORKSHOP0002',
      AWS_SECRET_ACCESS_KEY: 'rEmEdIaToRsEcReTkEy00000000000000000002',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: process.env['BENCH_VERBOSE'] ? 'INFO' : 'SILENT',
      POWERTOOLS_DEV: 'false',
    });
    let stdout = '';
    let stderr = '';
    sweep.stdout!.on('data', (chunk: Buffer) => {
      // EMF metric lines go to stdout too; only the result line is kept.
      stdout = (stdout + chunk.toString()).slice(-200_000);
    });
    sweep.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
      if (process.env['BENCH_VERBOSE']) process.stderr.write(chunk);
    });
    const code = await new Promise<number | null>((resolve) => sweep.once('exit', resolve));
    const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARK));
    if (!line) throw new Error(`the sweep process exited ${code} without a result: ${stderr.trim()}`);
    const result = JSON.parse(line.slice(RESULT_MARK.length)) as SweepResult;
    const calls = (await (await fetch(`${ready.awsEndpoint}/_emulator/calls`)).json()) as CallRecord[];
    const notifications = (await (await fetch(`${ready.awsEndpoint}/_emulator/notifications`)).json()) as unknown[];
    return {
      ...result,
      clusters,
      nodegroupsPerCluster,
      latencyMs,
      broken: Array.from({ length: total }, (_, i) => i).filter(isBrokenIndex).length,
      emulatorStartMs,
      emulatorPeakRssBytes: peakRssOf(emulator.pid),
      awsCalls: calls.length,
      throttledCalls: calls.filter((c) => THROTTLING.test(c.errorCode ?? '')).length,
      callsByOperation: calls.reduce<Record<string, number>>((counts, c) => {
        const key = `${c.service}:${c.operation}`;
        counts[key] = (counts[key] ?? 0) + 1;
        return counts;
      }, {}),
      snsMessages: notifications.length,
    };
  } finally {
    await stop(emulator);
  }
}

interface BundleVariant {
  variant: string;
  bytes: number;
  gzipBytes: number;
  loadMs: { median: number };
}

function measureBundle(runs: number): BundleVariant[] | string {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/measure-bundle.ts', '--json', '--runs', String(runs)], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) return `measure-bundle failed: ${result.stderr.trim().slice(-300)}`;
  return (JSON.parse(result.stdout) as { results: BundleVariant[] }).results;
}

const seconds = (ms: number): string => (ms / 1000).toFixed(1);
const mib = (bytes: number | undefined): string => (bytes === undefined ? '?' : `${Math.round(bytes / 1048576)} MiB`);
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')).join('\n');
}

function parseList(value: string | undefined, fallback: string): string[] {
  return (value ?? fallback).split(',').map((s) => s.trim()).filter(Boolean);
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--sweep')) {
    await sweepInThisProcess();
    return 0;
  }
  const option = (name: string): string | undefined => {
    const index = argv.indexOf(name);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  const sizes = parseList(option('--sizes'), '1x10,10x10,50x10').map((s) => {
    const match = /^(\d+)x(\d+)$/.exec(s);
    if (!match) throw new Error(`--sizes: "${s}" is not CLUSTERSxNODEGROUPS`);
    return [Number(match[1]), Number(match[2])] as const;
  });
  const latencies = parseList(option('--latencies'), '0,50').map(Number);
  const bundleRuns = Number(option('--runs') ?? '5');

  const workdir = mkdtempSync(path.join(tmpdir(), 'bench-'));
  const results: RunResult[] = [];
  try {
    for (const [clusters, perCluster] of sizes) {
      for (const latencyMs of latencies) {
        process.stderr.write(`bench: ${clusters}x${perCluster} at ${latencyMs} ms per AWS call (load average ${loadavg()[0]!.toFixed(1)})...\n`);
        const run = await runOnce(workdir, clusters, perCluster, latencyMs);
        process.stderr.write(`bench:   ${seconds(run.wallMs)} s, ${run.nodegroupsReported}/${clusters * perCluster} reported\n`);
        results.push(run);
      }
    }
  } finally {
    rmSync(workdir, { recursive: true, force: true });
  }
  process.stderr.write('bench: bundle size and cold load...\n');
  const bundle = measureBundle(bundleRuns);

  const rows = [
    ['fleet', 'latency', 'broken', 'sweep s', 'reports', 'FAILED', 'throttled', 'AWS calls', 'calls/ng', 'SNS', 'fn peak RSS', 'emulator start s', 'emulator RSS'],
    ...results.map((r) => {
      const total = r.clusters * r.nodegroupsPerCluster;
      return [
        `${r.clusters}x${r.nodegroupsPerCluster}`,
        `${r.latencyMs} ms`,
        String(r.broken),
        seconds(r.wallMs),
        `${r.nodegroupsReported}/${total}`,
        String(r.outcomes['FAILED'] ?? 0),
        String(r.throttledCalls),
        String(r.awsCalls),
        (r.awsCalls / total).toFixed(1),
        String(r.snsMessages),
        mib(r.peakRssBytes),
        seconds(r.emulatorStartMs),
        mib(r.emulatorPeakRssBytes),
      ];
    }),
  ];
  const out: string[] = [];
  out.push(`eks-node-join-remediator bench, node ${process.version}, ${new Date().toISOString()}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  out.push('');
  out.push(table(rows));
  const healthy = results.find((r) => r.broken === 0 && r.latencyMs === 0);
  if (healthy) {
    out.push('');
    const perNodegroup = (n: number): string => (n / (healthy.clusters * healthy.nodegroupsPerCluster)).toFixed(1);
    out.push(`AWS calls per healthy node group: ${perNodegroup(healthy.awsCalls)} (${healthy.clusters}x${healthy.nodegroupsPerCluster}, none broken, whole sweep incl. ListClusters and the ledger):`);
    const byOperation = Object.entries(healthy.callsByOperation).sort((a, b) => b[1] - a[1]);
    out.push(`  ${byOperation.map(([operation, count]) => `${operation} ${perNodegroup(count)}`).join(', ')}`);
  }
  const outcomes = results.map((r) => `${r.clusters}x${r.nodegroupsPerCluster}@${r.latencyMs}ms ${Object.entries(r.outcomes).map(([k, v]) => `${k} ${v}`).join(', ')}${r.handlerErrors.length ? `; handler errors: ${r.handlerErrors.length}` : ''}`);
  out.push(`outcomes: ${outcomes.join(' | ')}`);
  out.push('');
  if (typeof bundle === 'string') out.push(bundle);
  else {
    out.push(table([
      ['bundle', 'size', 'gzip', 'cold load (median)'],
      ...bundle.map((b) => [b.variant, kib(b.bytes), kib(b.gzipBytes), `${b.loadMs.median.toFixed(0)} ms`]),
    ]));
  }
  const target = results.find((r) => r.clusters === TARGET.clusters && r.nodegroupsPerCluster === TARGET.nodegroupsPerCluster && r.latencyMs === TARGET.latencyMs);
  out.push('');
  if (!target) out.push('target (50x10 at 50 ms): not measured in this run');
  else {
    const total = TARGET.clusters * TARGET.nodegroupsPerCluster;
    const met = target.wallMs <= TARGET.maxSeconds * 1000 && target.throttledCalls === 0 && (target.outcomes['FAILED'] ?? 0) === 0 && target.nodegroupsReported === total;
    out.push(`target 50x10 at 50 ms: <= ${TARGET.maxSeconds} s, no throttling failure, ${total}/${total} reports -> ${met ? 'MET' : 'NOT MET'} (${seconds(target.wallMs)} s, ${target.throttledCalls} throttled calls, ${target.outcomes['FAILED'] ?? 0} FAILED, ${target.nodegroupsReported}/${total} reports)`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
