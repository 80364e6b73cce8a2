/**
 * The local CLI as a user runs it (`npm run --silent remediate -- ...`), with AWS_ENDPOINT_URL
 * and credentials pointing at the emulator: contract section 5 (output and exit codes).
 */
import { startHarness, type Harness } from '../../emulator/harness';
import type { MultiReport, Report } from '../../lambda/report';
import { PROJECT_ROOT, run } from './support/processes';

const REPORT_KEYS = [
  'accountId', 'actions', 'clusterName', 'dryRun', 'findings', 'instances', 'nodegroupName', 'outcome', 'reason',
  'region', 'registrationSource', 'remediationId', 'trigger', 'verification',
];

/** As a user runs it: no SDK warning switch in the environment (the CLI silences it itself). */
function remediate(harness: Harness, args: string[]) {
  const env: Record<string, string | undefined> = { ...harness.cliEnv('remediator'), POLL_SECONDS: '1' };
  return run('npm', ['run', '--silent', '--prefix', PROJECT_ROOT, 'remediate', '--', ...args], env as Record<string, string>, 90_000, [
    'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED',
  ]);
}

const BANNER = /^remediate: account 123456789012 \(arn:aws:sts::123456789012:assumed-role\/node-join-remediator\/[^)]+\), region us-west-2, endpoint http:\/\/127\.0\.0\.1:\d+; /;

