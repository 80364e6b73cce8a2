/**
 * The organisation shape (contract section 9): a central stack in a delegated administrator
 * account with the report topic every member publishes to (its policy admits only principals of
 * the organisation), a dashboard of outcomes per account and region, and a service-managed
 * StackSet (cdk-stacksets) that deploys the member stack to the given OUs and regions, and to every
 * account that joins them later (auto-deployment).
 *
 * Reports flow: member function → central SNS topic (KMS, TLS only, aws:PrincipalOrgID) → SQS
 * queue (raw delivery) → EventBridge Pipe → log group → metric filter `RemediationOutcome` with
 * dimensions AccountId, Region, Outcome → dashboard (and a Logs Insights table).
 */
import { Aws, CfnOutput, CfnParameter, Duration, RemovalPolicy, Stack, Token, Validations, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as pipes from 'aws-cdk-lib/aws-pipes';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Capability, DeploymentType, RegionConcurrencyType, StackSet, StackSetStack, StackSetTarget, StackSetTemplate } from 'cdk-stacksets';
import type { Construct, IConstruct } from 'constructs';
import { ValidationError } from '../lambda/errors';
import { addRemediatorStackResources, STACK_DESCRIPTION, type RemediatorStackKnobs } from './node-join-remediator-stack';
import type { NodeJoinRemediator } from './node-join-remediator';
import { OUTCOME_METRIC } from './node-join-remediator';
import { wildcardFindingsOfPolicy } from './nag';

/** AWS Organizations ids (https://docs.aws.amazon.com/organizations/latest/APIReference/API_Organization.html). */
export const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
/** An OU id, or the root id (targets the whole organisation). */
export const ORGANIZATIONAL_UNIT_ID = /^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$/;
/** Commercial, China, GovCloud and ISO partitions' region names, e.g. us-west-2, cn-north-1, us-gov-west-1. */
export const REGION_NAME = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;
const STACK_SET_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
/** S3 bucket names are 3-63 of a-z 0-9 . -; the prefix gets `-<region>` appended. */
export const ASSET_BUCKET_PREFIX = /^[a-z0-9][a-z0-9.-]{1,40}[a-z0-9]$/;

/** The central metric: one data point per report received from a member. */
export const ORGANIZATION_METRIC = {
  namespace: `${OUTCOME_METRIC.namespace}/Organization`,
  metricName: OUTCOME_METRIC.metricName,
  dimensions: { AccountId: '$.accountId', Region: '$.region', Outcome: '$.outcome' },
} as const;

/** Parameters of the member template, set by the StackSet. */
export const MEMBER_PARAMETERS = {
  reportTopicArn: 'CentralReportTopicArn',
  reportTopicKeyArn: 'CentralReportTopicKeyArn',
} as const;

export interface OrganizationTargets {
  /** o-... : the only organisation whose principals may publish to the central topic. */
  readonly organizationId: string;
  /** OUs (or the root r-...) the member stack is deployed to, nested OUs included. */
  readonly organizationalUnitIds: readonly string[];
  /** Regions of every member account the member stack is deployed to. */
  readonly regions: readonly string[];
  /**
   * Buckets `<prefix>-<region>` in the central account, one per target region, readable by the
   * organisation (see README "Deploy to an organisation"): cdk-stacksets copies the function's
   * bundle there and member stacks read it from their region's bucket.
   */
  readonly assetBucketPrefix: string;
  /** @default 'EksNodeJoinRemediator' */
  readonly stackSetName?: string;
  /**
   * Deploy the StackSet as a delegated administrator of CloudFormation StackSets (CallAs
   * DELEGATED_ADMIN); false when the central account is the management account.
   * @default true
   */
  readonly delegatedAdmin?: boolean;
}

export interface RemediatorMemberStackProps {
  /** Knobs of the remediator in every member account and region. */
  readonly remediator?: RemediatorStackKnobs;
  /** Alarm topic of the member (an ARN valid in every member: rarely useful; prefer remediator.createAlarmTopic). */
  readonly alarmTopicArn?: string;
  /**
   * The central report topic. @default - the `CentralReportTopicArn` parameter, which the StackSet sets
   */
  readonly centralReportTopicArn?: string;
  /**
   * The KMS key of the central topic (publishers need kms:GenerateDataKey and kms:Decrypt on it).
   * @default - the `CentralReportTopicKeyArn` parameter, which the StackSet sets
   */
  readonly centralReportTopicKeyArn?: string;
  /** cdk-stacksets asset buckets, one per target region (named `<assetBucketPrefix>-<region>`). */
  readonly assetBuckets?: s3.IBucket[];
  readonly assetBucketPrefix?: string;
}

