/**
 * Identity and bootstrap causes end to end (contract sections 2, 3 and 7.1): for each cause the
 * emulator's node fails to join for exactly that cause, the real handler (real SDK clients, real
 * Kubernetes client, over HTTP/HTTPS) names it, and makes no mutating call. CREATE_ACCESS_ENTRY:
 * off by default (UNRESOLVED naming the fix), on: one entry of the right type for the node role,
 * the refused node joins; refused in CONFIG_MAP mode and when an aws-auth mapping exists.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startHarness, type Harness } from '../../emulator/harness';
import type { CallRecord, Scenario } from '../../emulator/index';
import type { MultiReport, Report } from '../../lambda/report';
import { PROJECT_ROOT, run } from './support/processes';

const CLUSTER = 'eks-workshop';
const NODEGROUP = 'new_nodegroup_2';
const ACCOUNT = '123456789012';
const NODE_ROLE = `arn:aws:iam::${ACCOUNT}:role/new-nodegroup-2-role`;
const REMEDIATOR_ROLE = `arn:aws:iam::${ACCOUNT}:role/node-join-remediator`;
const MUTATING = /^(Create|Replace|Delete|Terminate|Update|Set|Attach|Put|Associate|Modify)/;

type Nodegroup = Scenario['clusters'][number]['nodegroups'][number];
type Cluster = Scenario['clusters'][number];

/** The healthy seed world (the new subnet routes through the NAT gateway) with one identity change. */
function world(change: { nodegroup?: Partial<Nodegroup>; cluster?: Partial<Cluster>; iam?: Scenario['iam'] }): Scenario {
  const scenario = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'emulator', 'scenarios', 'healthy.json'), 'utf8')) as Scenario;
  const cluster = scenario.clusters[0]!;
  Object.assign(cluster, change.cluster ?? {});
  const nodegroup = cluster.nodegroups.find((n) => n.nodegroupName === NODEGROUP)!;
  Object.assign(nodegroup, { nodeRole: NODE_ROLE }, change.nodegroup ?? {});
  if (change.iam) scenario.iam = change.iam;
  return scenario;
}

function mutatingCalls(calls: CallRecord[]): CallRecord[] {
  return calls.filter((c) => MUTATING.test(c.operation) && c.principalArn === REMEDIATOR_ROLE);
}

function single(result: Report | MultiReport): Report {
  if ('reports' in result) throw new Error(`expected one report, got ${result.reports.length}`);
  return result;
}

function joinedNodes(harness: Harness): number {
  return harness.emulator.world
    .nodesOf(CLUSTER)
    .filter((n) => (n as { metadata: { labels: Record<string, string> } }).metadata.labels['eks.amazonaws.com/nodegroup'] === NODEGROUP).length;
}