describe('npm run remediate against the emulator', () => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness({ scenario: 'seed' });
  });
  afterEach(async () => {
    await harness.close();
  });

  it('--dry-run --json prints exactly the contract report on stdout and exits 2', async () => {
    // Act
    const result = await remediate(harness, ['--cluster', 'eks-workshop', '--nodegroup', 'new_nodegroup_2', '--dry-run', '--json']);

    // Assess
    expect(result.code).toBe(2);
    const report = JSON.parse(result.stdout) as Report;
    expect(Object.keys(report).sort()).toEqual(REPORT_KEYS);
    expect(report).toMatchObject({ outcome: 'DRY_RUN', dryRun: true, clusterName: 'eks-workshop', region: 'us-west-2' });
    expect(harness.emulator.calls().filter((c) => c.operation === 'CreateRoute')).toEqual([]);
  });

  it('remediates and tells the story in human form, exit 0; stderr names where it acts, then each wait', async () => {
    // Act
    const result = await remediate(harness, ['--cluster', 'eks-workshop', '--nodegroup', 'new_nodegroup_2', '--wait-seconds', '30']);

    // Assess: the banner first, then plain progress lines (stderr is a pipe here), no SDK warning.
    const stderr = result.stderr.trimEnd().split('\n');
    expect(stderr[0]).toMatch(BANNER);
    expect(stderr[0]).toMatch(/; changes allowed \(route writes, instance recycling\); --dry-run to only plan$/);
    expect(stderr.slice(1).length).toBeGreaterThan(0);
    for (const line of stderr.slice(1)) {
      expect(line).toMatch(/^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\] eks-workshop\/new_nodegroup_2: waiting /);
    }
    expect(result.stderr).toMatch(/waiting for nodes to join \(\d+\/1 Ready, \d+ s elapsed, deadline \d{4}-\d\d-\d\dT[\d:.]+Z\)/);
    expect(result.stderr).not.toMatch(/NodeVersionSupportWarning|require node >=22/);
    expect(result.stderr).not.toContain('\x1b[');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^REMEDIATED {2}eks-workshop\/new_nodegroup_2 \(us-west-2\)/);
    expect(result.stdout).toContain('NO_DEFAULT_ROUTE');
    expect(result.stdout).toMatch(/\[done\] add route 0\.0\.0\.0\/0 -> nat-0c2b4e6a8d0f13579/);
    expect(result.stdout).toContain('Verification: joined (1/1');
  });

  it('without --nodegroup examines every node group and prints { reports }', async () => {
    // Act
    const result = await remediate(harness, ['--cluster', 'eks-workshop', '--json', '--dry-run']);

    // Assess
    const body = JSON.parse(result.stdout) as MultiReport;
    expect(body.reports.map((r) => [r.nodegroupName, r.outcome]).sort()).toEqual([
      ['default', 'HEALTHY'],
      ['new_nodegroup_2', 'DRY_RUN'],
    ]);
    expect(result.code).toBe(2);
  });

  it('exits 1 with a clear message for bad arguments, before any AWS call', async () => {
    // Act
    const result = await remediate(harness, ['--cluster', 'eks-workshop', '--recycle', 'reboot']);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/--recycle must be one of replace-unjoined, scale-cycle, none, got "reboot"/);
    expect(result.stdout).toBe('');
    expect(harness.emulator.calls()).toEqual([]);
  });

  it.each([
    [['--cluster', 'no-such-cluster'], 'no-such-cluster/* (us-west-2)'],
    [['--cluster', 'no-such-cluster', '--nodegroup', 'new_nodegroup_2'], 'no-such-cluster/new_nodegroup_2 (us-west-2)'],
  ])('answers a cluster that does not exist (%j) with SKIPPED naming it and the region, exit 2', async (args, title) => {
    // Act
    const json = await remediate(harness, [...args, '--json']);
    const human = await remediate(harness, args);

    // Assess
    expect(json.code).toBe(2);
    const body = JSON.parse(json.stdout) as MultiReport | Report;
    const report = 'reports' in body ? body.reports[0]! : body;
    expect(report).toMatchObject({ clusterName: 'no-such-cluster', outcome: 'SKIPPED', accountId: '123456789012' });
    expect(report.reason).toBe('Cluster no-such-cluster was not found in region us-west-2 (account 123456789012); nothing was examined. Check the cluster name and the region.');
    expect(human.code).toBe(2);
    expect(human.stdout).toContain(`SKIPPED  ${title}`);
    expect(human.stdout).toContain('→ List the clusters of us-west-2: aws eks list-clusters --region us-west-2');
    expect(human.stdout + human.stderr).not.toMatch(/NotFoundError|Error:/);
  });

  it('answers a node group that does not exist with SKIPPED naming it, its cluster and the region', async () => {
    // Act
    const result = await remediate(harness, ['--cluster', 'eks-workshop', '--nodegroup', 'no_such_group', '--json']);

    // Assess
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({
      outcome: 'SKIPPED',
      reason: 'Node group no_such_group was not found in cluster eks-workshop in region us-west-2 (account 123456789012); nothing was examined. Check the node group name.',
      nextSteps: ['List the node groups of eks-workshop: aws eks list-nodegroups --cluster-name eks-workshop --region us-west-2'],
    });
  });

  it('--all-clusters --dry-run is the fleet report: every node group of every cluster, then a summary table', async () => {
    // Act
    const result = await remediate(harness, ['--all-clusters', '--dry-run']);
    const json = await remediate(harness, ['--all-clusters', '--dry-run', '--output', 'json']);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')[0]).toMatch(BANNER);
    expect(result.stderr.split('\n')[0]).toMatch(/; dry run: no change will be made$/);
    expect(result.stderr).toMatch(/\] region us-west-2: 1 cluster\(s\) to examine \(eks-workshop\)/);
    const summary = result.stdout.slice(result.stdout.indexOf('Summary: '));
    expect(summary).toMatch(/^Summary: 2 node group\(s\) — 1 HEALTHY, 1 DRY_RUN\n/);
    expect(summary).toMatch(/\| eks-workshop +\| default +\| HEALTHY +\| Every judged instance/);
    expect(summary).toMatch(/\| eks-workshop +\| new_nodegroup_2 +\| DRY_RUN +\| Dry run: would add route 0\.0\.0\.0\/0 -> nat-/);
    expect((JSON.parse(json.stdout) as MultiReport).reports.map((r) => r.nodegroupName).sort()).toEqual(['default', 'new_nodegroup_2']);
    expect(harness.emulator.calls().filter((c) => ['CreateRoute', 'TerminateInstanceInAutoScalingGroup'].includes(c.operation))).toEqual([]);
  });

  it('refuses --cluster with --all-clusters, naming both, before any AWS call', async () => {
    // Act
    const result = await remediate(harness, ['--cluster', 'eks-workshop', '--all-clusters']);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: --cluster and --all-clusters cannot be used together/);
    expect(harness.emulator.calls()).toEqual([]);
  });
});
