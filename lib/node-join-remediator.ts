/**
 * NodeJoinRemediator: the Lambda, its triggers, its least-privilege role, Kubernetes access on
 * each allowed cluster, and the alarms. Every knob of contract section 4 is a prop.
 */
import * as path from 'path';
import { Annotations, Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { MonitoringFacade } from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import { ENV } from '../lambda/config';
import { LEDGER_TABLE } from '../lambda/ledger/schema';
import { ValidationError } from '../lambda/errors';
import type { Outcome } from '../lambda/report';
import { BUNDLE_ALIASES, BUNDLING_TARGET, ESM_REQUIRE_SHIM, HANDLER_ENTRY, MAIN_FIELDS, REPO_ROOT } from './bundling';
import { nodegroupApiCallPattern, nodegroupInstanceLaunchPattern } from './event-patterns';
import { wildcardResourceFindings } from './nag';
import { fleetStateGroup, remediatorPolicyGroups, SCHEDULER_SERVICE, vpcNetworkInterfaceGroup, type PolicyGroup } from './permissions';
import { createRemediatorMonitoring } from './remediator-monitoring';
import { resolveRemediatorSettings, type RemediatorKnobs, type RemediatorSettings } from './remediator-settings';

/** The EMF metric the handler emits once per report (Powertools Metrics adds the `service` dimension). */
export const OUTCOME_METRIC = {
  namespace: 'EksNodeJoinRemediator',
  metricName: 'RemediationOutcome',
  outcomeDimension: 'Outcome',
  serviceName: 'eks-node-join-remediator',
} as const;

/** EKS access policy used by default: cluster-wide read, enough to list Node objects. */
export const DEFAULT_ACCESS_POLICY_NAME = 'AmazonEKSAdminViewPolicy';

/** Kubernetes group bound by deploy/kubernetes/node-reader-rbac.yaml to get/list on nodes only. */
export const NODE_READER_GROUP = 'eks-node-join-remediator-node-readers';

/**
 * Default cap on concurrent invocations. Not a lock: the per-node-group lease in the ledger table
 * keeps two runs off one node group (contract section 8); the cap bounds the AWS API load and
 * the share of the account's concurrency the function can take.
 */
export const DEFAULT_RESERVED_CONCURRENCY = 10;

/** Lambda's own bound on reserved concurrency for one function (the account quota is checked at deploy). */
export const MAX_RESERVED_CONCURRENCY = 1000;

export interface NodeJoinRemediatorProps extends RemediatorKnobs {
  /** Plan only, never mutate. @default false */
  readonly dryRun?: boolean;
  /**
   * Clusters the function may work on; an access entry is created on each.
   * @default [] - every cluster in the region, and no access entries (registration then falls back to node group health)
   */
  readonly clusterNames?: readonly string[];
  /** Seconds before an instance without a Node counts as unregistered. @default 300 */
  readonly graceSeconds?: number;
  /** @default 'replace-unjoined' */
  readonly recycle?: RemediatorKnobs['recycle'];
  /** NAT gateway override (still checked against the safety rules); needs clusterNames. @default - discover */
  readonly natGatewayId?: string;
  /** Allow changing a shared or main route table. @default false */
  readonly allowSharedRouteTables?: boolean;
  /** Seconds to wait for nodes to join after the fix; must leave 120 s of the timeout. @default 600 */
  readonly waitSeconds?: number;
  /** Node groups with this tag are skipped. @default { key: 'node-join-remediator/disabled', value: 'true' } */
  readonly optOutTag?: { readonly key: string; readonly value: string };
  /** Seconds between verification polls. @default 10 */
  readonly pollSeconds?: number;
  /** Write a NAT route even on an endpoint-only subnet (contract section 3). @default false */
  readonly allowInternetEgress?: boolean;
  /** Create the node role's missing EKS access entry (CREATE_ACCESS_ENTRY). @default false */
  readonly createNodeAccessEntry?: boolean;
  /** Minimum seconds between two recycles of one node group for the same cause. @default 3600 */
  readonly recycleCooldownSeconds?: number;
  /** Attach serial-console lines of unregistered instances as evidence (ec2:GetConsoleOutput). @default false */
  readonly readConsoleOutput?: boolean;
  /** How many node groups a sweep examines at once, 1..64. @default 8 */
  readonly concurrency?: number;
  /**
   * Reserved concurrency of the function: a cap on parallel invocations, not a lock (the lease
   * per node group is). Whole number, 1..1000; the account must keep 100 unreserved.
   * @default 10
   */
  readonly reservedConcurrency?: number;
  /**
   * AWS X-Ray active tracing, with Powertools Tracer enabled in the function (POWERTOOLS_TRACE_ENABLED).
   * @default true
   */
  readonly tracing?: boolean;

  /** Function timeout, at most 15 minutes. @default Duration.minutes(15) */
  readonly timeout?: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /** VPC for the function: needed when a cluster's API endpoint is private only. @default - not in a VPC */
  readonly vpc?: ec2.IVpc;
  /** Subnets in `vpc` (they need a path to the AWS APIs: NAT or VPC endpoints). @default - the VPC's private subnets */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** Security groups in `vpc`; the cluster security group must accept 443 from them. @default - a new group, egress only */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /** Every report is published here. @default - reports only go to the logs and the return value */
  readonly reportTopic?: sns.ITopic;
  /** Periodic sweep of every node group in scope. @default Schedule.rate(Duration.minutes(15)) */
  readonly sweepSchedule?: events.Schedule;
  /** @default true */
  readonly sweepEnabled?: boolean;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Create an EKS access entry for the function's role on each listed cluster. Set false for
   * clusters in CONFIG_MAP authentication mode (map the role in aws-auth instead).
   * @default true
   */
  readonly createAccessEntries?: boolean;
  /**
   * Least-privilege alternative to the access policy: Kubernetes groups for the access entry,
   * bound by deploy/kubernetes/node-reader-rbac.yaml to a ClusterRole that can only get/list nodes.
   * @default - no groups; the AmazonEKSAdminViewPolicy access policy, cluster scope
   */
  readonly kubernetesGroups?: readonly string[];
  /** Limit CreateRoute/ReplaceRoute to route tables of these VPCs (ec2:Vpc condition). @default - any VPC */
  readonly routeTableVpcIds?: readonly string[];
  /** Actions of the notifying alarms (e.g. an SnsAction). @default - none */
  readonly alarmActions?: readonly cloudwatch.IAlarmAction[];
  /** Create an encrypted, TLS-only SNS topic the notifying alarms publish to (subscribe to it). @default false */
  readonly createAlarmTopic?: boolean;
  /**
   * Prebuilt code whose `index` module exports `handler`, instead of bundling lambda/handler.ts
   * (template tests pass `Code.fromInline` to skip esbuild).
   * @default - lambda/handler.ts bundled by the local esbuild
   */
  readonly code?: lambda.Code;
}

export class NodeJoinRemediator extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** EventBridge could not deliver an event to the function. */
  readonly eventDeliveryDeadLetterQueue: sqs.Queue;
  /** The function failed on an event after its retries (async on-failure destination). */
  readonly failedInvocationQueue: sqs.Queue;
  readonly nodegroupApiCallRule: events.Rule;
  readonly instanceLaunchRule: events.Rule;
  readonly sweepRule?: events.Rule;
  readonly accessEntries: eks.CfnAccessEntry[];
  /** The alarms that notify (alarmActions, alarm topic): `Failure` and `Backlog` composites, UNRESOLVED outcome. */
  readonly alarms: cloudwatch.AlarmBase[];
  /** Dashboard and component alarms (cdk-monitoring-constructs). */
  readonly monitoring: MonitoringFacade;
  readonly dashboard: cloudwatch.Dashboard;
  /** Created with `createAlarmTopic`. */
  readonly alarmTopic?: sns.Topic;
  readonly settings: RemediatorSettings;
  /** Leases and the remediation ledger (layout: lambda/ledger/schema.ts). */
  readonly ledgerTable: dynamodb.Table;
  /** Holds the function's one-time re-check schedules. */
  readonly scheduleGroup: scheduler.ScheduleGroup;
  /** Assumed by EventBridge Scheduler to invoke the function (and nothing else). */
  readonly schedulerRole: iam.Role;

  constructor(scope: Construct, id: string, props: NodeJoinRemediatorProps = {}) {
    super(scope, id);
    this.settings = resolveRemediatorSettings({
      ...props,
      timeoutSeconds: (props.timeout ?? Duration.minutes(15)).toSeconds(),
    });
    assertValidCombinations(props);
    const { config } = this.settings;
    const tracing = props.tracing ?? true;

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'eks-node-join-remediator: reads node groups and networks, writes 0.0.0.0/0 routes, recycles unjoined instances',
    });
    this.ledgerTable = new dynamodb.Table(this, 'LedgerTable', {
      partitionKey: { name: LEDGER_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: LEDGER_TABLE.sortKey, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: LEDGER_TABLE.timeToLiveAttribute,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // The AWS managed key: the function's role needs no KMS grant.
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // The ledger is the record of what the tool changed: keep it after the stack is gone.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.scheduleGroup = new scheduler.ScheduleGroup(this, 'RecheckScheduleGroup', {
      // Re-check schedules are transient (deleted after they fire).
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
      description: 'eks-node-join-remediator: EventBridge Scheduler invokes the function for its re-checks',
      // Confused-deputy guard: only schedules of this account's re-check group may use the role.
      assumedBy: new iam.PrincipalWithConditions(new iam.ServicePrincipal(SCHEDULER_SERVICE), {
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        ArnEquals: { 'aws:SourceArn': this.scheduleGroup.scheduleGroupArn },
      }),
    });

    const policyGroups = remediatorPolicyGroups(Stack.of(this), {
      clusterNames: config.clusterNames,
      routeTableVpcIds: this.settings.routeTableVpcIds,
      createNodeAccessEntry: config.createNodeAccessEntry,
      readConsoleOutput: config.readConsoleOutput,
    });
    policyGroups.push(
      fleetStateGroup(Stack.of(this), {
        ledgerTableArn: this.ledgerTable.tableArn,
        scheduleGroupName: this.scheduleGroup.scheduleGroupName,
        schedulerRoleArn: this.schedulerRole.roleArn,
      }),
    );
    if (props.vpc) policyGroups.push(vpcNetworkInterfaceGroup());
    const policies = policyGroups.map((group) => this.attachPolicy(group));

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      // Reports in the log are the audit trail of route changes: keep them after the stack is gone.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.eventDeliveryDeadLetterQueue = this.deadLetterQueue('EventDeliveryDlq');
    this.failedInvocationQueue = this.deadLetterQueue('FailedInvocationQueue');

    const environment: Record<string, string> = {
      ...this.settings.environment,
      [ENV.ownRoleArn]: this.role.roleArn,
      [ENV.ledgerTableName]: this.ledgerTable.tableName,
      [ENV.scheduleGroupName]: this.scheduleGroup.scheduleGroupName,
      [ENV.schedulerRoleArn]: this.schedulerRole.roleArn,
      POWERTOOLS_METRICS_NAMESPACE: OUTCOME_METRIC.namespace,
      POWERTOOLS_SERVICE_NAME: OUTCOME_METRIC.serviceName,
      POWERTOOLS_TRACE_ENABLED: String(tracing),
    };
    if (props.reportTopic) environment[ENV.reportTopicArn] = props.reportTopic.topicArn;

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      description: 'Finds EKS node group instances that never joined, fixes the subnet default route, recycles them',
      entry: HANDLER_ENTRY,
      // index.<export>: the bundle (or a given `code`) is index.mjs / index.js exporting `handler`.
      handler: 'index.handler',
      code: props.code,
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: Duration.seconds(this.settings.timeoutSeconds),
      reservedConcurrentExecutions: props.reservedConcurrency ?? DEFAULT_RESERVED_CONCURRENCY,
      tracing: tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      role: this.role,
      logGroup: this.logGroup,
      environment,
      vpc: props.vpc,
      vpcSubnets: props.vpc ? props.vpcSubnets : undefined,
      securityGroups: props.vpc ? props.securityGroups : undefined,
      // Async (EventBridge) invocations: one retry for transient AWS errors (a re-run re-reads state,
      // so it is idempotent); throttled events wait in Lambda's queue for up to maxEventAge.
      retryAttempts: 1,
      maxEventAge: Duration.hours(6),
      onFailure: new destinations.SqsDestination(this.failedInvocationQueue),
      recursiveLoop: lambda.RecursiveLoop.TERMINATE,
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: BUNDLING_TARGET,
        minify: true,
        mainFields: [...MAIN_FIELDS],
        // Bundle the AWS SDK instead of using the runtime's copy: versions are pinned by the lock file.
        bundleAwsSDK: true,
        externalModules: [],
        banner: ESM_REQUIRE_SHIM,
        sourceMap: false,
        logLevel: nodejs.LogLevel.WARNING,
        esbuildArgs: { '--alias': Object.entries(BUNDLE_ALIASES).map(([from, to]) => `${from}=${to}`) },
      },
    });
    // The function must not be created (or invoked) before its policies exist.
    for (const policy of policies) this.function.node.addDependency(policy);
    this.logGroup.grantWrite(this.role);
    props.reportTopic?.grantPublish(this.role);
    // Scheduler may invoke this function, unqualified, and nothing else.
    this.schedulerRole.addToPolicy(
      new iam.PolicyStatement({ sid: 'InvokeRemediatorForRecheck', actions: ['lambda:InvokeFunction'], resources: [this.function.functionArn] }),
    );

    const target = new targets.LambdaFunction(this.function, {
      deadLetterQueue: this.eventDeliveryDeadLetterQueue,
      retryAttempts: 8,
      maxEventAge: Duration.hours(2),
    });
    this.nodegroupApiCallRule = new events.Rule(this, 'NodegroupApiCallRule', {
      description: 'Successful CreateNodegroup / UpdateNodegroupConfig / UpdateNodegroupVersion calls, except the remediator\'s own',
      eventPattern: nodegroupApiCallPattern(this.role.roleArn),
      targets: [target],
    });
    this.instanceLaunchRule = new events.Rule(this, 'InstanceLaunchRule', {
      description: 'Instances launched into EKS managed node group Auto Scaling groups',
      eventPattern: nodegroupInstanceLaunchPattern(),
      targets: [target],
    });
    if (props.sweepEnabled ?? true) {
      this.sweepRule = new events.Rule(this, 'SweepRule', {
        description: 'Periodic sweep of every node group in scope',
        schedule: props.sweepSchedule ?? events.Schedule.rate(Duration.minutes(15)),
        targets: [target],
      });
    }

    this.accessEntries = this.createAccessEntries(props);
    if (props.createAlarmTopic) {
      this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
        displayName: 'eks-node-join-remediator alarms',
        enforceSSL: true,
        // CloudWatch alarms publish to a topic encrypted with the AWS managed key (no key policy to write).
        masterKey: kms.Alias.fromAliasName(this, 'AlarmTopicKey', 'alias/aws/sns'),
      });
    }
    const monitoring = createRemediatorMonitoring(this, {
      function: this.function,
      eventDeliveryDeadLetterQueue: this.eventDeliveryDeadLetterQueue,
      failedInvocationQueue: this.failedInvocationQueue,
      metricOutcome: (outcome) => this.metricOutcome(outcome),
      alarmActions: [...(props.alarmActions ?? []), ...(this.alarmTopic ? [new cloudwatchActions.SnsAction(this.alarmTopic)] : [])],
    });
    this.monitoring = monitoring.facade;
    this.dashboard = monitoring.dashboard;
    this.alarms = monitoring.notifyingAlarms;
    this.acknowledgeFindings(tracing);
  }

  /** The per-outcome metric (one data point per report), e.g. to alarm on REMEDIATED. */
  metricOutcome(outcome: Outcome, options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: OUTCOME_METRIC.namespace,
      metricName: OUTCOME_METRIC.metricName,
      dimensionsMap: { service: OUTCOME_METRIC.serviceName, [OUTCOME_METRIC.outcomeDimension]: outcome },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(15),
      ...options,
    });
  }

  private attachPolicy(group: PolicyGroup): iam.Policy {
    const policy = new iam.Policy(this, group.id, { roles: [this.role], statements: group.statements });
    if (group.wildcardReason !== undefined) {
      for (const finding of wildcardResourceFindings(Stack.of(this), group.statements)) {
        Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason: group.wildcardReason });
      }
    }
    return policy;
  }

  private deadLetterQueue(id: string): sqs.Queue {
    const queue = new sqs.Queue(this, id, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const reason = 'This queue is itself a dead-letter queue: its messages are read by operators, not redriven.';
    Validations.of(queue).acknowledge(
      { id: 'AwsSolutions-SQS3', reason },
      { id: 'Serverless-SQSRedrivePolicy', reason },
    );
    return queue;
  }

  private createAccessEntries(props: NodeJoinRemediatorProps): eks.CfnAccessEntry[] {
    const { clusterNames } = this.settings.config;
    if (!(props.createAccessEntries ?? true)) return [];
    if (clusterNames.length === 0) {
      Annotations.of(this).addWarningV2(
        'eks-node-join-remediator:no-access-entries',
        'clusterNames is empty: no EKS access entry is created, so the function cannot list Node objects and reads registration from node group health. List the clusters (or grant the role access yourself).',
      );
      return [];
    }
    const groups = [...(props.kubernetesGroups ?? [])];
    return clusterNames.map(
      (clusterName) =>
        new eks.CfnAccessEntry(this, `AccessEntry-${clusterName}`, {
          clusterName,
          principalArn: this.role.roleArn,
          type: 'STANDARD',
          ...(groups.length > 0
            ? { kubernetesGroups: groups }
            : {
                accessPolicies: [
                  {
                    policyArn: `arn:${Aws.PARTITION}:eks::aws:cluster-access-policy/${DEFAULT_ACCESS_POLICY_NAME}`,
                    accessScope: { type: 'cluster' },
                  },
                ],
              }),
        }),
    );
  }

  private acknowledgeFindings(tracing: boolean): void {
    Validations.of(this.function).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason: 'Async failures go to an on-failure destination (SQS, with the error and request context) instead of the legacy DeadLetterConfig.',
    });
    if (!tracing) {
      Validations.of(this.function).acknowledge({
        id: 'Serverless-LambdaTracing',
        reason: 'Tracing was turned off with the tracing prop (tracing=false); the report in the log and on SNS still records every call outcome.',
      });
      return;
    }
    // Active tracing adds xray:PutTraceSegments / PutTelemetryRecords to the role's default policy.
    const defaultPolicy = this.role.node.tryFindChild('DefaultPolicy');
    if (defaultPolicy) {
      Validations.of(defaultPolicy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'Lambda active tracing sends segments with xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions (Resource "*" is required).',
      });
    }
  }
}

