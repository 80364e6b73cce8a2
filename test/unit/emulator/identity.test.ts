/** The emulator's identity model (world/identity.ts, services/iam.ts, EKS access entries, aws-auth). */
import { CreateAccessEntryCommand, DescribeClusterCommand, EKSClient, ListAccessEntriesCommand } from '@aws-sdk/client-eks';
import { GetRoleCommand, IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import type { RunningEmulator, Scenario } from '../../../emulator/index';
import { parseScenario } from '../../../emulator/scenario';
import { bundledScenario, SEED, startTestEmulator } from './support/harness';

const NODE_ROLE = 'arn:aws:iam::123456789012:role/new-nodegroup-2-role';

function healthyWith(change: (scenario: Scenario) => void): Scenario {
  const scenario = bundledScenario('healthy');
  const nodegroup = scenario.clusters[0]!.nodegroups.find((n) => n.nodegroupName === SEED.brokenNodegroup)!;
  nodegroup.nodeRole = NODE_ROLE;
  change(scenario);
  return scenario;
}

function instanceOf(emulator: RunningEmulator) {
  return [...emulator.world.instances.values()].find((i) => i.nodegroupName === SEED.brokenNodegroup)!;
}

function operatorClient<T>(Client: new (config: object) => T, emulator: RunningEmulator): T {
  return new Client({ region: emulator.region, endpoint: emulator.awsEndpoint, credentials: emulator.operator, maxAttempts: 1 });
}

describe('emulator identity model', () => {
  let emulator: RunningEmulator | undefined;
  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
  });

  it('EKS admits a node group role as its authentication mode says: an entry in API modes, a mapping in CONFIG_MAP modes', async () => {
    emulator = await startTestEmulator(healthyWith((s) => Object.assign(s.clusters[0]!, { authenticationMode: 'API' })));
    const cluster = emulator.world.clusters.get(SEED.cluster)!;
    expect(cluster.accessEntries).toContainEqual(expect.objectContaining({ principalArn: NODE_ROLE, type: 'EC2_LINUX' }));
    expect(cluster.awsAuthMapRoles).toBeNull();
    await emulator.close();

    emulator = await startTestEmulator(healthyWith((s) => Object.assign(s.clusters[0]!, { authenticationMode: 'CONFIG_MAP' })));
    const configMapCluster = emulator.world.clusters.get(SEED.cluster)!;
    expect(configMapCluster.accessEntries.some((e) => e.principalArn === NODE_ROLE)).toBe(false);
    expect(configMapCluster.awsAuthMapRoles).toContainEqual({ rolearn: NODE_ROLE, username: 'system:node:{{EC2PrivateDNSName}}', groups: ['system:bootstrappers', 'system:nodes'] });
    expect(instanceOf(emulator).bootstrap).toBe('joined');
  });

  it('a refused node keeps retrying and registers once CreateAccessEntry admits its role', async () => {
    // Prepare
    emulator = await startTestEmulator(healthyWith((s) => Object.assign(s.clusters[0]!.nodegroups.find((n) => n.nodegroupName === SEED.brokenNodegroup)!, { nodeAccessEntry: false })));
    expect(instanceOf(emulator).bootstrap).toBe('refused');
    const eks = operatorClient(EKSClient, emulator);

    // Act
    await eks.send(new CreateAccessEntryCommand({ clusterName: SEED.cluster, principalArn: NODE_ROLE, type: 'EC2_LINUX' }));
    emulator.advance(5);

    // Assess
    expect(instanceOf(emulator).bootstrap).toBe('joined');
    expect((await eks.send(new ListAccessEntriesCommand({ clusterName: SEED.cluster }))).accessEntries).toContain(NODE_ROLE);
    await expect(eks.send(new CreateAccessEntryCommand({ clusterName: SEED.cluster, principalArn: NODE_ROLE, type: 'EC2_LINUX' }))).rejects.toMatchObject({ name: 'ResourceInUseException' });
    eks.destroy();
  });

  it('refuses access entries in CONFIG_MAP mode, as EKS does', async () => {
    emulator = await startTestEmulator(healthyWith((s) => Object.assign(s.clusters[0]!, { authenticationMode: 'CONFIG_MAP' })));
    const eks = operatorClient(EKSClient, emulator);
    await expect(eks.send(new CreateAccessEntryCommand({ clusterName: SEED.cluster, principalArn: NODE_ROLE, type: 'EC2_LINUX' }))).rejects.toMatchObject({ name: 'InvalidRequestException' });
    expect((await eks.send(new DescribeClusterCommand({ name: SEED.cluster }))).cluster?.accessConfig?.authenticationMode).toBe('CONFIG_MAP');
    eks.destroy();
  });

  it('nodeadm failures are final and printed to the console; IAM answers from the role documents', async () => {
    // Prepare: a node role that lost its ECR policy.
    emulator = await startTestEmulator(
      healthyWith((s) => {
        s.iam = { roles: [{ roleName: 'new-nodegroup-2-role', attachedPolicyArns: ['arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy'] }], instanceProfiles: [] };
      }),
    );
    const iam = operatorClient(IAMClient, emulator);

    // Act
    const simulation = await iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: NODE_ROLE, ActionNames: ['ec2:DescribeInstances', 'ecr:GetAuthorizationToken'] }));
    const role = await iam.send(new GetRoleCommand({ RoleName: 'new-nodegroup-2-role' }));
    emulator.advance(600);

    // Assess
    expect(simulation.EvaluationResults?.map((r) => [r.EvalActionName, r.EvalDecision, r.MatchedStatements?.[0]?.SourcePolicyId])).toEqual([
      ['ec2:DescribeInstances', 'allowed', 'AmazonEKSWorkerNodePolicy'],
      ['ecr:GetAuthorizationToken', 'implicitDeny', undefined],
    ]);
    expect(decodeURIComponent(role.Role!.AssumeRolePolicyDocument!)).toContain('ec2.amazonaws.com');
    const instance = instanceOf(emulator);
    expect(instance.bootstrap).toBe('bootstrap-failed');
    expect(instance.consoleOutput?.join('\n')).toMatch(/not authorized to perform: ecr:GetAuthorizationToken/);
    iam.destroy();
  });
});

describe('scenario identity fields', () => {
  it('names the field at fault', () => {
    const scenario = bundledScenario('healthy') as unknown as Record<string, unknown>;
    expect(() => parseScenario({ ...scenario, iam: { roles: [], instanceProfiles: [{ instanceProfileName: 'p', roleNames: ['ghost'] }] } })).toThrow(
      'scenario field "iam.instanceProfiles[0].roleNames[0]"',
    );
    const clusters = structuredClone(scenario.clusters) as Record<string, unknown>[];
    clusters[0]!['authenticationMode'] = 'OPEN';
    expect(() => parseScenario({ ...scenario, clusters })).toThrow('scenario field "clusters[0].authenticationMode"');
  });
});
