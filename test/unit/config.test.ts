import { configFromEnv, DEFAULT_CONFIG, parseConfig } from '../../lambda/config';
import { ValidationError } from '../../lambda/errors';

describe('configFromEnv', () => {
  it('gives the contract defaults when nothing is set', () => {
    // Act
    const config = configFromEnv({});

    // Assess
    expect(config).toEqual({
      dryRun: false,
      clusterNames: [],
      graceSeconds: 300,
      recycle: 'replace-unjoined',
      allowSharedRouteTables: false,
      waitSeconds: 600,
      optOutTag: { key: 'node-join-remediator/disabled', value: 'true' },
      pollSeconds: 10,
      allowInternetEgress: false,
      createNodeAccessEntry: false,
      recycleCooldownSeconds: 3600,
      readConsoleOutput: false,
      concurrency: 8,
    });
  });

  it('reads every knob from the Lambda environment', () => {
    // Prepare
    const env = {
      DRY_RUN: 'TRUE',
      CLUSTER_NAMES: 'eks-workshop, prod_2 ,eks-workshop',
      GRACE_SECONDS: '120',
      RECYCLE_STRATEGY: 'scale-cycle',
      NAT_GATEWAY_ID: 'nat-0123456789abcdef0',
      ALLOW_SHARED_ROUTE_TABLES: 'true',
      WAIT_SECONDS: '90',
      OPT_OUT_TAG: 'team/skip=yes',
      REMEDIATOR_ROLE_ARN: 'arn:aws:iam::123456789012:role/node-join-remediator',
      REPORT_TOPIC_ARN: 'arn:aws:sns:us-west-2:123456789012:reports',
      POLL_SECONDS: '0',
      ALLOW_INTERNET_EGRESS: 'true',
      CREATE_NODE_ACCESS_ENTRY: 'true',
      RECYCLE_COOLDOWN_SECONDS: '600',
      READ_CONSOLE_OUTPUT: 'true',
      CONCURRENCY: '16',
      LEDGER_TABLE_NAME: 'node-join-remediator-ledger',
      SCHEDULE_GROUP_NAME: 'node-join-remediator',
      SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/node-join-remediator-scheduler',
    };

    // Act
    const config = configFromEnv(env);

    // Assess
    expect(config).toEqual({
      dryRun: true,
      clusterNames: ['eks-workshop', 'prod_2'],
      graceSeconds: 120,
      recycle: 'scale-cycle',
      natGatewayId: 'nat-0123456789abcdef0',
      allowSharedRouteTables: true,
      waitSeconds: 90,
      optOutTag: { key: 'team/skip', value: 'yes' },
      ownRoleArn: 'arn:aws:iam::123456789012:role/node-join-remediator',
      reportTopicArn: 'arn:aws:sns:us-west-2:123456789012:reports',
      pollSeconds: 1,
      allowInternetEgress: true,
      createNodeAccessEntry: true,
      recycleCooldownSeconds: 600,
      readConsoleOutput: true,
      concurrency: 16,
      ledgerTableName: 'node-join-remediator-ledger',
      scheduleGroupName: 'node-join-remediator',
      schedulerRoleArn: 'arn:aws:iam::123456789012:role/node-join-remediator-scheduler',
    });
  });

  it('does not share the default opt-out tag object between configs', () => {
    const config = configFromEnv({});
    config.optOutTag.key = 'changed';
    expect(DEFAULT_CONFIG.optOutTag.key).toBe('node-join-remediator/disabled');
  });

  it.each([
    ['DRY_RUN', 'yes', /DRY_RUN must be "true" or "false", got "yes"/],
    ['RECYCLE_STRATEGY', 'reboot', /RECYCLE_STRATEGY must be one of replace-unjoined, scale-cycle, none, got "reboot"/],
    ['GRACE_SECONDS', '-5', /GRACE_SECONDS must be a whole number of seconds from 0 to 86400/],
    ['GRACE_SECONDS', '1.5', /GRACE_SECONDS must be a whole number/],
    ['CONCURRENCY', '0', /CONCURRENCY must be a whole number from 1 to 64, got "0"/],
    ['RECYCLE_COOLDOWN_SECONDS', 'an hour', /RECYCLE_COOLDOWN_SECONDS must be a whole number of seconds/],
    ['ALLOW_INTERNET_EGRESS', 'yes', /ALLOW_INTERNET_EGRESS must be "true" or "false"/],
    ['SCHEDULER_ROLE_ARN', 'scheduler', /SCHEDULER_ROLE_ARN must be an IAM role ARN/],
    ['WAIT_SECONDS', '99999', /WAIT_SECONDS must be a whole number of seconds from 0 to 3600/],
    ['NAT_GATEWAY_ID', 'igw-0123456789abcdef0', /NAT_GATEWAY_ID must be a NAT gateway id like nat-/],
    ['CLUSTER_NAMES', 'ok,not ok', /CLUSTER_NAMES must be a comma-separated list of EKS cluster names.*"not ok"/],
    ['OPT_OUT_TAG', 'novalue', /OPT_OUT_TAG must be KEY=VALUE/],
    ['OPT_OUT_TAG', 'team/skip= ', /OPT_OUT_TAG must be KEY=VALUE/],
    ['OPT_OUT_TAG', ' =true', /OPT_OUT_TAG must be KEY=VALUE/],
    ['REMEDIATOR_ROLE_ARN', 'arn:aws:iam::123:user/x', /REMEDIATOR_ROLE_ARN must be an IAM role ARN/],
    ['REPORT_TOPIC_ARN', 'my-topic', /REPORT_TOPIC_ARN must be an SNS topic ARN/],
  ])('rejects %s=%s with a message naming the allowed values', (name, value, message) => {
    // Act
    const act = () => configFromEnv({ [name]: value });

    // Assess
    expect(act).toThrow(ValidationError);
    expect(act).toThrow(message);
  });

  it('names CLI flags instead of variables when given a label function', () => {
    const act = () => parseConfig({ recycle: 'x' }, () => '--recycle');
    expect(act).toThrow(/^--recycle must be one of/);
  });
});
