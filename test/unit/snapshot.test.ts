import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  type AutoScalingGroup,
  type DescribeAutoScalingGroupsCommandOutput,
} from '@aws-sdk/client-auto-scaling';
import {
  DescribeDhcpOptionsCommand,
  DescribeNetworkAclsCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  GetManagedPrefixListEntriesCommand,
  DescribeInstancesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
  type DescribeInstancesCommandOutput,
  type DescribeInternetGatewaysCommandOutput,
  type DescribeNatGatewaysCommandOutput,
  type DescribeRouteTablesCommandOutput,
  type DescribeSubnetsCommandOutput,
  type DescribeVpcEndpointsCommandOutput,
  type DescribeDhcpOptionsCommandOutput,
  type DescribeNetworkAclsCommandOutput,
  type DescribeSecurityGroupsCommandOutput,
  type DescribeVpcsCommandOutput,
  type Instance,
  type Subnet,
} from '@aws-sdk/client-ec2';
import {
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  EKSClient,
  ResourceNotFoundException,
  type DescribeClusterCommandOutput,
  type DescribeNodegroupCommandOutput,
} from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { AutoScalingAdapter } from '../../lambda/aws/autoscaling';
import { Ec2Adapter } from '../../lambda/aws/ec2';
import { EksAdapter } from '../../lambda/aws/eks';
import { KubernetesApiError, NotFoundError } from '../../lambda/errors';
import type { NodeInfo } from '../../lambda/model';
import type { KubernetesPort, KubernetesTarget, Ports } from '../../lambda/ports';
import { SNAPSHOT_AWS_CALLS, takeSnapshot } from '../../lambda/snapshot';
import { awsResponse, WORLD } from '../fixtures/aws/responses';

const eksMock = mockClient(EKSClient);
const ec2Mock = mockClient(EC2Client);
const autoScalingMock = mockClient(AutoScalingClient);

const NOW = new Date('2026-11-29T06:00:00.000Z');
const REQUEST = { clusterName: WORLD.clusterName, nodegroupName: WORLD.nodegroupName, region: WORLD.region, now: NOW };

const READY_NODE: NodeInfo = {
  name: 'ip-10-42-200-17.us-west-2.compute.internal',
  providerID: `aws:///us-west-2a/${WORLD.instanceId}`,
  instanceId: WORLD.instanceId,
  ready: true,
};

/** A Kubernetes port that records its calls and answers with `answer`. */
function fakeKubernetes(answer: () => Promise<NodeInfo[]>) {
  const calls: { target: KubernetesTarget; nodegroupName: string }[] = [];
  const port: KubernetesPort = {
    listNodegroupNodes: (target, nodegroupName) => {
      calls.push({ target, nodegroupName });
      return answer();
    },
  };
  return { port, calls };
}

function ports(kubernetes: KubernetesPort): Ports {
  return {
    eks: new EksAdapter(new EKSClient({ region: WORLD.region })),
    ec2: new Ec2Adapter(new EC2Client({ region: WORLD.region })),
    autoscaling: new AutoScalingAdapter(new AutoScalingClient({ region: WORLD.region })),
    kubernetes,
  };
}

/** DNS attributes, DHCP options, security groups (one referencing a prefix list) and network ACLs. */
function mockNetworkControls(): void {
  ec2Mock.on(DescribeVpcsCommand).resolves(awsResponse<DescribeVpcsCommandOutput>('ec2-describe-vpcs.json'));
  ec2Mock.on(DescribeVpcAttributeCommand, { Attribute: 'enableDnsSupport' }).resolves({ VpcId: WORLD.vpcId, EnableDnsSupport: { Value: true } });
  ec2Mock.on(DescribeVpcAttributeCommand, { Attribute: 'enableDnsHostnames' }).resolves({ VpcId: WORLD.vpcId, EnableDnsHostnames: { Value: false } });
  ec2Mock.on(DescribeDhcpOptionsCommand).resolves(awsResponse<DescribeDhcpOptionsCommandOutput>('ec2-describe-dhcp-options.json'));
  ec2Mock.on(DescribeSecurityGroupsCommand).resolves(awsResponse<DescribeSecurityGroupsCommandOutput>('ec2-describe-security-groups.json'));
  ec2Mock.on(DescribeNetworkAclsCommand).resolves(awsResponse<DescribeNetworkAclsCommandOutput>('ec2-describe-network-acls.json'));
  ec2Mock.on(GetManagedPrefixListEntriesCommand).resolves(awsResponse('ec2-get-managed-prefix-list-entries.s3.json'));
}

