/**
 * The Ec2Port adapter. Reads are batched and filtered by VPC so that the number of calls never
 * grows with the number of subnets or instances (only with pagination). EC2 has no modelled
 * exception classes: errors are told apart by their code (the exception's `name`).
 */
import {
  CreateRouteCommand,
  DescribeDhcpOptionsCommand,
  DescribeNetworkAclsCommand,
  GetConsoleOutputCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  GetManagedPrefixListEntriesCommand,
  EC2Client,
  ReplaceRouteCommand,
  paginateDescribeInstances,
  paginateDescribeInternetGateways,
  paginateDescribeNatGateways,
  paginateDescribeRouteTables,
  paginateDescribeSubnets,
  paginateDescribeVpcEndpoints,
  type Filter,
  type Instance,
  type InternetGateway,
  type IpPermission,
  type NatGateway,
  type NetworkAcl,
  type SecurityGroup,
  type Route,
  type RouteTable,
  type Subnet,
  type VpcEndpoint,
} from '@aws-sdk/client-ec2';
import { AMAZON_PROVIDED_DNS } from '../diagnosis/dns';
import { NotFoundError, RouteAlreadyExistsError } from '../errors';
import type {
  InstanceInfo,
  InternetGatewayInfo,
  NatGatewayInfo,
  NetworkAclInfo,
  PrefixListInfo,
  RouteInfo,
  SecurityGroupInfo,
  SecurityGroupRuleInfo,
  VpcInfo,
  RouteTableInfo,
  SubnetInfo,
  VpcEndpointInfo,
} from '../model';
import { DEFAULT_ROUTE_CIDR } from '../model';
import type { Ec2Port } from '../ports';
import { awsCallError, awsClientConfig, instrumented, awsErrorCode, awsErrorMessage, chunk, isoTime, tagRecord, type AwsClientOptions } from './clients';

export { DEFAULT_ROUTE_CIDR };
/** DescribeInstances accepts at most 1000 instance ids per call. */
export const MAX_INSTANCE_IDS_PER_CALL = 1000;
/** EC2 accepts at most 200 values in one filter. */
export const MAX_FILTER_VALUES = 200;
const AUTO_SCALING_GROUP_TAG = 'aws:autoscaling:groupName';

// --- Pure mapping from SDK shapes to the model ---------------------------------------------------

export function instanceInfoFromInstance(instance: Instance): InstanceInfo {
  const info: InstanceInfo = {
    instanceId: instance.InstanceId ?? '',
    state: instance.State?.Name ?? 'unknown',
    subnetId: instance.SubnetId ?? '',
    vpcId: instance.VpcId ?? '',
    availabilityZone: instance.Placement?.AvailabilityZone ?? '',
    launchTime: isoTime(instance.LaunchTime),
  };
  if (instance.PublicIpAddress) info.publicIpAddress = instance.PublicIpAddress;
  if (instance.PrivateDnsName) info.privateDnsName = instance.PrivateDnsName;
  const group = tagRecord(instance.Tags)[AUTO_SCALING_GROUP_TAG];
  if (group) info.autoScalingGroupName = group;
  if (instance.PrivateIpAddress) info.privateIpAddress = instance.PrivateIpAddress;
  if (instance.SecurityGroups) info.securityGroupIds = instance.SecurityGroups.map((g) => g.GroupId ?? '').filter((id) => id !== '');
  if (instance.IamInstanceProfile?.Arn) info.iamInstanceProfileArn = instance.IamInstanceProfile.Arn;
  if (instance.MetadataOptions?.HttpEndpoint) info.metadataHttpEndpoint = instance.MetadataOptions.HttpEndpoint;
  return info;
}

