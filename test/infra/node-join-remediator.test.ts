import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { configFromEnv, DEFAULT_CONFIG } from '../../lambda/config';
import { ValidationError } from '../../lambda/errors';
import { NODEGROUP_API_EVENT_NAMES } from '../../lib/event-patterns';
import { DEFAULT_RESERVED_CONCURRENCY, NodeJoinRemediator, OUTCOME_METRIC, type NodeJoinRemediatorProps } from '../../lib/node-join-remediator';
import { LEDGER_TABLE_ACTIONS, RECHECK_SCHEDULE_ACTIONS, UNSCOPED_READ_ACTIONS, VPC_NETWORK_INTERFACE_ACTIONS } from '../../lib/permissions';
import { LEDGER_TABLE } from '../../lambda/ledger/schema';

/** What Lambda active tracing grants (no resource-level permissions). */
const XRAY_ACTIONS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];
import { onlyResource, synthRemediator, TEST_ENV } from './support/synth';

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** Every statement of every policy attached to the function's role. */
function roleStatements(template: Template): Statement[] {
  const roleLogicalId: string = onlyResource(template, 'AWS::Lambda::Function').properties.Role['Fn::GetAtt'][0];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleLogicalId }]))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
const actionsOf = (statements: Statement[]): string[] => statements.flatMap((s) => asList(s.Action));
const statementsWith = (statements: Statement[], action: string): Statement[] => statements.filter((s) => asList(s.Action).includes(action));
/** The ARN string of a Fn::Join resource with literal region/account (TEST_ENV) and Ref AWS::Partition. */
const arnText = (resource: unknown): string =>
  typeof resource === 'string'
    ? resource
    : (resource as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1]
        .map((part) => (typeof part === 'string' ? part : `<${(part as { Ref: string }).Ref}>`))
        .join('');

/** What CloudFormation resolves each token variable to, in the examples below. */
const RESOLVED_TOKENS: Record<string, string> = {
  REMEDIATOR_ROLE_ARN: 'arn:aws:iam::123456789012:role/remediator',
  REPORT_TOPIC_ARN: 'arn:aws:sns:us-west-2:123456789012:reports',
  LEDGER_TABLE_NAME: 'EksNodeJoinRemediator-LedgerTable-1ABC',
  SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/scheduler',
};

/** Lambda environment with the tokens (role, table, group ARNs/names) replaced, as the function would see it. */
function deployedEnvironment(template: Template): NodeJS.ProcessEnv {
  const variables = onlyResource(template, 'AWS::Lambda::Function').properties.Environment.Variables as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(variables).map(([name, value]) => {
      if (typeof value === 'string') return [name, value];
      if (RESOLVED_TOKENS[name] === undefined) throw new Error(`no resolved value for the token in ${name}`);
      return [name, RESOLVED_TOKENS[name]];
    }),
  );
}

/** Logical id of the construct's resource. */
const logicalIdOf = (stack: Stack, construct: { node: { defaultChild?: unknown } }): string => stack.getLogicalId(construct.node.defaultChild as never);

