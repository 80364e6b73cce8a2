import type { NetworkAclInfo, SecurityGroupInfo } from '../../../lambda/model';
import { cidrContainsIp, cidrTextContains } from '../../../lambda/net/cidr';
import { HTTPS_FLOW, RETURN_FLOW, networkAclDecision, networkAclOf, securityGroupsAllow } from '../../../lambda/net/traffic';

function acl(entries: NetworkAclInfo['entries']): NetworkAclInfo {
  return { networkAclId: 'acl-1', vpcId: 'vpc-1', isDefault: false, subnetIds: ['subnet-a'], entries };
}
const allowAll = (egress: boolean, ruleNumber = 100) => ({ ruleNumber, egress, protocol: '-1', cidrBlock: '0.0.0.0/0', ruleAction: 'allow' as const });

describe('network ACL evaluation (rule-number order, first match wins, implicit deny)', () => {
  it('a lower-numbered deny wins over a later allow, whatever the listing order', () => {
    const entries = [allowAll(true, 100), { ruleNumber: 90, egress: true, protocol: '6', fromPort: 443, toPort: 443, cidrBlock: '0.0.0.0/0', ruleAction: 'deny' as const }];

    expect(networkAclDecision(acl(entries), true, HTTPS_FLOW, '0.0.0.0/0')).toMatchObject({ action: 'deny', ruleNumber: 90 });
    expect(networkAclDecision(acl([...entries].reverse()), true, HTTPS_FLOW, '0.0.0.0/0')).toMatchObject({ action: 'deny', ruleNumber: 90 });
  });

  it('a lower-numbered allow wins over a later deny', () => {
    const entries = [
      { ruleNumber: 200, egress: true, protocol: '-1', cidrBlock: '0.0.0.0/0', ruleAction: 'deny' as const },
      { ruleNumber: 100, egress: true, protocol: 'tcp', fromPort: 443, toPort: 443, cidrBlock: '0.0.0.0/0', ruleAction: 'allow' as const },
    ];

    expect(networkAclDecision(acl(entries), true, HTTPS_FLOW, '0.0.0.0/0')).toMatchObject({ action: 'allow', ruleNumber: 100 });
  });

  it('nothing matching falls to the implicit * deny (rule 32767); the other direction is judged apart', () => {
    const decision = networkAclDecision(acl([allowAll(true)]), false, RETURN_FLOW, '0.0.0.0/0');

    expect(decision).toEqual({ action: 'deny', ruleNumber: 32767 });
    expect(networkAclDecision(acl([allowAll(true)]), true, HTTPS_FLOW, '0.0.0.0/0').action).toBe('allow');
  });

  it('"-1" ignores ports; a port range must cover the whole ephemeral range; a partial deny blocks', () => {
    const partialAllow = acl([{ ruleNumber: 100, egress: false, protocol: '6', fromPort: 32768, toPort: 65535, cidrBlock: '0.0.0.0/0', ruleAction: 'allow' }]);
    const fullAllow = acl([{ ruleNumber: 100, egress: false, protocol: '6', fromPort: 1024, toPort: 65535, cidrBlock: '0.0.0.0/0', ruleAction: 'allow' }]);
    const partialDeny = acl([
      { ruleNumber: 50, egress: false, protocol: 'tcp', fromPort: 2000, toPort: 3000, cidrBlock: '0.0.0.0/0', ruleAction: 'deny' },
      allowAll(false),
    ]);

    expect(networkAclDecision(partialAllow, false, RETURN_FLOW, '0.0.0.0/0').action).toBe('deny');
    expect(networkAclDecision(fullAllow, false, RETURN_FLOW, '0.0.0.0/0').action).toBe('allow');
    expect(networkAclDecision(partialDeny, false, RETURN_FLOW, '0.0.0.0/0')).toMatchObject({ action: 'deny', ruleNumber: 50 });
    expect(networkAclDecision(acl([allowAll(false)]), false, RETURN_FLOW, '0.0.0.0/0').action).toBe('allow');
  });

  it('a UDP entry does not match TCP; an entry whose CIDR does not contain the peer is skipped', () => {
    const entries = [
      { ruleNumber: 10, egress: true, protocol: '17', fromPort: 443, toPort: 443, cidrBlock: '0.0.0.0/0', ruleAction: 'allow' as const },
      { ruleNumber: 20, egress: true, protocol: '-1', cidrBlock: '10.0.0.0/8', ruleAction: 'allow' as const },
    ];

    expect(networkAclDecision(acl(entries), true, HTTPS_FLOW, '0.0.0.0/0').action).toBe('deny');
    expect(networkAclDecision(acl(entries), true, HTTPS_FLOW, '10.42.0.0/16')).toMatchObject({ action: 'allow', ruleNumber: 20 });
  });

  it('a subnet without an explicit ACL uses the default ACL of its VPC', () => {
    const explicit = acl([]);
    const defaultAcl = { ...acl([allowAll(true)]), networkAclId: 'acl-default', isDefault: true, subnetIds: [] };

    expect(networkAclOf('subnet-a', [defaultAcl, explicit], 'vpc-1')?.networkAclId).toBe('acl-1');
    expect(networkAclOf('subnet-b', [defaultAcl, explicit], 'vpc-1')?.networkAclId).toBe('acl-default');
  });
});