/** The seed world, as the fixture files describe it. */
function mockSeedWorld(): void {
  mockNetworkControls();
  eksMock.on(DescribeClusterCommand).resolves(awsResponse<DescribeClusterCommandOutput>('eks-describe-cluster.json'));
  eksMock.on(DescribeNodegroupCommand).resolves(awsResponse<DescribeNodegroupCommandOutput>('eks-describe-nodegroup.json'));
  const groups = awsResponse<DescribeAutoScalingGroupsCommandOutput>('autoscaling-describe-auto-scaling-groups.json');
  // The group also still lists the terminated instance (and a hand-launched one joined it).
  groups.AutoScalingGroups![0]!.Instances!.push(
    { InstanceId: 'i-0d1c2b3a4f5e60789', AvailabilityZone: 'us-west-2a', LifecycleState: 'Terminating', HealthStatus: 'Unhealthy', ProtectedFromScaleIn: false },
    { InstanceId: 'i-0a9b8c7d6e5f40312', AvailabilityZone: 'us-west-2b', LifecycleState: 'Pending', HealthStatus: 'Healthy', ProtectedFromScaleIn: false },
  );
  autoScalingMock.on(DescribeAutoScalingGroupsCommand).resolves(groups);
  ec2Mock.on(DescribeInstancesCommand).resolves(awsResponse<DescribeInstancesCommandOutput>('ec2-describe-instances.json'));
  ec2Mock.on(DescribeSubnetsCommand).resolves(awsResponse<DescribeSubnetsCommandOutput>('ec2-describe-subnets.json'));
  ec2Mock.on(DescribeRouteTablesCommand).resolves(awsResponse<DescribeRouteTablesCommandOutput>('ec2-describe-route-tables.json'));
  ec2Mock.on(DescribeNatGatewaysCommand).resolves(awsResponse<DescribeNatGatewaysCommandOutput>('ec2-describe-nat-gateways.json'));
  ec2Mock.on(DescribeInternetGatewaysCommand).resolves(awsResponse<DescribeInternetGatewaysCommandOutput>('ec2-describe-internet-gateways.json'));
  ec2Mock.on(DescribeVpcEndpointsCommand).resolves(awsResponse<DescribeVpcEndpointsCommandOutput>('ec2-describe-vpc-endpoints.json'));
}

