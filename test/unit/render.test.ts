import { forPeople, NotFoundError, describeError } from '../../lambda/errors';
import { natVerdicts, oneLineReason, renderReport } from '../../lambda/render';
import { blankReport, type Finding, type Report } from '../../lambda/report';

function report(overrides: Partial<Report>): Report {
  return {
    ...blankReport({ clusterName: 'eks-workshop', nodegroupName: 'new_nodegroup_2', region: 'us-west-2', dryRun: false, trigger: { kind: 'cli' } }),
    ...overrides,
  };
}

const noNat: Finding = {
  code: 'NO_USABLE_NAT_GATEWAY',
  severity: 'error',
  resourceId: 'vpc-0abc',
  message: 'No NAT gateway of vpc-0abc is usable.',
  remediable: false,
  evidence: {
    vpcId: 'vpc-0abc',
    candidates: [
      'nat-0aaa (us-west-2a): its state is deleted, not available',
      'nat-0bbb (us-west-2b): its subnet subnet-0pub (route table rtb-0pub) has no 0.0.0.0/0 route',
    ],
    fix: 'aws ec2 create-nat-gateway --subnet-id <public subnet> --allocation-id <eipalloc>',
  },
};

describe('renderReport', () => {
  it('shows why each NAT gateway was rejected, the fix hint and the next steps', () => {
    // Act
    const text = renderReport(report({ outcome: 'UNRESOLVED', reason: 'No NAT gateway is usable.', findings: [noNat], nextSteps: ['Create a NAT gateway.'] }));

    // Assess
    expect(text).toContain(
      [
        '        NAT gateways considered:',
        '          nat-0aaa (us-west-2a): its state is deleted, not available',
        '          nat-0bbb (us-west-2b): its subnet subnet-0pub (route table rtb-0pub) has no 0.0.0.0/0 route',
        '        fix: aws ec2 create-nat-gateway --subnet-id <public subnet> --allocation-id <eipalloc>',
      ].join('\n'),
    );
    expect(text.endsWith('  Next steps:\n    → Create a NAT gateway.')).toBe(true);
  });

  it('never shows an internal error class name', () => {
    // Prepare
    const reason = `Gathering the state failed: ${describeError(new NotFoundError('route table rtb-1 does not exist', 'rtb-1'))}.`;

    // Act
    const text = renderReport(report({ outcome: 'FAILED', reason }));

    // Assess
    expect(reason).toContain('NotFoundError: ');
    expect(text).toContain('Gathering the state failed: route table rtb-1 does not exist.');
    expect(text).not.toContain('NotFoundError');
  });
});

describe('natVerdicts', () => {
  it('also reads structured candidates', () => {
    const finding = { ...noNat, evidence: { natCandidates: [{ natGatewayId: 'nat-1', availabilityZone: 'us-west-2a', usable: false, rejectedBecause: 'it is private' }] } };
    expect(natVerdicts(finding)).toEqual(['nat-1 (us-west-2a): it is private']);
  });
});

describe('forPeople', () => {
  it('keeps AWS error codes that follow "failed: ", drops our class names', () => {
    expect(forPeople('AwsCallError: UpdateAutoScalingGroup failed: ValidationError: bad size')).toBe('UpdateAutoScalingGroup failed: ValidationError: bad size');
  });
});

describe('oneLineReason', () => {
  it('takes the first sentence, not the dots of a CIDR, and shortens it', () => {
    expect(oneLineReason('Add route 0.0.0.0/0 -> nat-1 to rtb-1 done. 1/1 node(s) joined.')).toBe('Add route 0.0.0.0/0 -> nat-1 to rtb-1 done');
    expect(oneLineReason('x'.repeat(150), 20)).toBe(`${'x'.repeat(19)}…`);
  });
});

function reportWithActions(actions: Report['actions'], outcome: Report['outcome'] = 'REMEDIATED'): Report {
  return { ...blankReport({ clusterName: 'eks-workshop', nodegroupName: 'ng', region: 'us-west-2', dryRun: false, trigger: { kind: 'cli' } }, outcome, 'r'), actions };
}

describe('renderReport: finishing the job', () => {
  it('says when the next recycle is allowed and where the cool-down is kept', () => {
    const text = renderReport(
      reportWithActions([
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
      reportWithActions([{ type: 'SCALE_CYCLE', resourceId: 'ng', status: 'failed', detail: { scaledDownTo: { minSize: 0, maxSize: 3, desiredSize: 0 }, restoreCommand: command } }], 'FAILED'),
    );

    expect(text).toContain(`restore with: ${command}`);
  });
});
