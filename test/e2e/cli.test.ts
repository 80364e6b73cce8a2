/**
 * The local CLI as a user runs it (`npm run --silent remediate -- ...`), with AWS_ENDPOINT_URL
 * and credentials pointing at the emulator: contract section 5 (output and exit codes).
 */
import { startHarness, type Harness } from '../../emulator/harness';
import type { MultiReport, Report } from '../../lambda/report';
import { PROJECT_ROOT, run } from './support/processes';

const REPORT_KEYS = [
  'actions', 'clusterName', 'dryRun', 'findings', 'instances', 'nodegroupName', 'outcome', 'reason',
  'region', 'registrationSource', 'remediationId', 'trigger', 'verification',
];

function remediate(harness: Harness, args: string[]) {
  return run('npm', ['run', '--silent', '--prefix', PROJECT_ROOT, 'remediate', '--', ...args], {
    ...harness.cliEnv('remediator'),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    POLL_SECONDS: '1',
  });
}

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

  it('remediates and tells the story in human form, exit 0', async () => {
    // Act
    const result = await remediate(harness, ['--cluster', 'eks-workshop', '--nodegroup', 'new_nodegroup_2', '--wait-seconds', '30']);

    // Assess
    expect(result.stderr).toBe('');
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

  it('reports FAILED with exit 1 for a cluster that does not exist', async () => {
    // Act
    const result = await remediate(harness, ['--cluster', 'no-such-cluster', '--json']);

    // Assess
    expect(result.code).toBe(1);
    const body = JSON.parse(result.stdout) as MultiReport;
    expect(body.reports[0]).toMatchObject({ clusterName: 'no-such-cluster', outcome: 'FAILED' });
  });
});
