import { diagnose } from '../../../lambda/diagnosis';
import type { NetworkAclInfo } from '../../../lambda/model';
import { plan } from '../../../lambda/plan';
import { config, SEED, setDefaultRoute } from '../../fixtures/snapshots/builder';
import { withGroups } from '../../fixtures/snapshots/network';

const clusterGroup = { groupId: 'sg-0c1d2e3f4a5b6c7d8', vpcId: SEED.vpcId, ingress: [{ protocol: '-1', referencedGroupId: 'sg-0c1d2e3f4a5b6c7d8' }], egress: [{ protocol: '-1', cidrIpv4: '0.0.0.0/0' }] };
const allowAll = (egress: boolean) => ({ ruleNumber: 100, egress, protocol: '-1', cidrBlock: '0.0.0.0/0', ruleAction: 'allow' as const });

function withAcls(acls: NetworkAclInfo[]) {
  const snapshot = withGroups([clusterGroup], [clusterGroup.groupId]);
  snapshot.network.networkAcls = [
    { networkAclId: 'acl-default', vpcId: SEED.vpcId, isDefault: true, subnetIds: [], entries: [allowAll(true), allowAll(false)] },
    ...acls,
  ];
  return snapshot;
}

describe('NETWORK_ACL_BLOCKS_TRAFFIC', () => {
  it('names the node subnet ACL whose rule 90 denies outbound 443 before rule 100 allows all', () => {
    // Prepare
    const snapshot = withAcls([
      {
        networkAclId: 'acl-new',
        vpcId: SEED.vpcId,
        isDefault: false,
        subnetIds: [SEED.newSubnetId],
        entries: [allowAll(true), { ruleNumber: 90, egress: true, protocol: '6', fromPort: 443, toPort: 443, cidrBlock: '0.0.0.0/0', ruleAction: 'deny' }, allowAll(false)],
      },
    ]);

    // Act
    const diagnosis = diagnose(snapshot, config());

    // Assess
    const finding = diagnosis.findings.find((f) => f.code === 'NETWORK_ACL_BLOCKS_TRAFFIC');
    expect(finding).toMatchObject({ severity: 'error', resourceId: 'acl-new', evidence: expect.objectContaining({ direction: 'egress', ruleNumber: 90, subnetId: SEED.newSubnetId }) });
    expect(finding!.evidence['fix']).toContain('aws ec2 create-network-acl-entry --network-acl-id acl-new --rule-number 89 --egress --protocol tcp --port-range From=443,To=443');
    expect(plan(snapshot, diagnosis, config()).actions).toEqual([]);
  });

  it('names missing inbound return traffic (implicit deny) on the NAT gateway subnet', () => {
    const snapshot = withAcls([
      { networkAclId: 'acl-public', vpcId: SEED.vpcId, isDefault: false, subnetIds: [SEED.publicSubnetA], entries: [allowAll(true), { ruleNumber: 100, egress: false, protocol: '6', fromPort: 443, toPort: 443, cidrBlock: '0.0.0.0/0', ruleAction: 'allow' }] },
    ]);

    const finding = diagnose(snapshot, config()).findings.find((f) => f.code === 'NETWORK_ACL_BLOCKS_TRAFFIC');

    expect(finding?.evidence).toMatchObject({ networkAclId: 'acl-public', direction: 'ingress', ruleNumber: 32767, role: 'the NAT gateway subnet' });
  });

  it('a blocking ACL beside a missing route: the route is not written', () => {
    const snapshot = withAcls([
      { networkAclId: 'acl-new', vpcId: SEED.vpcId, isDefault: false, subnetIds: [SEED.newSubnetId], entries: [allowAll(true)] },
    ]);
    setDefaultRoute(snapshot, SEED.newRouteTableId, undefined);

    const diagnosis = diagnose(snapshot, config());

    expect(diagnosis.findings.map((f) => f.code)).toEqual(expect.arrayContaining(['NO_DEFAULT_ROUTE', 'NETWORK_ACL_BLOCKS_TRAFFIC']));
    expect(plan(snapshot, diagnosis, config()).actions).toEqual([]);
  });
});
