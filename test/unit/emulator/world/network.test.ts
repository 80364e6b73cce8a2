import { egressVerdict, effectiveRouteTable, routeState, type NetworkFacts } from '../../../../emulator/world/network';
import type {
  InternetGatewayRecord,
  NatGatewayRecord,
  RouteRecord,
  RouteTableRecord,
  SubnetRecord,
  VpcEndpointRecord,
  VpcRecord,
} from '../../../../emulator/world/state';

const VPC = 'vpc-1';

function facts(overrides: { routes?: Record<string, RouteRecord[]>; nat?: Partial<NatGatewayRecord>; igwVpc?: string | undefined; endpoints?: VpcEndpointRecord[]; privateTable?: boolean } = {}): NetworkFacts {
  const subnet = (subnetId: string, cidrBlock: string, mapPublicIpOnLaunch = false): SubnetRecord => ({
    subnetId, vpcId: VPC, availabilityZone: 'us-west-2a', cidrBlock, mapPublicIpOnLaunch, tags: {},
  });
  const table = (routeTableId: string, subnetIds: string[], main = false): RouteTableRecord => ({
    routeTableId, vpcId: VPC, main, associations: subnetIds.map((s) => ({ associationId: `a-${s}`, subnetId: s })),
    routes: overrides.routes?.[routeTableId] ?? [], tags: {},
  });
  const vpcs = new Map<string, VpcRecord>([[VPC, { vpcId: VPC, cidrBlock: '10.0.0.0/16', tags: {}, cidrAssociationId: 'x', dhcpOptionsId: 'd', enableDnsSupport: true, enableDnsHostnames: true, domainNameServers: ['AmazonProvidedDNS'] }]]);
  const subnets = new Map([
    ['subnet-private', subnet('subnet-private', '10.0.1.0/24')],
    ['subnet-public', subnet('subnet-public', '10.0.0.0/24', true)],
  ]);
  const internetGateways = new Map<string, InternetGatewayRecord>([['igw-1', { internetGatewayId: 'igw-1', vpcId: 'igwVpc' in overrides ? overrides.igwVpc : VPC, tags: {} }]]);
  const natGateways = new Map<string, NatGatewayRecord>([
    ['nat-1', { natGatewayId: 'nat-1', subnetId: 'subnet-public', vpcId: VPC, state: 'available', connectivityType: 'public', createTime: 0, privateIp: '10.0.0.9', networkInterfaceId: 'eni-1', tags: {}, ...overrides.nat }],
  ]);
  const tables: RouteTableRecord[] = [table('rtb-main', [], true), table('rtb-public', ['subnet-public'])];
  if (overrides.privateTable !== false) tables.push(table('rtb-private', ['subnet-private']));
  const routeTables = new Map(tables.map((t) => [t.routeTableId, t]));
  const vpcEndpoints = new Map((overrides.endpoints ?? []).map((e) => [e.vpcEndpointId, e]));
  return { vpcs, subnets, internetGateways, natGateways, routeTables, vpcEndpoints };
}

const toNat: RouteRecord = { destinationCidrBlock: '0.0.0.0/0', natGatewayId: 'nat-1', origin: 'CreateRoute' };
const toIgw: RouteRecord = { destinationCidrBlock: '0.0.0.0/0', gatewayId: 'igw-1', origin: 'CreateRoute' };
const privateNode = { hasPublicIp: false, clusterEndpointPrivateAccess: true };

function endpoint(service: string, type: 'Interface' | 'Gateway' = 'Interface'): VpcEndpointRecord {
  return { vpcEndpointId: `vpce-${service}`, vpcId: VPC, serviceName: `com.amazonaws.us-west-2.${service}`, vpcEndpointType: type, state: 'available', subnetIds: [], routeTableIds: [], creationTimestamp: 0, privateDnsEnabled: type === 'Interface', securityGroupIds: [] };
}

