import { diagnose } from '../../../lambda/diagnosis';
import { plan } from '../../../lambda/plan';
import type { Snapshot } from '../../../lambda/model';
import { config, SEED, seedSnapshot, setDefaultRoute } from '../../fixtures/snapshots/builder';

const NAT_A_IP = '44.226.10.28';
const NAT_B_IP = '35.160.7.99';

/** The seed with a public-only cluster endpoint limited to `cidrs`, NAT gateways with known public IPs. */
function publicOnly(cidrs: string[]): Snapshot {
  const snapshot = seedSnapshot();
  Object.assign(snapshot.cluster, { endpointPublicAccess: true, endpointPrivateAccess: false, publicAccessCidrs: cidrs });
  snapshot.network.natGateways.find((n) => n.natGatewayId === SEED.natA)!.publicIp = NAT_A_IP;
  snapshot.network.natGateways.find((n) => n.natGatewayId === SEED.natB)!.publicIp = NAT_B_IP;
  return snapshot;
}

describe('ENDPOINT_ACCESS_DENIES_NODES', () => {
  it('blocks the route when no usable NAT gateway sends from an allowed address (route problem + blocker: no write)', () => {
    // Prepare
    const snapshot = publicOnly(['198.51.100.0/24']);

    // Act
    const diagnosis = diagnose(snapshot, config());
    const result = plan(snapshot, diagnosis, config());

    // Assess
    const finding = diagnosis.findings.find((f) => f.code === 'ENDPOINT_ACCESS_DENIES_NODES');
    expect(finding).toMatchObject({ severity: 'error', remediable: false, resourceId: SEED.clusterName });
    expect(finding!.evidence['sourceAddresses']).toEqual([NAT_A_IP, NAT_B_IP]);
    expect(finding!.evidence['fix']).toContain(`publicAccessCidrs=198.51.100.0/24,${NAT_A_IP}/32,${NAT_B_IP}/32`);
    expect(diagnosis.findings.map((f) => f.code)).toContain('NO_DEFAULT_ROUTE');
    expect(result.actions).toEqual([]);
    expect(result.unresolvedReason).toContain('ENDPOINT_ACCESS_DENIES_NODES');
  });

  it('prefers the NAT gateway whose public IP is allowed (/32), even in another AZ', () => {
    const snapshot = publicOnly([`${NAT_B_IP}/32`]);

    const diagnosis = diagnose(snapshot, config());
    const result = plan(snapshot, diagnosis, config());

    expect(diagnosis.findings.map((f) => f.code)).not.toContain('ENDPOINT_ACCESS_DENIES_NODES');
    expect(result.actions[0]).toMatchObject({ type: 'CREATE_ROUTE', detail: expect.objectContaining({ natGatewayId: SEED.natB }) });
  });

  it('accepts a NAT gateway inside a wider CIDR and rejects one just outside a /32', () => {
    const wide = publicOnly(['44.226.0.0/16']);
    const nearMiss = publicOnly(['44.226.10.29/32', '35.160.7.98/32']);

    expect((plan(wide, diagnose(wide, config()), config()).actions[0]?.detail as Record<string, unknown>)?.['natGatewayId']).toBe(SEED.natA);
    expect(diagnose(nearMiss, config()).findings.map((f) => f.code)).toContain('ENDPOINT_ACCESS_DENIES_NODES');
  });

  it('refuses a configured NAT gateway whose public IP is not allowed', () => {
    const snapshot = publicOnly([`${NAT_B_IP}/32`]);
    const cfg = config({ natGatewayId: SEED.natA });

    const result = plan(snapshot, diagnose(snapshot, cfg), cfg);

    expect(result.actions).toEqual([]);
    expect(result.unresolvedReason).toMatch(/outside the cluster's publicAccessCidrs/);
  });

  it('names a working NAT route whose public IP is outside the CIDRs', () => {
    const snapshot = publicOnly([`${NAT_B_IP}/32`]);
    setDefaultRoute(snapshot, SEED.newRouteTableId, { natGatewayId: SEED.natA, state: 'active' });

    const finding = diagnose(snapshot, config()).findings.find((f) => f.code === 'ENDPOINT_ACCESS_DENIES_NODES');

    expect(finding?.evidence).toMatchObject({ natGatewayId: SEED.natA, sourceAddress: NAT_A_IP });
  });

  it('ignores publicAccessCidrs when private access is on, or when they admit everything', () => {
    const privateToo = publicOnly(['198.51.100.0/24']);
    privateToo.cluster.endpointPrivateAccess = true;
    const everything = publicOnly(['0.0.0.0/0']);

    for (const snapshot of [privateToo, everything]) {
      expect(diagnose(snapshot, config()).findings.map((f) => f.code)).not.toContain('ENDPOINT_ACCESS_DENIES_NODES');
      expect(plan(snapshot, diagnose(snapshot, config()), config()).actions[0]?.type).toBe('CREATE_ROUTE');
    }
  });

  it("judges an instance's own public IP behind an internet gateway", () => {
    const snapshot = publicOnly(['198.51.100.0/24']);
    setDefaultRoute(snapshot, SEED.newRouteTableId, { gatewayId: SEED.igw, state: 'active' });
    snapshot.instances[0]!.publicIpAddress = '54.1.2.3';

    const finding = diagnose(snapshot, config()).findings.find((f) => f.code === 'ENDPOINT_ACCESS_DENIES_NODES');

    expect(finding?.evidence).toMatchObject({ sourceAddresses: ['54.1.2.3'], instanceIds: [SEED.instanceId] });
  });
});