describe('security group evaluation', () => {
  const groups: SecurityGroupInfo[] = [
    { groupId: 'sg-node', vpcId: 'vpc-1', ingress: [], egress: [{ protocol: 'tcp', fromPort: 400, toPort: 500, cidrIpv4: '10.0.0.0/8' }] },
    { groupId: 'sg-all', vpcId: 'vpc-1', ingress: [], egress: [{ protocol: '-1', cidrIpv4: '0.0.0.0/0' }] },
    { groupId: 'sg-cluster', vpcId: 'vpc-1', ingress: [{ protocol: '-1', referencedGroupId: 'sg-cluster' }], egress: [] },
    { groupId: 'sg-pl', vpcId: 'vpc-1', ingress: [], egress: [{ protocol: 'tcp', fromPort: 443, toPort: 443, prefixListId: 'pl-s3' }] },
  ];
  const lists = [{ prefixListId: 'pl-s3', cidrs: ['52.92.128.0/17'] }];

  it('matches port ranges, "-1" and CIDR containment', () => {
    expect(securityGroupsAllow(['sg-node'], groups, 'egress', HTTPS_FLOW, { cidr: '10.42.0.0/16' })).toBeDefined();
    expect(securityGroupsAllow(['sg-node'], groups, 'egress', HTTPS_FLOW, { cidr: '0.0.0.0/0' })).toBeUndefined();
    expect(securityGroupsAllow(['sg-node'], groups, 'egress', { protocol: 'tcp', fromPort: 8443, toPort: 8443 }, { cidr: '10.42.0.0/16' })).toBeUndefined();
    expect(securityGroupsAllow(['sg-node', 'sg-all'], groups, 'egress', HTTPS_FLOW, { cidr: '0.0.0.0/0' })?.groupId).toBe('sg-all');
  });

  it('a referenced group admits only interfaces carrying it', () => {
    expect(securityGroupsAllow(['sg-cluster'], groups, 'ingress', HTTPS_FLOW, { groupIds: ['sg-cluster'], cidr: '10.42.1.5/32' })).toBeDefined();
    expect(securityGroupsAllow(['sg-cluster'], groups, 'ingress', HTTPS_FLOW, { groupIds: ['sg-lt'], cidr: '10.42.1.5/32' })).toBeUndefined();
  });

  it('a prefix list matches as its own id or by its CIDRs', () => {
    expect(securityGroupsAllow(['sg-pl'], groups, 'egress', HTTPS_FLOW, { prefixListIds: ['pl-s3'] }, lists)).toBeDefined();
    expect(securityGroupsAllow(['sg-pl'], groups, 'egress', HTTPS_FLOW, { cidr: '52.92.130.0/24' }, lists)).toBeDefined();
    expect(securityGroupsAllow(['sg-pl'], groups, 'egress', HTTPS_FLOW, { cidr: '0.0.0.0/0' }, lists)).toBeUndefined();
  });
});

describe('CIDR helpers', () => {
  it('/32 holds one address, wider blocks their range', () => {
    expect(cidrContainsIp('44.231.18.7/32', '44.231.18.7')).toBe(true);
    expect(cidrContainsIp('44.231.18.7/32', '44.231.18.8')).toBe(false);
    expect(cidrContainsIp('44.231.0.0/16', '44.231.18.8')).toBe(true);
    expect(cidrContainsIp('0.0.0.0/0', '198.51.100.1')).toBe(true);
    expect(cidrTextContains('10.0.0.0/8', '10.42.0.0/16')).toBe(true);
    expect(cidrTextContains('10.42.0.0/16', '10.0.0.0/8')).toBe(false);
    expect(cidrContainsIp('not-a-cidr', '10.0.0.1')).toBe(false);
  });
});
