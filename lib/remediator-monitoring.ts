/**
 * Dashboard and alarms of the NodeJoinRemediator, built with cdk-monitoring-constructs.
 *
 * One signal, one notification: the component alarms (function errors, FAILED reports, messages
 * in either dead-letter queue; throttles, asynchronous event age) carry no action. They feed two
 * composite alarms that do: `Failure` (a failed event shows up as a function error, a FAILED
 * report and, after the retry, a message in the failed-invocation queue: one notification, not
 * three) and `Backlog` (throttles and old queued events: the concurrency cap is too low for the
 * load). The UNRESOLVED outcome alarm notifies on its own: it asks a person to read a report.
 */
import { Aws, Duration, Names } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import {
  DefaultDashboardFactory,
  MonitoringFacade,
  noopAction,
  type IAlarmActionStrategy,
} from 'cdk-monitoring-constructs';
import type { Construct } from 'constructs';
import type { Outcome } from '../lambda/report';

/** Every outcome, in dashboard order; the `Record` makes the compiler check it against `Outcome`. */
const OUTCOME_ORDER: Record<Outcome, number> = { REMEDIATED: 0, FAILED: 1, UNRESOLVED: 2, DRY_RUN: 3, SKIPPED: 4, HEALTHY: 5 };
export const OUTCOMES = (Object.keys(OUTCOME_ORDER) as Outcome[]).sort((a, b) => OUTCOME_ORDER[a] - OUTCOME_ORDER[b]);

/** Disambiguators: which composite alarm a component alarm belongs to. */
export const ALARM_GROUP = {
  failure: 'Failure',
  backlog: 'Backlog',
  unresolved: 'Unresolved',
} as const;

/** An asynchronous event older than this (in Lambda's queue) means the function falls behind. */
export const MAX_ASYNC_EVENT_AGE = Duration.minutes(30);

export interface RemediatorMonitoringProps {
  readonly function: lambda.IFunction;
  readonly eventDeliveryDeadLetterQueue: sqs.IQueue;
  readonly failedInvocationQueue: sqs.IQueue;
  /** The per-outcome metric (one data point per report). */
  readonly metricOutcome: (outcome: Outcome) => cloudwatch.IMetric;
  /** Actions of the notifying alarms (composites and UNRESOLVED). */
  readonly alarmActions: readonly cloudwatch.IAlarmAction[];
}

export interface RemediatorMonitoring {
  readonly facade: MonitoringFacade;
  readonly dashboard: cloudwatch.Dashboard;
  /** The alarms that notify: `Failure`, `Backlog` (composites) and the UNRESOLVED outcome alarm. */
  readonly notifyingAlarms: cloudwatch.AlarmBase[];
}

/** Adds the given CloudWatch alarm actions (e.g. SnsAction) to an alarm. */
function actionsStrategy(actions: readonly cloudwatch.IAlarmAction[]): IAlarmActionStrategy {
  return {
    addAlarmActions: ({ alarm }) => {
      if (actions.length > 0) alarm.addAlarmAction(...actions);
    },
  };
}

