import { diagnose } from '../../../lambda/diagnosis';
import { plan } from '../../../lambda/plan';
import type { Snapshot, VpcInfo } from '../../../lambda/model';
import { addPrivateEndpoints, config, registerNode, SEED, seedSnapshot, setDefaultRoute } from '../../fixtures/snapshots/builder';

function withVpc(snapshot: Snapshot, vpc: Partial<VpcInfo>): Snapshot {
  snapshot.network.vpc = {
    vpcId: SEED.vpcId,
    cidrBlock: '10.42.0.0/16',
    enableDnsSupport: true,
    enableDnsHostnames: true,
    dhcpOptionsId: 'dopt-0e8f2a1b3c4d5e6f7',
    domainNameServers: ['AmazonProvidedDNS'],
    ...vpc,
  };
  return snapshot;
}

/** The seed with a working NAT route: only the DNS facts can explain the failure. */
function routedSeed(): Snapshot {
  const snapshot = seedSnapshot();
  setDefaultRoute(snapshot, SEED.newRouteTableId, { natGatewayId: SEED.natA, state: 'active' });
  return snapshot;
}

describe('VPC_DNS_DISABLED and CUSTOM_DNS_SERVERS', () => {
  it('blocks on enableDnsSupport off with AmazonProvidedDNS, with the modify-vpc-attribute fix', () => {
    // Prepare
    const snapshot = withVpc(seedSnapshot(), { enableDnsSupport: false });

    // Act
    const diagnosis = diagnose(snapshot, config());
    const result = plan(snapshot, diagnosis, config());

    // Assess
    const finding = diagnosis.findings.find((f) => f.code === 'VPC_DNS_DISABLED');
    expect(finding).toMatchObject({ severity: 'error', remediable: false, resourceId: SEED.vpcId });
    expect(finding!.evidence['fix']).toBe(`aws ec2 modify-vpc-attribute --vpc-id ${SEED.vpcId} --enable-dns-support "{\\"Value\\":true}"`);
    expect(result.actions).toEqual([]); // the missing route is not written while DNS is off
    expect(result.unresolvedReason).toContain(`VPC_DNS_DISABLED on ${SEED.vpcId}`);
  });

  it('is a warning, not a blocker, when every instance is registered', () => {
    const snapshot = withVpc(routedSeed(), { enableDnsSupport: false });
    registerNode(snapshot, SEED.instanceId);

    const finding = diagnose(snapshot, config()).findings.find((f) => f.code === 'VPC_DNS_DISABLED');

    expect(finding?.severity).toBe('warning');
  });

  it('flags enableDnsHostnames off only when the path depends on private DNS (private-only endpoint)', () => {
    const publicAndPrivate = withVpc(routedSeed(), { enableDnsHostnames: false });
    const privateOnly = withVpc(routedSeed(), { enableDnsHostnames: false });
    privateOnly.cluster.endpointPublicAccess = false;

    expect(diagnose(publicAndPrivate, config()).findings.map((f) => f.code)).not.toContain('VPC_DNS_DISABLED');
    expect(diagnose(privateOnly, config()).findings.find((f) => f.code === 'VPC_DNS_DISABLED')?.evidence['fix']).toContain('--enable-dns-hostnames');
  });

  it('flags enableDnsHostnames off for an endpoint-only subnet', () => {
    const snapshot = withVpc(seedSnapshot(), { enableDnsHostnames: false });
    addPrivateEndpoints(snapshot, [SEED.newRouteTableId]);

    const codes = diagnose(snapshot, config()).findings.map((f) => f.code);

    expect(codes).toContain('VPC_DNS_DISABLED');
  });

  it('warns about custom name servers (never a blocker)', () => {
    const snapshot = withVpc(routedSeed(), { domainNameServers: ['10.0.0.2', '10.1.0.2'] });

    const diagnosis = diagnose(snapshot, config());

    expect(diagnosis.findings.find((f) => f.code === 'CUSTOM_DNS_SERVERS')).toMatchObject({
      severity: 'warning',
      resourceId: 'dopt-0e8f2a1b3c4d5e6f7',
      evidence: expect.objectContaining({ domainNameServers: ['10.0.0.2', '10.1.0.2'] }),
    });
    // custom servers: enableDnsSupport off does not matter (AmazonProvidedDNS is not used)
    expect(diagnose(withVpc(routedSeed(), { enableDnsSupport: false, domainNameServers: ['10.0.0.2'] }), config()).findings.map((f) => f.code)).not.toContain('VPC_DNS_DISABLED');
  });

  it('skips the checks when the snapshot has no VPC facts', () => {
    expect(diagnose(seedSnapshot(), config()).findings.map((f) => f.code)).toEqual(['NODES_NOT_REGISTERED', 'NO_DEFAULT_ROUTE']);
  });
});
