/**
 * The deployed shape on one machine (emulator/local-function.ts): two invocations of the real
 * handler — two Lambda containers — race on one node group against the emulator's DynamoDB.
 * The lease decides: exactly one acts, the other reports SKIPPED and schedules a `lease-held`
 * re-check; following the re-checks ends with the node joined.
 */
import { startHarness, type Harness } from '../../emulator/harness';
import { LocalFunction, recheckOf } from '../../emulator/local-function';

describe('two invocations racing on one node group (seed scenario)', () => {
  let harness: Harness;
  const saved = { ...process.env };

  beforeEach(async () => {
    harness = await startHarness({ scenario: 'seed' });
    // The function's ambient AWS settings, as Lambda gives them: the remediator's role, the endpoint.
    Object.assign(process.env, harness.cliEnv('remediator'), { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' });
  });
  afterEach(async () => {
    process.env = { ...saved };
    await harness.close();
  });

  it('lets exactly one act; the other is SKIPPED with a lease-held re-check, and the node joins', async () => {
    // Prepare: two containers of the function; the route write is slow enough for both to be inside.
    const first = await LocalFunction.prepare();
    const second = await LocalFunction.prepare();
    harness.emulator.injectFault({ service: 'ec2', operation: 'CreateRoute', latencyMs: 500 });
    const manual = { clusterName: 'eks-workshop', nodegroupName: 'new_nodegroup_2' };

    // Act
    const [a, b] = await Promise.all([first.invoke(manual), second.invoke(manual)]);

    // Assess
    const reports = [...a.reports, ...b.reports];
    expect(reports.map((r) => r.outcome).sort()).toEqual(['REMEDIATED', 'SKIPPED']);
    const skipped = reports.find((r) => r.outcome === 'SKIPPED')!;
    expect(skipped.reason).toMatch(/another run holds/i);
    expect(skipped.actions.filter((action) => action.status === 'done')).toEqual([]);
    expect(harness.emulator.calls().filter((c) => c.operation === 'CreateRoute')).toHaveLength(1);
    const pending = await first.pendingSchedules();
    expect(pending.map((s) => recheckOf(s)?.reason).sort()).toEqual(['lease-held', 'verify']);
    expect(pending.every((s) => s.targetArn === 'arn:aws:lambda:us-west-2:123456789012:function:eks-node-join-remediator')).toBe(true);

    // Act: Scheduler's part, every re-check fired when due
    const followUps = await first.follow();

    // Assess: the verification saw the node join; nothing is left scheduled
    expect(followUps.flatMap((i) => i.reports)).toContainEqual(
      expect.objectContaining({ outcome: 'REMEDIATED', verification: expect.objectContaining({ status: 'joined' }) }),
    );
    expect(followUps.every((i) => i.error === undefined)).toBe(true);
    expect(await first.pendingSchedules()).toEqual([]);
    expect(harness.emulator.calls().filter((c) => c.operation === 'CreateRoute')).toHaveLength(1);
  }, 120_000);
});
