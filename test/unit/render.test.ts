import { renderReport } from '../../lambda/render';
import { blankReport, type Report } from '../../lambda/report';

function report(actions: Report['actions'], outcome: Report['outcome'] = 'REMEDIATED'): Report {
  return { ...blankReport({ clusterName: 'eks-workshop', nodegroupName: 'ng', region: 'us-west-2', dryRun: false, trigger: { kind: 'cli' } }, outcome, 'r'), actions };
}

describe('renderReport: finishing the job', () => {
  it('says when the next recycle is allowed and where the cool-down is kept', () => {
    const text = renderReport(
      report([
        {
          type: 'REPLACE_INSTANCES',
          resourceId: 'ng',
          status: 'done',
          detail: { instanceIds: ['i-1'], cooldown: { seconds: 3600, nextAllowedAt: '2026-11-30T20:00:00.000Z', scope: 'this run only (no ledger table)' } },
        },
      ]),
    );

    expect(text).toContain('next recycle for this cause allowed at 2026-11-30T20:00:00.000Z (cool-down scope: this run only (no ledger table))');
  });

  it('prints the restore command of a scale cycle left at zero', () => {
    const command = 'aws eks update-nodegroup-config --cluster-name eks-workshop --nodegroup-name ng --scaling-config minSize=1,maxSize=3,desiredSize=2';
    const text = renderReport(
      report([{ type: 'SCALE_CYCLE', resourceId: 'ng', status: 'failed', detail: { scaledDownTo: { minSize: 0, maxSize: 3, desiredSize: 0 }, restoreCommand: command } }], 'FAILED'),
    );

    expect(text).toContain(`restore with: ${command}`);
  });
});