describe('identity and bootstrap causes against the emulator', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  async function examine(scenario: Scenario, env: Record<string, string> = {}): Promise<Report> {
    harness = await startHarness({ scenario, env: { WAIT_SECONDS: '20', ...env } });
    return single(await harness.invoke({ clusterName: CLUSTER, nodegroupName: NODEGROUP }));
  }

  const causes: [string, Parameters<typeof world>[0], string][] = [
    ['NODE_ROLE_NOT_AUTHORIZED', { nodegroup: { nodeAccessEntry: false } }, `aws eks create-access-entry --cluster-name ${CLUSTER} --principal-arn ${NODE_ROLE} --type EC2_LINUX`],
    [
      'NODE_ROLE_MISSING_PERMISSIONS',
      { iam: { roles: [{ roleName: 'new-nodegroup-2-role', attachedPolicyArns: ['arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy'] }], instanceProfiles: [] } },
      'aws iam attach-role-policy --role-name new-nodegroup-2-role --policy-arn arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly',
    ],
    [
      'NODE_ROLE_TRUST_POLICY',
      {
        iam: {
          roles: [{ roleName: 'new-nodegroup-2-role', assumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] } }],
          instanceProfiles: [],
        },
      },
      'aws iam update-assume-role-policy --role-name new-nodegroup-2-role',
    ],
    [
      'INSTANCE_PROFILE_MISMATCH',
      {
        nodegroup: { instanceProfileName: 'legacy-profile' },
        iam: { roles: [{ roleName: 'legacy-node-role' }], instanceProfiles: [{ instanceProfileName: 'legacy-profile', roleNames: ['legacy-node-role'] }] },
      },
      'aws iam add-role-to-instance-profile --instance-profile-name legacy-profile --role-name new-nodegroup-2-role',
    ],
    ['INSTANCE_METADATA_DISABLED', { nodegroup: { metadataHttpEndpoint: 'disabled' } }, 'HttpEndpoint=enabled'],
    [
      'NODE_WEBHOOK_BLOCKING',
      { cluster: { webhooks: [{ name: 'node-policy.example.com', failurePolicy: 'Fail', rules: 'nodes', operations: ['CREATE'], serviceReady: false }] } },
      'kubectl -n webhooks get endpointslices -l kubernetes.io/service-name=node-policy',
    ],
    ['NODEGROUP_HEALTH_ISSUE', { nodegroup: { health: [{ code: 'AmiIdNotFound', message: "AMI id ami-0abc was not found" }] } }, 'update-nodegroup-version'],
    [
      'CLUSTER_HEALTH_ISSUE',
      { cluster: { health: [{ code: 'StsRegionalEndpointDisabled', message: 'STS regional endpoint is deactivated in us-west-2' }] } },
      'Security Token Service (STS) > Endpoints: activate us-west-2',
    ],
  ];

  it.each(causes)('%s: the node fails for exactly that cause, the report names it and its fix, nothing is changed', async (code, change, fix) => {
    // Act
    const report = await examine(world(change));

    // Assess
    expect(report.outcome).toBe('UNRESOLVED');
    expect(joinedNodes(harness!)).toBe(0);
    const identityCodes = report.findings
      .map((f) => f.code)
      .filter((c) => c !== 'NODES_NOT_REGISTERED' && c !== 'KUBERNETES_API_UNAVAILABLE');
    expect(identityCodes).toEqual([code]);
    const finding = report.findings.find((f) => f.code === code)!;
    expect(finding.severity).toBe('error');
    expect(String(finding.evidence['fix'])).toContain(fix);
    expect(report.reason).toContain(code);
    expect(mutatingCalls(harness!.emulator.calls())).toEqual([]);
  });

  it('--read-console-output attaches the matched nodeadm/kubelet lines of the unregistered instance, nothing else', async () => {
    // Act
    const report = await examine(world({ nodegroup: { metadataHttpEndpoint: 'disabled' } }), { READ_CONSOLE_OUTPUT: 'true' });

    // Assess
    const notRegistered = report.findings.find((f) => f.code === 'NODES_NOT_REGISTERED')!;
    const consoles = notRegistered.evidence['consoleOutput'] as { instanceId: string; lines: string[] }[];
    expect(consoles).toHaveLength(1);
    expect(consoles[0]!.lines).toEqual([expect.stringMatching(/nodeadm.*"level":"error".*IMDS endpoint is disabled/)]);
    expect(harness!.emulator.calls().filter((c) => c.operation === 'GetConsoleOutput')).toHaveLength(1);
  });

  describe('CREATE_ACCESS_ENTRY (opt-in)', () => {
    it('creates exactly one EC2_LINUX entry for the node role; the refused node retries and joins, nothing is recycled', async () => {
      // Act
      const report = await examine(world({ nodegroup: { nodeAccessEntry: false } }), { CREATE_NODE_ACCESS_ENTRY: 'true' });

      // Assess
      expect(report.outcome).toBe('REMEDIATED');
      expect(report.verification).toEqual({ status: 'joined', registered: 1, expected: 1 });
      const writes = mutatingCalls(harness!.emulator.calls());
      expect(writes.map((c) => c.operation)).toEqual(['CreateAccessEntry']);
      expect(writes[0]!.params).toMatchObject({ name: CLUSTER, principalArn: NODE_ROLE, type: 'EC2_LINUX' });
      expect(report.actions).toEqual([expect.objectContaining({ type: 'CREATE_ACCESS_ENTRY', resourceId: NODE_ROLE, status: 'done' })]);
      expect(joinedNodes(harness!)).toBe(1);
    });

    it('is refused in CONFIG_MAP mode (UNRESOLVED, nothing created)', async () => {
      // Prepare: the remediator reads the cluster through its aws-auth mapping, as CONFIG_MAP clusters require.
      const scenario = world({
        nodegroup: { nodeAccessEntry: false },
        cluster: { authenticationMode: 'CONFIG_MAP', awsAuth: { mapRoles: [{ rolearn: REMEDIATOR_ROLE, username: 'remediator', groups: ['eks-node-join-remediator-node-readers'] }] } },
      });

      // Act
      const report = await examine(scenario, { CREATE_NODE_ACCESS_ENTRY: 'true' });

      // Assess
      expect(report.outcome).toBe('UNRESOLVED');
      const finding = report.findings.find((f) => f.code === 'NODE_ROLE_NOT_AUTHORIZED')!;
      expect(finding.remediable).toBe(false);
      expect(finding.evidence['createAccessEntryRefused']).toMatch(/CONFIG_MAP/);
      expect(String(finding.evidence['fix'])).toMatch(/^eksctl create iamidentitymapping .*--group system:bootstrappers --group system:nodes/);
      expect(mutatingCalls(harness!.emulator.calls())).toEqual([]);
    });

    it('is refused when the role already has an aws-auth mapping (even a broken one)', async () => {
      // Prepare: a mapping without system:nodes does not admit the node, but it is a mapping.
      const scenario = world({
        nodegroup: { nodeAccessEntry: false },
        cluster: { awsAuth: { mapRoles: [{ rolearn: NODE_ROLE, username: 'system:node:{{EC2PrivateDNSName}}', groups: ['system:bootstrappers'] }] } },
      });

      // Act
      const report = await examine(scenario, { CREATE_NODE_ACCESS_ENTRY: 'true' });

      // Assess
      expect(report.outcome).toBe('UNRESOLVED');
      const finding = report.findings.find((f) => f.code === 'NODE_ROLE_NOT_AUTHORIZED')!;
      expect(finding.evidence['createAccessEntryRefused']).toMatch(/aws-auth mapping/);
      expect(mutatingCalls(harness!.emulator.calls())).toEqual([]);
    });
  });
});