describe('NodeJoinRemediator with its defaults and one cluster', () => {
  const { template, remediator } = synthRemediator({ clusterNames: ['eks-workshop'] });
  const fn = onlyResource(template, 'AWS::Lambda::Function');

  it('runs the newest Node.js runtime on arm64 with a timeout that fits the verification wait', () => {
    expect(fn.properties.Runtime).toBe(lambda.Runtime.NODEJS_24_X.name);
    expect(fn.properties.Architectures).toEqual(['arm64']);
    expect(fn.properties.Timeout).toBe(900);
    expect(fn.properties.Timeout).toBeGreaterThanOrEqual(DEFAULT_CONFIG.waitSeconds + 120);
    expect(fn.properties.MemorySize).toBe(256);
    expect(fn.properties.Handler).toBe('index.handler');
  });

  it('caps concurrency at 10 by default (a cap: the lease per node group is the lock)', () => {
    expect(fn.properties.ReservedConcurrentExecutions).toBe(DEFAULT_RESERVED_CONCURRENCY);
    expect(DEFAULT_RESERVED_CONCURRENCY).toBe(10);
  });

  it('logs to its own log group with a retention', () => {
    const logGroup = onlyResource(template, 'AWS::Logs::LogGroup');
    expect(fn.properties.LoggingConfig).toEqual({ LogGroup: { Ref: logGroup.logicalId } });
    expect(logGroup.properties.RetentionInDays).toBe(30);
  });

  it('sends async failures to an encrypted SQS queue after one retry', () => {
    const invokeConfig = onlyResource(template, 'AWS::Lambda::EventInvokeConfig').properties;
    const queueLogicalId = invokeConfig.DestinationConfig.OnFailure.Destination['Fn::GetAtt'][0];
    expect(invokeConfig.MaximumRetryAttempts).toBe(1);
    expect(invokeConfig.MaximumEventAgeInSeconds).toBe(6 * 3600);
    expect(template.toJSON().Resources[queueLogicalId]).toMatchObject({ Type: 'AWS::SQS::Queue', Properties: { SqsManagedSseEnabled: true } });
  });

  it('configures the Lambda with the contract defaults, which the Lambda reads back unchanged', () => {
    // Act: parse the synthesized environment with the Lambda's own reader.
    const config = configFromEnv(deployedEnvironment(template));
    // Assess
    expect(config).toEqual({
      ...DEFAULT_CONFIG,
      clusterNames: ['eks-workshop'],
      ownRoleArn: RESOLVED_TOKENS.REMEDIATOR_ROLE_ARN,
      ledgerTableName: RESOLVED_TOKENS.LEDGER_TABLE_NAME,
      scheduleGroupName: remediator.scheduleGroup.scheduleGroupName,
      schedulerRoleArn: RESOLVED_TOKENS.SCHEDULER_ROLE_ARN,
    });
  });

  it("gives the Lambda its own role ARN (loop guard) and the metric names the alarms use", () => {
    const variables = fn.properties.Environment.Variables;
    expect(variables.REMEDIATOR_ROLE_ARN).toEqual(fn.properties.Role);
    expect(variables.POWERTOOLS_METRICS_NAMESPACE).toBe(OUTCOME_METRIC.namespace);
    expect(variables.POWERTOOLS_SERVICE_NAME).toBe(OUTCOME_METRIC.serviceName);
    expect(variables.REPORT_TOPIC_ARN).toBeUndefined();
  });

  it('triggers on successful node group API calls, excluding failed calls and its own role', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.eks'],
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['eks.amazonaws.com'],
          eventName: [...NODEGROUP_API_EVENT_NAMES],
          errorCode: [{ exists: false }],
          $or: [
            { userIdentity: { sessionContext: { sessionIssuer: { arn: [{ 'anything-but': fn.properties.Role }] } } } },
            { userIdentity: { sessionContext: { sessionIssuer: { arn: [{ exists: false }] } } } },
          ],
        },
      },
    });
  });

  it('triggers on instance launches into node group Auto Scaling groups, and every 15 minutes', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.autoscaling'], 'detail-type': ['EC2 Instance Launch Successful'] },
    });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(15 minutes)' });
    template.resourceCountIs('AWS::Events::Rule', 3);
  });

  it('gives every rule target a retry policy and an encrypted dead-letter queue that accepts only its rules', () => {
    const rules = Object.entries(template.findResources('AWS::Events::Rule'));
    const resources = template.toJSON().Resources;
    for (const [ruleLogicalId, rule] of rules) {
      const [target] = rule.Properties.Targets;
      expect(target.Arn).toEqual({ 'Fn::GetAtt': [fn.logicalId, 'Arn'] });
      expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 });
      const dlqLogicalId = target.DeadLetterConfig.Arn['Fn::GetAtt'][0];
      expect(resources[dlqLogicalId].Properties.SqsManagedSseEnabled).toBe(true);
      // The DLQ's policy lets EventBridge send only on behalf of this rule.
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: dlqLogicalId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: 'sqs:SendMessage',
              Principal: { Service: 'events.amazonaws.com' },
              Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleLogicalId, 'Arn'] } } },
            }),
          ]),
        },
      });
    }
  });

  it('creates an access entry on the cluster with a read-only, cluster-scoped access policy', () => {
    const entry = onlyResource(template, 'AWS::EKS::AccessEntry').properties;
    expect(entry).toMatchObject({ ClusterName: 'eks-workshop', PrincipalArn: fn.properties.Role, Type: 'STANDARD' });
    expect(entry.AccessPolicies).toHaveLength(1);
    expect(entry.AccessPolicies[0].AccessScope).toEqual({ Type: 'cluster' });
    expect(arnText(entry.AccessPolicies[0].PolicyArn)).toBe('arn:<AWS::Partition>:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy');
    expect(entry.KubernetesGroups).toBeUndefined();
  });

  it('one failure trips one notifying alarm: errors, FAILED reports and both dead-letter queues feed one composite', () => {
    // Prepare
    const alarms = template.findResources('AWS::CloudWatch::Alarm');
    const composites = template.findResources('AWS::CloudWatch::CompositeAlarm');
    const alarmIdsWhere = (test: (properties: Record<string, any>) => boolean): string[] =>
      Object.entries(alarms).filter(([, alarm]) => test(alarm.Properties)).map(([id]) => id).sort();
    const metricNameOf = (p: Record<string, any>): string => p.MetricName ?? p.Metrics?.[0]?.MetricStat?.Metric?.MetricName;
    const outcomeOf = (p: Record<string, any>): string | undefined => p.Dimensions?.find((d: { Name: string }) => d.Name === 'Outcome')?.Value;
    const childrenOf = (composite: Record<string, any>): string[] =>
      [...JSON.stringify(composite.Properties.AlarmRule).matchAll(/"Fn::GetAtt":\["([^"]+)","Arn"\]/g)].map((m) => m[1]).sort();
    const compositeNamed = (suffix: string) => Object.values(composites).find((c) => String(c.Properties.AlarmName).endsWith(suffix))!;
    // Act
    const failureChildren = childrenOf(compositeNamed('Composite-Failure'));
    const backlogChildren = childrenOf(compositeNamed('Composite-Backlog'));
    // Assess: the failure signals, each once, all under one composite
    expect(failureChildren).toEqual(
      alarmIdsWhere((p) => (metricNameOf(p) === 'Errors' && p.Namespace !== OUTCOME_METRIC.namespace) || outcomeOf(p) === 'FAILED' || metricNameOf(p) === 'ApproximateNumberOfMessagesVisible'),
    );
    expect(failureChildren).toHaveLength(4);
    expect(alarmIdsWhere((p) => metricNameOf(p) === 'ApproximateNumberOfMessagesVisible')).toHaveLength(2);
    // Throttles and event age: the other composite
    expect(backlogChildren).toEqual(alarmIdsWhere((p) => ['Throttles', 'AsyncEventAge'].includes(metricNameOf(p))));
    expect(backlogChildren).toHaveLength(2);
    // No signal is alarmed twice, and every component alarm belongs to exactly one notifying alarm.
    const unresolved = alarmIdsWhere((p) => outcomeOf(p) === 'UNRESOLVED');
    expect(unresolved).toHaveLength(1);
    expect([...failureChildren, ...backlogChildren, ...unresolved].sort()).toEqual(Object.keys(alarms).sort());
    for (const alarm of Object.values(alarms)) {
      if (outcomeOf(alarm.Properties) !== undefined) {
        expect(alarm.Properties.Dimensions).toContainEqual({ Name: 'service', Value: OUTCOME_METRIC.serviceName });
        expect(alarm.Properties.Namespace).toBe(OUTCOME_METRIC.namespace);
      }
      expect(alarm.Properties.AlarmActions).toBeUndefined();
    }
    expect(remediator.alarms).toHaveLength(3);
  });

  it('has a dashboard of outcomes, the function (errors, throttles, duration, event age) and both dead-letter queues', () => {
    const body = JSON.stringify(onlyResource(template, 'AWS::CloudWatch::Dashboard').properties.DashboardBody);
    for (const outcome of ['REMEDIATED', 'FAILED', 'UNRESOLVED', 'DRY_RUN', 'SKIPPED', 'HEALTHY']) {
      expect(body).toContain(`\\"RemediationOutcome\\",\\"Outcome\\",\\"${outcome}\\",\\"service\\",\\"eks-node-join-remediator\\"`);
    }
    for (const metric of ['Errors', 'Throttles', 'Duration', 'AsyncEventAge', 'AsyncEventsDropped', 'ApproximateNumberOfMessagesVisible']) expect(body).toContain(`\\"${metric}\\"`);
    expect(body).toContain('RemediatorEventDeliveryDlq');
    expect(body).toContain('RemediatorFailedInvocationQueue');
  });

  it('exposes the per-outcome metric for other alarms (e.g. REMEDIATED)', () => {
    const metric = remediator.metricOutcome('REMEDIATED');
    expect(metric.namespace).toBe(OUTCOME_METRIC.namespace);
    expect(metric.metricName).toBe('RemediationOutcome');
    expect(metric.dimensions).toEqual({ service: 'eks-node-join-remediator', Outcome: 'REMEDIATED' });
  });
});