export function createRemediatorMonitoring(scope: Construct, props: RemediatorMonitoringProps): RemediatorMonitoring {
  // Names derived from the construct path: unique per stack, with no region or account literal.
  // Dashboards are global to an account, so the dashboard name carries the region (a StackSet
  // puts one stack per region into each account).
  const prefix = Names.uniqueResourceName(scope, { maxLength: 60, separator: '-' });
  const notify = actionsStrategy(props.alarmActions);
  const dashboards = new DefaultDashboardFactory(scope, 'Dashboards', {
    dashboardNamePrefix: `${prefix}-${Aws.REGION}`,
    createDashboard: true,
    createSummaryDashboard: false,
    createAlarmDashboard: false,
  });
  const facade = new MonitoringFacade(scope, 'Monitoring', {
    alarmFactoryDefaults: {
      alarmNamePrefix: prefix,
      actionsEnabled: true,
      // Component alarms stay silent; the composites and UNRESOLVED notify (actionOverride).
      action: noopAction(),
      datapointsToAlarm: 1,
      evaluationPeriods: 1,
    },
    metricFactoryDefaults: {},
    dashboardFactory: dashboards,
  });

  const outcomeThreshold = (group: string, description: string) => ({
    [group]: {
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescriptionOverride: description,
      ...(group === ALARM_GROUP.unresolved ? { actionOverride: notify } : {}),
    },
  });

  facade
    .addLargeHeader('eks-node-join-remediator')
    .monitorCustom({
      alarmFriendlyName: 'Outcomes',
      humanReadableName: 'Remediation outcomes (one data point per report)',
      metricGroups: [
        {
          title: 'Reports by outcome',
          metrics: OUTCOMES.map((outcome) => {
            const metric = props.metricOutcome(outcome) as cloudwatch.Metric;
            if (outcome === 'FAILED') {
              return { metric, alarmFriendlyName: 'FailedOutcome', addAlarm: outcomeThreshold(ALARM_GROUP.failure, 'A remediation run stopped on an error: read its report.') };
            }
            if (outcome === 'UNRESOLVED') {
              return {
                metric,
                alarmFriendlyName: 'UnresolvedOutcome',
                addAlarm: outcomeThreshold(ALARM_GROUP.unresolved, 'A node group has a problem the remediator must not or cannot fix: read its report.'),
              };
            }
            return metric;
          }),
        },
      ],
    })
    .monitorLambdaFunction({
      lambdaFunction: props.function,
      alarmFriendlyName: 'Function',
      humanReadableName: 'Remediator function',
      addFaultCountAlarm: { [ALARM_GROUP.failure]: { maxErrorCount: 0, alarmDescriptionOverride: 'The remediator function threw (see its log group).' } },
      addThrottlesCountAlarm: { [ALARM_GROUP.backlog]: { maxErrorCount: 0, alarmDescriptionOverride: 'Invocations were throttled by the reserved concurrency cap.' } },
    })
    .monitorCustom({
      alarmFriendlyName: 'AsyncEvents',
      humanReadableName: 'Asynchronous events (EventBridge rules, Scheduler re-checks)',
      metricGroups: [
        {
          title: 'Event age in Lambda\'s queue',
          metrics: [
            {
              metric: props.function.metric('AsyncEventAge', { statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(5) }),
              alarmFriendlyName: 'AsyncEventAge',
              addAlarm: {
                [ALARM_GROUP.backlog]: {
                  threshold: MAX_ASYNC_EVENT_AGE.toMilliseconds(),
                  comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                  treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING,
                  alarmDescriptionOverride: `Events waited more than ${MAX_ASYNC_EVENT_AGE.toMinutes()} minutes in Lambda's queue.`,
                },
              },
            },
          ],
        },
        {
          title: 'Dropped events',
          metrics: [props.function.metric('AsyncEventsDropped', { statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5) }) as cloudwatch.Metric],
        },
      ],
    })
    .monitorSqsQueue({
      queue: props.eventDeliveryDeadLetterQueue,
      alarmFriendlyName: 'EventDeliveryDlq',
      humanReadableName: 'Events EventBridge could not deliver',
      addQueueMaxSizeAlarm: { [ALARM_GROUP.failure]: { maxMessageCount: 0, alarmDescriptionOverride: 'EventBridge could not deliver node group events to the remediator.' } },
    })
    .monitorSqsQueue({
      queue: props.failedInvocationQueue,
      alarmFriendlyName: 'FailedInvocationQueue',
      humanReadableName: 'Events the function failed on',
      addQueueMaxSizeAlarm: {
        [ALARM_GROUP.failure]: { maxMessageCount: 0, alarmDescriptionOverride: 'The remediator failed on an event after its retries, or the event expired while waiting.' },
      },
    });

  const failure = facade.createCompositeAlarmUsingDisambiguator(ALARM_GROUP.failure, {
    disambiguator: ALARM_GROUP.failure,
    actionOverride: notify,
    alarmDescription: 'The remediator failed: a function error, a FAILED report, or an event in a dead-letter queue. Read the failed report or the queue.',
  });
  const backlog = facade.createCompositeAlarmUsingDisambiguator(ALARM_GROUP.backlog, {
    disambiguator: ALARM_GROUP.backlog,
    actionOverride: notify,
    alarmDescription: 'The remediator falls behind: throttled invocations or old events in Lambda\'s queue. Raise reservedConcurrency or lower the sweep load.',
  });
  const unresolved = facade.createdAlarmsWithDisambiguator(ALARM_GROUP.unresolved).map((entry) => entry.alarm);
  const dashboard = dashboards.dashboard;
  if (!failure || !backlog || !dashboard) throw new Error('cdk-monitoring-constructs created no composite alarm or dashboard');
  return { facade, dashboard, notifyingAlarms: [failure, backlog, ...unresolved] };
}