describe('npm run remediate: the access entry story from the command line', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('off by default: UNRESOLVED (exit 2) naming the fix command; with --create-node-access-entry: REMEDIATED (exit 0)', async () => {
    // Prepare
    harness = await startHarness({ scenario: world({ nodegroup: { nodeAccessEntry: false } }) });
    const cli = (extra: string[]) =>
      run('npm', ['run', '--silent', '--prefix', PROJECT_ROOT, 'remediate', '--', '--cluster', CLUSTER, '--nodegroup', NODEGROUP, '--json', '--wait-seconds', '20', ...extra], {
        ...harness!.cliEnv('remediator'),
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        POLL_SECONDS: '1',
      });

    // Act
    const off = await cli([]);
    const on = await cli(['--create-node-access-entry']);

    // Assess
    expect(off.code).toBe(2);
    const offReport = JSON.parse(off.stdout) as Report;
    expect(offReport.outcome).toBe('UNRESOLVED');
    expect(offReport.reason).toContain(`aws eks create-access-entry --cluster-name ${CLUSTER} --principal-arn ${NODE_ROLE} --type EC2_LINUX`);
    expect(on.code).toBe(0);
    expect((JSON.parse(on.stdout) as Report).outcome).toBe('REMEDIATED');
    expect(harness.emulator.calls().filter((c) => c.operation === 'CreateAccessEntry')).toHaveLength(1);
  });
});
