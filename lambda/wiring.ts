/** The composition root: the real adapters, built once per process. */
import { createAutoScalingAdapter } from './aws/autoscaling';
import { createCloudTrailAdapter } from './aws/cloudtrail';
import { createDynamoDbLedger } from './aws/dynamodb';
import { createEc2Adapter } from './aws/ec2';
import { createEksAdapter } from './aws/eks';
import { createIamAdapter } from './aws/iam';
import { createSchedulerClient, EventBridgeScheduler } from './aws/scheduler';
import { createSnsReportPublisher } from './aws/sns';
import { createKubernetesClient } from './kubernetes/client';
import type { AwsClientOptions } from './aws/clients';
import type { Config } from './config';
import type { LedgerPort, Ports, ReportPublisher, SchedulerPort } from './ports';

/** `options` pins an endpoint and credentials (the demo and e2e tests); the default is the ambient ones. */
export function createPorts(region: string, options: Omit<AwsClientOptions, 'region'> = {}): Ports {
  const clientOptions = { ...options, region };
  return {
    eks: createEksAdapter(clientOptions),
    ec2: createEc2Adapter(clientOptions),
    autoscaling: createAutoScalingAdapter(clientOptions),
    iam: createIamAdapter(clientOptions),
    cloudtrail: createCloudTrailAdapter(clientOptions),
    kubernetes: createKubernetesClient(options.credentials ? { credentials: options.credentials } : {}),
  };
}

/** What the deployed shape adds to the ports (contract section 8), each present only when configured. */
export interface DeployedServices {
  /** the ledger table (LEDGER_TABLE_NAME) */
  ledger?: LedgerPort;
  /** re-checks on the schedule group (SCHEDULE_GROUP_NAME + SCHEDULER_ROLE_ARN), targeting the invoked function */
  schedulerFor?: (functionArn: string) => SchedulerPort;
  /** the report topic (REPORT_TOPIC_ARN) */
  publisher?: ReportPublisher;
}

export function createDeployedServices(
  config: Config,
  region: string,
  options: Omit<AwsClientOptions, 'region'> = {},
): DeployedServices {
  const clientOptions = { ...options, region };
  const services: DeployedServices = {};
  if (config.ledgerTableName) services.ledger = createDynamoDbLedger(config.ledgerTableName, clientOptions);
  if (config.scheduleGroupName && config.schedulerRoleArn) {
    const client = createSchedulerClient(clientOptions);
    const groupName = config.scheduleGroupName;
    const roleArn = config.schedulerRoleArn;
    services.schedulerFor = (functionArn) => new EventBridgeScheduler({ groupName, roleArn, functionArn }, client);
  }
  if (config.reportTopicArn) services.publisher = createSnsReportPublisher(config.reportTopicArn, clientOptions);
  return services;
}
