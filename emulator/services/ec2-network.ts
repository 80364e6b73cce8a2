/**
 * EC2 Query operations for the VPC's network controls (contract section 7.1), shown the way
 * AWS shows them so that the AWS CLI reads each modelled cause: DescribeVpcAttribute,
 * DescribeDhcpOptions, DescribeSecurityGroups, DescribeSecurityGroupRules, DescribeNetworkAcls,
 * DescribeManagedPrefixLists, GetManagedPrefixListEntries (GetConsoleOutput is in ec2.ts).
 */
import { AwsApiError } from '../errors';
import type { QueryParams } from '../protocols/query';
import { compact, ec2Tags, type XmlObject } from '../protocols/xml';
import { networkAclOfSubnet } from '../world/network-conditions';
import type { NetworkAclRecord, PrefixListRecord, SecurityGroupRecord, SecurityGroupRuleRecord } from '../world/state';
import type { World } from '../world/world';
import { applyFilters, type Filter, type FilterFields, paginate } from './listing';

type Handler = (world: World, params: QueryParams) => XmlObject;

interface Helpers {
  filtersOf: (params: QueryParams) => Filter[];
  invalidFilter: (name: string) => AwsApiError;
  invalidToken: () => AwsApiError;
  maxResults: (params: QueryParams, min: number, max: number) => number | undefined;
  missing: (name: string) => AwsApiError;
}

const PROTOCOL_NUMBERS: Record<string, string> = { tcp: '6', udp: '17', icmp: '1', '-1': '-1' };

function permissionXml(world: World, rule: SecurityGroupRuleRecord): XmlObject {
  return compact({
    ipProtocol: rule.protocol,
    fromPort: rule.fromPort,
    toPort: rule.toPort,
    groups: rule.groupId ? [{ userId: world.accountId, groupId: rule.groupId }] : [],
    ipRanges: rule.cidr ? [compact({ cidrIp: rule.cidr, description: rule.description })] : [],
    ipv6Ranges: [],
    prefixListIds: rule.prefixListId ? [compact({ prefixListId: rule.prefixListId, description: rule.description })] : [],
  });
}

function securityGroupXml(world: World, g: SecurityGroupRecord): XmlObject {
  return {
    ownerId: world.accountId,
    groupId: g.groupId,
    groupName: g.groupName,
    groupDescription: g.description,
    ipPermissions: g.ingress.map((r) => permissionXml(world, r)),
    ipPermissionsEgress: g.egress.map((r) => permissionXml(world, r)),
    vpcId: g.vpcId,
    securityGroupArn: `arn:aws:ec2:${world.region}:${world.accountId}:security-group/${g.groupId}`,
    tagSet: ec2Tags(g.tags),
  };
}

function ruleXml(world: World, g: SecurityGroupRecord, rule: SecurityGroupRuleRecord, isEgress: boolean): XmlObject {
  return compact({
    securityGroupRuleId: rule.ruleId,
    groupId: g.groupId,
    groupOwnerId: world.accountId,
    isEgress,
    ipProtocol: rule.protocol,
    fromPort: rule.fromPort ?? -1,
    toPort: rule.toPort ?? -1,
    cidrIpv4: rule.cidr,
    prefixListId: rule.prefixListId,
    referencedGroupInfo: rule.groupId ? { groupId: rule.groupId, userId: world.accountId } : undefined,
    description: rule.description,
    securityGroupRuleArn: `arn:aws:ec2:${world.region}:${world.accountId}:security-group-rule/${rule.ruleId}`,
    tagSet: [],
  });
}

/** The subnets an ACL serves: its explicit ones, or (default ACL) every subnet of the VPC without one. */
function aclSubnetIds(world: World, a: NetworkAclRecord): string[] {
  return [...world.subnets.values()].filter((s) => s.vpcId === a.vpcId && networkAclOfSubnet(world, s.subnetId) === a).map((s) => s.subnetId);
}

