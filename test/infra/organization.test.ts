/**
 * The organisation shape (contract section 9): the central stack (topic whose policy admits only
 * the organisation, dashboard per account and region, StackSet) and the member stack it deploys.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { ValidationError } from '../../lambda/errors';
import { buildRemediatorApp } from '../../lib/app';
import { nagPacks } from '../../lib/nag';
import { MEMBER_PARAMETERS, ORGANIZATION_METRIC, OrganizationCentralStack, type OrganizationCentralStackProps } from '../../lib/organization';
import { arnsIn, literalEnvironmentFields } from './support/arns';

const TARGETS = {
  organizationId: 'o-a1b2c3d4e5',
  organizationalUnitIds: ['ou-ab12-cdef3456', 'ou-ab12-0123abcd'],
  regions: ['us-west-2', 'eu-west-1'],
  assetBucketPrefix: 'acme-remediator-assets',
} as const;

function central(props: Partial<OrganizationCentralStackProps> = {}): OrganizationCentralStack {
  return new OrganizationCentralStack(new App(), 'Central', {
    organizationalUnitIds: [...TARGETS.organizationalUnitIds],
    regions: [...TARGETS.regions],
    organizationId: TARGETS.organizationId,
    assetBucketPrefix: TARGETS.assetBucketPrefix,
    // Inline code: the template shape without esbuild (the app test below bundles for real).
    member: { remediator: { code: lambda.Code.fromInline('export const handler = async () => ({});'), clusterNames: ['eks-workshop'] } },
    ...props,
  });
}

function findings(scope: IConstruct): string[] {
  return nagPacks().flatMap((pack) =>
    pack.validateScope(scope).violations.flatMap((violation) => violation.violatingResources.map((resource) => `${violation.ruleName} ${resource.constructPath}`)),
  );
}

describe('OrganizationCentralStack', () => {
  const stack = central();
  const template = Template.fromStack(stack);
  const topicId = stack.getLogicalId(stack.reportTopic.node.defaultChild as never);

  it('admits only principals of the organisation to publish to the report topic', () => {
    // Prepare
    const [policy] = Object.values(template.findResources('AWS::SNS::TopicPolicy', { Properties: { Topics: [{ Ref: topicId }] } }));
    const statements = policy.Properties.PolicyDocument.Statement as { Effect: string; Principal: unknown; Action: string; Condition?: Record<string, Record<string, string>> }[];
    // Assess: every Allow is conditioned on the organisation id; the other statement denies plain HTTP.
    const allows = statements.filter((statement) => statement.Effect === 'Allow');
    expect(allows).toEqual([
      expect.objectContaining({ Action: 'sns:Publish', Principal: { AWS: '*' }, Condition: { StringEquals: { 'aws:PrincipalOrgID': TARGETS.organizationId } } }),
    ]);
    expect(statements.filter((statement) => statement.Effect === 'Deny')).toEqual([
      expect.objectContaining({ Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    ]);
  });

  it('encrypts the topic with a rotated key that members of the organisation may use only through SNS', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('ReportKey'), 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
            Principal: { AWS: '*' },
            Condition: {
              StringEquals: { 'aws:PrincipalOrgID': TARGETS.organizationId, 'kms:ViaService': { 'Fn::Join': ['', ['sns.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
            },
          }),
        ]),
      },
    });
  });

  it('deploys the member stack with a service-managed StackSet, auto-deployment on, to the OUs and regions of the context', () => {
    template.hasResourceProperties('AWS::CloudFormation::StackSet', {
      PermissionModel: 'SERVICE_MANAGED',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      CallAs: 'DELEGATED_ADMIN',
      Capabilities: ['CAPABILITY_IAM'],
      StackInstancesGroup: [{ DeploymentTargets: { OrganizationalUnitIds: [...TARGETS.organizationalUnitIds] }, Regions: [...TARGETS.regions] }],
      Parameters: Match.arrayWith([
        { ParameterKey: MEMBER_PARAMETERS.reportTopicArn, ParameterValue: { Ref: topicId } },
        { ParameterKey: MEMBER_PARAMETERS.reportTopicKeyArn, ParameterValue: { 'Fn::GetAtt': [Match.stringLikeRegexp('ReportKey'), 'Arn'] } },
      ]),
    });
  });

  it('turns every report into a metric per account, region and outcome, and shows it on a dashboard', () => {
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.outcome = "*" }',
      MetricTransformations: [
        Match.objectLike({
          MetricNamespace: ORGANIZATION_METRIC.namespace,
          MetricName: 'RemediationOutcome',
          MetricValue: '1',
          Dimensions: Match.arrayWith([
            { Key: 'AccountId', Value: '$.accountId' },
            { Key: 'Region', Value: '$.region' },
            { Key: 'Outcome', Value: '$.outcome' },
          ]),
        }),
      ],
    });
    // Reports reach the log group: topic → queue (raw) → pipe → log group.
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'sqs', RawMessageDelivery: true, TopicArn: { Ref: topicId } });
    template.hasResourceProperties('AWS::Pipes::Pipe', { TargetParameters: { InputTemplate: '<$.body>' } });
    const body = JSON.stringify(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody);
    expect(body).toContain('SEARCH(');
    expect(body).toContain('AccountId,Outcome,Region');
    expect(body).toContain('by accountId, region');
  });

  it('passes cdk-nag (central and member) with no unacknowledged finding', () => {
    expect(findings(stack)).toEqual([]);
  });
});

describe('RemediatorMemberStack (the StackSet template)', () => {
  const stack = central();
  // A StackSetStack is no cloud assembly artifact: its template is a file beside the central one.
  const assembly = App.of(stack)!.synth();
  const member = Template.fromJSON(JSON.parse(fs.readFileSync(path.join(assembly.directory, stack.member.templateFile), 'utf8')));

  it('is region-neutral: no literal region or account in any ARN, no environment', () => {
    expect(stack.member.resolve(stack.member.region)).toEqual({ Ref: 'AWS::Region' });
    const arns = arnsIn(member.toJSON());
    expect(arns.length).toBeGreaterThan(5);
    expect(arns.flatMap(literalEnvironmentFields)).toEqual([]);
  });

  it('publishes its reports to the central topic given by the StackSet, with the key grant SNS needs', () => {
    // Prepare
    member.hasParameter(MEMBER_PARAMETERS.reportTopicArn, { Type: 'String' });
    member.hasParameter(MEMBER_PARAMETERS.reportTopicKeyArn, { Type: 'String' });
    const fn = Object.values(member.findResources('AWS::Lambda::Function'))[0];
    // Assess
    expect(fn.Properties.Environment.Variables.REPORT_TOPIC_ARN).toEqual({ Ref: MEMBER_PARAMETERS.reportTopicArn });
    member.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'sns:Publish', Resource: { Ref: MEMBER_PARAMETERS.reportTopicArn } })]) },
    });
    member.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [Match.objectLike({ Action: ['kms:GenerateDataKey*', 'kms:Decrypt'], Resource: { Ref: MEMBER_PARAMETERS.reportTopicKeyArn } })],
      },
    });
  });

  it('holds the same remediator as the single-account stack (ledger, schedule group, knobs)', () => {
    member.resourceCountIs('AWS::DynamoDB::Table', 1);
    member.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
    member.resourceCountIs('AWS::EKS::AccessEntry', 1);
  });
});

describe('OrganizationCentralStack options', () => {
  it('delegatedAdmin false (the management account) and a StackSet name', () => {
    Template.fromStack(central({ delegatedAdmin: false, stackSetName: 'NodeJoinRemediator-Prod' })).hasResourceProperties('AWS::CloudFormation::StackSet', {
      StackSetName: 'NodeJoinRemediator-Prod',
      CallAs: 'SELF',
    });
  });
});

describe('OrganizationCentralStack rejects invalid targets', () => {
  it.each<[string, Partial<OrganizationCentralStackProps>, string, RegExp]>([
    ['a bad organisation id', { organizationId: 'org-1' }, 'organizationId', /like o-a1b2c3d4e5/],
    ['no OU', { organizationalUnitIds: [] }, 'organizationalUnitIds', /at least one OU/],
    ['a bad OU id', { organizationalUnitIds: ['ou-1'] }, 'organizationalUnitIds', /OU ids like ou-ab12-cdef3456/],
    ['a bad region', { regions: ['mars-1'] }, 'regions', /region names like us-west-2/],
    ['an upper-case bucket prefix', { assetBucketPrefix: 'Assets' }, 'assetBucketPrefix', /3-42 of a-z 0-9/],
  ])('%s', (_label, props, field, message) => {
    let caught: unknown;
    try {
      central(props);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).field).toBe(field);
    expect((caught as ValidationError).message).toMatch(message);
  });
});

describe('the app with -c deployment=organization (real bundle, cdk-stacksets assets)', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'remediator-org-'));
  let assembly: ReturnType<App['synth']>;
  let stack: ReturnType<typeof buildRemediatorApp>;

  beforeAll(() => {
    // Act: the context of the README's "Deploy to an organisation"; esbuild bundles the function.
    const app = new App({
      outdir,
      context: {
        deployment: 'organization',
        organizationId: TARGETS.organizationId,
        organizationalUnitIds: TARGETS.organizationalUnitIds.join(','),
        regions: TARGETS.regions.join(','),
        assetBucketPrefix: TARGETS.assetBucketPrefix,
        dryRun: 'true',
      },
    });
    stack = buildRemediatorApp(app);
    assembly = app.synth();
  }, 120_000);
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  it('synthesizes one central stack, environment-agnostic, and the member template beside it', () => {
    expect(stack).toBeInstanceOf(OrganizationCentralStack);
    expect(assembly.stacks.map((s) => s.stackName)).toEqual(['EksNodeJoinRemediatorOrganization']);
    expect(stack.resolve(stack.region)).toEqual({ Ref: 'AWS::Region' });
    expect(fs.readdirSync(outdir).filter((file) => file.endsWith('.stackset.template.json'))).toHaveLength(1);
  });

  it('takes the StackSet targets from the context: service-managed, auto-deployment, OUs and regions', () => {
    Template.fromJSON(assembly.stacks[0].template).hasResourceProperties('AWS::CloudFormation::StackSet', {
      StackSetName: 'EksNodeJoinRemediator',
      PermissionModel: 'SERVICE_MANAGED',
      AutoDeployment: Match.objectLike({ Enabled: true }),
      StackInstancesGroup: [{ DeploymentTargets: { OrganizationalUnitIds: [...TARGETS.organizationalUnitIds] }, Regions: [...TARGETS.regions] }],
    });
  });

  it('ran both cdk-nag packs over central, member and the asset copy, with no violation', () => {
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports).toEqual([]);
  });

  it('copies the member bundle to <assetBucketPrefix>-<region> for each region, and the member reads it from its own region', () => {
    const central = assembly.stacks[0].template;
    const deployments = Object.values<{ Type: string; Properties: Record<string, any> }>(central.Resources).filter((r) => r.Type === 'Custom::CDKBucketDeployment');
    expect(deployments.map((d) => d.Properties.DestinationBucketName).sort()).toEqual(TARGETS.regions.map((region) => `${TARGETS.assetBucketPrefix}-${region}`).sort());
    const memberFile = fs.readdirSync(outdir).find((file) => file.endsWith('.stackset.template.json'))!;
    const member = JSON.parse(fs.readFileSync(path.join(outdir, memberFile), 'utf8'));
    const fn = Object.values<{ Type: string; Properties: Record<string, any> }>(member.Resources).find((r) => r.Type === 'AWS::Lambda::Function')!;
    expect(fn.Properties.Code.S3Bucket).toEqual({ 'Fn::Join': ['-', [TARGETS.assetBucketPrefix, { Ref: 'AWS::Region' }]] });
    expect(fn.Properties.Environment.Variables.DRY_RUN).toBe('true');
    expect(arnsIn(member).flatMap(literalEnvironmentFields)).toEqual([]);
  });
});
