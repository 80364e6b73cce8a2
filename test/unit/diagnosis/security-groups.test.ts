import { diagnose } from '../../../lambda/diagnosis';
import type { SecurityGroupInfo } from '../../../lambda/model';
import { plan } from '../../../lambda/plan';
import { config, SEED } from '../../fixtures/snapshots/builder';
import { withGroups } from '../../fixtures/snapshots/network';

const CLUSTER_SG = 'sg-0c1d2e3f4a5b6c7d8';
const LT_SG = 'sg-0a9b8c7d6e5f40312';

const clusterGroup: SecurityGroupInfo = {
  groupId: CLUSTER_SG,
  vpcId: SEED.vpcId,
  ingress: [{ protocol: '-1', referencedGroupId: CLUSTER_SG }],
  egress: [{ protocol: '-1', cidrIpv4: '0.0.0.0/0' }],
};
const launchTemplateGroup: SecurityGroupInfo = {
  groupId: LT_SG,
  vpcId: SEED.vpcId,
  ingress: [{ protocol: 'tcp', fromPort: 22, toPort: 22, cidrIpv4: '10.42.0.0/16' }],
  egress: [{ protocol: '-1', cidrIpv4: '0.0.0.0/0' }],
};

describe('SECURITY_GROUP_BLOCKS_CLUSTER', () => {
  it('names the cluster group that admits only itself when a launch template gives nodes other groups', () => {
    // Prepare
    const snapshot = withGroups([clusterGroup, launchTemplateGroup], [LT_SG]);

    // Act
    const diagnosis = diagnose(snapshot, config());

    // Assess
    const finding = diagnosis.findings.find((f) => f.code === 'SECURITY_GROUP_BLOCKS_CLUSTER');
    expect(finding).toMatchObject({ severity: 'error', remediable: false, resourceId: CLUSTER_SG, evidence: expect.objectContaining({ direction: 'ingress', instanceIds: [SEED.instanceId] }) });
    expect(finding!.message).toContain('do not carry the cluster security group');
    expect(finding!.evidence['fix']).toMatch(`aws ec2 authorize-security-group-ingress --group-id ${CLUSTER_SG} --protocol tcp --port 443 --source-group ${LT_SG}`);
    expect(plan(snapshot, diagnosis, config()).actions).toEqual([]);
  });

  it('is silent when the nodes carry the cluster group (EKS default), or the cluster group admits 443 from their group', () => {
    const byDefault = withGroups([clusterGroup], [CLUSTER_SG]);
    const admitted = withGroups(
      [{ ...clusterGroup, ingress: [...clusterGroup.ingress, { protocol: 'tcp', fromPort: 443, toPort: 443, referencedGroupId: LT_SG }] }, launchTemplateGroup],
      [LT_SG],
    );

    for (const snapshot of [byDefault, admitted]) {
      expect(diagnose(snapshot, config()).findings.map((f) => f.code)).not.toContain('SECURITY_GROUP_BLOCKS_CLUSTER');
    }
  });

  it('names node egress limited to the VPC (the AWS APIs are on the internet), and accepts a 0-65535 port range', () => {
    const admitting = { ...clusterGroup, ingress: [{ protocol: 'tcp', fromPort: 443, toPort: 443, cidrIpv4: '10.42.0.0/16' }] };
    const vpcOnly = withGroups([admitting, { ...launchTemplateGroup, egress: [{ protocol: 'tcp', fromPort: 0, toPort: 65535, cidrIpv4: '10.42.0.0/16' }] }], [LT_SG]);
    const wideRange = withGroups([clusterGroup, { ...launchTemplateGroup, egress: [{ protocol: 'tcp', fromPort: 0, toPort: 65535, cidrIpv4: '0.0.0.0/0' }] }], [LT_SG]);
    wideRange.network.securityGroups![0]!.ingress.push({ protocol: 'tcp', fromPort: 443, toPort: 443, cidrIpv4: '10.42.0.0/16' });

    const findings = diagnose(vpcOnly, config()).findings.filter((f) => f.code === 'SECURITY_GROUP_BLOCKS_CLUSTER');

    expect(findings.map((f) => [f.resourceId, f.evidence['direction'], f.evidence['destination']])).toEqual([[LT_SG, 'egress', 'the AWS APIs']]);
    expect(diagnose(wideRange, config()).findings.map((f) => f.code)).not.toContain('SECURITY_GROUP_BLOCKS_CLUSTER');
  });

  it('skips the check when the snapshot has no security groups', () => {
    const snapshot = withGroups([clusterGroup, launchTemplateGroup], [LT_SG]);
    delete snapshot.network.securityGroups;

    expect(diagnose(snapshot, config()).findings.map((f) => f.code)).not.toContain('SECURITY_GROUP_BLOCKS_CLUSTER');
  });
});