function networkAclXml(world: World, a: NetworkAclRecord): XmlObject {
  const implicit = (egress: boolean): NetworkAclRecord['entries'][number] => ({ ruleNumber: 32767, protocol: '-1', ruleAction: 'deny', egress, cidrBlock: '0.0.0.0/0' });
  const entries = [...a.entries, implicit(true), implicit(false)].map((e) =>
    compact({
      ruleNumber: e.ruleNumber,
      protocol: PROTOCOL_NUMBERS[e.protocol] ?? e.protocol,
      ruleAction: e.ruleAction,
      egress: e.egress,
      cidrBlock: e.cidrBlock,
      portRange: e.portRange ? { from: e.portRange.from, to: e.portRange.to } : undefined,
    }),
  );
  return {
    networkAclId: a.networkAclId,
    vpcId: a.vpcId,
    default: a.isDefault,
    entrySet: entries,
    associationSet: aclSubnetIds(world, a).map((subnetId) => ({
      networkAclAssociationId: `aclassoc-${a.networkAclId.slice(4, 12)}${subnetId.slice(-9)}`,
      networkAclId: a.networkAclId,
      subnetId,
    })),
    tagSet: ec2Tags(a.tags),
    ownerId: world.accountId,
  };
}

function prefixListXml(world: World, l: PrefixListRecord): XmlObject {
  return {
    prefixListId: l.prefixListId,
    addressFamily: 'IPv4',
    state: 'create-complete',
    prefixListArn: `arn:aws:ec2:${world.region}:${l.ownerId === 'AWS' ? 'aws' : world.accountId}:prefix-list/${l.prefixListId}`,
    prefixListName: l.prefixListName,
    maxEntries: l.ownerId === 'AWS' ? undefined : Math.max(l.cidrs.length, 10),
    version: 1,
    tagSet: [],
    ownerId: l.ownerId,
  };
}

function select<T>(all: T[], idOf: (t: T) => string, ids: string[], error: (absent: string[]) => AwsApiError): T[] {
  if (ids.length === 0) return all;
  const absent = ids.filter((id) => !all.some((t) => idOf(t) === id));
  if (absent.length > 0) throw error(absent);
  return all.filter((t) => ids.includes(idOf(t)));
}