describe('NodeJoinRemediator IAM policy (least privilege)', () => {
  const { template } = synthRemediator({ clusterNames: ['eks-workshop', 'eks-prod'] });
  const statements = roleStatements(template);

  it('grants no action wildcard and nothing outside the engine calls, logging, its queue', () => {
    const actions = actionsOf(statements);
    expect(actions.filter((action) => action.includes('*'))).toEqual([]);
    expect(new Set(actions)).toEqual(
      new Set([
        ...UNSCOPED_READ_ACTIONS,
        'eks:DescribeCluster',
        'eks:ListNodegroups',
        'eks:DescribeNodegroup',
        'eks:UpdateNodegroupConfig',
        // the identity checks: read-only (CreateAccessEntry, PassRole and GetConsoleOutput are opt-in)
        'eks:ListAccessEntries',
        'eks:DescribeAccessEntry',
        'iam:GetRole',
        'iam:GetInstanceProfile',
        'iam:SimulatePrincipalPolicy',
        'autoscaling:TerminateInstanceInAutoScalingGroup',
        'ec2:CreateRoute',
        'ec2:ReplaceRoute',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'sqs:SendMessage',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        ...LEDGER_TABLE_ACTIONS,
        ...RECHECK_SCHEDULE_ACTIONS,
        'iam:PassRole',
        ...XRAY_ACTIONS,
      ]),
    );
  });

  it('uses Resource "*" only for the read calls without resource-level permissions and X-Ray', () => {
    const unscoped = statements.filter((s) => asList(s.Resource).includes('*'));
    expect(actionsOf(unscoped).sort()).toEqual([...UNSCOPED_READ_ACTIONS, ...XRAY_ACTIONS].sort());
  });

  it('scopes UpdateNodegroupConfig to node groups of the allowed clusters', () => {
    const [statement] = statementsWith(statements, 'eks:UpdateNodegroupConfig');
    expect(asList(statement.Resource).map(arnText)).toEqual([
      'arn:<AWS::Partition>:eks:us-west-2:123456789012:nodegroup/eks-workshop/*/*',
      'arn:<AWS::Partition>:eks:us-west-2:123456789012:nodegroup/eks-prod/*/*',
    ]);
  });

  it('scopes cluster reads to the allowed clusters', () => {
    const [statement] = statementsWith(statements, 'eks:DescribeCluster');
    expect(asList(statement.Resource).map(arnText)).toEqual([
      'arn:<AWS::Partition>:eks:us-west-2:123456789012:cluster/eks-workshop',
      'arn:<AWS::Partition>:eks:us-west-2:123456789012:cluster/eks-prod',
    ]);
  });

  it("conditions instance termination on the node group Auto Scaling group's cluster tag", () => {
    const [statement] = statementsWith(statements, 'autoscaling:TerminateInstanceInAutoScalingGroup');
    expect(arnText(statement.Resource)).toBe('arn:<AWS::Partition>:autoscaling:us-west-2:123456789012:autoScalingGroup:*:autoScalingGroupName/eks-*');
    expect(statement.Condition).toEqual({
      StringEquals: { 'autoscaling:ResourceTag/eks:cluster-name': ['eks-workshop', 'eks-prod'] },
      Null: { 'autoscaling:ResourceTag/eks:nodegroup-name': 'false' },
    });
  });

  it('allows CreateRoute / ReplaceRoute on route tables only', () => {
    const routeStatements = statementsWith(statements, 'ec2:CreateRoute');
    expect(routeStatements).toHaveLength(1);
    expect(asList(routeStatements[0].Action).sort()).toEqual(['ec2:CreateRoute', 'ec2:ReplaceRoute']);
    expect(arnText(routeStatements[0].Resource)).toBe('arn:<AWS::Partition>:ec2:us-west-2:123456789012:route-table/*');
    expect(routeStatements[0].Condition).toBeUndefined();
  });

  it('creates the function only after every policy of its role exists', () => {
    const fnResource = Object.values(template.findResources('AWS::Lambda::Function'))[0];
    const roleLogicalId: string = fnResource.Properties.Role['Fn::GetAtt'][0];
    const policies = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([, policy]) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleLogicalId }]))
      .map(([logicalId]) => logicalId);
    expect(policies.length).toBeGreaterThanOrEqual(5);
    expect(fnResource.DependsOn).toEqual(expect.arrayContaining(policies));
  });

  it('never grants a delete or an STS call, except deleting its own lease item and its own re-check schedules', () => {
    const actions = actionsOf(statements);
    expect(actions.filter((action) => /:Delete|^sts:/.test(action)).sort()).toEqual(['dynamodb:DeleteItem', 'scheduler:DeleteSchedule']);
  });
});

