import { InMemoryLedger } from '../../../lambda/ledger/memory';
import { notificationDue, recordOutcome } from '../../../lambda/ledger/outcomes';
import { blankReport, type Outcome, type Report } from '../../../lambda/report';

function report(outcome: Outcome): Report {
  return {
    ...blankReport({ clusterName: 'eks-workshop', nodegroupName: 'ng', region: 'us-west-2', dryRun: false, trigger: { kind: 'sweep' } }, outcome),
    remediationId: '6f1c1a52-8c1e-4a37-9a61-0d6f3f0b8a11',
  };
}

describe('recordOutcome', () => {
  it('appends the outcome and returns the previous conclusion, skipping SKIPPED runs', async () => {
    // Prepare
    const ledger = new InMemoryLedger();

    // Act
    const first = await recordOutcome(ledger, report('UNRESOLVED'), new Date('2026-11-29T06:00:00Z'));
    await recordOutcome(ledger, report('SKIPPED'), new Date('2026-11-29T06:15:00Z'));
    const third = await recordOutcome(ledger, report('HEALTHY'), new Date('2026-11-29T06:30:00Z'));

    // Assess
    expect(first).toBeUndefined();
    expect(third).toBe('UNRESOLVED');
    const history = await ledger.history('eks-workshop', 'ng');
    expect(history.map((r) => r.kind === 'outcome' && [r.outcome, r.trigger])).toEqual([
      ['HEALTHY', 'sweep'],
      ['SKIPPED', 'sweep'],
      ['UNRESOLVED', 'sweep'],
    ]);
  });
});

describe('notificationDue', () => {
  it.each<[Outcome, Outcome | undefined, boolean]>([
    ['UNRESOLVED', undefined, true],
    ['HEALTHY', undefined, false],
    ['UNRESOLVED', 'UNRESOLVED', false],
    ['DRY_RUN', 'DRY_RUN', false],
    ['HEALTHY', 'REMEDIATED', true],
    ['REMEDIATED', 'HEALTHY', true],
    ['SKIPPED', 'HEALTHY', false],
  ])('with a durable ledger: %s after %s -> %s', (outcome, previous, due) => {
    expect(notificationDue(report(outcome), previous, true)).toBe(due);
  });

  it('without a durable ledger: every report needing attention, as before', () => {
    expect(notificationDue(report('DRY_RUN'), 'DRY_RUN', false)).toBe(true);
    expect(notificationDue(report('HEALTHY'), 'UNRESOLVED', false)).toBe(false);
    expect(notificationDue(report('SKIPPED'), undefined, false)).toBe(false);
  });
});
