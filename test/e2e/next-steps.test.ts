/**
 * Next steps where the reader runs (issue: UNRESOLVED reports gave none; Lambda reports named the
 * CLI flag): the same scenario through the real handler names the CDK context key and Lambda
 * variable, through the CLI the flag; and the human story shows why each NAT gateway was rejected.
 */
import { startHarness, type Harness } from '../../emulator/harness';
import type { Report } from '../../lambda/report';
import { PROJECT_ROOT, run } from './support/processes';

function remediate(harness: Harness, args: string[]) {
  return run('npm', ['run', '--silent', '--prefix', PROJECT_ROOT, 'remediate', '--', ...args], { ...harness.cliEnv('remediator'), POLL_SECONDS: '1' }, 90_000);
}

describe('next steps on the shared main route table scenario', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ scenario: 'shared-main-table' });
  });
  afterAll(async () => {
    await harness.close();
  });

  it('the Lambda report names the CDK context key and Lambda variable, never the CLI flag, and says how to run it again', async () => {
    // Act
    const report = (await harness.invoke({ clusterName: 'eks-workshop', nodegroupName: 'new_nodegroup_2' })) as Report;

    // Assess
    expect(report.outcome).toBe('UNRESOLVED');
    const text = JSON.stringify([report.reason, report.findings.map((f) => f.message), report.nextSteps]);
    expect(text).not.toContain('--allow-shared-route-tables');
    expect(report.nextSteps).toEqual(
      expect.arrayContaining([
        expect.stringContaining('CDK context allowSharedRouteTables=true (Lambda env ALLOW_SHARED_ROUTE_TABLES=true)'),
        expect.stringMatching(/aws lambda invoke --region us-west-2 --function-name <FunctionName output> .*"nodegroupName":"new_nodegroup_2"/),
      ]),
    );
  });

  it('the CLI names the flag in its next steps, in human output and in --json', async () => {
    // Act
    const human = await remediate(harness, ['--cluster', 'eks-workshop', '--nodegroup', 'new_nodegroup_2', '--dry-run']);
    const json = await remediate(harness, ['--cluster', 'eks-workshop', '--nodegroup', 'new_nodegroup_2', '--dry-run', '--json']);

    // Assess
    expect(human.code).toBe(2);
    expect(human.stdout).toMatch(/ {2}Next steps:\n {4}→ SHARED_ROUTE_TABLE: .*: --allow-shared-route-tables\.\n/);
    expect(human.stdout).toContain('→ Then run it again to recycle the instances that never joined: npm run --silent remediate -- --cluster eks-workshop --nodegroup new_nodegroup_2 --region us-west-2');
    const report = JSON.parse(json.stdout) as Report;
    expect(report.outcome).toBe('UNRESOLVED');
    expect(report.nextSteps).toEqual(expect.arrayContaining([expect.stringContaining('--allow-shared-route-tables')]));
  });
});

describe('NAT gateway verdicts in the human story (no usable NAT scenario)', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ scenario: 'no-usable-nat' });
  });
  afterAll(async () => {
    await harness.close();
  });

  it('lists every NAT gateway considered with why it was rejected, and the next steps', async () => {
    // Act
    const result = await remediate(harness, ['--cluster', 'eks-workshop', '--nodegroup', 'new_nodegroup_2', '--dry-run']);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/ {8}NAT gateways considered:\n( {10}nat-[0-9a-f]+( \([a-z0-9-]+\))?: .+\n)+/);
    expect(result.stdout).toMatch(/nat-[0-9a-f]+( \([a-z0-9-]+\))?: (its state is|it is a|its subnet)/);
    expect(result.stdout).toContain('  Next steps:');
  });
});
