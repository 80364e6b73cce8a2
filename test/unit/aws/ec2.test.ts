import {
  CreateRouteCommand,
  DescribeInstancesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
  EC2ServiceException,
  ReplaceRouteCommand,
  type DescribeInstancesCommandOutput,
  type DescribeInternetGatewaysCommandOutput,
  type DescribeNatGatewaysCommandOutput,
  type DescribeRouteTablesCommandOutput,
  type DescribeSubnetsCommandOutput,
  type DescribeVpcEndpointsCommandOutput,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { Ec2Adapter, MAX_FILTER_VALUES, MAX_INSTANCE_IDS_PER_CALL } from '../../../lambda/aws/ec2';
import { AwsCallError, NotFoundError, RouteAlreadyExistsError } from '../../../lambda/errors';
import { awsResponse, WORLD } from '../../fixtures/aws/responses';

const ec2Mock = mockClient(EC2Client);

function ec2Error(name: string, message: string): EC2ServiceException {
  return new EC2ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 400 }, message });
}

function adapter(): Ec2Adapter {
  return new Ec2Adapter(new EC2Client({ region: WORLD.region }));
}

const instanceIds = (count: number, offset = 0) =>
  Array.from({ length: count }, (_, i) => `i-${(offset + i).toString(16).padStart(17, '0')}`);

beforeEach(() => {
  ec2Mock.reset();
});

describe('describeRouteTables', () => {
  it('filters by VPC and resolves the main table and explicit subnet associations', async () => {
    // Prepare
    ec2Mock.on(DescribeRouteTablesCommand).resolves(awsResponse<DescribeRouteTablesCommandOutput>('ec2-describe-route-tables.json'));

    // Act
    const tables = await adapter().describeRouteTables(WORLD.vpcId);

    // Assess
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeRouteTablesCommand, { Filters: [{ Name: 'vpc-id', Values: [WORLD.vpcId] }] });
    const byId = new Map(tables.map((t) => [t.routeTableId, t]));
    expect(byId.get(WORLD.mainRouteTableId)).toMatchObject({ main: true, subnetIds: [], vpcId: WORLD.vpcId });
    // the disassociated third association no longer counts
    expect(byId.get(WORLD.publicRouteTableId)).toMatchObject({ main: false, subnetIds: [WORLD.publicSubnetA, WORLD.publicSubnetB] });
    expect(byId.get(WORLD.newRouteTableId)).toEqual({
      routeTableId: WORLD.newRouteTableId,
      vpcId: WORLD.vpcId,
      main: false,
      subnetIds: [WORLD.newSubnetId],
      routes: [{ destinationCidrBlock: '10.42.0.0/16', gatewayId: 'local', state: 'active', origin: 'CreateRouteTable' }],
    });
  });

  it('maps every route target and state, including blackholes, IPv6 and prefix-list routes', async () => {
    // Prepare
    ec2Mock.on(DescribeRouteTablesCommand).resolves(awsResponse<DescribeRouteTablesCommandOutput>('ec2-describe-route-tables.json'));

    // Act
    const tables = await adapter().describeRouteTables(WORLD.vpcId);

    // Assess
    const routes = (id: string) => tables.find((t) => t.routeTableId === id)!.routes;
    expect(routes(WORLD.blackholeRouteTableId)).toContainEqual({
      destinationCidrBlock: '0.0.0.0/0',
      natGatewayId: 'nat-0ffee1234567890ab',
      state: 'blackhole',
      origin: 'CreateRoute',
    });
    expect(routes(WORLD.publicRouteTableId)).toContainEqual({
      destinationIpv6CidrBlock: '::/0',
      egressOnlyInternetGatewayId: 'eigw-0aa1bb2cc3dd4ee5f',
      state: 'active',
      origin: 'CreateRoute',
    });
    expect(routes('rtb-0ad9c840c31bb6fd1')).toContainEqual({
      destinationPrefixListId: 'pl-68a54001',
      gatewayId: 'vpce-0f1e2d3c4b5a69701',
      state: 'active',
      origin: 'CreateRoute',
    });
  });

  it('follows NextToken through every page', async () => {
    // Prepare
    const all = awsResponse<DescribeRouteTablesCommandOutput>('ec2-describe-route-tables.json').RouteTables!;
    ec2Mock
      .on(DescribeRouteTablesCommand)
      .resolvesOnce({ RouteTables: all.slice(0, 2), NextToken: 'page-2' })
      .resolvesOnce({ RouteTables: all.slice(2, 4), NextToken: 'page-3' })
      .resolvesOnce({ RouteTables: all.slice(4) });

    // Act
    const tables = await adapter().describeRouteTables(WORLD.vpcId);

    // Assess
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeRouteTablesCommand, 3);
    expect(tables.map((t) => t.routeTableId)).toEqual(all.map((t) => t.RouteTableId));
  });

  it('maps an access error to AwsCallError naming the operation and code', async () => {
    // Prepare
    ec2Mock.on(DescribeRouteTablesCommand).rejects(ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.'));

    // Act
    const result = adapter().describeRouteTables(WORLD.vpcId);

    // Assess
    await expect(result).rejects.toBeInstanceOf(AwsCallError);
    await expect(result).rejects.toMatchObject({ operation: 'DescribeRouteTables', awsErrorCode: 'UnauthorizedOperation' });
  });
});

