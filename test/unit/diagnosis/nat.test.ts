import { chooseNatGateway, natGatewayRejection } from '../../../lambda/diagnosis/nat';
import type { NatGatewayInfo, Snapshot } from '../../../lambda/model';
import { SEED, seedSnapshot, setDefaultRoute } from '../../fixtures/snapshots/builder';

function nat(snapshot: Snapshot, id: string): NatGatewayInfo {
  return snapshot.network.natGateways.find((n) => n.natGatewayId === id)!;
}

describe('chooseNatGateway', () => {
  it("prefers the NAT gateway in the instance's AZ", () => {
    // Prepare
    const snapshot = seedSnapshot();

    // Act
    const forB = chooseNatGateway(snapshot.network, { preferredAvailabilityZones: ['us-west-2b'] });
    const forA = chooseNatGateway(snapshot.network, { preferredAvailabilityZones: ['us-west-2a'] });

    // Assess
    expect(forB.chosen?.natGatewayId).toBe(SEED.natB);
    expect(forA.chosen?.natGatewayId).toBe(SEED.natA);
  });

  it('falls back to the lowest usable id when no NAT gateway is in the AZ', () => {
    const snapshot = seedSnapshot();

    const choice = chooseNatGateway(snapshot.network, { preferredAvailabilityZones: ['us-west-2c'] });

    expect(choice.chosen?.natGatewayId).toBe(SEED.natA);
  });

  it.each([
    ['pending', 'its state is pending'],
    ['deleting', 'its state is deleting'],
    ['deleted', 'its state is deleted'],
    ['failed', 'its state is failed'],
  ])('rejects a %s NAT gateway', (state, why) => {
    const snapshot = seedSnapshot();
    nat(snapshot, SEED.natA).state = state;

    const choice = chooseNatGateway(snapshot.network, { preferredAvailabilityZones: ['us-west-2a'] });

    expect(choice.chosen?.natGatewayId).toBe(SEED.natB);
    expect(choice.candidates.find((c) => c.natGatewayId === SEED.natA)).toMatchObject({ usable: false, rejectedBecause: expect.stringContaining(why) });
  });

  it('rejects a private NAT gateway', () => {
    const snapshot = seedSnapshot();
    nat(snapshot, SEED.natA).connectivityType = 'private';

    expect(natGatewayRejection(nat(snapshot, SEED.natA), snapshot.network)).toContain('private NAT gateway');
  });

  it('rejects a NAT gateway of another VPC', () => {
    const snapshot = seedSnapshot();
    nat(snapshot, SEED.natA).vpcId = 'vpc-0ffffffffffffffff';

    expect(natGatewayRejection(nat(snapshot, SEED.natA), snapshot.network)).toContain('vpc-0ffffffffffffffff');
  });

  it('rejects a NAT gateway whose subnet has no route to an internet gateway', () => {
    const snapshot = seedSnapshot();
    setDefaultRoute(snapshot, SEED.publicRouteTableId, undefined);

    const choice = chooseNatGateway(snapshot.network, { preferredAvailabilityZones: ['us-west-2a'] });

    expect(choice.chosen).toBeUndefined();
    expect(choice.candidates.map((c) => c.rejectedBecause)).toEqual([
      expect.stringContaining('has no 0.0.0.0/0 route'),
      expect.stringContaining('has no 0.0.0.0/0 route'),
    ]);
  });

  it('rejects a NAT gateway whose subnet routes 0.0.0.0/0 to a transit gateway', () => {
    const snapshot = seedSnapshot();
    setDefaultRoute(snapshot, SEED.publicRouteTableId, { transitGatewayId: 'tgw-0a1b2c3d4e5f60718', state: 'active' });

    expect(natGatewayRejection(nat(snapshot, SEED.natA), snapshot.network)).toContain('not an internet gateway');
  });

  it('rejects a NAT gateway whose internet route is a blackhole', () => {
    const snapshot = seedSnapshot();
    setDefaultRoute(snapshot, SEED.publicRouteTableId, { gatewayId: SEED.igw, state: 'blackhole' });

    expect(natGatewayRejection(nat(snapshot, SEED.natA), snapshot.network)).toContain('blackhole');
  });

  it('rejects a NAT gateway whose internet gateway is not attached to the VPC', () => {
    const snapshot = seedSnapshot();
    snapshot.network.internetGateways[0]!.attachedVpcIds = [];

    expect(natGatewayRejection(nat(snapshot, SEED.natA), snapshot.network)).toContain('not attached');
  });

  it('reports no choice and every rejection when no NAT gateway is usable', () => {
    const snapshot = seedSnapshot();
    snapshot.network.natGateways.forEach((n) => (n.state = 'deleted'));

    const choice = chooseNatGateway(snapshot.network, { preferredAvailabilityZones: ['us-west-2a'] });

    expect(choice.chosen).toBeUndefined();
    expect(choice.candidates).toHaveLength(2);
    expect(choice.candidates.every((c) => !c.usable && c.rejectedBecause)).toBe(true);
  });

  describe('override', () => {
    it('honours a valid override even outside the preferred AZ', () => {
      const snapshot = seedSnapshot();

      const choice = chooseNatGateway(snapshot.network, { preferredAvailabilityZones: ['us-west-2a'], overrideNatGatewayId: SEED.natB });

      expect(choice.chosen?.natGatewayId).toBe(SEED.natB);
      expect(choice.override).toEqual({ natGatewayId: SEED.natB });
    });

    it('rejects an override that fails the rules, without falling back', () => {
      const snapshot = seedSnapshot();
      nat(snapshot, SEED.natB).state = 'deleting';

      const choice = chooseNatGateway(snapshot.network, { preferredAvailabilityZones: ['us-west-2a'], overrideNatGatewayId: SEED.natB });

      expect(choice.chosen).toBeUndefined();
      expect(choice.override?.rejectedBecause).toContain('deleting');
    });

    it('rejects an override that is not in the VPC', () => {
      const snapshot = seedSnapshot();

      const choice = chooseNatGateway(snapshot.network, { preferredAvailabilityZones: [], overrideNatGatewayId: 'nat-0123456789abcdef0' });

      expect(choice.chosen).toBeUndefined();
      expect(choice.override?.rejectedBecause).toContain('not found');
    });
  });
});
