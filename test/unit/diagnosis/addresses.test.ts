import { diagnose } from '../../../lambda/diagnosis';
import { plan } from '../../../lambda/plan';
import { config, SEED, seedSnapshot } from '../../fixtures/snapshots/builder';

describe('SUBNET_ADDRESSES_EXHAUSTED', () => {
  it('blocks when the node group cannot launch the instances it needs (a failed launch left it short)', () => {
    // Prepare: desired 1, the launch failed, the only subnet has no free address.
    const snapshot = seedSnapshot();
    snapshot.instances = [];
    snapshot.autoScalingGroups[0]!.instances = [];
    snapshot.network.subnets.find((s) => s.subnetId === SEED.newSubnetId)!.availableIpAddressCount = 0;

    // Act
    const diagnosis = diagnose(snapshot, config());

    // Assess
    const finding = diagnosis.findings.find((f) => f.code === 'SUBNET_ADDRESSES_EXHAUSTED');
    expect(finding).toMatchObject({
      severity: 'error',
      remediable: false,
      resourceId: SEED.newSubnetId,
      evidence: expect.objectContaining({ instancesToLaunch: 1, availableIpAddressCount: { [SEED.newSubnetId]: 0 } }),
    });
    expect(String(finding!.evidence['fix'])).toContain(`Name=subnet-id,Values=${SEED.newSubnetId}`);
    expect(plan(snapshot, diagnosis, config()).unresolvedReason).toContain('SUBNET_ADDRESSES_EXHAUSTED');
  });

  it('is silent when the node group is at its desired size, even in a full subnet', () => {
    const snapshot = seedSnapshot();
    snapshot.network.subnets.find((s) => s.subnetId === SEED.newSubnetId)!.availableIpAddressCount = 0;

    expect(diagnose(snapshot, config()).findings.map((f) => f.code)).not.toContain('SUBNET_ADDRESSES_EXHAUSTED');
  });

  it('only warns when another subnet of the node group can take the launch', () => {
    const snapshot = seedSnapshot();
    snapshot.instances = [];
    snapshot.autoScalingGroups[0]!.instances = [];
    snapshot.nodegroup.subnetIds = [SEED.newSubnetId, SEED.privateSubnetA];
    snapshot.network.subnets.find((s) => s.subnetId === SEED.newSubnetId)!.availableIpAddressCount = 0;
    snapshot.network.subnets.find((s) => s.subnetId === SEED.privateSubnetA)!.availableIpAddressCount = 40;

    const finding = diagnose(snapshot, config()).findings.find((f) => f.code === 'SUBNET_ADDRESSES_EXHAUSTED');

    expect(finding?.severity).toBe('warning');
  });
});