export function subnetInfoFromSubnet(subnet: Subnet): SubnetInfo {
  return {
    subnetId: subnet.SubnetId ?? '',
    vpcId: subnet.VpcId ?? '',
    availabilityZone: subnet.AvailabilityZone ?? '',
    cidrBlock: subnet.CidrBlock ?? '',
    mapPublicIpOnLaunch: subnet.MapPublicIpOnLaunch ?? false,
    ...(subnet.AvailableIpAddressCount !== undefined ? { availableIpAddressCount: subnet.AvailableIpAddressCount } : {}),
  };
}

export function routeInfoFromRoute(route: Route): RouteInfo {
  const info: RouteInfo = { state: route.State ?? 'active' };
  const fields: [keyof RouteInfo, string | undefined][] = [
    ['destinationCidrBlock', route.DestinationCidrBlock],
    ['destinationIpv6CidrBlock', route.DestinationIpv6CidrBlock],
    ['destinationPrefixListId', route.DestinationPrefixListId],
    ['gatewayId', route.GatewayId],
    ['natGatewayId', route.NatGatewayId],
    ['transitGatewayId', route.TransitGatewayId],
    ['networkInterfaceId', route.NetworkInterfaceId],
    ['vpcPeeringConnectionId', route.VpcPeeringConnectionId],
    ['instanceId', route.InstanceId],
    ['localGatewayId', route.LocalGatewayId],
    ['carrierGatewayId', route.CarrierGatewayId],
    ['egressOnlyInternetGatewayId', route.EgressOnlyInternetGatewayId],
    ['coreNetworkArn', route.CoreNetworkArn],
    ['origin', route.Origin],
  ];
  for (const [key, value] of fields) if (value) (info as unknown as Record<string, string>)[key] = value;
  return info;
}

/** Association states that no longer tie a subnet to the table. */
const GONE_ASSOCIATION = new Set(['disassociating', 'disassociated', 'failed']);

export function routeTableInfoFromRouteTable(table: RouteTable): RouteTableInfo {
  const associations = (table.Associations ?? []).filter(
    (a) => !GONE_ASSOCIATION.has(a.AssociationState?.State ?? 'associated'),
  );
  return {
    routeTableId: table.RouteTableId ?? '',
    vpcId: table.VpcId ?? '',
    main: associations.some((a) => a.Main === true),
    subnetIds: associations.filter((a) => a.SubnetId).map((a) => a.SubnetId!),
    routes: (table.Routes ?? []).map(routeInfoFromRoute),
  };
}

export function natGatewayInfoFromNatGateway(nat: NatGateway): NatGatewayInfo {
  const addresses = nat.NatGatewayAddresses ?? [];
  const publicIp = (addresses.find((a) => a.IsPrimary) ?? addresses[0])?.PublicIp;
  return {
    natGatewayId: nat.NatGatewayId ?? '',
    subnetId: nat.SubnetId ?? '',
    vpcId: nat.VpcId ?? '',
    state: nat.State ?? 'unknown',
    // Older responses (before private NAT gateways existed) omit the field: they were all public.
    connectivityType: nat.ConnectivityType ?? 'public',
    ...(publicIp ? { publicIp } : {}),
    ...(nat.CreateTime ? { createTime: isoTime(nat.CreateTime) } : {}),
  };
}

/** IGW attachment states meaning "attached" (EC2 reports `available` for attached IGWs). */
const ATTACHED = new Set(['available', 'attached']);

export function internetGatewayInfoFromInternetGateway(igw: InternetGateway): InternetGatewayInfo {
  return {
    internetGatewayId: igw.InternetGatewayId ?? '',
    attachedVpcIds: (igw.Attachments ?? [])
      .filter((a) => a.VpcId && ATTACHED.has(a.State ?? ''))
      .map((a) => a.VpcId!),
  };
}