/** A synthetic world of `subnetCount` subnets with `perSubnet` instances each, all answered in one page. */
function mockWorldOfSize(subnetCount: number, perSubnet: number): void {
  mockNetworkControls();
  const subnetIds = Array.from({ length: subnetCount }, (_, s) => `subnet-0${s.toString(16).padStart(16, '0')}`);
  const instances: Instance[] = subnetIds.flatMap((subnetId, s) =>
    Array.from({ length: perSubnet }, (_, i) => ({
      InstanceId: `i-0${(s * 1000 + i).toString(16).padStart(16, '0')}`,
      State: { Code: 16, Name: 'running' as const },
      SubnetId: subnetId,
      VpcId: WORLD.vpcId,
      Placement: { AvailabilityZone: `us-west-2${'abc'[s % 3]}` },
      LaunchTime: new Date('2026-11-29T05:45:00.000Z'),
    })),
  );
  const nodegroup = awsResponse<DescribeNodegroupCommandOutput>('eks-describe-nodegroup.json');
  nodegroup.nodegroup!.subnets = subnetIds;
  const group: AutoScalingGroup = {
    ...awsResponse<DescribeAutoScalingGroupsCommandOutput>('autoscaling-describe-auto-scaling-groups.json').AutoScalingGroups![0]!,
    DesiredCapacity: instances.length,
    Instances: instances.map((i) => ({
      InstanceId: i.InstanceId!,
      AvailabilityZone: i.Placement!.AvailabilityZone!,
      LifecycleState: 'InService',
      HealthStatus: 'Healthy',
      ProtectedFromScaleIn: false,
    })),
  };
  const subnets: Subnet[] = subnetIds.map((subnetId, s) => ({
    SubnetId: subnetId,
    VpcId: WORLD.vpcId,
    AvailabilityZone: `us-west-2${'abc'[s % 3]}`,
    CidrBlock: `10.42.${s}.0/24`,
    MapPublicIpOnLaunch: false,
  }));
  eksMock.on(DescribeClusterCommand).resolves(awsResponse<DescribeClusterCommandOutput>('eks-describe-cluster.json'));
  eksMock.on(DescribeNodegroupCommand).resolves(nodegroup);
  autoScalingMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group] });
  ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: instances }] });
  ec2Mock.on(DescribeSubnetsCommand).resolves({ Subnets: subnets });
  ec2Mock.on(DescribeRouteTablesCommand).resolves(awsResponse<DescribeRouteTablesCommandOutput>('ec2-describe-route-tables.json'));
  ec2Mock.on(DescribeNatGatewaysCommand).resolves(awsResponse<DescribeNatGatewaysCommandOutput>('ec2-describe-nat-gateways.json'));
  ec2Mock.on(DescribeInternetGatewaysCommand).resolves(awsResponse<DescribeInternetGatewaysCommandOutput>('ec2-describe-internet-gateways.json'));
  ec2Mock.on(DescribeVpcEndpointsCommand).resolves(awsResponse<DescribeVpcEndpointsCommandOutput>('ec2-describe-vpc-endpoints.json'));
}

function awsCallCount(): number {
  return eksMock.calls().length + ec2Mock.calls().length + autoScalingMock.calls().length;
}

beforeEach(() => {
  eksMock.reset();
  ec2Mock.reset();
  autoScalingMock.reset();
});