function assertValidCombinations(props: NodeJoinRemediatorProps): void {
  if (!props.vpc && (props.vpcSubnets !== undefined || props.securityGroups !== undefined)) {
    throw new ValidationError('vpcSubnets and securityGroups need vpc: give the VPC the function runs in', props.vpcSubnets ? 'vpcSubnets' : 'securityGroups');
  }
  if (props.sweepEnabled === false && props.sweepSchedule !== undefined) {
    throw new ValidationError('sweepSchedule is set but sweepEnabled is false: drop one of them', 'sweepSchedule');
  }
  if (props.createAccessEntries === false && props.kubernetesGroups !== undefined) {
    throw new ValidationError(
      'kubernetesGroups only applies to the access entries: with createAccessEntries false, map the role to the group in aws-auth instead',
      'kubernetesGroups',
    );
  }
  for (const group of props.kubernetesGroups ?? []) {
    if (group.trim() === '' || group.startsWith('system:')) {
      throw new ValidationError(`kubernetesGroups must be non-empty names outside "system:", got "${group}"`, 'kubernetesGroups');
    }
  }
  const reserved = props.reservedConcurrency;
  if (reserved !== undefined && (!Number.isInteger(reserved) || reserved < 1 || reserved > MAX_RESERVED_CONCURRENCY)) {
    throw new ValidationError(`reservedConcurrency must be a whole number from 1 to ${MAX_RESERVED_CONCURRENCY}, got ${reserved}`, 'reservedConcurrency');
  }
  if (props.memorySize !== undefined && (!Number.isInteger(props.memorySize) || props.memorySize < 128 || props.memorySize > 10240)) {
    throw new ValidationError(`memorySize must be a whole number of MB from 128 to 10240, got ${props.memorySize}`, 'memorySize');
  }
}
