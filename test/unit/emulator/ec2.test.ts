import {
  CreateRouteCommand,
  DeleteNatGatewayCommand,
  DeleteRouteCommand,
  DescribeInstancesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  paginateDescribeInstances,
  ReplaceRouteCommand,
} from '@aws-sdk/client-ec2';
import type { RunningEmulator } from '../../../emulator/index';
import { bundledScenario, type Clients, clientsFor, destroyClients, rejectionOf, SEED, startTestEmulator } from './support/harness';

describe('emulator EC2 (SDK v3 over the EC2 Query protocol)', () => {
  let emulator: RunningEmulator;
  let clients: Clients;

  beforeEach(async () => {
    emulator = await startTestEmulator();
    clients = clientsFor(emulator);
  });

  afterEach(async () => {
    destroyClients(clients);
    await emulator.close();
  });

  describe('DescribeRouteTables', () => {
    it('finds the seed subnet table by association.subnet-id with only the implied local route', async () => {
      // Act
      const out = await clients.ec2.send(
        new DescribeRouteTablesCommand({ Filters: [{ Name: 'association.subnet-id', Values: [SEED.newSubnetId] }] }),
      );

      // Assess
      expect(out.RouteTables).toHaveLength(1);
      const table = out.RouteTables?.[0];
      expect(table?.RouteTableId).toBe(SEED.newRouteTableId);
      expect(table?.Associations).toEqual([
        expect.objectContaining({ Main: false, SubnetId: SEED.newSubnetId, RouteTableId: SEED.newRouteTableId }),
      ]);
      expect(table?.Routes).toEqual([{ DestinationCidrBlock: '10.42.0.0/16', GatewayId: 'local', Origin: 'CreateRouteTable', State: 'active' }]);
    });

    it('filters by association.main, vpc-id and route.destination-cidr-block', async () => {
      // Act
      const main = await clients.ec2.send(
        new DescribeRouteTablesCommand({
          Filters: [
            { Name: 'vpc-id', Values: [SEED.vpcId] },
            { Name: 'association.main', Values: ['true'] },
          ],
        }),
      );
      const withDefault = await clients.ec2.send(
        new DescribeRouteTablesCommand({ Filters: [{ Name: 'route.destination-cidr-block', Values: ['0.0.0.0/0'] }] }),
      );

      // Assess
      expect(main.RouteTables?.map((t) => t.RouteTableId)).toEqual([SEED.mainRouteTableId]);
      expect(main.RouteTables?.[0]?.Associations?.[0]).toMatchObject({ Main: true });
      expect(withDefault.RouteTables?.map((t) => t.RouteTableId).sort()).toEqual([SEED.publicRouteTableId, SEED.privateRouteTableId].sort());
    });

    it('answers an unknown table id with InvalidRouteTableID.NotFound', async () => {
      // Act
      const error = await rejectionOf(clients.ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: ['rtb-0000000000000dead'] })));

      // Assess
      expect(error.name).toBe('InvalidRouteTableID.NotFound');
      expect(error.message).toContain('rtb-0000000000000dead');
    });

    it('pages with MaxResults and NextToken', async () => {
      // Prepare: 4 seed tables + 3 more
      const scenario = bundledScenario('seed');
      for (const suffix of ['1', '2', '3']) {
        scenario.routeTables.push({ routeTableId: `rtb-0f0f0f0f0f0f0f0f${suffix}`, vpcId: SEED.vpcId, main: false, subnetIds: [], routes: [] });
      }
      const busy = await startTestEmulator(scenario);
      const client = clientsFor(busy);

      try {
        // Act
        const first = await client.ec2.send(new DescribeRouteTablesCommand({ MaxResults: 5 }));
        const second = await client.ec2.send(new DescribeRouteTablesCommand({ MaxResults: 5, NextToken: first.NextToken }));
        const bad = await rejectionOf(client.ec2.send(new DescribeRouteTablesCommand({ MaxResults: 5, NextToken: 'not-a-token' })));

        // Assess
        expect(first.RouteTables).toHaveLength(5);
        expect(first.NextToken).toEqual(expect.any(String));
        expect(second.RouteTables).toHaveLength(2);
        expect(second.NextToken).toBeUndefined();
        const ids = [...(first.RouteTables ?? []), ...(second.RouteTables ?? [])].map((t) => t.RouteTableId);
        expect(new Set(ids).size).toBe(7);
        expect(bad.name).toBe('InvalidParameterValue');
      } finally {
        destroyClients(client);
        await busy.close();
      }
    });

    it('rejects an unknown filter name', async () => {
      // Act
      const error = await rejectionOf(clients.ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'no-such-filter', Values: ['x'] }] })));

      // Assess
      expect(error.name).toBe('InvalidParameterValue');
    });
  });

  describe('routes', () => {
    it('CreateRoute adds an active CreateRoute-origin route, and refuses a second one for the same CIDR', async () => {
      // Act
      await clients.ec2.send(
        new CreateRouteCommand({ RouteTableId: SEED.newRouteTableId, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: SEED.natGatewayId }),
      );
      const again = await rejectionOf(
        clients.ec2.send(new CreateRouteCommand({ RouteTableId: SEED.newRouteTableId, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: SEED.natGatewayId })),
      );
      const after = await clients.ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [SEED.newRouteTableId] }));

      // Assess
      expect(again.name).toBe('RouteAlreadyExists');
      expect(after.RouteTables?.[0]?.Routes).toContainEqual({
        DestinationCidrBlock: '0.0.0.0/0',
        NatGatewayId: SEED.natGatewayId,
        Origin: 'CreateRoute',
        State: 'active',
      });
    });

    it('CreateRoute names missing tables and NAT gateways', async () => {
      // Act
      const noTable = await rejectionOf(
        clients.ec2.send(new CreateRouteCommand({ RouteTableId: 'rtb-0123456789abcdef0', DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: SEED.natGatewayId })),
      );
      const noNat = await rejectionOf(
        clients.ec2.send(new CreateRouteCommand({ RouteTableId: SEED.newRouteTableId, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-0123456789abcdef0' })),
      );

      // Assess
      expect(noTable.name).toBe('InvalidRouteTableID.NotFound');
      expect(noNat.name).toBe('InvalidNatGatewayID.NotFound');
      expect(noTable.$metadata?.httpStatusCode).toBe(400);
    });

    it('ReplaceRoute retargets an existing route and DeleteRoute removes it; the local route is protected', async () => {
      // Prepare
      await clients.ec2.send(new CreateRouteCommand({ RouteTableId: SEED.newRouteTableId, DestinationCidrBlock: '0.0.0.0/0', GatewayId: SEED.internetGatewayId }));

      // Act
      await clients.ec2.send(new ReplaceRouteCommand({ RouteTableId: SEED.newRouteTableId, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: SEED.natGatewayId }));
      const replaced = await clients.ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [SEED.newRouteTableId] }));
      await clients.ec2.send(new DeleteRouteCommand({ RouteTableId: SEED.newRouteTableId, DestinationCidrBlock: '0.0.0.0/0' }));
      const deleted = await clients.ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [SEED.newRouteTableId] }));
      const local = await rejectionOf(clients.ec2.send(new DeleteRouteCommand({ RouteTableId: SEED.newRouteTableId, DestinationCidrBlock: '10.42.0.0/16' })));
      const missing = await rejectionOf(clients.ec2.send(new ReplaceRouteCommand({ RouteTableId: SEED.newRouteTableId, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: SEED.natGatewayId })));

      // Assess
      const defaultRoute = replaced.RouteTables?.[0]?.Routes?.find((r) => r.DestinationCidrBlock === '0.0.0.0/0');
      expect(defaultRoute).toMatchObject({ NatGatewayId: SEED.natGatewayId, State: 'active' });
      expect(defaultRoute?.GatewayId).toBeUndefined();
      expect(deleted.RouteTables?.[0]?.Routes).toHaveLength(1);
      expect(local.name).toBe('InvalidParameterValue');
      expect(missing.name).toBe('InvalidParameterValue');
    });
  });

  describe('NAT gateways', () => {
    it('filters by vpc-id and state and shows the public address', async () => {
      // Act
      const out = await clients.ec2.send(
        new DescribeNatGatewaysCommand({
          Filter: [
            { Name: 'vpc-id', Values: [SEED.vpcId] },
            { Name: 'state', Values: ['available'] },
          ],
        }),
      );

      // Assess
      expect(out.NatGateways).toHaveLength(1);
      expect(out.NatGateways?.[0]).toMatchObject({
        NatGatewayId: SEED.natGatewayId,
        State: 'available',
        ConnectivityType: 'public',
        SubnetId: 'subnet-0f1e2d3c4b5a69780',
        VpcId: SEED.vpcId,
      });
      expect(out.NatGateways?.[0]?.NatGatewayAddresses?.[0]?.PublicIp).toBe('44.231.18.7');
      expect(out.NatGateways?.[0]?.CreateTime).toBeInstanceOf(Date);
    });

    it('DeleteNatGateway goes deleting then deleted, and routes to it turn blackhole', async () => {
      // Act
      const deleted = await clients.ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: SEED.natGatewayId }));
      const during = await clients.ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [SEED.natGatewayId] }));
      const routes = await clients.ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [SEED.privateRouteTableId] }));
      emulator.advance(5);
      const after = await clients.ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [SEED.natGatewayId] }));

      // Assess
      expect(deleted.NatGatewayId).toBe(SEED.natGatewayId);
      expect(during.NatGateways?.[0]?.State).toBe('deleting');
      expect(routes.RouteTables?.[0]?.Routes?.find((r) => r.NatGatewayId === SEED.natGatewayId)?.State).toBe('blackhole');
      expect(after.NatGateways?.[0]?.State).toBe('deleted');
      expect(after.NatGateways?.[0]?.DeleteTime).toBeInstanceOf(Date);
    });

    it('answers an unknown NAT gateway id with NatGatewayNotFound', async () => {
      // Act
      const error = await rejectionOf(clients.ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: 'nat-0000000000000beef' })));

      // Assess
      expect(error.name).toBe('NatGatewayNotFound');
    });
  });

  describe('instances, subnets, gateways, endpoints, VPCs', () => {
    it('DescribeInstances filters by subnet-id and tag and returns EKS node instances', async () => {
      // Act
      const out = await clients.ec2.send(
        new DescribeInstancesCommand({
          Filters: [
            { Name: 'subnet-id', Values: [SEED.newSubnetId] },
            { Name: 'tag:eks:nodegroup-name', Values: [SEED.brokenNodegroup] },
          ],
        }),
      );

      // Assess
      const instances = out.Reservations?.flatMap((r) => r.Instances ?? []) ?? [];
      expect(instances).toHaveLength(1);
      const instance = instances[0];
      expect(instance?.State).toEqual({ Code: 16, Name: 'running' });
      expect(instance?.SubnetId).toBe(SEED.newSubnetId);
      expect(instance?.VpcId).toBe(SEED.vpcId);
      expect(instance?.Placement?.AvailabilityZone).toBe('us-west-2a');
      expect(instance?.PrivateIpAddress).toMatch(/^10\.42\.(19[2-9]|2[0-2]\d)\.\d+$/);
      expect(instance?.PrivateDnsName).toBe(`ip-${instance?.PrivateIpAddress?.replace(/\./g, '-')}.us-west-2.compute.internal`);
      expect(instance?.LaunchTime).toBeInstanceOf(Date);
      expect(Date.now() - (instance?.LaunchTime?.getTime() ?? 0)).toBeGreaterThanOrEqual(590_000);
      expect(instance?.SecurityGroups?.[0]?.GroupName).toMatch(/^eks-cluster-sg-eks-workshop-/);
      expect(instance?.Tags).toEqual(expect.arrayContaining([{ Key: 'eks:cluster-name', Value: SEED.cluster }]));
    });

    it('DescribeInstances pages through instances and refuses MaxResults with InstanceIds', async () => {
      // Prepare: 6 default nodes + 1 broken instance
      const scenario = bundledScenario('seed');
      const defaults = scenario.clusters[0]?.nodegroups[0];
      if (defaults) defaults.scalingConfig.desiredSize = 6;
      const busy = await startTestEmulator(scenario);
      const client = clientsFor(busy);

      try {
        // Act
        const pages: string[][] = [];
        for await (const page of paginateDescribeInstances({ client: client.ec2, pageSize: 5 }, {})) {
          pages.push(page.Reservations?.flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId as string) ?? []);
        }
        const ids = pages.flat();
        const combination = await rejectionOf(client.ec2.send(new DescribeInstancesCommand({ InstanceIds: [ids[0] as string], MaxResults: 5 })));
        const unknown = await rejectionOf(client.ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })));
        const malformed = await rejectionOf(client.ec2.send(new DescribeInstancesCommand({ InstanceIds: ['instance-1'] })));

        // Assess
        expect(pages.map((p) => p.length)).toEqual([5, 2]);
        expect(new Set(ids).size).toBe(7);
        expect(combination.name).toBe('InvalidParameterCombination');
        expect(unknown.name).toBe('InvalidInstanceID.NotFound');
        expect(malformed.name).toBe('InvalidInstanceID.Malformed');
      } finally {
        destroyClients(client);
        await busy.close();
      }
    });

    it('DescribeSubnets shows the seed subnet with its free address count', async () => {
      // Act
      const out = await clients.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [SEED.newSubnetId] }));
      const byAz = await clients.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'availability-zone', Values: ['us-west-2a'] }] }));

      // Assess: a /19 has 8192 addresses, 5 reserved, 1 used
      expect(out.Subnets?.[0]).toMatchObject({
        SubnetId: SEED.newSubnetId,
        CidrBlock: '10.42.192.0/19',
        AvailabilityZone: 'us-west-2a',
        AvailableIpAddressCount: 8186,
        State: 'available',
        MapPublicIpOnLaunch: false,
        VpcId: SEED.vpcId,
      });
      expect(byAz.Subnets?.map((s) => s.SubnetId).sort()).toEqual(['subnet-0a1b2c3d4e5f60718', 'subnet-0a6b1c2d3e4f50617', 'subnet-0f1e2d3c4b5a69780']);
    });

    it('DescribeInternetGateways filters by attachment.vpc-id', async () => {
      // Act
      const attached = await clients.ec2.send(new DescribeInternetGatewaysCommand({ Filters: [{ Name: 'attachment.vpc-id', Values: [SEED.vpcId] }] }));
      const elsewhere = await clients.ec2.send(new DescribeInternetGatewaysCommand({ Filters: [{ Name: 'attachment.vpc-id', Values: ['vpc-0000000000000aaaa'] }] }));

      // Assess
      expect(attached.InternetGateways).toEqual([
        expect.objectContaining({ InternetGatewayId: SEED.internetGatewayId, Attachments: [{ State: 'available', VpcId: SEED.vpcId }] }),
      ]);
      expect(elsewhere.InternetGateways).toEqual([]);
    });

    it('DescribeVpcEndpoints and DescribeVpcs answer from the scenario', async () => {
      // Prepare
      const scenario = bundledScenario('seed');
      scenario.vpcEndpoints.push({ vpcEndpointId: 'vpce-0a1b2c3d4e5f60789', vpcId: SEED.vpcId, serviceName: 'com.amazonaws.us-west-2.s3', vpcEndpointType: 'Gateway', routeTableIds: [SEED.privateRouteTableId] });
      const withEndpoint = await startTestEmulator(scenario);
      const client = clientsFor(withEndpoint);

      try {
        // Act
        const endpoints = await client.ec2.send(new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'vpc-id', Values: [SEED.vpcId] }] }));
        const vpcs = await client.ec2.send(new DescribeVpcsCommand({ VpcIds: [SEED.vpcId] }));

        // Assess
        expect(endpoints.VpcEndpoints).toEqual([
          expect.objectContaining({ VpcEndpointId: 'vpce-0a1b2c3d4e5f60789', VpcEndpointType: 'Gateway', ServiceName: 'com.amazonaws.us-west-2.s3', RouteTableIds: [SEED.privateRouteTableId] }),
        ]);
        expect(vpcs.Vpcs?.[0]).toMatchObject({ VpcId: SEED.vpcId, CidrBlock: '10.42.0.0/16', State: 'available', IsDefault: false });
      } finally {
        destroyClients(client);
        await withEndpoint.close();
      }
    });
  });
});