describe('describeRouteTable', () => {
  it('reads one table by id', async () => {
    // Prepare
    const all = awsResponse<DescribeRouteTablesCommandOutput>('ec2-describe-route-tables.json').RouteTables!;
    ec2Mock.on(DescribeRouteTablesCommand, { RouteTableIds: [WORLD.blackholeRouteTableId] }).resolves({
      RouteTables: all.filter((t) => t.RouteTableId === WORLD.blackholeRouteTableId),
    });

    // Act
    const table = await adapter().describeRouteTable(WORLD.blackholeRouteTableId);

    // Assess
    expect(table.routeTableId).toBe(WORLD.blackholeRouteTableId);
    expect(table.routes.find((r) => r.destinationCidrBlock === '0.0.0.0/0')?.state).toBe('blackhole');
  });

  it('throws NotFoundError for InvalidRouteTableID.NotFound', async () => {
    // Prepare
    ec2Mock.on(DescribeRouteTablesCommand).rejects(ec2Error('InvalidRouteTableID.NotFound', "The routeTable ID 'rtb-0000' does not exist"));

    // Act
    const result = adapter().describeRouteTable('rtb-0000');

    // Assess
    await expect(result).rejects.toBeInstanceOf(NotFoundError);
    await expect(result).rejects.toMatchObject({ resourceId: 'rtb-0000' });
  });
});

describe('describeNatGateways', () => {
  it('filters by VPC (the `Filter` parameter) and returns every state, defaulting connectivity to public', async () => {
    // Prepare
    ec2Mock.on(DescribeNatGatewaysCommand).resolves(awsResponse<DescribeNatGatewaysCommandOutput>('ec2-describe-nat-gateways.json'));

    // Act
    const gateways = await adapter().describeNatGateways(WORLD.vpcId);

    // Assess
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeNatGatewaysCommand, { Filter: [{ Name: 'vpc-id', Values: [WORLD.vpcId] }] });
    expect(gateways.map((g) => [g.natGatewayId, g.state, g.connectivityType])).toEqual([
      [WORLD.natA, 'available', 'public'],
      [WORLD.natB, 'available', 'public'],
      ['nat-0ffee1234567890ab', 'deleted', 'public'],
      ['nat-0c0c0c0c0c0c0c0c0', 'pending', 'private'],
    ]);
    expect(gateways[0]).toEqual({
      natGatewayId: WORLD.natA,
      subnetId: WORLD.publicSubnetA,
      vpcId: WORLD.vpcId,
      state: 'available',
      connectivityType: 'public',
      publicIp: '44.226.10.28',
      createTime: '2026-11-01T09:20:11.000Z',
    });
  });
});

describe('describeInternetGateways and describeVpcEndpoints', () => {
  it('keeps only attachments that are attached', async () => {
    // Prepare
    ec2Mock.on(DescribeInternetGatewaysCommand).resolves(awsResponse<DescribeInternetGatewaysCommandOutput>('ec2-describe-internet-gateways.json'));

    // Act
    const gateways = await adapter().describeInternetGateways(WORLD.vpcId);

    // Assess
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeInternetGatewaysCommand, {
      Filters: [{ Name: 'attachment.vpc-id', Values: [WORLD.vpcId] }],
    });
    expect(gateways).toEqual([
      { internetGatewayId: WORLD.igw, attachedVpcIds: [WORLD.vpcId] },
      { internetGatewayId: 'igw-0bbbbbbbbbbbbbbbb', attachedVpcIds: [] },
    ]);
  });

  it('maps gateway and interface endpoints', async () => {
    // Prepare
    ec2Mock.on(DescribeVpcEndpointsCommand).resolves(awsResponse<DescribeVpcEndpointsCommandOutput>('ec2-describe-vpc-endpoints.json'));

    // Act
    const endpoints = await adapter().describeVpcEndpoints(WORLD.vpcId);

    // Assess
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeVpcEndpointsCommand, { Filters: [{ Name: 'vpc-id', Values: [WORLD.vpcId] }] });
    expect(endpoints).toEqual([
      {
        vpcEndpointId: 'vpce-0f1e2d3c4b5a69701',
        vpcId: WORLD.vpcId,
        serviceName: 'com.amazonaws.us-west-2.s3',
        vpcEndpointType: 'Gateway',
        state: 'available',
        subnetIds: [],
        routeTableIds: ['rtb-0ad9c840c31bb6fd1'],
        privateDnsEnabled: false,
        securityGroupIds: [],
      },
      {
        vpcEndpointId: 'vpce-0a1a2a3a4a5a6a7a8',
        vpcId: WORLD.vpcId,
        serviceName: 'com.amazonaws.us-west-2.ecr.api',
        vpcEndpointType: 'Interface',
        state: 'available',
        subnetIds: ['subnet-0a1b2c3d4e5f60011', 'subnet-0a1b2c3d4e5f60012'],
        routeTableIds: [],
        privateDnsEnabled: true,
        securityGroupIds: ['sg-0e0e0e0e0e0e0e0e0'],
      },
    ]);
  });
});