describe('NodeJoinRemediator props change the template as documented', () => {
  it('dryRun: sets DRY_RUN=true', () => {
    const { template } = synthRemediator({ dryRun: true, clusterNames: ['eks-workshop'] });
    expect(configFromEnv(deployedEnvironment(template)).dryRun).toBe(true);
  });

  it('every knob reaches the Lambda environment and reads back with the Lambda parser', () => {
    // Prepare
    const knobs = {
      clusterNames: ['eks-workshop'],
      graceSeconds: 120,
      recycle: 'scale-cycle',
      natGatewayId: 'nat-0123456789abcdef0',
      allowSharedRouteTables: true,
      waitSeconds: 300,
      optOutTag: { key: 'team/remediation', value: 'off' },
      pollSeconds: 5,
      allowInternetEgress: true,
      createNodeAccessEntry: true,
      recycleCooldownSeconds: 7200,
      readConsoleOutput: true,
      concurrency: 16,
    } as const;
    // Act
    const { template } = synthRemediator({ ...knobs, clusterNames: [...knobs.clusterNames] });
    const config = configFromEnv(deployedEnvironment(template));
    // Assess
    expect(config).toMatchObject({ ...knobs, optOutTag: { ...knobs.optOutTag }, dryRun: false });
  });

  it('clusterNames empty: every cluster, wildcard cluster ARNs, tag-presence condition, no access entry, a warning', () => {
    // Act
    const { template, stack } = synthRemediator();
    const statements = roleStatements(template);
    // Assess
    expect(onlyResource(template, 'AWS::Lambda::Function').properties.Environment.Variables.CLUSTER_NAMES).toBeUndefined();
    expect(arnText(statementsWith(statements, 'eks:UpdateNodegroupConfig')[0].Resource)).toBe(
      'arn:<AWS::Partition>:eks:us-west-2:123456789012:nodegroup/*/*/*',
    );
    expect(statementsWith(statements, 'autoscaling:TerminateInstanceInAutoScalingGroup')[0].Condition).toEqual({
      Null: { 'autoscaling:ResourceTag/eks:cluster-name': 'false', 'autoscaling:ResourceTag/eks:nodegroup-name': 'false' },
    });
    template.resourceCountIs('AWS::EKS::AccessEntry', 0);
    Annotations.fromStack(stack).hasWarning('/TestStack/Remediator', Match.stringLikeRegexp('clusterNames is empty'));
  });

  it('clusterNames: one access entry per cluster', () => {
    const { template } = synthRemediator({ clusterNames: ['a-cluster', 'b-cluster', 'c-cluster'] });
    const entries = Object.values(template.findResources('AWS::EKS::AccessEntry')).map((entry) => entry.Properties.ClusterName);
    expect(entries.sort()).toEqual(['a-cluster', 'b-cluster', 'c-cluster']);
  });

  it('kubernetesGroups: the access entries use the groups instead of an access policy', () => {
    const { template } = synthRemediator({ clusterNames: ['eks-workshop'], kubernetesGroups: ['node-join-remediator:node-readers'] });
    const entry = onlyResource(template, 'AWS::EKS::AccessEntry').properties;
    expect(entry.KubernetesGroups).toEqual(['node-join-remediator:node-readers']);
    expect(entry.AccessPolicies).toBeUndefined();
  });

  it('createAccessEntries false: no access entry (CONFIG_MAP clusters)', () => {
    const { template } = synthRemediator({ clusterNames: ['eks-workshop'], createAccessEntries: false });
    template.resourceCountIs('AWS::EKS::AccessEntry', 0);
  });

  it('sweepEnabled false: no schedule rule', () => {
    const { template } = synthRemediator({ clusterNames: ['eks-workshop'], sweepEnabled: false });
    template.resourceCountIs('AWS::Events::Rule', 2);
    expect(Object.values(template.findResources('AWS::Events::Rule')).every((rule) => rule.Properties.ScheduleExpression === undefined)).toBe(true);
  });

  it('sweepSchedule: replaces the default rate', () => {
    const { template } = synthRemediator({ sweepSchedule: events.Schedule.cron({ minute: '0', hour: '*/2' }) });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0 */2 * * ? *)' });
  });

  it('logRetention, timeout and memorySize reach the resources', () => {
    const { template } = synthRemediator({ logRetention: logs.RetentionDays.ONE_YEAR, timeout: Duration.minutes(12), memorySize: 512, waitSeconds: 500 });
    expect(onlyResource(template, 'AWS::Logs::LogGroup').properties.RetentionInDays).toBe(365);
    expect(onlyResource(template, 'AWS::Lambda::Function').properties).toMatchObject({ Timeout: 720, MemorySize: 512 });
  });

  it('routeTableVpcIds: conditions the route writes on those VPCs', () => {
    const { template } = synthRemediator({ routeTableVpcIds: ['vpc-0123456789abcdef0'] });
    const [statement] = statementsWith(roleStatements(template), 'ec2:CreateRoute');
    const vpcArns = (statement.Condition?.StringEquals['ec2:Vpc'] as unknown[]).map(arnText);
    expect(vpcArns).toEqual(['arn:<AWS::Partition>:ec2:us-west-2:123456789012:vpc/vpc-0123456789abcdef0']);
  });

  it('reportTopic: REPORT_TOPIC_ARN is set and the role may publish to that topic only', () => {
    // Prepare
    const app = new App();
    const stack = new Stack(app, 'TopicStack', { env: TEST_ENV });
    const topic = new sns.Topic(stack, 'Reports');
    // Act
    new NodeJoinRemediator(stack, 'Remediator', { reportTopic: topic, code: lambda.Code.fromInline('export const handler = async () => ({});') });
    const template = Template.fromStack(stack);
    // Assess
    const topicLogicalId = stack.getLogicalId(topic.node.defaultChild as sns.CfnTopic);
    expect(onlyResource(template, 'AWS::Lambda::Function').properties.Environment.Variables.REPORT_TOPIC_ARN).toEqual({ Ref: topicLogicalId });
    expect(statementsWith(roleStatements(template), 'sns:Publish').map((s) => s.Resource)).toEqual([{ Ref: topicLogicalId }]);
  });

  it('alarmActions: the notifying alarms (two composites, UNRESOLVED) notify them; component alarms stay silent', () => {
    // Prepare
    const app = new App();
    const stack = new Stack(app, 'AlarmStack', { env: TEST_ENV });
    const topic = sns.Topic.fromTopicArn(stack, 'Ops', 'arn:aws:sns:us-west-2:123456789012:ops');
    // Act
    new NodeJoinRemediator(stack, 'Remediator', {
      alarmActions: [new cloudwatchActions.SnsAction(topic)],
      code: lambda.Code.fromInline('export const handler = async () => ({});'),
    });
    const template = Template.fromStack(stack);
    // Assess
    const composites = Object.values(template.findResources('AWS::CloudWatch::CompositeAlarm'));
    expect(composites).toHaveLength(2);
    for (const composite of composites) expect(composite.Properties.AlarmActions).toEqual(['arn:aws:sns:us-west-2:123456789012:ops']);
    const notifying = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((alarm) => alarm.Properties.AlarmActions !== undefined);
    expect(notifying).toHaveLength(1);
    expect(notifying[0].Properties.Dimensions).toContainEqual({ Name: 'Outcome', Value: 'UNRESOLVED' });
    expect(notifying[0].Properties.AlarmActions).toEqual(['arn:aws:sns:us-west-2:123456789012:ops']);
  });

  it('createAlarmTopic: an encrypted, TLS-only topic the notifying alarms publish to', () => {
    // Act
    const { template, stack, remediator } = synthRemediator({ createAlarmTopic: true });
    // Assess
    const topicId = logicalIdOf(stack, remediator.alarmTopic!);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    for (const composite of Object.values(template.findResources('AWS::CloudWatch::CompositeAlarm'))) {
      expect(composite.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    }
  });

  describe('vpc', () => {
    // Prepare: a VPC built in the stack (no lookups), its private subnets, the default security group.
    const app = new App();
    const stack = new Stack(app, 'VpcStack', { env: TEST_ENV });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    new NodeJoinRemediator(stack, 'Remediator', { vpc, code: lambda.Code.fromInline('export const handler = async () => ({});') });
    const template = Template.fromStack(stack);

    it('places the function in the private subnets with its own security group', () => {
      const vpcConfig = onlyResource(template, 'AWS::Lambda::Function').properties.VpcConfig;
      const privateSubnetIds = vpc.privateSubnets.map((subnet) => ({ Ref: stack.getLogicalId(subnet.node.defaultChild as ec2.CfnSubnet) }));
      expect(vpcConfig.SubnetIds).toEqual(privateSubnetIds);
      expect(vpcConfig.SecurityGroupIds).toHaveLength(1);
    });

    it('grants the network interface actions Lambda needs, only then', () => {
      const actions = actionsOf(roleStatements(template));
      expect(actions).toEqual(expect.arrayContaining([...VPC_NETWORK_INTERFACE_ACTIONS]));
      const withoutVpc = actionsOf(roleStatements(synthRemediator().template));
      expect(withoutVpc.filter((action) => (VPC_NETWORK_INTERFACE_ACTIONS as readonly string[]).includes(action))).toEqual([]);
    });
  });
});