/**
 * The remediator as deployed into each member account and region by the StackSet: the same
 * resources as the single-account stack, reporting to the central topic. Environment-agnostic by
 * construction (a StackSet template is one template for every account and region).
 */
export class RemediatorMemberStack extends StackSetStack {
  readonly remediator: NodeJoinRemediator;

  constructor(scope: Construct, id: string, props: RemediatorMemberStackProps = {}) {
    super(scope, id, { assetBuckets: props.assetBuckets, assetBucketPrefix: props.assetBucketPrefix });
    this.templateOptions.description = `${STACK_DESCRIPTION} (organisation member, reports to the central topic)`;
    const topicArn =
      props.centralReportTopicArn ??
      new CfnParameter(this, MEMBER_PARAMETERS.reportTopicArn, { type: 'String', description: 'ARN of the central report topic (set by the StackSet)' }).valueAsString;
    const keyArn =
      props.centralReportTopicKeyArn ??
      new CfnParameter(this, MEMBER_PARAMETERS.reportTopicKeyArn, { type: 'String', description: 'ARN of the central report topic\'s KMS key (set by the StackSet)' }).valueAsString;
    const centralTopic = sns.Topic.fromTopicArn(this, 'CentralReportTopic', topicArn);
    const { remediator } = addRemediatorStackResources(this, { remediator: props.remediator, alarmTopicArn: props.alarmTopicArn }, centralTopic);
    this.remediator = remediator;
    // Publishing to a topic encrypted with a customer managed key in another account needs the key
    // in the caller's policy too (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html).
    const keyPolicy = new iam.Policy(this, 'CentralReportKeyPolicy', {
      roles: [remediator.role],
      statements: [
        new iam.PolicyStatement({
          sid: 'EncryptForCentralReportTopic',
          actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
          resources: [keyArn],
          conditions: { StringLike: { 'kms:ViaService': 'sns.*.amazonaws.com' } },
        }),
      ],
    });
    Validations.of(keyPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason: 'SNS documents kms:GenerateDataKey* and kms:Decrypt for publishers to an encrypted topic; the statement names the one central key and only through SNS.',
    });
  }
}

export interface OrganizationCentralStackProps extends StackProps, OrganizationTargets {
  /** The member stack's knobs (contract section 4), the same in every member. */
  readonly member?: Omit<RemediatorMemberStackProps, 'assetBuckets' | 'assetBucketPrefix' | 'centralReportTopicArn' | 'centralReportTopicKeyArn'>;
  /** Retention of the central report log. @default RetentionDays.ONE_YEAR */
  readonly reportLogRetention?: logs.RetentionDays;
}

/**
 * The central stack: report topic (organisation-only policy), the report log and dashboard of
 * outcomes per account and region, and the StackSet of the member stack.
 */
export class OrganizationCentralStack extends Stack {
  readonly reportTopic: sns.Topic;
  readonly reportKey: kms.Key;
  readonly reportQueue: sqs.Queue;
  readonly reportLogGroup: logs.LogGroup;
  readonly dashboard: cloudwatch.Dashboard;
  readonly member: RemediatorMemberStack;
  readonly stackSet: StackSet;

