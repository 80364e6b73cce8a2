/**
 * The deployable stack: one NodeJoinRemediator, plus what is easier to give by id from the
 * command line (VPC, subnets, security groups, topics). No context lookups: synth stays offline.
 */
import { CfnOutput, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { ValidationError } from '../lambda/errors';
import { NodeJoinRemediator, type NodeJoinRemediatorProps } from './node-join-remediator';

/** The function's network, by id (imported as is, never looked up). */
export interface FunctionNetwork {
  readonly vpcId: string;
  /** Private subnets with a path to the AWS APIs (NAT gateway or VPC endpoints). */
  readonly subnetIds: readonly string[];
  /** @default - a new security group, egress only */
  readonly securityGroupIds?: readonly string[];
}

export type RemediatorStackKnobs = Omit<NodeJoinRemediatorProps, 'vpc' | 'vpcSubnets' | 'securityGroups' | 'reportTopic' | 'alarmActions'>;

export interface NodeJoinRemediatorStackProps extends StackProps {
  readonly remediator?: RemediatorStackKnobs;
  /** @default - the function runs outside any VPC (clusters need a public API endpoint) */
  readonly network?: FunctionNetwork;
  /** Publish reports to this existing topic. @default - no topic */
  readonly reportTopicArn?: string;
  /** Create an encrypted topic for reports (its ARN is an output). @default false */
  readonly createReportTopic?: boolean;
  /** Notify this topic when an alarm fires. @default - alarms without actions */
  readonly alarmTopicArn?: string;
}

const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8,17}$/;
const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

export class NodeJoinRemediatorStack extends Stack {
  readonly remediator: NodeJoinRemediator;
  readonly reportTopic?: sns.ITopic;

  constructor(scope: Construct, id: string, props: NodeJoinRemediatorStackProps = {}) {
    super(scope, id, { description: STACK_DESCRIPTION, ...props });
    const resources = addRemediatorStackResources(this, props);
    this.remediator = resources.remediator;
    this.reportTopic = resources.reportTopic;
  }
}

export const STACK_DESCRIPTION = 'eks-node-join-remediator: finds EKS node group instances that never joined and fixes their default route';

/**
 * What a remediator stack holds (the single-account stack and the organisation's member stack
 * alike): the construct, the topics and network given by id, and the outputs.
 * @param reportTopic a report topic made by the caller (e.g. the organisation's central topic), instead of `reportTopicArn` / `createReportTopic`
 */
export function addRemediatorStackResources(
  stack: Stack,
  props: Omit<NodeJoinRemediatorStackProps, keyof StackProps>,
  reportTopic?: sns.ITopic,
): { remediator: NodeJoinRemediator; reportTopic?: sns.ITopic } {
  assertValidStackProps(props);
  const topic =
    reportTopic ??
    (props.createReportTopic
      ? new sns.Topic(stack, 'ReportTopic', {
          displayName: 'eks-node-join-remediator reports',
          enforceSSL: true,
          // The AWS managed key: principals of the account may use it through SNS, so no KMS grant is needed.
          masterKey: kms.Alias.fromAliasName(stack, 'SnsManagedKey', 'alias/aws/sns'),
        })
      : props.reportTopicArn
        ? sns.Topic.fromTopicArn(stack, 'ReportTopic', props.reportTopicArn)
        : undefined);
  const alarmTopic = props.alarmTopicArn ? sns.Topic.fromTopicArn(stack, 'AlarmTopic', props.alarmTopicArn) : undefined;

  const network = props.network ? importNetwork(stack, props.network) : {};
  const remediator = new NodeJoinRemediator(stack, 'Remediator', {
    ...props.remediator,
    ...network,
    reportTopic: topic,
    alarmActions: alarmTopic ? [new cloudwatchActions.SnsAction(alarmTopic)] : undefined,
  });

  new CfnOutput(stack, 'FunctionName', { value: remediator.function.functionName, description: 'aws lambda invoke --function-name <this>' });
  new CfnOutput(stack, 'RoleArn', { value: remediator.role.roleArn, description: 'Map this role in aws-auth for clusters in CONFIG_MAP mode' });
  new CfnOutput(stack, 'LogGroupName', { value: remediator.logGroup.logGroupName, description: 'Every report is logged here' });
  new CfnOutput(stack, 'EventDeliveryDlqUrl', { value: remediator.eventDeliveryDeadLetterQueue.queueUrl });
  new CfnOutput(stack, 'FailedInvocationQueueUrl', { value: remediator.failedInvocationQueue.queueUrl });
  if (topic) new CfnOutput(stack, 'ReportTopicArn', { value: topic.topicArn });
  if (remediator.alarmTopic) new CfnOutput(stack, 'AlarmTopicArn', { value: remediator.alarmTopic.topicArn, description: 'Subscribe to receive the alarms' });
  new CfnOutput(stack, 'LedgerTableName', { value: remediator.ledgerTable.tableName, description: 'Leases and the remediation ledger' });
  return { remediator, reportTopic: topic };
}