describe('NodeJoinRemediator fleet state: ledger table and re-check schedules (contract section 8)', () => {
  const { template, stack, remediator } = synthRemediator({ clusterNames: ['eks-workshop'] });
  const fn = onlyResource(template, 'AWS::Lambda::Function');
  const tableId = logicalIdOf(stack, remediator.ledgerTable);
  const groupId = logicalIdOf(stack, remediator.scheduleGroup);
  const schedulerRoleId = logicalIdOf(stack, remediator.schedulerRole);
  const statements = roleStatements(template);

  it('keeps leases and the ledger in one on-demand, encrypted table with PITR and TTL, laid out as lambda/ledger/schema.ts', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [
          { AttributeName: LEDGER_TABLE.partitionKey, KeyType: 'HASH' },
          { AttributeName: LEDGER_TABLE.sortKey, KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: LEDGER_TABLE.partitionKey, AttributeType: 'S' },
          { AttributeName: LEDGER_TABLE.sortKey, AttributeType: 'S' },
        ]),
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: LEDGER_TABLE.timeToLiveAttribute, Enabled: true },
      },
      DeletionPolicy: 'Retain',
    });
    expect(fn.properties.Environment.Variables.LEDGER_TABLE_NAME).toEqual({ Ref: tableId });
  });

  it('grants the item calls the ledger adapter makes, on that table only', () => {
    const ledger = statementsWith(statements, 'dynamodb:PutItem');
    expect(ledger).toHaveLength(1);
    expect(asList(ledger[0].Action).sort()).toEqual([...LEDGER_TABLE_ACTIONS].sort());
    expect(ledger[0].Resource).toEqual({ 'Fn::GetAtt': [tableId, 'Arn'] });
    expect(actionsOf(statements).filter((action) => action.startsWith('dynamodb:')).sort()).toEqual([...LEDGER_TABLE_ACTIONS].sort());
  });

  it('gives the function a schedule group and a role that only EventBridge Scheduler of this account and group can assume', () => {
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
    // A name CDK derives from the construct path at synth (no region or account in it).
    expect(fn.properties.Environment.Variables.SCHEDULE_GROUP_NAME).toBe(remediator.scheduleGroup.scheduleGroupName);
    template.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: remediator.scheduleGroup.scheduleGroupName });
    expect(fn.properties.Environment.Variables.SCHEDULER_ROLE_ARN).toEqual({ 'Fn::GetAtt': [schedulerRoleId, 'Arn'] });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [groupId, 'Arn'] } },
            },
          },
        ],
      },
    });
  });

  it('lets the scheduler role invoke this function and nothing else', () => {
    const schedulerStatements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: schedulerRoleId }]))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
    expect(schedulerStatements).toEqual([
      expect.objectContaining({ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [fn.logicalId, 'Arn'] } }),
    ]);
  });

  it('lets the function create and delete schedules only in its group, and pass only the scheduler role, only to Scheduler', () => {
    const [schedules] = statementsWith(statements, 'scheduler:CreateSchedule');
    expect(asList(schedules.Action).sort()).toEqual([...RECHECK_SCHEDULE_ACTIONS].sort());
    expect(arnText(schedules.Resource)).toBe(`arn:<AWS::Partition>:scheduler:us-west-2:123456789012:schedule/${remediator.scheduleGroup.scheduleGroupName}/*`);
    const [passRole] = statementsWith(statements, 'iam:PassRole');
    expect(passRole.Resource).toEqual({ 'Fn::GetAtt': [schedulerRoleId, 'Arn'] });
    expect(passRole.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
  });
});

