import * as fs from 'fs';
import * as path from 'path';
import { Duration } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { ValidationError } from '../../lambda/errors';
import { appSettingsFromContext, CONTEXT_KEYS, DEFAULT_STACK_NAME } from '../../lib/app-context';

const fieldOf = (context: Record<string, unknown>): { field?: string; message: string } => {
  try {
    appSettingsFromContext(context);
  } catch (error) {
    if (error instanceof ValidationError) return { field: error.field, message: error.message };
    throw error;
  }
  throw new Error('expected a ValidationError');
};

describe('appSettingsFromContext', () => {
  it('gives the contract defaults with no context at all', () => {
    // Act
    const settings = appSettingsFromContext({});
    // Assess
    expect(settings.stackName).toBe(DEFAULT_STACK_NAME);
    expect(settings.stackProps.remediator).toMatchObject({
      dryRun: false,
      clusterNames: [],
      graceSeconds: 300,
      recycle: 'replace-unjoined',
      allowSharedRouteTables: false,
      waitSeconds: 600,
      optOutTag: { key: 'node-join-remediator/disabled', value: 'true' },
    });
    expect(settings.stackProps.remediator?.sweepEnabled).toBeUndefined();
    expect(settings.stackProps.network).toBeUndefined();
    expect(settings.stackProps.reportTopicArn).toBeUndefined();
  });

  it('reads the command-line form (-c key=value strings)', () => {
    const settings = appSettingsFromContext({ clusterNames: 'eks-workshop, eks-prod', dryRun: 'true', recycle: 'scale-cycle', timeoutSeconds: '600', waitSeconds: '400' });
    expect(settings.stackProps.remediator).toMatchObject({
      clusterNames: ['eks-workshop', 'eks-prod'],
      dryRun: true,
      recycle: 'scale-cycle',
      timeout: Duration.seconds(600),
      waitSeconds: 400,
    });
  });

  it('reads the cdk.json form (booleans, numbers, lists)', () => {
    const settings = appSettingsFromContext({ clusterNames: ['a', 'b'], dryRun: true, graceSeconds: 120, logRetentionDays: 90, kubernetesGroups: ['node-readers'] });
    expect(settings.stackProps.remediator).toMatchObject({
      clusterNames: ['a', 'b'],
      dryRun: true,
      graceSeconds: 120,
      logRetention: logs.RetentionDays.THREE_MONTHS,
      kubernetesGroups: ['node-readers'],
    });
  });

  it('turns the sweep off with "off", and takes any rate/cron expression', () => {
    expect(appSettingsFromContext({ sweepSchedule: 'off' }).stackProps.remediator?.sweepEnabled).toBe(false);
    expect(appSettingsFromContext({ sweepSchedule: 'rate(1 hour)' }).stackProps.remediator?.sweepSchedule?.expressionString).toBe('rate(1 hour)');
  });

  it('builds the function network from ids', () => {
    const settings = appSettingsFromContext({ vpcId: 'vpc-0123456789abcdef0', subnetIds: 'subnet-0123456789abcdef0,subnet-0123456789abcdef1', securityGroupIds: 'sg-0123456789abcdef0' });
    expect(settings.stackProps.network).toEqual({
      vpcId: 'vpc-0123456789abcdef0',
      subnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
      securityGroupIds: ['sg-0123456789abcdef0'],
    });
  });

  it('reads the fleet knobs, the concurrency cap and tracing', () => {
    // Act
    const settings = appSettingsFromContext({
      allowInternetEgress: 'true',
      createNodeAccessEntry: 'true',
      recycleCooldownSeconds: '1800',
      readConsoleOutput: 'true',
      concurrency: '4',
      reservedConcurrency: '20',
      tracing: 'false',
    });
    // Assess
    expect(settings.stackProps.remediator).toMatchObject({
      allowInternetEgress: true,
      createNodeAccessEntry: true,
      recycleCooldownSeconds: 1800,
      readConsoleOutput: true,
      concurrency: 4,
      reservedConcurrency: 20,
      tracing: false,
    });
  });

  it('leaves the environment unset unless account / region are given explicitly', () => {
    expect(appSettingsFromContext({}).env).toEqual({ account: undefined, region: undefined });
    expect(appSettingsFromContext({ account: '123456789012', region: 'us-gov-west-1' }).env).toEqual({ account: '123456789012', region: 'us-gov-west-1' });
  });

  it('reads the organisation shape: central stack name, OUs, regions, knobs for every member', () => {
    // Act
    const settings = appSettingsFromContext({
      deployment: 'organization',
      organizationId: 'o-a1b2c3d4e5',
      organizationalUnitIds: 'ou-ab12-cdef3456, ou-ab12-0123abcd',
      regions: ['us-west-2', 'eu-west-1'],
      assetBucketPrefix: 'acme-remediator-assets',
      delegatedAdmin: 'false',
      dryRun: 'true',
    });
    // Assess
    expect(settings.deployment).toBe('organization');
    expect(settings.stackName).toBe('EksNodeJoinRemediatorOrganization');
    expect(settings.organization).toEqual({
      organizationId: 'o-a1b2c3d4e5',
      organizationalUnitIds: ['ou-ab12-cdef3456', 'ou-ab12-0123abcd'],
      regions: ['us-west-2', 'eu-west-1'],
      assetBucketPrefix: 'acme-remediator-assets',
      stackSetName: undefined,
      delegatedAdmin: false,
    });
    expect(settings.stackProps.remediator?.dryRun).toBe(true);
    expect(appSettingsFromContext({}).deployment).toBe('single');
  });

  it("ignores CDK's own context keys", () => {
    const settings = appSettingsFromContext({ 'cli-telemetry': false, 'aws:cdk:bundling-stacks': [], '@aws-cdk/core:target-partitions': ['aws'] });
    expect(settings.stackName).toBe(DEFAULT_STACK_NAME);
  });

  it('reads a key for every knob of contract section 4, and the README Deploy section documents every key', () => {
    // Prepare
    const guide = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    const keys = Object.keys(CONTEXT_KEYS);
    // Assess
    expect(keys).toEqual(expect.arrayContaining(['clusterNames', 'dryRun', 'graceSeconds', 'recycle', 'natGatewayId', 'allowSharedRouteTables', 'waitSeconds', 'optOutTag']));
    expect(keys.filter((key) => !guide.includes(`\`${key}\``))).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['a typo in a key', { clusterName: 'eks-workshop' }, 'clusterName', /unknown context key "clusterName" \(did you mean "clusterNames"\?\)/],
    ['a non-boolean dry run', { dryRun: 'yes' }, 'dryRun', /dryRun must be "true" or "false", got "yes"/],
    ['a bad recycle strategy', { recycle: 'terminate' }, 'recycle', /recycle must be one of replace-unjoined, scale-cycle, none/],
    ['a bad schedule', { sweepSchedule: 'every 15 minutes' }, 'sweepSchedule', /rate\(\.\.\.\) or cron\(\.\.\.\)/],
    ['an unsupported retention', { logRetentionDays: '31' }, 'logRetentionDays', /must be one of 1, 3, 5, 7, 14, 30/],
    ['a timeout above the Lambda limit', { timeoutSeconds: '1200' }, 'timeoutSeconds', /from 60 to 900/],
    ['a timeout too short to do anything', { timeoutSeconds: '30' }, 'timeoutSeconds', /from 60 to 900/],
    ['subnets without a VPC', { subnetIds: 'subnet-0123456789abcdef0' }, 'vpcId', /need vpcId/],
    ['a non-scalar value', { graceSeconds: { value: 1 } }, 'graceSeconds', /must be a string, number, boolean or list/],
    ['a bad stack name', { stackName: '1-stack' }, 'stackName', /start with a letter/],
    ['a sweep concurrency of 0', { concurrency: '0' }, 'concurrency', /concurrency must be a whole number from 1 to 64, got "0"/],
    ['a non-numeric cap', { reservedConcurrency: 'ten' }, 'reservedConcurrency', /reservedConcurrency must be a whole number/],
    ['a bad cool-down', { recycleCooldownSeconds: '1h' }, 'recycleCooldownSeconds', /whole number of seconds/],
    ['a bad account', { account: '1234' }, 'account', /12-digit AWS account id/],
    ['a bad region', { region: 'Oregon' }, 'region', /region name like us-west-2/],
    ['a typo in a new key', { reservedConcurrencies: '5' }, 'reservedConcurrencies', /did you mean "reservedConcurrency"/],
    ['British spelling of a key', { organisationId: 'o-a1b2c3d4e5' }, 'organisationId', /did you mean "organizationId"/],
    ['an unknown deployment', { deployment: 'org' }, 'deployment', /deployment must be one of single, organization, got "org"/],
    ['an organisation key without the organisation shape', { organizationId: 'o-a1b2c3d4e5' }, 'organizationId', /applies to -c deployment=organization only/],
    ['an organisation without its id', { deployment: 'organization', organizationalUnitIds: 'ou-ab12-cdef3456', regions: 'us-west-2', assetBucketPrefix: 'acme-assets' }, 'organizationId', /deployment=organization needs -c organizationId=/],
    ['an organisation without regions', { deployment: 'organization', organizationId: 'o-a1b2c3d4e5', organizationalUnitIds: 'ou-ab12-cdef3456', assetBucketPrefix: 'acme-assets' }, 'regions', /needs -c regions=/],
    ['a bad OU id', { deployment: 'organization', organizationId: 'o-a1b2c3d4e5', organizationalUnitIds: 'sales', regions: 'us-west-2', assetBucketPrefix: 'acme-assets' }, 'organizationalUnitIds', /OU ids like ou-ab12-cdef3456 or the root id r-ab12, got "sales"/],
    ['a bad region in the list', { deployment: 'organization', organizationId: 'o-a1b2c3d4e5', organizationalUnitIds: 'r-ab12', regions: 'us-west-2,Frankfurt', assetBucketPrefix: 'acme-assets' }, 'regions', /region names like us-west-2,eu-west-1, got "Frankfurt"/],
    ['a single-account key in the organisation', { deployment: 'organization', organizationId: 'o-a1b2c3d4e5', organizationalUnitIds: 'r-ab12', regions: 'us-west-2', assetBucketPrefix: 'acme-assets', vpcId: 'vpc-0123456789abcdef0' }, 'vpcId', /does not apply to deployment=organization: VPC ids differ per account/],
  ])('rejects %s with a clear message', (_label, context, field, message) => {
    const error = fieldOf(context);
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });
});