export function vpcEndpointInfoFromVpcEndpoint(endpoint: VpcEndpoint): VpcEndpointInfo {
  return {
    vpcEndpointId: endpoint.VpcEndpointId ?? '',
    vpcId: endpoint.VpcId ?? '',
    serviceName: endpoint.ServiceName ?? '',
    vpcEndpointType: endpoint.VpcEndpointType ?? '',
    state: endpoint.State ?? '',
    subnetIds: endpoint.SubnetIds ?? [],
    routeTableIds: endpoint.RouteTableIds ?? [],
    ...(endpoint.PrivateDnsEnabled !== undefined ? { privateDnsEnabled: endpoint.PrivateDnsEnabled } : {}),
    securityGroupIds: (endpoint.Groups ?? []).map((g) => g.GroupId ?? '').filter((id) => id !== ''),
  };
}

/** One SDK permission (several peers) -> one rule per peer. */
export function securityGroupRulesFromPermissions(permissions: IpPermission[] | undefined): SecurityGroupRuleInfo[] {
  const rules: SecurityGroupRuleInfo[] = [];
  for (const p of permissions ?? []) {
    const base: SecurityGroupRuleInfo = {
      protocol: p.IpProtocol ?? '-1',
      ...(p.FromPort !== undefined ? { fromPort: p.FromPort } : {}),
      ...(p.ToPort !== undefined ? { toPort: p.ToPort } : {}),
    };
    for (const r of p.IpRanges ?? []) if (r.CidrIp) rules.push({ ...base, cidrIpv4: r.CidrIp });
    for (const g of p.UserIdGroupPairs ?? []) if (g.GroupId) rules.push({ ...base, referencedGroupId: g.GroupId });
    for (const l of p.PrefixListIds ?? []) if (l.PrefixListId) rules.push({ ...base, prefixListId: l.PrefixListId });
  }
  return rules;
}

export function securityGroupInfoFromSecurityGroup(group: SecurityGroup): SecurityGroupInfo {
  return {
    groupId: group.GroupId ?? '',
    ...(group.GroupName ? { groupName: group.GroupName } : {}),
    vpcId: group.VpcId ?? '',
    ingress: securityGroupRulesFromPermissions(group.IpPermissions),
    egress: securityGroupRulesFromPermissions(group.IpPermissionsEgress),
  };
}

export function networkAclInfoFromNetworkAcl(acl: NetworkAcl): NetworkAclInfo {
  return {
    networkAclId: acl.NetworkAclId ?? '',
    vpcId: acl.VpcId ?? '',
    isDefault: acl.IsDefault ?? false,
    subnetIds: (acl.Associations ?? []).map((a) => a.SubnetId ?? '').filter((id) => id !== ''),
    entries: (acl.Entries ?? [])
      .filter((e) => e.CidrBlock !== undefined || e.Ipv6CidrBlock === undefined)
      .map((e) => ({
        ruleNumber: e.RuleNumber ?? 32767,
        egress: e.Egress ?? false,
        protocol: e.Protocol ?? '-1',
        ...(e.PortRange?.From !== undefined ? { fromPort: e.PortRange.From } : {}),
        ...(e.PortRange?.To !== undefined ? { toPort: e.PortRange.To } : {}),
        ...(e.CidrBlock ? { cidrBlock: e.CidrBlock } : {}),
        ruleAction: e.RuleAction === 'allow' ? ('allow' as const) : ('deny' as const),
      })),
  };
}


function unique(ids: readonly string[]): string[] {
  return [...new Set(ids.filter((id) => id !== ''))];
}

// --- The adapter ---------------------------------------------------------------------------------

export class Ec2Adapter implements Ec2Port {
  private readonly client: EC2Client;

  constructor(client?: EC2Client, options: AwsClientOptions = {}) {
    this.client = client ?? instrumented(new EC2Client(awsClientConfig(options)), options);
  }

  async describeInstances(instanceIds: string[]): Promise<InstanceInfo[]> {
    const instances: InstanceInfo[] = [];
    for (const ids of chunk(unique(instanceIds), MAX_INSTANCE_IDS_PER_CALL)) {
      instances.push(...(await this.describeInstanceChunk(ids)));
    }
    return instances;
  }

