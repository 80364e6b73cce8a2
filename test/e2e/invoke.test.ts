/**
 * `npm run --silent invoke` as a user runs it against the emulator (contract section 5): the
 * real handler in-process with the ambient endpoint and credentials, the deployed shape's
 * table, schedule group and topic created when missing, the handler's return value as JSON on
 * stdout and the exit status of `remediate`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startHarness, type Harness } from '../../emulator/harness';
import type { Scenario } from '../../emulator/index';
import type { Report } from '../../lambda/report';
import { PROJECT_ROOT, run } from './support/processes';

function invoke(harness: Harness, args: string[], env: Record<string, string> = {}) {
  return run('npm', ['run', '--silent', '--prefix', PROJECT_ROOT, 'invoke', '--', ...args], {
    ...harness.cliEnv('remediator'),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    POLL_SECONDS: '1',
    WAIT_SECONDS: '30',
    ...env,
  });
}

describe('npm run invoke against the emulator (seed scenario)', () => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness({ scenario: 'seed' });
  });
  afterEach(async () => {
    await harness.close();
  });

  it('runs the handler on the manual payload, prints its report on stdout and exits 0 once remediated', async () => {
    // Act
    const result = await invoke(harness, ['--payload', path.join(PROJECT_ROOT, 'events', 'manual.json')]);

    // Assess
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as Report;
    expect(report).toMatchObject({ clusterName: 'eks-workshop', nodegroupName: 'new_nodegroup_2', outcome: 'REMEDIATED', dryRun: false });
    expect(report.actions).toContainEqual(expect.objectContaining({ type: 'CREATE_ROUTE', status: 'done' }));
    // The calls were the remediator's, through the ambient endpoint; the deployed shape was created first.
    const calls = harness.emulator.calls();
    expect(calls.find((c) => c.operation === 'CreateRoute')?.principalArn).toBe(harness.remediatorRoleArn);
    expect(calls.filter((c) => ['CreateTable', 'CreateScheduleGroup', 'CreateTopic'].includes(c.operation)).map((c) => c.operation).sort())
      .toEqual(['CreateScheduleGroup', 'CreateTable', 'CreateTopic']);
    expect(result.stderr).toContain('invoking arn:aws:lambda:us-west-2:123456789012:function:eks-node-join-remediator');
  }, 90_000);

  it('takes the payload as JSON text and exits 2 for a dry run', async () => {
    // Act
    const result = await invoke(harness, ['--payload', '{"clusterName": "eks-workshop", "nodegroupName": "new_nodegroup_2", "dryRun": true}']);

    // Assess
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ outcome: 'DRY_RUN', dryRun: true });
    expect(harness.emulator.calls().filter((c) => c.operation === 'CreateRoute')).toEqual([]);
  }, 90_000);

  it('exits 1 naming the flag when --payload is missing or unreadable, before any AWS call', async () => {
    // Act
    const missing = await invoke(harness, []);
    const unreadable = await invoke(harness, ['--payload', 'no-such-file.json']);

    // Assess
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('--payload is required');
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toContain('--payload: no such file "no-such-file.json"');
    expect(missing.stdout).toBe('');
    expect(harness.emulator.calls()).toEqual([]);
  }, 60_000);
});

describe('npm run invoke --follow against the emulator (seed scenario, instances just launched)', () => {
  let harness: Harness;
  beforeEach(async () => {
    // The seed's world, but its instance launched a moment ago: younger than the grace period.
    const seed = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'emulator', 'scenarios', 'seed.json'), 'utf8')) as Scenario;
    harness = await startHarness({ scenario: { ...seed, timing: { ...seed.timing, instanceAgeSeconds: 0 } } });
  });
  afterEach(async () => {
    await harness.close();
  });

  it('answers the launch event at once, then fires the grace-period re-check that remediates and the verification that sees the node join', async () => {
    // Act
    const result = await invoke(harness, ['--payload', path.join(PROJECT_ROOT, 'events', 'instance-launch.json'), '--follow']);

    // Assess: one JSON report per line, in the order the invocations happened.
    expect(result.code).toBe(0);
    const reports = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Report);
    expect(reports.map((r) => [r.trigger?.kind, r.trigger?.reason ?? null])).toEqual([
      ['instance-launch', null],
      ['recheck', 'grace-period'],
      ['recheck', 'verify'],
    ]);
    // The launch event itself changed nothing: the instance was still within its grace period.
    expect(reports[0]!.actions.filter((a) => a.status === 'done')).toEqual([]);
    expect(reports[1]).toMatchObject({ outcome: 'REMEDIATED' });
    expect(reports[1]!.actions).toContainEqual(expect.objectContaining({ type: 'CREATE_ROUTE', status: 'done' }));
    expect(reports[2]).toMatchObject({ outcome: 'REMEDIATED', verification: { status: 'joined' } });
    expect(reports[2]!.remediationId).toBe(reports[1]!.remediationId);
    // The node really joined, and each one-time schedule deleted itself after it fired.
    const nodes = harness.emulator.world.nodesOf('eks-workshop') as { metadata: { labels: Record<string, string> } }[];
    expect(nodes.filter((n) => n.metadata.labels['eks.amazonaws.com/nodegroup'] === 'new_nodegroup_2')).toHaveLength(1);
    expect(harness.emulator.schedules()).toEqual([]);
    expect(result.stderr).toMatch(/firing the re-check recheck-grace-period-\S+ \(grace-period, eks-workshop\/new_nodegroup_2\)/);
  }, 120_000);
});

describe('npm run invoke --emulator SCENARIO', () => {
  it('starts an emulator for the run, invokes the handler against it, prints the report and exits when done', async () => {
    // Prepare: no endpoint or credentials in the environment: the run brings its own world.
    const unset = ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'];

    // Act
    const result = await run(
      'npm',
      ['run', '--silent', '--prefix', PROJECT_ROOT, 'invoke', '--', '--emulator', 'seed', '--payload', path.join(PROJECT_ROOT, 'events', 'manual-dry-run.json')],
      { POLL_SECONDS: '1', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' },
      90_000,
      unset,
    );

    // Assess
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ clusterName: 'eks-workshop', nodegroupName: 'new_nodegroup_2', outcome: 'DRY_RUN', dryRun: true });
    expect(result.stderr).toMatch(/^started the emulator \(scenario seed\) at http:\/\/127\.0\.0\.1:\d+, acting as arn:aws:iam::123456789012:role\/node-join-remediator$/m);
    expect(result.stderr).not.toMatch(/NodeVersionSupportWarning/);
  }, 120_000);

  it('exits 1 naming --emulator for a scenario that does not exist', async () => {
    // Act
    const result = await run('npm', ['run', '--silent', '--prefix', PROJECT_ROOT, 'invoke', '--', '--emulator', 'no-such-scenario', '--payload', '{}'], {}, 60_000);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: --emulator /);
    expect(result.stdout).toBe('');
  }, 60_000);
});