describe('emulator network rules', () => {
  it('a private subnet routed to an available public NAT gateway whose subnet routes to the attached IGW has a path', () => {
    // Prepare
    const world = facts({ routes: { 'rtb-private': [toNat], 'rtb-public': [toIgw] } });

    // Act
    const verdict = egressVerdict(world, 'subnet-private', privateNode);

    // Assess
    expect(verdict).toMatchObject({ works: true, via: 'nat-gateway' });
  });

  it.each([
    ['no default route', { routes: { 'rtb-public': [toIgw] } }, 'no 0.0.0.0/0 route'],
    ['NAT gateway pending', { routes: { 'rtb-private': [toNat], 'rtb-public': [toIgw] }, nat: { state: 'pending' as const } }, 'pending'],
    ['NAT gateway private', { routes: { 'rtb-private': [toNat], 'rtb-public': [toIgw] }, nat: { connectivityType: 'private' as const } }, 'private'],
    ["NAT gateway's subnet without IGW route", { routes: { 'rtb-private': [toNat] } }, 'no 0.0.0.0/0 route to an attached internet gateway'],
    ['IGW detached', { routes: { 'rtb-private': [toNat], 'rtb-public': [toIgw] }, igwVpc: undefined }, 'internet gateway'],
    ['NAT gateway deleted (blackhole)', { routes: { 'rtb-private': [toNat], 'rtb-public': [toIgw] }, nat: { state: 'deleted' as const } }, 'blackhole'],
  ])('%s: no path', (_label, overrides, reason) => {
    // Act
    const verdict = egressVerdict(facts(overrides), 'subnet-private', privateNode);

    // Assess
    expect(verdict.works).toBe(false);
    expect(verdict.detail).toContain(reason);
  });

  it('a default route to the IGW works only with a public IP', () => {
    // Prepare
    const world = facts({ routes: { 'rtb-private': [toIgw] } });

    // Act
    const withIp = egressVerdict(world, 'subnet-private', { ...privateNode, hasPublicIp: true });
    const withoutIp = egressVerdict(world, 'subnet-private', privateNode);

    // Assess
    expect(withIp).toMatchObject({ works: true, via: 'internet-gateway' });
    expect(withoutIp.works).toBe(false);
  });

  it('VPC endpoints for ec2, ecr.api, ecr.dkr, sts plus s3 work only with private endpoint access, and only all together', () => {
    // Prepare
    const all = [endpoint('ec2'), endpoint('ecr.api'), endpoint('ecr.dkr'), endpoint('sts'), { ...endpoint('s3', 'Gateway'), routeTableIds: ['rtb-private'] }];

    // Act
    const complete = egressVerdict(facts({ endpoints: all }), 'subnet-private', privateNode);
    const publicOnly = egressVerdict(facts({ endpoints: all }), 'subnet-private', { ...privateNode, clusterEndpointPrivateAccess: false });
    const noSts = egressVerdict(facts({ endpoints: all.filter((e) => !e.serviceName.endsWith('.sts')) }), 'subnet-private', privateNode);

    // Assess
    expect(complete).toMatchObject({ works: true, via: 'vpc-endpoints' });
    expect(complete).not.toHaveProperty('s3Path');
    expect(publicOnly.works).toBe(false);
    expect(noSts.works).toBe(false);
  });

  it('an S3 gateway endpoint serves exactly the route tables it lists (an empty list serves none): no S3 path, the node registers but never turns Ready', () => {
    const interfaces = [endpoint('ec2'), endpoint('ecr.api'), endpoint('ecr.dkr'), endpoint('sts')];

    const none = egressVerdict(facts({ endpoints: [...interfaces, endpoint('s3', 'Gateway')] }), 'subnet-private', privateNode);
    const other = egressVerdict(facts({ endpoints: [...interfaces, { ...endpoint('s3', 'Gateway'), routeTableIds: ['rtb-public'] }] }), 'subnet-private', privateNode);

    expect(none).toMatchObject({ works: true, via: 'vpc-endpoints', s3Path: false });
    expect(other).toMatchObject({ works: true, via: 'vpc-endpoints', s3Path: false });
  });

  it('a subnet without its own table uses the main table', () => {
    // Prepare
    const world = facts({ privateTable: false });

    // Act
    const table = effectiveRouteTable(world, 'subnet-private');

    // Assess
    expect(table?.routeTableId).toBe('rtb-main');
  });

  it('routes to unmodelled targets are active unless the scenario says blackhole', () => {
    // Prepare
    const world = facts();
    const table = world.routeTables.get('rtb-main') as RouteTableRecord;

    // Act
    const tgw = routeState(world, table, { destinationCidrBlock: '0.0.0.0/0', transitGatewayId: 'tgw-1', origin: 'CreateRoute' });
    const gone = routeState(world, table, { destinationCidrBlock: '0.0.0.0/0', transitGatewayId: 'tgw-1', origin: 'CreateRoute', declaredBlackhole: true });
    const missingNat = routeState(world, table, { destinationCidrBlock: '0.0.0.0/0', natGatewayId: 'nat-404', origin: 'CreateRoute' });

    // Assess
    expect([tgw, gone, missingNat]).toEqual(['active', 'blackhole', 'blackhole']);
    expect(egressVerdict(facts({ routes: { 'rtb-private': [{ destinationCidrBlock: '0.0.0.0/0', transitGatewayId: 'tgw-1', origin: 'CreateRoute' }] } }), 'subnet-private', privateNode).works).toBe(false);
  });
});
