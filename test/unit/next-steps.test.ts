import { forSurface, nextSteps, rerunCommand } from '../../lambda/next-steps';
import { blankReport, type Finding, type Report } from '../../lambda/report';

function report(outcome: Report['outcome'], reason: string, findings: Finding[] = [], actions: Report['actions'] = []): Report {
  return {
    ...blankReport({ clusterName: 'eks-workshop', nodegroupName: 'new_nodegroup_2', region: 'us-west-2', dryRun: false, trigger: { kind: 'cli' } }, outcome, reason),
    findings,
    actions,
  };
}

const sharedTable: Finding = {
  code: 'SHARED_ROUTE_TABLE',
  severity: 'error',
  resourceId: 'rtb-0e1f2a3b4c5d6e7f8',
  message: "Route table rtb-0e1f2a3b4c5d6e7f8 is the VPC's main route table, so the remediator will not change it unless shared route tables are allowed (--allow-shared-route-tables).",
  remediable: false,
  evidence: { main: true },
};

const dnsOff: Finding = {
  code: 'VPC_DNS_DISABLED',
  severity: 'error',
  resourceId: 'vpc-0abc',
  message: "The VPC's enableDnsSupport is off.",
  remediable: false,
  evidence: { fix: 'aws ec2 modify-vpc-attribute --vpc-id vpc-0abc --enable-dns-support "{\\"Value\\":true}"' },
};

describe('nextSteps', () => {
  it('gives an UNRESOLVED report the findings\' fix commands, the knob that would let the tool act, and the re-run command (CLI)', () => {
    // Act
    const steps = nextSteps(report('UNRESOLVED', 'Nothing is changed while these blockers stand.', [dnsOff, sharedTable]), 'cli');

    // Assess
    expect(steps).toEqual([
      'VPC_DNS_DISABLED on vpc-0abc: aws ec2 modify-vpc-attribute --vpc-id vpc-0abc --enable-dns-support "{\\"Value\\":true}"',
      'SHARED_ROUTE_TABLE: if a default route to a NAT gateway is right for every subnet this route table serves, let the remediator write it: --allow-shared-route-tables.',
      'Then run it again to recycle the instances that never joined: npm run --silent remediate -- --cluster eks-workshop --nodegroup new_nodegroup_2 --region us-west-2',
    ]);
  });

  it('names the CDK context key and Lambda variable, and the Lambda invoke, for the deployed function', () => {
    // Act
    const steps = nextSteps(report('UNRESOLVED', 'x', [sharedTable]), 'lambda');

    // Assess
    expect(steps[0]).toContain('CDK context allowSharedRouteTables=true (Lambda env ALLOW_SHARED_ROUTE_TABLES=true)');
    expect(steps[0]).not.toContain('--allow-shared-route-tables');
    expect(steps[1]).toContain(`aws lambda invoke --region us-west-2 --function-name <FunctionName output> --cli-binary-format raw-in-base64-out --payload '{"clusterName":"eks-workshop","nodegroupName":"new_nodegroup_2"}' report.json`);
  });

  it('says the next step in words when no finding has a fix', () => {
    expect(nextSteps(report('UNRESOLVED', 'routing looks fine'), 'cli')).toEqual([
      'Clear the cause the reason names (the remediator will not change it), then run it again: npm run --silent remediate -- --cluster eks-workshop --nodegroup new_nodegroup_2 --region us-west-2',
    ]);
  });

  it('gives a FAILED scale cycle that was left scaled down the exact restore command first', () => {
    // Prepare
    const failed = report('FAILED', 'SCALE_CYCLE on new_nodegroup_2 failed: AccessDeniedException: not authorized', [], [
      {
        type: 'SCALE_CYCLE',
        resourceId: 'new_nodegroup_2',
        status: 'failed',
        detail: {
          scaledDownTo: { minSize: 0, maxSize: 3, desiredSize: 0 },
          original: { minSize: 1, maxSize: 3, desiredSize: 2 },
          restoreCommand: 'aws eks update-nodegroup-config --cluster-name eks-workshop --nodegroup-name new_nodegroup_2 --scaling-config minSize=1,maxSize=3,desiredSize=2',
        },
      },
    ]);

    // Act
    const steps = nextSteps(failed, 'cli');

    // Assess
    expect(steps[0]).toBe(
      "Restore the node group's scaling first (it was left scaled down): aws eks update-nodegroup-config " +
        '--cluster-name eks-workshop --nodegroup-name new_nodegroup_2 --scaling-config minSize=1,maxSize=3,desiredSize=2',
    );
    expect(steps[1]).toMatch(/^Your AWS credentials lack the permission named in the reason/);
    expect(steps[2]).toMatch(/^Fix what stopped the run \(named in the reason\), then run it again: npm run --silent remediate -- --cluster eks-workshop/);
  });

  it.each(['HEALTHY', 'REMEDIATED', 'DRY_RUN', 'SKIPPED'] as const)('is empty for %s', (outcome) => {
    expect(nextSteps(report(outcome, 'x', [sharedTable]), 'cli')).toEqual([]);
  });
});

describe('forSurface', () => {
  it('in Lambda, names settings as CDK context / env vars in the reason and messages, and fills in nextSteps', () => {
    // Act
    const localized = forSurface(report('UNRESOLVED', 'not allowed (--allow-shared-route-tables)', [sharedTable]), 'lambda');

    // Assess
    expect(localized.reason).toBe('not allowed (CDK context allowSharedRouteTables=true (Lambda env ALLOW_SHARED_ROUTE_TABLES=true))');
    expect(localized.findings[0]!.message).toContain('(CDK context allowSharedRouteTables=true (Lambda env ALLOW_SHARED_ROUTE_TABLES=true))');
    expect(localized.nextSteps).toHaveLength(2);
  });

  it('keeps next steps the engine set (a not-found answer) and adds none to a HEALTHY report', () => {
    expect(forSurface({ ...report('SKIPPED', 'Cluster x was not found'), nextSteps: ['List the clusters'] }, 'cli').nextSteps).toEqual(['List the clusters']);
    expect(forSurface(report('HEALTHY', 'fine'), 'cli')).not.toHaveProperty('nextSteps');
  });
});

describe('rerunCommand', () => {
  it('runs a whole cluster again when the report covers the cluster (*)', () => {
    expect(rerunCommand({ clusterName: 'c1', nodegroupName: '*', region: 'eu-west-1' }, 'cli')).toBe('npm run --silent remediate -- --cluster c1 --region eu-west-1');
  });
});

describe('nextSteps: unregistered instances without a named cause', () => {
  const unregistered: Finding = {
    code: 'NODES_NOT_REGISTERED',
    severity: 'error',
    resourceId: 'new_nodegroup_2',
    message: '1 instance(s) older than 300s have no Node object: i-0abc.',
    remediable: false,
    evidence: { instanceIds: ['i-0abc'] },
  };

  it("points at the instance's bootstrap log when nothing else is named", () => {
    expect(nextSteps(report('UNRESOLVED', 'routing looks fine', [unregistered]), 'cli')[0]).toBe(
      'NODES_NOT_REGISTERED: read the bootstrap log of an unregistered instance: aws ec2 get-console-output --region us-west-2 --instance-id i-0abc --latest --output text',
    );
  });

  it('leaves it out when a finding names the cause', () => {
    expect(nextSteps(report('UNRESOLVED', 'x', [unregistered, sharedTable]), 'cli').join('\n')).not.toContain('get-console-output');
  });
});
