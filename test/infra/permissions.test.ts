/**
 * The role must allow every AWS call the Lambda's adapters make (a missing action only shows up in
 * production, as AccessDenied). Reads the adapters' sources for the SDK commands they send.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { NodeJoinRemediator } from '../../lib/node-join-remediator';
import { VPC_NETWORK_INTERFACE_ACTIONS } from '../../lib/permissions';
import { TEST_ENV } from './support/synth';

const ADAPTERS_DIR = path.join(__dirname, '..', '..', 'lambda', 'aws');
const IAM_PREFIX_BY_CLIENT: Record<string, string> = {
  'client-eks': 'eks',
  'client-ec2': 'ec2',
  'client-auto-scaling': 'autoscaling',
  'client-sns': 'sns',
  'client-iam': 'iam',
  'client-cloudtrail': 'cloudtrail',
  'client-dynamodb': 'dynamodb',
  'client-scheduler': 'scheduler',
  'client-sts': 'sts',
};
/**
 * Actions that need no IAM permission, so no grant: sts:GetCallerIdentity ("No permissions are
 * required to perform this operation", STS API reference); only the CLI calls it.
 */
const NEEDS_NO_PERMISSION = new Set(['sts:GetCallerIdentity']);
/** @aws-sdk/lib-dynamodb's document commands → the DynamoDB actions they call. */
const DOCUMENT_COMMAND_ACTIONS: Record<string, string> = {
  Put: 'PutItem',
  Get: 'GetItem',
  Delete: 'DeleteItem',
  Update: 'UpdateItem',
  Query: 'Query',
  Scan: 'Scan',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  TransactGet: 'TransactGetItems',
  TransactWrite: 'TransactWriteItems',
};
/** Granted without an SDK call of the same name: EKS checks iam:PassRole on an EC2 access entry's role. */
const GRANTED_FOR_ANOTHER_CALL = ['iam:PassRole'];

/** `eks:DescribeCluster`, ... for every `XxxCommand` / `paginateXxx` in files importing one SDK client. */
function actionsCalledByAdapters(): string[] {
  const actions = new Set<string>();
  for (const file of fs.readdirSync(ADAPTERS_DIR).filter((name) => name.endsWith('.ts'))) {
    const source = fs.readFileSync(path.join(ADAPTERS_DIR, file), 'utf8');
    const clients = [...source.matchAll(/from '@aws-sdk\/(client-[a-z0-9-]+)'/g)].map((m) => m[1]);
    if (clients.length !== 1) continue;
    const prefix = IAM_PREFIX_BY_CLIENT[clients[0]];
    if (prefix === undefined) throw new Error(`${file} uses @aws-sdk/${clients[0]}, which the role was not designed for`);
    const documentClient = source.includes("from '@aws-sdk/lib-dynamodb'");
    for (const [, operation] of source.matchAll(/\b([A-Z][A-Za-z]+)Command\b/g)) {
      actions.add(`${prefix}:${documentClient ? (DOCUMENT_COMMAND_ACTIONS[operation!] ?? operation) : operation}`);
    }
    for (const [, operation] of source.matchAll(/\bpaginate([A-Z][A-Za-z]+)\b/g)) actions.add(`${prefix}:${operation}`);
  }
  return [...actions].sort();
}

describe('the role and the adapters agree', () => {
  // Prepare: a report topic, so that sns:Publish is granted too; the opt-in knobs on, so that
  // eks:CreateAccessEntry and ec2:GetConsoleOutput are granted too.
  const stack = new Stack(new App(), 'PermissionsStack', { env: TEST_ENV });
  new NodeJoinRemediator(stack, 'Remediator', {
    clusterNames: ['eks-workshop'],
    createNodeAccessEntry: true,
    readConsoleOutput: true,
    reportTopic: new sns.Topic(stack, 'Reports'),
    code: lambda.Code.fromInline('export const handler = async () => ({});'),
  });
  const granted = new Set(
    Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).flatMap((policy) =>
      (policy.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])),
    ),
  );

  it('grants every AWS API action lambda/aws sends', () => {
    // Act
    const called = actionsCalledByAdapters();
    // Assess: the scan found the adapters' calls, and none is missing from the role.
    expect(called).toEqual(expect.arrayContaining(['ec2:CreateRoute', 'eks:DescribeNodegroup']));
    expect(called.filter((action) => !granted.has(action) && !NEEDS_NO_PERMISSION.has(action))).toEqual([]);
  });

  it('grants no AWS API action of those services that lambda/aws does not send', () => {
    // Prepare: Lambda's own network-interface actions (VPC functions) are not engine calls.
    const called = new Set(actionsCalledByAdapters());
    const serviceActions = [...granted].filter(
      (action) => /^(eks|ec2|autoscaling|sns|cloudtrail|dynamodb|scheduler|iam):/.test(action) && !GRANTED_FOR_ANOTHER_CALL.includes(action),
    );
    // Act
    const unused = serviceActions.filter((action) => !called.has(action) && !(VPC_NETWORK_INTERFACE_ACTIONS as readonly string[]).includes(action));
    // Assess: a grant the engine stopped using must be removed with the call.
    expect(serviceActions.length).toBeGreaterThan(10);
    expect(unused).toEqual([]);
  });
});

describe('opt-in grants', () => {
  function grantsOf(props: { createNodeAccessEntry?: boolean; readConsoleOutput?: boolean }) {
    const stack = new Stack(new App(), 'OptInStack', { env: TEST_ENV });
    new NodeJoinRemediator(stack, 'Remediator', {
      clusterNames: ['eks-workshop'],
      ...props,
      code: lambda.Code.fromInline('export const handler = async () => ({});'),
    });
    return Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).flatMap((policy) =>
      policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown; Condition?: unknown }[],
    );
  }
  const actionsOf = (statements: { Action: string | string[] }[]) => statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

  it('grants neither eks:CreateAccessEntry, iam:PassRole nor ec2:GetConsoleOutput by default', () => {
    // Act
    const actions = actionsOf(grantsOf({}));
    // Assess
    expect(actions).toEqual(expect.arrayContaining(['eks:ListAccessEntries', 'iam:SimulatePrincipalPolicy']));
    expect(actions).not.toEqual(expect.arrayContaining(['eks:CreateAccessEntry']));
    expect(actions).not.toContain('ec2:GetConsoleOutput');
    // (iam:PassRole exists for the scheduler role only, never towards EKS)
    expect(JSON.stringify(grantsOf({}))).not.toContain('eks.amazonaws.com');
  });

  it('with createNodeAccessEntry: CreateAccessEntry on the allowed cluster only, for IAM roles of the account; PassRole to EKS only', () => {
    // Act
    const statements = grantsOf({ createNodeAccessEntry: true });
    // Assess
    const create = statements.find((s) => s.Action === 'eks:CreateAccessEntry')!;
    expect(JSON.stringify(create.Resource)).toContain(':cluster/eks-workshop');
    expect(create.Condition).toMatchObject({ ArnLike: { 'eks:principalArn': [expect.anything()] } });
    const passRole = statements.find((s) => s.Action === 'iam:PassRole')!;
    expect(passRole.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'eks.amazonaws.com' } });
  });
});
