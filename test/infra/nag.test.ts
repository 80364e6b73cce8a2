import { App, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { flattenCfnReference, nagPacks, wildcardResourceFindings } from '../../lib/nag';
import { NodeJoinRemediatorStack, type NodeJoinRemediatorStackProps } from '../../lib/node-join-remediator-stack';

const INLINE = (): lambda.Code => lambda.Code.fromInline('export const handler = async () => ({});');

function stackWith(props: NodeJoinRemediatorStackProps, env?: { account: string; region: string }): NodeJoinRemediatorStack {
  return new NodeJoinRemediatorStack(new App(), 'NagStack', { env, ...props, remediator: { code: INLINE(), ...props.remediator } });
}

/** Every finding of both packs, as "RuleId path". */
function findings(scope: IConstruct): string[] {
  return nagPacks().flatMap((pack) =>
    pack.validateScope(scope).violations.flatMap((violation) => violation.violatingResources.map((resource) => `${violation.ruleName} ${resource.constructPath}`)),
  );
}

/** Every acknowledgement recorded in the tree: [rule id, reason]. */
function acknowledgements(scope: IConstruct): [string, string][] {
  return scope.node
    .findAll()
    .flatMap((construct) => construct.node.metadata.filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
    .flatMap((entry) => Object.entries(entry.data as Record<string, string>));
}

describe('cdk-nag AwsSolutions and Serverless packs', () => {
  it.each<[string, NodeJoinRemediatorStackProps, { account: string; region: string } | undefined]>([
    ['the defaults (every cluster, environment-agnostic)', {}, undefined],
    ['one cluster, dry run', { remediator: { clusterNames: ['eks-workshop'], dryRun: true } }, { account: '123456789012', region: 'us-west-2' }],
    [
      'VPC, report topic, alarm topic, Kubernetes groups, route table VPCs',
      {
        remediator: { clusterNames: ['eks-workshop', 'eks-prod'], kubernetesGroups: ['node-readers'], routeTableVpcIds: ['vpc-0123456789abcdef0'] },
        network: { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0'] },
        createReportTopic: true,
        alarmTopicArn: 'arn:aws:sns:us-west-2:123456789012:ops',
      },
      { account: '123456789012', region: 'us-west-2' },
    ],
    ['tracing off, a concurrency cap of 5, an alarm topic', { remediator: { tracing: false, reservedConcurrency: 5, createAlarmTopic: true } }, undefined],
    ['an existing report topic, no sweep', { reportTopicArn: 'arn:aws:sns:us-west-2:123456789012:reports', remediator: { sweepEnabled: false } }, undefined],
  ])('report no unacknowledged finding for %s', (_label, props, env) => {
    expect(findings(stackWith(props, env))).toEqual([]);
  });

  it('would report what the acknowledgements cover (the check can fail)', () => {
    // Prepare: a stack, then one more wildcard grant nobody acknowledged.
    const stack = stackWith({ remediator: { clusterNames: ['eks-workshop'] } });
    new iam.Policy(stack, 'Extra', {
      roles: [stack.remediator.role],
      statements: [new iam.PolicyStatement({ actions: ['ec2:DescribeImages'], resources: ['*'] })],
    });
    // Act / Assess
    expect(findings(stack)).toEqual(['AwsSolutions-IAM5[Resource::*] NagStack/Extra/Resource']);
  });

  it('acknowledges Serverless-LambdaTracing only when tracing is turned off', () => {
    const ids = (tracing: boolean): string[] => acknowledgements(stackWith({ remediator: { tracing } })).map(([id]) => id.replace(/^Annotation::/, ''));
    expect(ids(true)).not.toContain('Serverless-LambdaTracing');
    expect(ids(false)).toContain('Serverless-LambdaTracing');
  });

  it('acknowledges each finding with a reason, one finding at a time', () => {
    const acks = acknowledgements(stackWith({ remediator: { clusterNames: ['eks-workshop'] }, network: { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0'] } }));
    expect(acks.length).toBeGreaterThan(0);
    for (const [id, reason] of acks) {
      expect(reason.length).toBeGreaterThan(40);
      if (id.includes('IAM5')) expect(id).toMatch(/IAM5\[Resource::.+\]$/);
    }
  });
});

describe('wildcardResourceFindings', () => {
  it('renders resources the way cdk-nag names IAM5 findings', () => {
    // Prepare
    const stack = new Stack(new App(), 'S');
    const statements = [
      new iam.PolicyStatement({ actions: ['ec2:CreateRoute'], resources: [stack.formatArn({ service: 'ec2', resource: 'route-table', resourceName: '*' })] }),
      new iam.PolicyStatement({ actions: ['eks:DescribeCluster'], resources: [stack.formatArn({ service: 'eks', resource: 'cluster', resourceName: 'exact' })] }),
    ];
    // Act / Assess: only the wildcard one, with pseudo parameters as <AWS::...>.
    expect(wildcardResourceFindings(stack, statements)).toEqual(['Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:route-table/*']);
  });

  it('flattens Ref, GetAtt, Sub and Join like cdk-nag', () => {
    expect(flattenCfnReference({ 'Fn::Join': [':', ['a', { Ref: 'B' }, { 'Fn::GetAtt': ['C', 'Arn'] }]] })).toBe('a:<B>:<C.Arn>');
    expect(flattenCfnReference({ 'Fn::Sub': 'x-${AWS::Region}' })).toBe('x-<AWS::Region>');
  });
});