export function networkHandlers(h: Helpers): Record<string, Handler> {
  const securityGroupFilters: FilterFields<SecurityGroupRecord> = {
    'vpc-id': (g) => g.vpcId,
    'group-id': (g) => g.groupId,
    'group-name': (g) => g.groupName,
    description: (g) => g.description,
    'owner-id': () => undefined,
  };
  return {
    DescribeVpcAttribute(world, params) {
      const vpcId = params.required('VpcId', () => h.missing('VpcId'));
      const attribute = params.required('Attribute', () => h.missing('Attribute'));
      const vpc = world.vpcs.get(vpcId);
      if (!vpc) throw new AwsApiError('InvalidVpcID.NotFound', `The vpc ID '${vpcId}' does not exist`);
      if (attribute === 'enableDnsSupport') return { vpcId, enableDnsSupport: { value: vpc.enableDnsSupport } };
      if (attribute === 'enableDnsHostnames') return { vpcId, enableDnsHostnames: { value: vpc.enableDnsHostnames } };
      if (attribute === 'enableNetworkAddressUsageMetrics') return { vpcId, enableNetworkAddressUsageMetrics: { value: false } };
      throw new AwsApiError('InvalidParameterValue', `Value (${attribute}) for parameter attribute is invalid. Unknown attribute.`);
    },

    DescribeDhcpOptions(world, params) {
      const all = [...world.vpcs.values()].map((v) => ({ id: v.dhcpOptionsId, servers: v.domainNameServers }));
      const selected = select(all, (o) => o.id, params.list('DhcpOptionsId'), (absent) =>
        new AwsApiError('InvalidDhcpOptionID.NotFound', `The dhcpOption ID '${absent.join(', ')}' does not exist`),
      );
      const filtered = applyFilters(selected, h.filtersOf(params), { 'dhcp-options-id': (o) => o.id, key: () => ['domain-name', 'domain-name-servers'] }, () => ({}), h.invalidFilter);
      return {
        dhcpOptionsSet: filtered.map((o) => ({
          dhcpOptionsId: o.id,
          ownerId: world.accountId,
          dhcpConfigurationSet: [
            { key: 'domain-name', valueSet: [{ value: `${world.region}.compute.internal` }] },
            { key: 'domain-name-servers', valueSet: o.servers.map((value) => ({ value })) },
          ],
          tagSet: [],
        })),
      };
    },

    DescribeSecurityGroups(world, params) {
      const selected = select([...world.securityGroups.values()], (g) => g.groupId, params.list('GroupId'), (absent) =>
        new AwsApiError('InvalidGroup.NotFound', `The security group '${absent.join(', ')}' does not exist`),
      );
      const filtered = applyFilters(selected, h.filtersOf(params), securityGroupFilters, (g) => g.tags, h.invalidFilter);
      const page = paginate(filtered, { maxResults: h.maxResults(params, 5, 1000), nextToken: params.string('NextToken'), defaultPageSize: 1000, invalidToken: h.invalidToken });
      return compact({ securityGroupInfo: page.items.map((g) => securityGroupXml(world, g)), nextToken: page.nextToken });
    },

    DescribeSecurityGroupRules(world, params) {
      const rules = [...world.securityGroups.values()].flatMap((g) => [
        ...g.ingress.map((r) => ({ g, r, egress: false })),
        ...g.egress.map((r) => ({ g, r, egress: true })),
      ]);
      const selected = select(rules, (x) => x.r.ruleId, params.list('SecurityGroupRuleId'), (absent) =>
        new AwsApiError('InvalidSecurityGroupRuleId.NotFound', `The security group rule ID '${absent.join(', ')}' does not exist`),
      );
      const filtered = applyFilters(selected, h.filtersOf(params), { 'group-id': (x) => x.g.groupId, 'security-group-rule-id': (x) => x.r.ruleId }, () => ({}), h.invalidFilter);
      const page = paginate(filtered, { maxResults: h.maxResults(params, 5, 1000), nextToken: params.string('NextToken'), defaultPageSize: 1000, invalidToken: h.invalidToken });
      return compact({ securityGroupRuleSet: page.items.map((x) => ruleXml(world, x.g, x.r, x.egress)), nextToken: page.nextToken });
    },

    DescribeNetworkAcls(world, params) {
      const selected = select([...world.networkAcls.values()], (a) => a.networkAclId, params.list('NetworkAclId'), (absent) =>
        new AwsApiError('InvalidNetworkAclID.NotFound', `The networkAcl ID '${absent.join(', ')}' does not exist`),
      );
      const filtered = applyFilters(
        selected,
        h.filtersOf(params),
        {
          'vpc-id': (a) => a.vpcId,
          'network-acl-id': (a) => a.networkAclId,
          default: (a) => a.isDefault,
          'association.subnet-id': (a) => aclSubnetIds(world, a),
          'owner-id': () => world.accountId,
        },
        (a) => a.tags,
        h.invalidFilter,
      );
      const page = paginate(filtered, { maxResults: h.maxResults(params, 5, 1000), nextToken: params.string('NextToken'), defaultPageSize: 1000, invalidToken: h.invalidToken });
      return compact({ networkAclSet: page.items.map((a) => networkAclXml(world, a)), nextToken: page.nextToken });
    },

    DescribeManagedPrefixLists(world, params) {
      const selected = select([...world.prefixLists.values()], (l) => l.prefixListId, params.list('PrefixListId'), (absent) =>
        new AwsApiError('InvalidPrefixListID.NotFound', `The prefix list ID '${absent.join(', ')}' does not exist`),
      );
      const filtered = applyFilters(
        selected,
        h.filtersOf(params),
        { 'prefix-list-id': (l) => l.prefixListId, 'prefix-list-name': (l) => l.prefixListName, 'owner-id': (l) => l.ownerId },
        () => ({}),
        h.invalidFilter,
      );
      return { prefixListSet: filtered.map((l) => prefixListXml(world, l)) };
    },

    GetManagedPrefixListEntries(world, params) {
      const prefixListId = params.required('PrefixListId', () => h.missing('PrefixListId'));
      const list = world.prefixLists.get(prefixListId);
      if (!list) throw new AwsApiError('InvalidPrefixListID.NotFound', `The prefix list ID '${prefixListId}' does not exist`);
      const page = paginate(list.cidrs, { maxResults: h.maxResults(params, 1, 100), nextToken: params.string('NextToken'), defaultPageSize: 100, invalidToken: h.invalidToken });
      return compact({ entrySet: page.items.map((cidr) => ({ cidr })), nextToken: page.nextToken });
    },
  };
}