  constructor(scope: Construct, id: string, props: OrganizationCentralStackProps) {
    super(scope, id, { description: 'eks-node-join-remediator: central reports of the organisation and the StackSet of the member stack', ...props });
    validateOrganizationTargets(props);
    const organization = new iam.OrganizationPrincipal(props.organizationId);

    this.reportKey = new kms.Key(this, 'ReportKey', {
      description: 'eks-node-join-remediator: central report topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Member functions encrypt what they publish through SNS; only principals of the organisation.
    this.reportKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'PublishThroughSnsFromOrganization',
        principals: [organization],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'kms:ViaService': `sns.${Aws.REGION}.amazonaws.com` } },
      }),
    );
    this.reportTopic = new sns.Topic(this, 'ReportTopic', {
      displayName: 'eks-node-join-remediator reports of the organisation',
      enforceSSL: true,
      masterKey: this.reportKey,
    });
    this.reportTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'PublishFromOrganization',
        principals: [organization],
        actions: ['sns:Publish'],
        resources: [this.reportTopic.topicArn],
      }),
    );

    const reportDlq = new sqs.Queue(this, 'ReportDlq', { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
    const dlqReason = 'This queue is itself the dead-letter queue of the report queue: its messages are read by operators, not redriven.';
    Validations.of(reportDlq).acknowledge({ id: 'AwsSolutions-SQS3', reason: dlqReason }, { id: 'Serverless-SQSRedrivePolicy', reason: dlqReason });
    this.reportQueue = new sqs.Queue(this, 'ReportQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: reportDlq, maxReceiveCount: 5 },
    });
    // Messages SNS cannot deliver to the queue land in the same dead-letter queue.
    this.reportTopic.addSubscription(new subscriptions.SqsSubscription(this.reportQueue, { rawMessageDelivery: true, deadLetterQueue: reportDlq }));

    this.reportLogGroup = new logs.LogGroup(this, 'ReportLogGroup', {
      retention: props.reportLogRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.addReportPipe();
    new logs.MetricFilter(this, 'OutcomeMetricFilter', {
      logGroup: this.reportLogGroup,
      filterPattern: logs.FilterPattern.exists('$.outcome'),
      metricNamespace: ORGANIZATION_METRIC.namespace,
      metricName: ORGANIZATION_METRIC.metricName,
      metricValue: '1',
      dimensions: { ...ORGANIZATION_METRIC.dimensions },
    });
    this.dashboard = this.createDashboard();

    const assetBuckets = props.regions.map((region) =>
      s3.Bucket.fromBucketAttributes(this, `AssetBucket-${region}`, { bucketName: `${props.assetBucketPrefix}-${region}`, region }),
    );
    this.member = new RemediatorMemberStack(this, 'Member', { ...props.member, assetBuckets, assetBucketPrefix: props.assetBucketPrefix });
    this.stackSet = new StackSet(this, 'StackSet', {
      stackSetName: props.stackSetName ?? 'EksNodeJoinRemediator',
      description: 'eks-node-join-remediator in every member account and region',
      template: StackSetTemplate.fromStackSetStack(this.member),
      target: StackSetTarget.fromOrganizationalUnits({ regions: [...props.regions], organizationalUnits: [...props.organizationalUnitIds] }),
      deploymentType: DeploymentType.serviceManaged({
        autoDeployEnabled: true,
        // An account that leaves the OUs loses the function (its routes and ledger stay: RETAIN).
        autoDeployRetainStacks: false,
        delegatedAdmin: props.delegatedAdmin ?? true,
      }),
      capabilities: [Capability.IAM],
      managedExecution: true,
      operationPreferences: { regionConcurrencyType: RegionConcurrencyType.PARALLEL, maxConcurrentPercentage: 25, failureTolerancePercentage: 10 },
      parameters: {
        [MEMBER_PARAMETERS.reportTopicArn]: this.reportTopic.topicArn,
        [MEMBER_PARAMETERS.reportTopicKeyArn]: this.reportKey.keyArn,
      },
    });
    acknowledgeAssetDeployment(this);

    new CfnOutput(this, 'ReportTopicArn', { value: this.reportTopic.topicArn, description: 'Every member publishes its reports here; subscribe to it' });
    new CfnOutput(this, 'ReportLogGroupName', { value: this.reportLogGroup.logGroupName, description: 'Every report of the organisation' });
    new CfnOutput(this, 'DashboardName', { value: this.dashboard.dashboardName });
  }

  /** The SQS queue's messages (raw reports) into the log group, without code: an EventBridge Pipe. */
  private addReportPipe(): void {
    const role = new iam.Role(this, 'ReportPipeRole', {
      description: 'eks-node-join-remediator: moves central reports from the queue to the log group',
      assumedBy: new iam.PrincipalWithConditions(new iam.ServicePrincipal('pipes.amazonaws.com'), { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } }),
    });
    this.reportQueue.grantConsumeMessages(role);
    this.reportLogGroup.grantWrite(role);
    const pipe = new pipes.CfnPipe(this, 'ReportPipe', {
      description: 'Central reports: queue → log group (the report JSON is the log event)',
      roleArn: role.roleArn,
      source: this.reportQueue.queueArn,
      sourceParameters: { sqsQueueParameters: { batchSize: 10 } },
      target: this.reportLogGroup.logGroupArn,
      // The SQS body is the report (raw delivery); Pipes parses a JSON body, so the log event is the report itself.
      targetParameters: { inputTemplate: '<$.body>', cloudWatchLogsParameters: {} },
    });
    pipe.node.addDependency(role);
  }

  private createDashboard(): cloudwatch.Dashboard {
    const search = (dimensions: string, label: string): cloudwatch.MathExpression =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('{${ORGANIZATION_METRIC.namespace},${dimensions}} MetricName="${ORGANIZATION_METRIC.metricName}"', 'Sum', 900)`,
        label,
        usingMetrics: {},
        period: Duration.minutes(15),
      });
    const dashboard = new cloudwatch.Dashboard(this, 'OrganizationDashboard', { defaultInterval: Duration.days(7) });
    dashboard.addWidgets(
      new cloudwatch.TextWidget({ markdown: '# eks-node-join-remediator: the organisation\nReports every member published to the central topic (outcome changes).', width: 24, height: 2 }),
      new cloudwatch.GraphWidget({
        title: 'Reports by account, region and outcome',
        left: [search('AccountId,Outcome,Region', '')],
        width: 24,
        height: 8,
        stacked: true,
      }),
      new cloudwatch.LogQueryWidget({
        title: 'Latest outcome per node group (account, region)',
        logGroupNames: [this.reportLogGroup.logGroupName],
        queryLines: [
          'fields accountId, region, clusterName, nodegroupName, outcome, reason',
          'stats latest(outcome) as lastOutcome, latest(reason) as lastReason, count(*) as reports by accountId, region, clusterName, nodegroupName',
          'sort accountId, region',
        ],
        width: 24,
        height: 8,
      }),
    );
    return dashboard;
  }
}

/**
 * cdk-stacksets copies the member's assets with an S3 BucketDeployment (a CDK-provided custom
 * resource function and role in this stack): acknowledge its findings one by one, on its own
 * constructs only.
 */
function acknowledgeAssetDeployment(stack: Stack): void {
  const reason = (text: string): string => `CDK's BucketDeployment custom resource (used by cdk-stacksets to copy the member's assets): ${text}`;
  const isDeployment = (construct: IConstruct): boolean => /CDKBucketDeployment/.test(construct.node.path);
  for (const construct of stack.node.findAll().filter(isDeployment)) {
    if (construct instanceof iam.Role) {
      Validations.of(construct).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: reason('the AWS managed basic execution policy only lets it write its own logs.'),
      });
    }
    if (construct instanceof iam.Policy) {
      for (const finding of wildcardFindingsOfPolicy(stack, construct)) {
        Validations.of(construct).acknowledge({
          id: `AwsSolutions-IAM5[${finding}]`,
          reason: reason('aws-cdk-lib grants it read on the staged assets and write on the per-region asset buckets, with the action groups its copy needs.'),
        });
      }
    }
  }
  const functions = stack.node.findAll().filter((construct) => isDeployment(construct) && construct instanceof lambda.CfnFunction);
  for (const fn of functions) {
    Validations.of(fn).acknowledge(
      { id: 'AwsSolutions-L1', reason: reason('its runtime is chosen by aws-cdk-lib and moves with it.') },
      { id: 'Serverless-LambdaDLQ', reason: reason('CloudFormation invokes it synchronously and reports its failure; there is no event to keep.') },
      { id: 'Serverless-LambdaTracing', reason: reason('a one-off copy at deploy time; its logs are enough.') },
      { id: 'Serverless-LambdaDefaultMemorySize', reason: reason('its memory is set by aws-cdk-lib for the copy.') },
      { id: 'Serverless-LambdaLatestVersion', reason: reason('its runtime is chosen by aws-cdk-lib and moves with it.') },
    );
  }
}

/** Throws ValidationError naming the prop (= context key) at fault. */
export function validateOrganizationTargets(props: OrganizationTargets): void {
  if (!ORGANIZATION_ID.test(props.organizationId)) {
    throw new ValidationError(`organizationId must be an AWS Organizations id like o-a1b2c3d4e5, got "${props.organizationId}"`, 'organizationId');
  }
  if (props.organizationalUnitIds.length === 0) {
    throw new ValidationError('organizationalUnitIds must list at least one OU id (ou-...) or the root id (r-...)', 'organizationalUnitIds');
  }
  for (const id of props.organizationalUnitIds) {
    if (!ORGANIZATIONAL_UNIT_ID.test(id)) {
      throw new ValidationError(`organizationalUnitIds must list OU ids like ou-ab12-cdef3456 or the root id r-ab12, got "${id}"`, 'organizationalUnitIds');
    }
  }
  if (props.regions.length === 0) throw new ValidationError('regions must list at least one region, e.g. us-west-2,eu-west-1', 'regions');
  for (const region of props.regions) {
    if (!REGION_NAME.test(region)) throw new ValidationError(`regions must list AWS region names like us-west-2,eu-west-1, got "${region}"`, 'regions');
  }
  if (Token.isUnresolved(props.assetBucketPrefix) || !ASSET_BUCKET_PREFIX.test(props.assetBucketPrefix)) {
    throw new ValidationError(
      `assetBucketPrefix must be 3-42 of a-z 0-9 . - (an S3 bucket name once "-<region>" is added), got "${props.assetBucketPrefix}"`,
      'assetBucketPrefix',
    );
  }
  if (props.stackSetName !== undefined && !STACK_SET_NAME.test(props.stackSetName)) {
    throw new ValidationError(`stackSetName must start with a letter and hold only letters, digits and -, got "${props.stackSetName}"`, 'stackSetName');
  }
}