describe('takeSnapshot', () => {
  it('reads the network controls of the VPC: DNS attributes, DHCP servers, security groups with prefix lists, ACLs', async () => {
    // Prepare
    mockSeedWorld();

    // Act
    const snapshot = await takeSnapshot(ports(fakeKubernetes(async () => []).port), REQUEST);

    // Assess
    expect(snapshot.network.vpc).toEqual({
      vpcId: WORLD.vpcId,
      cidrBlock: '10.42.0.0/16',
      enableDnsSupport: true,
      enableDnsHostnames: false,
      dhcpOptionsId: 'dopt-0e8f2a1b3c4d5e6f7',
      domainNameServers: ['AmazonProvidedDNS'],
    });
    expect(snapshot.network.securityGroups?.map((g) => g.groupId)).toEqual(['sg-01c84d09d70f39a7f', 'sg-0c1327f6270afbb36']);
    expect(snapshot.network.securityGroups?.[1]?.egress).toContainEqual({ protocol: 'tcp', fromPort: 443, toPort: 443, prefixListId: 'pl-68a54001' });
    expect(snapshot.network.prefixLists).toEqual([{ prefixListId: 'pl-68a54001', cidrs: ['3.5.76.0/22', '18.34.48.0/20', '52.92.128.0/17'] }]);
    expect(snapshot.network.networkAcls?.[0]).toMatchObject({ networkAclId: 'acl-0a1b2c3d4e5f60001', isDefault: true, subnetIds: [WORLD.newSubnetId] });
    expect(snapshot.cluster).toMatchObject({ publicAccessCidrs: ['0.0.0.0/0'], clusterSecurityGroupId: 'sg-01c84d09d70f39a7f' });
    expect(snapshot.instances.find((i) => i.instanceId === WORLD.instanceId)?.securityGroupIds).toEqual(['sg-01c84d09d70f39a7f']);
  });

  it('gathers cluster, node group, live instances, registration and the VPC network', async () => {
    // Prepare
    mockSeedWorld();
    const kubernetes = fakeKubernetes(async () => [READY_NODE]);

    // Act
    const snapshot = await takeSnapshot(ports(kubernetes.port), REQUEST);

    // Assess
    expect(snapshot.takenAt).toBe(NOW.toISOString());
    expect(snapshot.region).toBe(WORLD.region);
    expect(snapshot.cluster.vpcId).toBe(WORLD.vpcId);
    expect(snapshot.nodegroup.autoScalingGroupNames).toEqual([WORLD.asgName]);
    expect(snapshot.autoScalingGroups.map((g) => g.name)).toEqual([WORLD.asgName]);
    // the terminated instance is left out; every instance knows its Auto Scaling group
    expect(snapshot.instances.map((i) => [i.instanceId, i.state, i.autoScalingGroupName])).toEqual([
      [WORLD.instanceId, 'running', WORLD.asgName],
      ['i-0a9b8c7d6e5f40312', 'pending', WORLD.asgName],
    ]);
    expect(snapshot.registration).toEqual({ source: 'kubernetes-api', nodes: [READY_NODE] });
    expect(snapshot.network.vpcId).toBe(WORLD.vpcId);
    expect(snapshot.network.routeTables).toHaveLength(5);
    expect(snapshot.network.natGateways.map((n) => n.natGatewayId)).toContain(WORLD.natA);
    expect(snapshot.network.internetGateways[0]).toEqual({ internetGatewayId: WORLD.igw, attachedVpcIds: [WORLD.vpcId] });
    expect(snapshot.network.vpcEndpoints).toHaveLength(2);
    expect(snapshot.network.subnets.map((s) => s.subnetId)).toContain(WORLD.newSubnetId);
  });

  it('asks for the instances its Auto Scaling groups list, and the subnets of node group, instances and NAT gateways', async () => {
    // Prepare
    mockSeedWorld();

    // Act
    await takeSnapshot(ports(fakeKubernetes(async () => []).port), REQUEST);

    // Assess
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeInstancesCommand, {
      InstanceIds: [WORLD.instanceId, 'i-0d1c2b3a4f5e60789', 'i-0a9b8c7d6e5f40312'],
    });
    const subnetFilter = ec2Mock.commandCalls(DescribeSubnetsCommand)[0]!.args[0].input.Filters![0]!;
    expect(subnetFilter.Name).toBe('subnet-id');
    expect(new Set(subnetFilter.Values)).toEqual(
      new Set([WORLD.newSubnetId, 'subnet-0a1b2c3d4e5f60012', WORLD.publicSubnetA, WORLD.publicSubnetB, 'subnet-0a1b2c3d4e5f60011']),
    );
    for (const command of [DescribeRouteTablesCommand, DescribeVpcEndpointsCommand]) {
      expect(ec2Mock).toHaveReceivedCommandWith(command, { Filters: [{ Name: 'vpc-id', Values: [WORLD.vpcId] }] });
    }
  });

  it('passes the cluster endpoint, CA and region to the Kubernetes port', async () => {
    // Prepare
    mockSeedWorld();
    const kubernetes = fakeKubernetes(async () => []);

    // Act
    await takeSnapshot(ports(kubernetes.port), REQUEST);

    // Assess
    const cluster = awsResponse<DescribeClusterCommandOutput>('eks-describe-cluster.json').cluster!;
    expect(kubernetes.calls).toEqual([
      {
        target: {
          clusterName: WORLD.clusterName,
          endpoint: cluster.endpoint,
          certificateAuthorityData: cluster.certificateAuthority!.data,
          region: WORLD.region,
        },
        nodegroupName: WORLD.nodegroupName,
      },
    ]);
  });

  it('makes the same number of AWS calls for 3 subnets x 20 instances as for 1 x 1', async () => {
    // Prepare
    mockWorldOfSize(1, 1);
    await takeSnapshot(ports(fakeKubernetes(async () => []).port), REQUEST);
    const small = awsCallCount();
    eksMock.reset();
    ec2Mock.reset();
    autoScalingMock.reset();
    mockWorldOfSize(3, 20);

    // Act
    const snapshot = await takeSnapshot(ports(fakeKubernetes(async () => []).port), REQUEST);

    // Assess
    expect(snapshot.instances).toHaveLength(60);
    expect(snapshot.network.subnets).toHaveLength(3);
    expect(awsCallCount()).toBe(small);
    // + one GetManagedPrefixListEntries (the fixture's groups reference one prefix list) + ListAccessEntries (identity side)
    expect(small).toBe(SNAPSHOT_AWS_CALLS + 2);
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeInstancesCommand, 1);
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeSecurityGroupsCommand, 1);
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeNetworkAclsCommand, 1);
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeSubnetsCommand, 1);
  });

  it('reads the VPC while the Kubernetes API call is in flight (concurrently)', async () => {
    // Prepare
    mockSeedWorld();
    let releaseKubernetes!: () => void;
    const kubernetesGate = new Promise<void>((resolve) => (releaseKubernetes = resolve));
    const kubernetes = fakeKubernetes(async () => {
      await kubernetesGate;
      return [];
    });
    const tables = awsResponse<DescribeRouteTablesCommandOutput>('ec2-describe-route-tables.json');
    ec2Mock.on(DescribeRouteTablesCommand).callsFake(async () => {
      // Only reachable if route tables are read while the Kubernetes call is still pending.
      releaseKubernetes();
      return tables;
    });

    // Act
    const snapshot = await takeSnapshot(ports(kubernetes.port), REQUEST);

    // Assess
    expect(snapshot.registration.source).toBe('kubernetes-api');
    expect(kubernetes.calls).toHaveLength(1);
  });

  it('falls back to node group health when the Kubernetes API fails, never guessing healthy', async () => {
    // Prepare
    mockSeedWorld();
    const kubernetes = fakeKubernetes(async () => {
      throw new KubernetesApiError('the API server answered 401 Unauthorized', 401);
    });

    // Act
    const snapshot = await takeSnapshot(ports(kubernetes.port), REQUEST);

    // Assess
    expect(snapshot.registration).toEqual({
      source: 'nodegroup-health',
      nodes: [],
      unavailableReason: 'the API server answered 401 Unauthorized',
    });
    expect(snapshot.instances).toHaveLength(2);
  });

  it('does not call the Kubernetes API when the cluster has no endpoint or CA yet', async () => {
    // Prepare
    mockSeedWorld();
    eksMock.on(DescribeClusterCommand).resolves(awsResponse<DescribeClusterCommandOutput>('eks-describe-cluster.creating.json'));
    const kubernetes = fakeKubernetes(async () => [READY_NODE]);

    // Act
    const snapshot = await takeSnapshot(ports(kubernetes.port), REQUEST);

    // Assess
    expect(kubernetes.calls).toHaveLength(0);
    expect(snapshot.registration.source).toBe('nodegroup-health');
    expect(snapshot.registration.unavailableReason).toMatch(/no API endpoint or certificate authority/);
  });

  it('lets errors other than KubernetesApiError propagate', async () => {
    // Prepare
    mockSeedWorld();
    const kubernetes = fakeKubernetes(async () => {
      throw new TypeError('bug in the adapter');
    });

    // Act
    const result = takeSnapshot(ports(kubernetes.port), REQUEST);

    // Assess
    await expect(result).rejects.toBeInstanceOf(TypeError);
  });

  it('throws NotFoundError when the node group does not exist', async () => {
    // Prepare
    mockSeedWorld();
    eksMock.on(DescribeNodegroupCommand).rejects(
      new ResourceNotFoundException({ $metadata: { httpStatusCode: 404 }, message: 'No node group found for name: new_nodegroup_2.' }),
    );

    // Act
    const result = takeSnapshot(ports(fakeKubernetes(async () => []).port), REQUEST);

    // Assess
    await expect(result).rejects.toBeInstanceOf(NotFoundError);
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeRouteTablesCommand, 0);
  });

  it('makes no instance call when the node group has no Auto Scaling group yet', async () => {
    // Prepare
    mockSeedWorld();
    const nodegroup = awsResponse<DescribeNodegroupCommandOutput>('eks-describe-nodegroup.json');
    nodegroup.nodegroup!.resources = { autoScalingGroups: [] };
    eksMock.on(DescribeNodegroupCommand).resolves(nodegroup);

    // Act
    const snapshot = await takeSnapshot(ports(fakeKubernetes(async () => []).port), REQUEST);

    // Assess
    expect(snapshot.instances).toEqual([]);
    expect(autoScalingMock).toHaveReceivedCommandTimes(DescribeAutoScalingGroupsCommand, 0);
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeInstancesCommand, 0);
  });
});