  /**
   * By id first (the cheapest call). An Auto Scaling group can list an instance before
   * DescribeInstances knows it (eventual consistency right after launch): then the whole call
   * fails with InvalidInstanceID.NotFound, so ask again with an `instance-id` filter, which
   * simply leaves unknown ids out.
   */
  private async describeInstanceChunk(ids: string[]): Promise<InstanceInfo[]> {
    try {
      return await this.collectInstances({ InstanceIds: ids });
    } catch (error) {
      if (awsErrorCode(error) !== 'InvalidInstanceID.NotFound') throw awsCallError('DescribeInstances', error);
    }
    const instances: InstanceInfo[] = [];
    for (const values of chunk(ids, MAX_FILTER_VALUES)) {
      try {
        instances.push(...(await this.collectInstances({ Filters: [{ Name: 'instance-id', Values: values }] })));
      } catch (error) {
        throw awsCallError('DescribeInstances', error);
      }
    }
    return instances;
  }

  private async collectInstances(input: { InstanceIds?: string[]; Filters?: Filter[] }): Promise<InstanceInfo[]> {
    const instances: InstanceInfo[] = [];
    for await (const page of paginateDescribeInstances({ client: this.client, stopOnSameToken: true }, input)) {
      for (const reservation of page.Reservations ?? []) {
        instances.push(...(reservation.Instances ?? []).map(instanceInfoFromInstance));
      }
    }
    return instances;
  }

  /** By `subnet-id` filter rather than SubnetIds: a deleted subnet is left out instead of failing the call. */
  async describeSubnets(subnetIds: string[]): Promise<SubnetInfo[]> {
    const subnets: SubnetInfo[] = [];
    try {
      for (const values of chunk(unique(subnetIds), MAX_FILTER_VALUES)) {
        const input = { Filters: [{ Name: 'subnet-id', Values: values }] };
        for await (const page of paginateDescribeSubnets({ client: this.client, stopOnSameToken: true }, input)) {
          subnets.push(...(page.Subnets ?? []).map(subnetInfoFromSubnet));
        }
      }
    } catch (error) {
      throw awsCallError('DescribeSubnets', error);
    }
    return subnets;
  }

  async describeRouteTables(vpcId: string): Promise<RouteTableInfo[]> {
    const tables: RouteTableInfo[] = [];
    try {
      const input = { Filters: [{ Name: 'vpc-id', Values: [vpcId] }] };
      for await (const page of paginateDescribeRouteTables({ client: this.client, stopOnSameToken: true }, input)) {
        tables.push(...(page.RouteTables ?? []).map(routeTableInfoFromRouteTable));
      }
    } catch (error) {
      throw awsCallError('DescribeRouteTables', error);
    }
    return tables;
  }

  async describeRouteTable(routeTableId: string): Promise<RouteTableInfo> {
    let tables: RouteTable[];
    try {
      const output = await this.client.send(new DescribeRouteTablesCommand({ RouteTableIds: [routeTableId] }));
      tables = output.RouteTables ?? [];
    } catch (error) {
      throw this.mapError('DescribeRouteTables', error, routeTableId);
    }
    const table = tables.find((t) => t.RouteTableId === routeTableId);
    if (!table) throw new NotFoundError(`route table ${routeTableId} does not exist`, routeTableId);
    return routeTableInfoFromRouteTable(table);
  }

  /** Every NAT gateway of the VPC, whatever its state: the diagnosis judges availability. */
  async describeNatGateways(vpcId: string): Promise<NatGatewayInfo[]> {
    const gateways: NatGatewayInfo[] = [];
    try {
      // DescribeNatGateways spells its filter parameter `Filter`, unlike the other calls.
      const input = { Filter: [{ Name: 'vpc-id', Values: [vpcId] }] };
      for await (const page of paginateDescribeNatGateways({ client: this.client, stopOnSameToken: true }, input)) {
        gateways.push(...(page.NatGateways ?? []).map(natGatewayInfoFromNatGateway));
      }
    } catch (error) {
      throw awsCallError('DescribeNatGateways', error);
    }
    return gateways;
  }