describe('NodeJoinRemediator tracing and concurrency props', () => {
  it('tracing on by default: active tracing and POWERTOOLS_TRACE_ENABLED=true', () => {
    const fn = onlyResource(synthRemediator().template, 'AWS::Lambda::Function').properties;
    expect(fn.TracingConfig).toEqual({ Mode: 'Active' });
    expect(fn.Environment.Variables).toMatchObject({ POWERTOOLS_TRACE_ENABLED: 'true', POWERTOOLS_SERVICE_NAME: OUTCOME_METRIC.serviceName });
  });

  it('tracing false: no active tracing, no X-Ray grant, POWERTOOLS_TRACE_ENABLED=false', () => {
    const { template } = synthRemediator({ tracing: false });
    const fn = onlyResource(template, 'AWS::Lambda::Function').properties;
    expect(fn.TracingConfig).toBeUndefined();
    expect(fn.Environment.Variables.POWERTOOLS_TRACE_ENABLED).toBe('false');
    expect(actionsOf(roleStatements(template)).filter((action) => action.startsWith('xray:'))).toEqual([]);
  });

  it('reservedConcurrency: sets the cap', () => {
    const fn = onlyResource(synthRemediator({ reservedConcurrency: 25 }).template, 'AWS::Lambda::Function').properties;
    expect(fn.ReservedConcurrentExecutions).toBe(25);
  });
});