describe('describeSubnets', () => {
  it('asks once with a subnet-id filter of the distinct ids', async () => {
    // Prepare
    ec2Mock.on(DescribeSubnetsCommand).resolves(awsResponse<DescribeSubnetsCommandOutput>('ec2-describe-subnets.json'));

    // Act
    const subnets = await adapter().describeSubnets([WORLD.newSubnetId, WORLD.publicSubnetA, WORLD.newSubnetId, WORLD.publicSubnetB]);

    // Assess
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeSubnetsCommand, 1);
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeSubnetsCommand, {
      Filters: [{ Name: 'subnet-id', Values: [WORLD.newSubnetId, WORLD.publicSubnetA, WORLD.publicSubnetB] }],
    });
    expect(subnets[0]).toEqual({
      subnetId: WORLD.newSubnetId,
      vpcId: WORLD.vpcId,
      availabilityZone: 'us-west-2a',
      cidrBlock: '10.42.192.0/19',
      mapPublicIpOnLaunch: false,
      availableIpAddressCount: 8186,
    });
    expect(subnets.map((s) => s.mapPublicIpOnLaunch)).toEqual([false, true, false]);
  });

  it('splits more ids than one filter may hold, and makes no call for none', async () => {
    // Prepare
    ec2Mock.on(DescribeSubnetsCommand).resolves({ Subnets: [] });
    const ids = Array.from({ length: MAX_FILTER_VALUES + 1 }, (_, i) => `subnet-${i.toString(16).padStart(17, '0')}`);

    // Act
    await adapter().describeSubnets(ids);
    await adapter().describeSubnets([]);

    // Assess
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeSubnetsCommand, 2);
  });
});

describe('describeInstances', () => {
  it('maps state, subnet, AZ, launch time, public IP and the Auto Scaling group tag', async () => {
    // Prepare
    ec2Mock.on(DescribeInstancesCommand).resolves(awsResponse<DescribeInstancesCommandOutput>('ec2-describe-instances.json'));

    // Act
    const instances = await adapter().describeInstances([WORLD.instanceId, 'i-0a9b8c7d6e5f40312', 'i-0d1c2b3a4f5e60789']);

    // Assess
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeInstancesCommand, {
      InstanceIds: [WORLD.instanceId, 'i-0a9b8c7d6e5f40312', 'i-0d1c2b3a4f5e60789'],
    });
    expect(instances).toEqual([
      {
        instanceId: WORLD.instanceId,
        state: 'running',
        subnetId: WORLD.newSubnetId,
        vpcId: WORLD.vpcId,
        availabilityZone: 'us-west-2a',
        launchTime: '2026-11-29T05:45:00.000Z',
        privateDnsName: 'ip-10-42-200-17.us-west-2.compute.internal',
        autoScalingGroupName: WORLD.asgName,
        privateIpAddress: '10.42.200.17',
        securityGroupIds: ['sg-01c84d09d70f39a7f'],
        iamInstanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/eks-a8c75f2f-df78-a72f-4063-4b69af3de5b1',
        metadataHttpEndpoint: 'enabled',
      },
      {
        instanceId: 'i-0a9b8c7d6e5f40312',
        state: 'pending',
        subnetId: 'subnet-0a1b2c3d4e5f60012',
        vpcId: WORLD.vpcId,
        availabilityZone: 'us-west-2b',
        launchTime: '2026-11-29T05:10:00.000Z',
        publicIpAddress: '52.10.20.30',
        privateDnsName: 'ip-10-42-130-5.us-west-2.compute.internal',
        privateIpAddress: '10.42.130.5',
      },
      {
        instanceId: 'i-0d1c2b3a4f5e60789',
        state: 'terminated',
        subnetId: '',
        vpcId: '',
        availabilityZone: 'us-west-2a',
        launchTime: '2026-11-29T04:00:00.000Z',
        autoScalingGroupName: WORLD.asgName,
      },
    ]);
  });

  it('asks for at most 1000 ids per call and pages within each batch', async () => {
    // Prepare
    const ids = instanceIds(MAX_INSTANCE_IDS_PER_CALL + 5);
    const reservation = (batch: string[]) => ({ Instances: batch.map((id) => ({ InstanceId: id, State: { Name: 'running' as const } })) });
    ec2Mock
      .on(DescribeInstancesCommand)
      .resolvesOnce({ Reservations: [reservation(ids.slice(0, 600))], NextToken: 'more' })
      .resolvesOnce({ Reservations: [reservation(ids.slice(600, MAX_INSTANCE_IDS_PER_CALL))] })
      .resolvesOnce({ Reservations: [reservation(ids.slice(MAX_INSTANCE_IDS_PER_CALL))] });

    // Act
    const instances = await adapter().describeInstances(ids);

    // Assess
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeInstancesCommand, 3);
    const batches = ec2Mock.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input.InstanceIds?.length);
    expect(batches).toEqual([MAX_INSTANCE_IDS_PER_CALL, MAX_INSTANCE_IDS_PER_CALL, 5]);
    expect(instances.map((i) => i.instanceId)).toEqual(ids);
  });

  it('falls back to an instance-id filter when an id is not visible yet (InvalidInstanceID.NotFound)', async () => {
    // Prepare
    const [known, launching] = instanceIds(2);
    ec2Mock
      .on(DescribeInstancesCommand, { InstanceIds: [known!, launching!] })
      .rejects(ec2Error('InvalidInstanceID.NotFound', `The instance ID '${launching}' does not exist`));
    ec2Mock
      .on(DescribeInstancesCommand, { Filters: [{ Name: 'instance-id', Values: [known!, launching!] }] })
      .resolves({ Reservations: [{ Instances: [{ InstanceId: known, State: { Name: 'running' } }] }] });

    // Act
    const instances = await adapter().describeInstances([known!, launching!]);

    // Assess
    expect(instances.map((i) => i.instanceId)).toEqual([known]);
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeInstancesCommand, 2);
  });

  it('makes no call for an empty list', async () => {
    // Act
    const instances = await adapter().describeInstances([]);

    // Assess
    expect(instances).toEqual([]);
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeInstancesCommand, 0);
  });
});