  async describeInternetGateways(vpcId: string): Promise<InternetGatewayInfo[]> {
    const gateways: InternetGatewayInfo[] = [];
    try {
      const input = { Filters: [{ Name: 'attachment.vpc-id', Values: [vpcId] }] };
      for await (const page of paginateDescribeInternetGateways({ client: this.client, stopOnSameToken: true }, input)) {
        gateways.push(...(page.InternetGateways ?? []).map(internetGatewayInfoFromInternetGateway));
      }
    } catch (error) {
      throw awsCallError('DescribeInternetGateways', error);
    }
    return gateways;
  }

  async describeVpcEndpoints(vpcId: string): Promise<VpcEndpointInfo[]> {
    const endpoints: VpcEndpointInfo[] = [];
    try {
      const input = { Filters: [{ Name: 'vpc-id', Values: [vpcId] }] };
      for await (const page of paginateDescribeVpcEndpoints({ client: this.client, stopOnSameToken: true }, input)) {
        endpoints.push(...(page.VpcEndpoints ?? []).map(vpcEndpointInfoFromVpcEndpoint));
      }
    } catch (error) {
      throw awsCallError('DescribeVpcEndpoints', error);
    }
    return endpoints;
  }

  /**
   * The VPC's DNS facts: DescribeVpcs, DescribeVpcAttribute enableDnsSupport and
   * enableDnsHostnames, and DescribeDhcpOptions of its options set (4 calls).
   */
  async describeVpc(vpcId: string): Promise<VpcInfo | undefined> {
    const attribute = async (Attribute: 'enableDnsSupport' | 'enableDnsHostnames'): Promise<boolean> => {
      try {
        const out = await this.client.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute }));
        const value = Attribute === 'enableDnsSupport' ? out?.EnableDnsSupport?.Value : out?.EnableDnsHostnames?.Value;
        return value ?? true;
      } catch (error) {
        throw awsCallError('DescribeVpcAttribute', error);
      }
    };
    const vpcRead = (async () => {
      try {
        return await this.client.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }));
      } catch (error) {
        throw awsCallError('DescribeVpcs', error);
      }
    })();
    const [vpcs, enableDnsSupport, enableDnsHostnames] = await Promise.all([
      vpcRead,
      attribute('enableDnsSupport'),
      attribute('enableDnsHostnames'),
    ]);
    const vpc = vpcs?.Vpcs?.find((v) => v.VpcId === vpcId);
    if (!vpc) return undefined;
    let domainNameServers = [AMAZON_PROVIDED_DNS];
    if (vpc.DhcpOptionsId && vpc.DhcpOptionsId !== 'default') {
      try {
        const out = await this.client.send(new DescribeDhcpOptionsCommand({ DhcpOptionsIds: [vpc.DhcpOptionsId] }));
        const servers = out?.DhcpOptions?.[0]?.DhcpConfigurations?.find((c) => c.Key === 'domain-name-servers');
        const values = (servers?.Values ?? []).map((v) => v.Value ?? '').filter((v) => v !== '');
        if (values.length > 0) domainNameServers = values;
      } catch (error) {
        throw awsCallError('DescribeDhcpOptions', error);
      }
    }
    return {
      vpcId,
      cidrBlock: vpc.CidrBlock ?? '',
      enableDnsSupport,
      enableDnsHostnames,
      ...(vpc.DhcpOptionsId ? { dhcpOptionsId: vpc.DhcpOptionsId } : {}),
      domainNameServers,
    };
  }

  /** Every security group of the VPC with its rules (one filtered, paginated call). */
  async describeSecurityGroups(vpcId: string): Promise<SecurityGroupInfo[]> {
    return this.allPages('DescribeSecurityGroups', async (NextToken) => {
      const out = await this.client.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }], ...(NextToken ? { NextToken } : {}) }));
      return { items: (out?.SecurityGroups ?? []).map(securityGroupInfoFromSecurityGroup), next: out?.NextToken };
    });
  }

  /** Every network ACL of the VPC with its entries and associations (one filtered, paginated call). */
  async describeNetworkAcls(vpcId: string): Promise<NetworkAclInfo[]> {
    return this.allPages('DescribeNetworkAcls', async (NextToken) => {
      const out = await this.client.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }], ...(NextToken ? { NextToken } : {}) }));
      return { items: (out?.NetworkAcls ?? []).map(networkAclInfoFromNetworkAcl), next: out?.NextToken };
    });
  }

  /**
   * Follows NextToken until the last page. Hand-rolled rather than the SDK paginators so that an
   * answer without a body (a mocked client) reads as an empty page.
   */
  private async allPages<T>(operation: string, page: (token: string | undefined) => Promise<{ items: T[]; next?: string }>): Promise<T[]> {
    const items: T[] = [];
    try {
      let token: string | undefined;
      do {
        const result = await page(token);
        items.push(...result.items);
        token = result.next;
      } while (token);
    } catch (error) {
      throw awsCallError(operation, error);
    }
    return items;
  }

  /** The CIDRs of each prefix list (one GetManagedPrefixListEntries per list, in parallel). */
  async describePrefixListEntries(prefixListIds: string[]): Promise<PrefixListInfo[]> {
    return Promise.all(
      unique(prefixListIds).map(async (prefixListId) => {
        const cidrs = await this.allPages('GetManagedPrefixListEntries', async (NextToken) => {
          const out = await this.client.send(new GetManagedPrefixListEntriesCommand({ PrefixListId: prefixListId, ...(NextToken ? { NextToken } : {}) }));
          return { items: (out?.Entries ?? []).map((e) => e.Cidr ?? '').filter((c) => c !== ''), next: out?.NextToken };
        });
        return { prefixListId, cidrs };
      }),
    );
  }

  async createDefaultRoute(routeTableId: string, natGatewayId: string): Promise<void> {
    try {
      await this.client.send(
        new CreateRouteCommand({ RouteTableId: routeTableId, DestinationCidrBlock: DEFAULT_ROUTE_CIDR, NatGatewayId: natGatewayId }),
      );
    } catch (error) {
      throw this.mapError('CreateRoute', error, routeTableId);
    }
  }

  async replaceDefaultRoute(routeTableId: string, natGatewayId: string): Promise<void> {
    try {
      await this.client.send(
        new ReplaceRouteCommand({ RouteTableId: routeTableId, DestinationCidrBlock: DEFAULT_ROUTE_CIDR, NatGatewayId: natGatewayId }),
      );
    } catch (error) {
      throw this.mapError('ReplaceRoute', error, routeTableId);
    }
  }

  /** The newest serial console output (Latest=true), decoded from the base64 EC2 returns. */
  async getConsoleOutput(instanceId: string): Promise<string> {
    try {
      const output = await this.client.send(new GetConsoleOutputCommand({ InstanceId: instanceId, Latest: true }));
      return output?.Output ? Buffer.from(output.Output, 'base64').toString('utf8') : '';
    } catch (error) {
      throw this.mapError('GetConsoleOutput', error, instanceId);
    }
  }

  private mapError(operation: string, error: unknown, resourceId: string): Error {
    const code = awsErrorCode(error);
    if (code === 'RouteAlreadyExists') return new RouteAlreadyExistsError(resourceId, { cause: error });
    if (code.endsWith('.NotFound')) {
      return new NotFoundError(`${operation}: ${code}: ${awsErrorMessage(error)}`, resourceId, { cause: error });
    }
    return awsCallError(operation, error);
  }
}

export function createEc2Adapter(options: AwsClientOptions = {}): Ec2Adapter {
  return new Ec2Adapter(undefined, options);
}
