/**
 * Every network cause the emulator models, end to end: the node of new_nodegroup_2 does not join
 * for exactly the scenario's cause, and `npm run remediate` names it, with zero mutating calls
 * (contract sections 2, 3 and 7.1). One emulator and one CLI run per scenario.
 */
import { loadScenarioFile } from '../../emulator/scenario';
import { startHarness, type Harness } from '../../emulator/harness';
import type { Report } from '../../lambda/report';
import { PROJECT_ROOT, run } from './support/processes';

const MUTATING = /^(Create|Replace|Delete|Terminate|Update|Set|Associate|Modify|Put|Attach|Detach|Disassociate)/;

async function remediate(scenario: Parameters<typeof startHarness>[0]['scenario'], args: string[] = []) {
  const harness: Harness = await startHarness({ scenario });
  try {
    const result = await run(
      'npm',
      ['run', '--silent', '--prefix', PROJECT_ROOT, 'remediate', '--', '--cluster', 'eks-workshop', '--nodegroup', 'new_nodegroup_2', '--json', ...args],
      { ...harness.cliEnv('remediator'), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POLL_SECONDS: '1' },
    );
    const state = (await (await fetch(`${harness.emulator.awsEndpoint}/_emulator/state`)).json()) as {
      instances: { nodegroupName?: string; bootstrap: string; bootstrapDetail?: string; consoleOutput?: string[] }[];
    };
    return {
      code: result.code,
      report: JSON.parse(result.stdout) as Report,
      mutations: harness.emulator.calls().filter((c) => MUTATING.test(c.operation)).map((c) => c.operation),
      nodes: state.instances.filter((i) => i.nodegroupName === 'new_nodegroup_2'),
    };
  } finally {
    await harness.close();
  }
}

const codes = (report: Report) => report.findings.map((f) => f.code);

describe('network causes against the emulator (CLI)', () => {
  it.each([
    ['endpoint-only-missing-ec2', 'MISSING_VPC_ENDPOINTS', { services: ['ec2'] }],
    ['dns-support-disabled', 'VPC_DNS_DISABLED', { enableDnsSupport: false }],
    ['endpoint-access-denied', 'ENDPOINT_ACCESS_DENIES_NODES', { sourceAddress: '44.231.18.7' }],
    ['subnet-addresses-exhausted', 'SUBNET_ADDRESSES_EXHAUSTED', { instancesToLaunch: 1 }],
    ['nat-without-internet', 'NAT_GATEWAY_WITHOUT_INTERNET', { natGatewayId: 'nat-0f0e0d0c0b0a09080' }],
    ['security-group-blocks-cluster', 'SECURITY_GROUP_BLOCKS_CLUSTER', { direction: 'ingress', clusterSecurityGroupId: 'sg-0c1d2e3f4a5b6c7d8', nodeSecurityGroupIds: ['sg-0a9b8c7d6e5f40312'] }],
    ['network-acl-blocks-traffic', 'NETWORK_ACL_BLOCKS_TRAFFIC', { networkAclId: 'acl-0a1b2c3d4e5f60718', ruleNumber: 90 }],
    ['vpc-endpoint-not-serving', 'VPC_ENDPOINT_NOT_SERVING', { vpcEndpointId: 'vpce-0a1b2c3d4e5f60002', privateDnsEnabled: false }],
  ])('%s: the node does not join and the report names %s, changing nothing', async (scenario, code, evidence) => {
    // Act
    const { code: exit, report, mutations, nodes } = await remediate(scenario);

    // Assess
    expect(report.outcome).toBe('UNRESOLVED');
    expect(exit).toBe(2);
    const finding = report.findings.find((f) => f.code === code);
    expect(finding).toMatchObject({ severity: 'error', remediable: false, evidence: expect.objectContaining(evidence) });
    expect(typeof finding!.evidence['fix']).toBe('string');
    expect(mutations).toEqual([]);
    expect(nodes.every((n) => n.bootstrap !== 'joined')).toBe(true);
  });

  it('a route problem beside a blocker: NO_DEFAULT_ROUTE and ENDPOINT_ACCESS_DENIES_NODES, and no route is written', async () => {
    // Prepare: the endpoint-access world, with the new subnet's route missing as well.
    const scenario = loadScenarioFile('endpoint-access-denied');
    scenario.routeTables.find((t) => t.routeTableId === 'rtb-0e1f2a3b4c5d6e7f8')!.routes = [];

    // Act
    const { report, mutations } = await remediate(scenario);

    // Assess
    expect(codes(report)).toEqual(expect.arrayContaining(['NO_DEFAULT_ROUTE', 'ENDPOINT_ACCESS_DENIES_NODES']));
    expect(report.outcome).toBe('UNRESOLVED');
    expect(report.reason).toContain('ENDPOINT_ACCESS_DENIES_NODES');
    expect(mutations).toEqual([]);
  });

  it('the endpoint-only subnet gets its NAT route only with --allow-internet-egress, and the node then joins', async () => {
    // Act
    const { report, mutations } = await remediate('endpoint-only-missing-ec2', ['--allow-internet-egress', '--wait-seconds', '30']);

    // Assess
    expect(report.outcome).toBe('REMEDIATED');
    expect(mutations).toContain('CreateRoute');
    expect(report.verification.status).toBe('joined');
  });

  it('no S3 path: the node registers but stays NotReady, and the report names the S3 gateway endpoint not on its table', async () => {
    // Prepare: every interface endpoint serves the endpoint-only subnet; the s3 gateway endpoint is
    // only on the private table, not on new-subnet-rt (and there is no 0.0.0.0/0 route).
    const scenario = loadScenarioFile('vpc-endpoint-not-serving');
    for (const e of scenario.vpcEndpoints ?? []) delete e.privateDnsEnabled;
    scenario.vpcEndpoints!.find((e) => e.vpcEndpointId === 'vpce-0a1b2c3d4e5f60001')!.routeTableIds = ['rtb-0b2c3d4e5f6a7b8c9'];

    // Act
    const { report, mutations, nodes } = await remediate(scenario);

    // Assess
    expect(nodes.map((n) => n.bootstrap)).toEqual(['joined']);
    expect(nodes[0]!.consoleOutput?.join('\n')).toContain('starport-layer-bucket.s3.us-west-2.amazonaws.com');
    expect(report.instances).toEqual([expect.objectContaining({ registered: true, ready: false })]);
    expect(codes(report)).toEqual(expect.arrayContaining(['NODES_NOT_READY', 'VPC_ENDPOINT_NOT_SERVING']));
    const finding = report.findings.find((f) => f.code === 'VPC_ENDPOINT_NOT_SERVING');
    expect(finding).toMatchObject({ severity: 'error', remediable: false, resourceId: 'vpce-0a1b2c3d4e5f60001' });
    expect(finding!.evidence['fix']).toBe('aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-0a1b2c3d4e5f60001 --add-route-table-ids rtb-0e1f2a3b4c5d6e7f8');
    expect(report.outcome).toBe('UNRESOLVED');
    expect(mutations).toEqual([]);
  });
});
