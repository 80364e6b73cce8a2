/**
 * The seed's manual procedure, command by command, with the installed AWS CLI and kubectl
 * against the emulator: proof that the emulator is faithful enough for the real tools, and
 * that the story the product automates holds. kubectl authenticates with the kubeconfig that
 * `aws eks update-kubeconfig` writes (its `aws eks get-token` exec plugin).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startHarness, type Harness } from '../../emulator/harness';
import { run, which } from './support/processes';

const AWS = which('aws');
const KUBECTL = which('kubectl');
const CLUSTER = 'eks-workshop';
const NODEGROUP = 'new_nodegroup_2';
const SELECTOR = `--selector=eks.amazonaws.com/nodegroup=${NODEGROUP}`;

const missing = [!AWS && 'aws', !KUBECTL && 'kubectl'].filter(Boolean);
const describeWithTools = missing.length === 0 ? describe : describe.skip;
if (missing.length > 0) {
  // Said out loud: a skipped compatibility test must not pass for a run that checked nothing.
  process.stdout.write(`SKIPPED aws CLI / kubectl compatibility tests: ${missing.join(' and ')} not installed\n`);
}

describeWithTools('the seed procedure with the real aws CLI and kubectl', () => {
  let harness: Harness;
  let workdir: string;
  let env: Record<string, string>;

  const aws = async (...args: string[]) => {
    const result = await run(AWS!, [...args, '--output', 'json'], env);
    if (result.code !== 0) throw new Error(`aws ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
    return JSON.parse(result.stdout || '{}') as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const kubectl = (...args: string[]) => run(KUBECTL!, args, env);
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  beforeAll(async () => {
    harness = await startHarness({ scenario: 'seed' });
    workdir = mkdtempSync(path.join(tmpdir(), 'node-join-compat-'));
    env = { ...harness.cliEnv('operator'), KUBECONFIG: path.join(workdir, 'kubeconfig'), HOME: workdir };
  });
  afterAll(async () => {
    await harness?.close();
    rmSync(workdir, { recursive: true, force: true });
  });

  it('diagnoses and fixes the node group the way the seed document does', async () => {
    // Step 0: a kubeconfig the way a user makes one.
    const kubeconfig = await run(AWS!, ['eks', 'update-kubeconfig', '--name', CLUSTER], env);
    expect(kubeconfig.stderr).toBe('');
    expect(kubeconfig.stdout).toContain(`cluster/${CLUSTER}`);

    // Step 1: no node.
    const before = await kubectl('get', 'nodes', SELECTOR);
    expect(before.code).toBe(0);
    expect(before.stderr).toContain('No resources found');

    // Step 2: the node group looks fine.
    const { nodegroup } = await aws('eks', 'describe-nodegroup', '--cluster-name', CLUSTER, '--nodegroup-name', NODEGROUP);
    expect(nodegroup).toMatchObject({ status: 'ACTIVE', capacityType: 'ON_DEMAND', scalingConfig: { minSize: 0, maxSize: 1, desiredSize: 1 } });
    expect(nodegroup.health.issues).toEqual([]);

    // Step 3: the Auto Scaling group launched an instance.
    const asgName: string = nodegroup.resources.autoScalingGroups[0].name;
    expect(asgName).toMatch(new RegExp(`^eks-${NODEGROUP}-`));
    const { Activities } = await aws('autoscaling', 'describe-scaling-activities', '--auto-scaling-group-name', asgName);
    expect(Activities[0]).toMatchObject({ StatusCode: 'Successful', Description: expect.stringMatching(/^Launching a new EC2 instance: i-[0-9a-f]+/) });
    const instanceId = /i-[0-9a-f]+/.exec(Activities[0].Description)![0];

    // Step 4: the instance runs.
    const { Reservations } = await aws('ec2', 'describe-instances', '--instance-ids', instanceId);
    const instance = Reservations[0].Instances[0];
    expect(instance.State.Name).toBe('running');
    const subnetId: string = instance.SubnetId;

    // Step 5: its subnet's route table has only the local route.
    const { Subnets } = await aws('ec2', 'describe-subnets', '--subnet-ids', subnetId);
    expect(Subnets[0]).toMatchObject({ CidrBlock: '10.42.192.0/19', AvailabilityZone: 'us-west-2a', State: 'available' });
    const { RouteTables } = await aws('ec2', 'describe-route-tables', '--filters', `Name=association.subnet-id,Values=${subnetId}`);
    expect(RouteTables).toHaveLength(1);
    const routeTableId: string = RouteTables[0].RouteTableId;
    expect(RouteTables[0].Routes).toEqual([expect.objectContaining({ DestinationCidrBlock: '10.42.0.0/16', GatewayId: 'local' })]);

    // Step 6: the fix — the NAT gateway the working node group's subnets use, then recycle.
    const { NatGateways } = await aws('ec2', 'describe-nat-gateways', '--filter', 'Name=state,Values=available');
    const natGatewayId: string = NatGateways[0].NatGatewayId;
    await aws('ec2', 'create-route', '--route-table-id', routeTableId, '--destination-cidr-block', '0.0.0.0/0', '--nat-gateway-id', natGatewayId);
    const { RouteTables: fixed } = await aws('ec2', 'describe-route-tables', '--route-table-ids', routeTableId);
    expect(fixed[0].Routes).toContainEqual(expect.objectContaining({ DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: natGatewayId, Origin: 'CreateRoute', State: 'active' }));

    for (const desiredSize of [0, 1]) {
      const { update } = await aws('eks', 'update-nodegroup-config', '--cluster-name', CLUSTER, '--nodegroup-name', NODEGROUP, '--scaling-config', `desiredSize=${desiredSize}`);
      expect(update).toMatchObject({ type: 'ConfigUpdate', status: 'InProgress' });
      // The CLI's waiter sleeps 30 s between polls: let the 1 s update finish before its first poll.
      await sleep(1500);
      await aws('eks', 'wait', 'nodegroup-active', '--cluster-name', CLUSTER, '--nodegroup-name', NODEGROUP);
    }

    // Step 7: the new node is Ready.
    let after = await kubectl('get', 'nodes', SELECTOR);
    for (let attempt = 0; attempt < 20 && !/\sReady\s/.test(after.stdout); attempt += 1) {
      await sleep(500);
      after = await kubectl('get', 'nodes', SELECTOR);
    }
    expect(after.stdout).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION/);
    expect(after.stdout).toMatch(/ip-10-42-\d+-\d+\.us-west-2\.compute\.internal\s+Ready\s/);
  }, 120_000);

  it('attributes each call to the principal whose key signed it', async () => {
    // Act: the operator's calls above were signed with the operator's key.
    const calls = harness.emulator.calls();

    // Assess
    const createRoute = calls.find((c) => c.operation === 'CreateRoute');
    expect(createRoute?.principalArn).toBe('arn:aws:iam::123456789012:role/platform-admin');
    expect(calls.filter((c) => c.principalArn === harness.remediatorRoleArn)).toEqual([]);
  });
});

describeWithTools('the deployed-shape services with the real aws CLI', () => {
  let harness: Harness;
  let env: Record<string, string>;
  const aws = async (...args: string[]) => {
    const result = await run(AWS!, [...args, '--output', 'json'], env);
    return { ...result, json: result.code === 0 && result.stdout.trim() ? (JSON.parse(result.stdout) as Record<string, any>) : {} }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  beforeAll(async () => {
    harness = await startHarness({ scenario: 'seed' });
    env = harness.cliEnv('operator');
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('creates, writes and scans a DynamoDB table (dynalite behind the endpoint)', async () => {
    // Prepare
    const created = await aws('dynamodb', 'create-table', '--table-name', 'remediation-ledger', '--billing-mode', 'PAY_PER_REQUEST',
      '--attribute-definitions', 'AttributeName=pk,AttributeType=S', 'AttributeName=sk,AttributeType=S',
      '--key-schema', 'AttributeName=pk,KeyType=HASH', 'AttributeName=sk,KeyType=RANGE');
    // CreateTable answers CREATING, as DynamoDB does; the table is ACTIVE by the waiter's first poll.
    expect(created.json.TableDescription).toMatchObject({ TableName: 'remediation-ledger', TableStatus: 'CREATING' });
    expect((await run(AWS!, ['dynamodb', 'wait', 'table-exists', '--table-name', 'remediation-ledger'], env)).code).toBe(0);

    // Act
    const put = await aws('dynamodb', 'put-item', '--table-name', 'remediation-ledger', '--item', '{"pk":{"S":"NODEGROUP#eks-workshop/new_nodegroup_2"},"sk":{"S":"LEASE"}}',
      '--condition-expression', 'attribute_not_exists(pk)');
    const again = await aws('dynamodb', 'put-item', '--table-name', 'remediation-ledger', '--item', '{"pk":{"S":"NODEGROUP#eks-workshop/new_nodegroup_2"},"sk":{"S":"LEASE"}}',
      '--condition-expression', 'attribute_not_exists(pk)');
    const scan = await aws('dynamodb', 'scan', '--table-name', 'remediation-ledger');

    // Assess
    expect(put.code).toBe(0);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('ConditionalCheckFailedException');
    expect(scan.json).toMatchObject({ Count: 1, Items: [{ pk: { S: 'NODEGROUP#eks-workshop/new_nodegroup_2' }, sk: { S: 'LEASE' } }] });
  });

  it('creates, lists and reads a one-time schedule with aws scheduler', async () => {
    // Prepare
    await aws('scheduler', 'create-schedule-group', '--name', 'eks-node-join-remediator');
    const target = JSON.stringify({
      Arn: 'arn:aws:lambda:us-west-2:123456789012:function:eks-node-join-remediator',
      RoleArn: 'arn:aws:iam::123456789012:role/eks-node-join-remediator-scheduler',
      Input: JSON.stringify({ recheck: { clusterName: 'eks-workshop', nodegroupName: 'new_nodegroup_2', remediationId: 'r-1', reason: 'verify' } }),
    });

    // Act
    const created = await aws('scheduler', 'create-schedule', '--name', 'recheck-1', '--group-name', 'eks-node-join-remediator',
      '--schedule-expression', 'at(2030-01-01T00:00:00)', '--flexible-time-window', 'Mode=OFF', '--action-after-completion', 'DELETE', '--target', target);
    const listed = await aws('scheduler', 'list-schedules', '--group-name', 'eks-node-join-remediator');
    const got = await aws('scheduler', 'get-schedule', '--name', 'recheck-1', '--group-name', 'eks-node-join-remediator');
    const missing = await aws('scheduler', 'get-schedule', '--name', 'no-such-schedule');

    // Assess
    expect(created.json.ScheduleArn).toBe('arn:aws:scheduler:us-west-2:123456789012:schedule/eks-node-join-remediator/recheck-1');
    expect(listed.json.Schedules).toEqual([expect.objectContaining({ Name: 'recheck-1', State: 'ENABLED' })]);
    expect(got.json).toMatchObject({ ScheduleExpression: 'at(2030-01-01T00:00:00)', ActionAfterCompletion: 'DELETE' });
    expect(missing.stderr).toContain('ResourceNotFoundException');
    expect(harness.emulator.schedules()).toEqual([expect.objectContaining({ name: 'recheck-1', dueAt: '2030-01-01T00:00:00.000Z', due: false })]);
  });

  it('publishes to an SNS topic, MessageStructure json validated', async () => {
    // Prepare
    const { json: topic } = await aws('sns', 'create-topic', '--name', 'eks-node-join-remediator-reports');

    // Act
    const published = await aws('sns', 'publish', '--topic-arn', topic.TopicArn, '--subject', 'report', '--message-structure', 'json', '--message', '{"default":"{}","email":"text"}');
    const refused = await aws('sns', 'publish', '--topic-arn', topic.TopicArn, '--message-structure', 'json', '--message', '{"email":"text"}');

    // Assess
    expect(published.json.MessageId).toEqual(expect.any(String));
    expect(refused.stderr).toContain('No default entry in JSON message body');
    expect(harness.emulator.notifications()).toEqual([expect.objectContaining({ messageId: published.json.MessageId, subject: 'report', messages: { default: '{}', email: 'text' } })]);
  });
});