describe('NodeJoinRemediator rejects invalid props at synth', () => {
  const construct = (props: NodeJoinRemediatorProps): NodeJoinRemediator =>
    new NodeJoinRemediator(new Stack(new App(), 'Invalid'), 'Remediator', { code: lambda.Code.fromInline('x'), ...props });
  const errorOf = (props: NodeJoinRemediatorProps): ValidationError => {
    try {
      construct(props);
    } catch (error) {
      if (error instanceof ValidationError) return error;
      throw error;
    }
    throw new Error('expected a ValidationError');
  };

  it('accepts a wait that leaves exactly the 120 s headroom', () => {
    expect(() => construct({ timeout: Duration.minutes(5), waitSeconds: 180 })).not.toThrow();
    expect(() => construct({ timeout: Duration.minutes(5), waitSeconds: 181 })).toThrow(ValidationError);
  });

  it.each<[string, NodeJoinRemediatorProps, string, RegExp]>([
    ['a bad recycle strategy', { recycle: 'reboot' as never }, 'recycle', /recycle must be one of replace-unjoined, scale-cycle, none, got "reboot"/],
    ['a bad cluster name', { clusterNames: ['eks workshop'] }, 'clusterNames', /comma-separated list of EKS cluster names/],
    ['a bad NAT gateway id', { clusterNames: ['a'], natGatewayId: 'igw-123' }, 'natGatewayId', /NAT gateway id like nat-/],
    ['a NAT gateway without clusters', { natGatewayId: 'nat-0123456789abcdef0' }, 'natGatewayId', /list the clusters it serves in clusterNames/],
    ['a wait longer than the timeout allows', { timeout: Duration.minutes(5), waitSeconds: 600 }, 'waitSeconds', /must fit in the function timeout \(300 s\)/],
    ['a timeout above 15 minutes', { timeout: Duration.minutes(16) }, 'timeout', /from 60 to 900/],
    ['fractional seconds', { graceSeconds: 1.5 }, 'graceSeconds', /whole number of seconds/],
    ['subnets without a VPC', { vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } }, 'vpcSubnets', /need vpc/],
    ['a schedule with the sweep disabled', { sweepEnabled: false, sweepSchedule: events.Schedule.rate(Duration.hours(1)) }, 'sweepSchedule', /sweepEnabled is false/],
    ['groups without access entries', { clusterNames: ['a'], createAccessEntries: false, kubernetesGroups: ['g'] }, 'kubernetesGroups', /aws-auth/],
    ['a system: group', { clusterNames: ['a'], kubernetesGroups: ['system:masters'] }, 'kubernetesGroups', /outside "system:"/],
    ['an empty opt-out tag value', { optOutTag: { key: 'k', value: '' } }, 'optOutTag', /KEY=VALUE/],
    ['polls rarer than the wait', { waitSeconds: 30, pollSeconds: 60 }, 'pollSeconds', /must not exceed waitSeconds \(30\)/],
    ['a bad route table VPC id', { routeTableVpcIds: ['vpc-1'] }, 'routeTableVpcIds', /VPC ids like vpc-/],
    ['memory out of range', { memorySize: 64 }, 'memorySize', /from 128 to 10240/],
    ['a reserved concurrency of 0', { reservedConcurrency: 0 }, 'reservedConcurrency', /whole number from 1 to 1000, got 0/],
    ['a sweep concurrency above 64', { concurrency: 65 }, 'concurrency', /concurrency must be a whole number from 1 to 64, got "65"/],
    ['a negative cool-down', { recycleCooldownSeconds: -1 }, 'recycleCooldownSeconds', /whole number of seconds from 0 to 604800/],
  ])('%s', (_label, props, field, message) => {
    const error = errorOf(props);
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });
});