/** The function's network, imported by id (nothing is looked up at synth). */
function importNetwork(stack: Stack, network: FunctionNetwork): Pick<NodeJoinRemediatorProps, 'vpc' | 'vpcSubnets' | 'securityGroups'> {
  // Lambda only needs the VPC id (for its security group) and the explicit subnets below; the
  // zones are a token so that nothing is looked up at synth.
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: network.vpcId, availabilityZones: Fn.getAzs() });
  const subnets = network.subnetIds.map((subnetId) => ec2.Subnet.fromSubnetId(stack, `Subnet-${subnetId}`, subnetId));
  const securityGroups = network.securityGroupIds?.map((groupId) =>
    ec2.SecurityGroup.fromSecurityGroupId(stack, `SecurityGroup-${groupId}`, groupId, { mutable: false }),
  );
  return { vpc, vpcSubnets: { subnets }, securityGroups };
}

function assertValidStackProps(props: Omit<NodeJoinRemediatorStackProps, keyof StackProps>): void {
  if (props.createReportTopic && props.reportTopicArn !== undefined) {
    throw new ValidationError('give either reportTopicArn (an existing topic) or createReportTopic, not both', 'reportTopicArn');
  }
  if (props.reportTopicArn !== undefined && !TOPIC_ARN.test(props.reportTopicArn)) {
    throw new ValidationError(`reportTopicArn must be an SNS topic ARN, got "${props.reportTopicArn}"`, 'reportTopicArn');
  }
  if (props.alarmTopicArn !== undefined && !TOPIC_ARN.test(props.alarmTopicArn)) {
    throw new ValidationError(`alarmTopicArn must be an SNS topic ARN, got "${props.alarmTopicArn}"`, 'alarmTopicArn');
  }
  const network = props.network;
  if (network === undefined) return;
  if (!VPC_ID.test(network.vpcId)) {
    throw new ValidationError(`vpcId must be a VPC id like vpc-0123456789abcdef0, got "${network.vpcId}"`, 'vpcId');
  }
  if (network.subnetIds.length === 0) {
    throw new ValidationError('a function in a VPC needs subnetIds (private subnets with a path to the AWS APIs)', 'subnetIds');
  }
  for (const subnetId of network.subnetIds) {
    if (!SUBNET_ID.test(subnetId)) throw new ValidationError(`subnetIds must list subnet ids like subnet-0123456789abcdef0, got "${subnetId}"`, 'subnetIds');
  }
  for (const groupId of network.securityGroupIds ?? []) {
    if (!SECURITY_GROUP_ID.test(groupId)) {
      throw new ValidationError(`securityGroupIds must list security group ids like sg-0123456789abcdef0, got "${groupId}"`, 'securityGroupIds');
    }
  }
}
