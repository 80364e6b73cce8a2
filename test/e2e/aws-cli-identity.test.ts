/**
 * The identity side with the real AWS CLI and kubectl against the emulator (contract 7.1): a node
 * whose role EKS does not admit is refused and says so on its serial console; `aws iam ...`,
 * `aws eks list-access-entries` and `kubectl get configmap aws-auth` show why; after
 * `aws eks create-access-entry` the node (kubelet retries) registers.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { load } from 'js-yaml';
import { startHarness, type Harness } from '../../emulator/harness';
import type { Scenario } from '../../emulator/index';
import { PROJECT_ROOT, run, which } from './support/processes';

const AWS = which('aws');
const KUBECTL = which('kubectl');
const CLUSTER = 'eks-workshop';
const NODEGROUP = 'new_nodegroup_2';
const NODE_ROLE = 'arn:aws:iam::123456789012:role/new-nodegroup-2-role';

const describeWithTools = AWS && KUBECTL ? describe : describe.skip;
if (!AWS || !KUBECTL) process.stdout.write('SKIPPED aws CLI / kubectl identity tests: aws or kubectl not installed\n');

describeWithTools('identity causes with the real aws CLI and kubectl', () => {
  let harness: Harness;
  let workdir: string;
  let env: Record<string, string>;

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const aws = async (...args: string[]): Promise<Record<string, any>> => {
    const result = await run(AWS!, [...args, '--output', 'json'], env);
    if (result.code !== 0) throw new Error(`aws ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
    return JSON.parse(result.stdout || '{}') as Record<string, unknown>;
  };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  beforeAll(async () => {
    const scenario = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'emulator', 'scenarios', 'healthy.json'), 'utf8')) as Scenario;
    const nodegroup = scenario.clusters[0]!.nodegroups.find((n) => n.nodegroupName === NODEGROUP)!;
    Object.assign(nodegroup, { nodeRole: NODE_ROLE, nodeAccessEntry: false });
    harness = await startHarness({ scenario });
    workdir = mkdtempSync(path.join(tmpdir(), 'node-join-identity-'));
    env = { ...harness.cliEnv('operator'), KUBECONFIG: path.join(workdir, 'kubeconfig'), HOME: workdir };
  });
  afterAll(async () => {
    await harness?.close();
    rmSync(workdir, { recursive: true, force: true });
  });

  it('shows the refused node, its role and its missing entry, and lets it join once the entry exists', async () => {
    // The node role: trusted by EC2, the managed node policies attached, IAM's simulation allows bootstrap.
    const { Role } = await aws('iam', 'get-role', '--role-name', 'new-nodegroup-2-role');
    expect(Role).toMatchObject({ Arn: NODE_ROLE, AssumeRolePolicyDocument: { Statement: [expect.objectContaining({ Principal: { Service: 'ec2.amazonaws.com' } })] } });
    const { AttachedPolicies } = await aws('iam', 'list-attached-role-policies', '--role-name', 'new-nodegroup-2-role');
    expect(AttachedPolicies.map((p: { PolicyName: string }) => p.PolicyName)).toContain('AmazonEKSWorkerNodePolicy');
    const { EvaluationResults } = await aws('iam', 'simulate-principal-policy', '--policy-source-arn', NODE_ROLE, '--action-names', 'ec2:DescribeInstances', 's3:DeleteBucket');
    expect(EvaluationResults.map((r: { EvalActionName: string; EvalDecision: string }) => [r.EvalActionName, r.EvalDecision])).toEqual([
      ['ec2:DescribeInstances', 'allowed'],
      ['s3:DeleteBucket', 'implicitDeny'],
    ]);

    // Its instance carries the profile EKS made for that role, and its console says it is refused.
    const { nodegroup } = await aws('eks', 'describe-nodegroup', '--cluster-name', CLUSTER, '--nodegroup-name', NODEGROUP);
    const { AutoScalingGroups } = await aws('autoscaling', 'describe-auto-scaling-groups', '--auto-scaling-group-names', nodegroup.resources.autoScalingGroups[0].name);
    const instanceId: string = AutoScalingGroups[0].Instances[0].InstanceId;
    const { Reservations } = await aws('ec2', 'describe-instances', '--instance-ids', instanceId);
    const profileName = (Reservations[0].Instances[0].IamInstanceProfile.Arn as string).split('/').pop()!;
    const { InstanceProfile } = await aws('iam', 'get-instance-profile', '--instance-profile-name', profileName);
    expect(InstanceProfile.Roles.map((r: { Arn: string }) => r.Arn)).toEqual([NODE_ROLE]);
    const console = await aws('ec2', 'get-console-output', '--instance-id', instanceId);
    const text = /Unable to register/.test(console.Output) ? console.Output : Buffer.from(console.Output, 'base64').toString('utf8');
    expect(text).toMatch(/"Unable to register node with API server" err="Unauthorized"/);

    // EKS: no entry for the node role, and no aws-auth mapping either.
    const { accessEntries } = await aws('eks', 'list-access-entries', '--cluster-name', CLUSTER);
    expect(accessEntries).not.toContain(NODE_ROLE);
    await run(AWS!, ['eks', 'update-kubeconfig', '--name', CLUSTER], env);
    const configMap = await run(KUBECTL!, ['get', 'configmap', 'aws-auth', '-n', 'kube-system', '-o', 'yaml'], env);
    expect(configMap.stderr).toBe('');
    const mapRoles = load((load(configMap.stdout) as { data: { mapRoles: string } }).data.mapRoles) as { rolearn: string; groups: string[] }[];
    expect(mapRoles.map((m) => m.rolearn)).not.toContain(NODE_ROLE);
    expect(mapRoles[0]!.groups).toEqual(['system:bootstrappers', 'system:nodes']);

    // The fix a person would run; kubelet retries and the node registers.
    const { accessEntry } = await aws('eks', 'create-access-entry', '--cluster-name', CLUSTER, '--principal-arn', NODE_ROLE, '--type', 'EC2_LINUX');
    expect(accessEntry).toMatchObject({ principalArn: NODE_ROLE, type: 'EC2_LINUX', username: 'system:node:{{EC2PrivateDNSName}}' });
    let nodes = await run(KUBECTL!, ['get', 'nodes', `--selector=eks.amazonaws.com/nodegroup=${NODEGROUP}`], env);
    for (let attempt = 0; attempt < 20 && !/\sReady\s/.test(nodes.stdout); attempt += 1) {
      await sleep(500);
      nodes = await run(KUBECTL!, ['get', 'nodes', `--selector=eks.amazonaws.com/nodegroup=${NODEGROUP}`], env);
    }
    expect(nodes.stdout).toMatch(/\sReady\s/);
  }, 90_000);
});