describe('createDefaultRoute and replaceDefaultRoute', () => {
  it('creates 0.0.0.0/0 to the NAT gateway', async () => {
    // Prepare
    ec2Mock.on(CreateRouteCommand).resolves({ Return: true });

    // Act
    await adapter().createDefaultRoute(WORLD.newRouteTableId, WORLD.natA);

    // Assess
    expect(ec2Mock).toHaveReceivedCommandWith(CreateRouteCommand, {
      RouteTableId: WORLD.newRouteTableId,
      DestinationCidrBlock: '0.0.0.0/0',
      NatGatewayId: WORLD.natA,
    });
  });

  it('maps RouteAlreadyExists to RouteAlreadyExistsError', async () => {
    // Prepare
    ec2Mock
      .on(CreateRouteCommand)
      .rejects(ec2Error('RouteAlreadyExists', `The route identified by 0.0.0.0/0 already exists.`));

    // Act
    const result = adapter().createDefaultRoute(WORLD.newRouteTableId, WORLD.natA);

    // Assess
    await expect(result).rejects.toBeInstanceOf(RouteAlreadyExistsError);
    await expect(result).rejects.toMatchObject({ routeTableId: WORLD.newRouteTableId });
  });

  it('maps a missing NAT gateway to NotFoundError and anything else to AwsCallError', async () => {
    // Prepare
    ec2Mock
      .on(CreateRouteCommand)
      .rejectsOnce(ec2Error('InvalidNatGatewayID.NotFound', `The natGateway ID '${WORLD.natB}' does not exist`))
      .rejectsOnce(ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.'));

    // Act
    const missing = adapter().createDefaultRoute(WORLD.newRouteTableId, WORLD.natB);
    await expect(missing).rejects.toBeInstanceOf(NotFoundError);
    const denied = adapter().createDefaultRoute(WORLD.newRouteTableId, WORLD.natB);

    // Assess
    await expect(denied).rejects.toBeInstanceOf(AwsCallError);
    await expect(denied).rejects.toMatchObject({ operation: 'CreateRoute', awsErrorCode: 'UnauthorizedOperation' });
  });

  it('replaces 0.0.0.0/0 with a route to the NAT gateway', async () => {
    // Prepare
    ec2Mock.on(ReplaceRouteCommand).resolves({});

    // Act
    await adapter().replaceDefaultRoute(WORLD.blackholeRouteTableId, WORLD.natB);

    // Assess
    expect(ec2Mock).toHaveReceivedCommandWith(ReplaceRouteCommand, {
      RouteTableId: WORLD.blackholeRouteTableId,
      DestinationCidrBlock: '0.0.0.0/0',
      NatGatewayId: WORLD.natB,
    });
  });
});
