import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ValidationError } from '../../lambda/errors';
import { NodeJoinRemediatorStack, type NodeJoinRemediatorStackProps } from '../../lib/node-join-remediator-stack';
import { onlyResource, TEST_ENV } from './support/synth';

function synthStack(props: NodeJoinRemediatorStackProps): { stack: NodeJoinRemediatorStack; template: Template } {
  const stack = new NodeJoinRemediatorStack(new App(), 'RemediatorStack', {
    env: TEST_ENV,
    ...props,
    remediator: { code: lambda.Code.fromInline('export const handler = async () => ({});'), ...props.remediator },
  });
  return { stack, template: Template.fromStack(stack) };
}

const NETWORK = { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'] };

describe('NodeJoinRemediatorStack', () => {
  it('outputs what the deploy guide uses: function name, role ARN, log group, queues, ledger table', () => {
    const { template } = synthStack({ remediator: { clusterNames: ['eks-workshop'] } });
    const outputs = Object.keys(template.findOutputs('*'));
    expect(outputs.sort()).toEqual(['EventDeliveryDlqUrl', 'FailedInvocationQueueUrl', 'FunctionName', 'LedgerTableName', 'LogGroupName', 'RoleArn']);
  });

  it('runs the function in the given subnets, with a new egress-only security group in the VPC', () => {
    // Act
    const { template } = synthStack({ network: NETWORK });
    // Assess
    const fn = onlyResource(template, 'AWS::Lambda::Function').properties;
    const securityGroup = onlyResource(template, 'AWS::EC2::SecurityGroup');
    expect(fn.VpcConfig.SubnetIds).toEqual(NETWORK.subnetIds);
    expect(fn.VpcConfig.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [securityGroup.logicalId, 'GroupId'] }]);
    expect(securityGroup.properties.VpcId).toBe(NETWORK.vpcId);
    expect(securityGroup.properties.SecurityGroupIngress).toBeUndefined();
  });

  it('uses the given security groups instead of creating one', () => {
    const { template } = synthStack({ network: { ...NETWORK, securityGroupIds: ['sg-0123456789abcdef0'] } });
    expect(onlyResource(template, 'AWS::Lambda::Function').properties.VpcConfig.SecurityGroupIds).toEqual(['sg-0123456789abcdef0']);
    template.resourceCountIs('AWS::EC2::SecurityGroup', 0);
  });

  it('creates an encrypted, TLS-only report topic on request and wires it to the function', () => {
    // Act
    const { template } = synthStack({ createReportTopic: true });
    // Assess
    const topic = onlyResource(template, 'AWS::SNS::Topic');
    expect(JSON.stringify(topic.properties.KmsMasterKeyId)).toContain('alias/aws/sns');
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    expect(onlyResource(template, 'AWS::Lambda::Function').properties.Environment.Variables.REPORT_TOPIC_ARN).toEqual({ Ref: topic.logicalId });
    expect(template.findOutputs('ReportTopicArn')).toHaveProperty('ReportTopicArn');
  });

  it('publishes to an existing topic by ARN', () => {
    const topicArn = 'arn:aws:sns:us-west-2:123456789012:platform-reports';
    const { template } = synthStack({ reportTopicArn: topicArn });
    expect(onlyResource(template, 'AWS::Lambda::Function').properties.Environment.Variables.REPORT_TOPIC_ARN).toBe(topicArn);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([{ Action: 'sns:Publish', Effect: 'Allow', Resource: topicArn }]) },
    });
    template.resourceCountIs('AWS::SNS::Topic', 0);
  });

  it('sends the notifying alarms to the alarm topic', () => {
    const alarmTopicArn = 'arn:aws:sns:us-west-2:123456789012:ops-alerts';
    const { template } = synthStack({ alarmTopicArn });
    const notifying = [
      ...Object.values(template.findResources('AWS::CloudWatch::CompositeAlarm')),
      ...Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((alarm) => alarm.Properties.AlarmActions !== undefined),
    ];
    expect(notifying).toHaveLength(3);
    for (const alarm of notifying) expect(alarm.Properties.AlarmActions).toEqual([alarmTopicArn]);
  });

  it('creates an alarm topic on request and outputs its ARN', () => {
    const { template } = synthStack({ remediator: { createAlarmTopic: true } });
    template.hasOutput('AlarmTopicArn', { Value: { Ref: Match.stringLikeRegexp('AlarmTopic') } });
  });

  it.each<[string, NodeJoinRemediatorStackProps, string, RegExp]>([
    ['both topic options', { createReportTopic: true, reportTopicArn: 'arn:aws:sns:us-west-2:123456789012:r' }, 'reportTopicArn', /not both/],
    ['a bad topic ARN', { reportTopicArn: 'reports' }, 'reportTopicArn', /SNS topic ARN/],
    ['a bad alarm topic ARN', { alarmTopicArn: 'arn:aws:sqs:us-west-2:123456789012:q' }, 'alarmTopicArn', /SNS topic ARN/],
    ['a bad VPC id', { network: { ...NETWORK, vpcId: 'vpc-xyz' } }, 'vpcId', /VPC id like vpc-/],
    ['a VPC without subnets', { network: { ...NETWORK, subnetIds: [] } }, 'subnetIds', /needs subnetIds/],
    ['a bad subnet id', { network: { ...NETWORK, subnetIds: ['sn-1'] } }, 'subnetIds', /subnet ids like subnet-/],
    ['a bad security group id', { network: { ...NETWORK, securityGroupIds: ['group-1'] } }, 'securityGroupIds', /security group ids like sg-/],
  ])('rejects %s', (_label, props, field, message) => {
    let caught: unknown;
    try {
      synthStack(props);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).field).toBe(field);
    expect((caught as ValidationError).message).toMatch(message);
  });
});
