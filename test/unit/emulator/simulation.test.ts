import { TerminateInstanceInAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { CreateRouteCommand, DescribeInstancesCommand, ReplaceRouteCommand } from '@aws-sdk/client-ec2';
import { UpdateNodegroupConfigCommand } from '@aws-sdk/client-eks';
import type { RunningEmulator } from '../../../emulator/index';
import { bundledScenario, type Clients, clientsFor, destroyClients, SEED, startTestEmulator } from './support/harness';

type Node = { metadata: { name: string; labels: Record<string, string> }; spec: { providerID: string }; status: { conditions: { type: string; status: string }[]; nodeInfo: { kubeletVersion: string }; addresses: { type: string; address: string }[] } };

function nodesOf(emulator: RunningEmulator, nodegroup: string): Node[] {
  return (emulator.world.nodesOf(SEED.cluster) as unknown as Node[]).filter((n) => n.metadata.labels['eks.amazonaws.com/nodegroup'] === nodegroup);
}

function liveInstanceIds(emulator: RunningEmulator, nodegroup: string): string[] {
  return [...emulator.world.instances.values()]
    .filter((i) => i.nodegroupName === nodegroup && (i.state === 'pending' || i.state === 'running'))
    .map((i) => i.instanceId);
}

describe('emulator world simulation', () => {
  let emulator: RunningEmulator;
  let clients: Clients;

  afterEach(async () => {
    destroyClients(clients);
    await emulator.close();
  });

  async function start(name: Parameters<typeof bundledScenario>[0]): Promise<void> {
    emulator = await startTestEmulator(bundledScenario(name));
    clients = clientsFor(emulator, 'remediator');
  }

  it('seed: the working node group registered, the new one never does however long we wait', async () => {
    // Prepare
    await start('seed');

    // Act
    emulator.advance(3600);

    // Assess
    expect(nodesOf(emulator, SEED.workingNodegroup)).toHaveLength(3);
    expect(nodesOf(emulator, SEED.brokenNodegroup)).toEqual([]);
    const [instanceId] = liveInstanceIds(emulator, SEED.brokenNodegroup);
    expect(emulator.world.instances.get(instanceId as string)).toMatchObject({ state: 'running', bootstrap: 'no-path' });
  });

  it('seed: a route alone does not help the instance that already gave up; its replacement registers', async () => {
    // Prepare
    await start('seed');
    const [stuck] = liveInstanceIds(emulator, SEED.brokenNodegroup);

    // Act
    await clients.ec2.send(new CreateRouteCommand({ RouteTableId: SEED.newRouteTableId, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: SEED.natGatewayId }));
    emulator.advance(60);
    const afterRouteOnly = nodesOf(emulator, SEED.brokenNodegroup);
    await clients.autoscaling.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: stuck, ShouldDecrementDesiredCapacity: false }));
    const [replacement] = liveInstanceIds(emulator, SEED.brokenNodegroup);
    emulator.advance(1);
    const afterBoot = nodesOf(emulator, SEED.brokenNodegroup);
    emulator.advance(1);
    const afterJoin = nodesOf(emulator, SEED.brokenNodegroup);

    // Assess
    expect(afterRouteOnly).toEqual([]);
    expect(replacement).not.toBe(stuck);
    expect(afterBoot).toEqual([]);
    expect(afterJoin).toHaveLength(1);
    const node = afterJoin[0] as Node;
    expect(node.spec.providerID).toBe(`aws:///us-west-2a/${replacement}`);
    expect(node.metadata.name).toMatch(/^ip-10-42-\d+-\d+\.us-west-2\.compute\.internal$/);
    expect(node.metadata.labels).toMatchObject({
      'eks.amazonaws.com/nodegroup': SEED.brokenNodegroup,
      'topology.kubernetes.io/zone': 'us-west-2a',
      'node.kubernetes.io/instance-type': 'm5.large',
    });
    expect(node.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(node.status.nodeInfo.kubeletVersion).toMatch(/^v1\.30\./);
    const instance = await clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: [replacement as string] }));
    const privateIp = instance.Reservations?.[0]?.Instances?.[0]?.PrivateIpAddress;
    expect(node.status.addresses).toContainEqual({ type: 'InternalIP', address: privateIp });
  });

  it('seed: the scale cycle of the manual fix (desiredSize 0, then 1) brings a registered node', async () => {
    // Prepare
    await start('seed');
    await clients.ec2.send(new CreateRouteCommand({ RouteTableId: SEED.newRouteTableId, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: SEED.natGatewayId }));

    // Act
    await clients.eks.send(new UpdateNodegroupConfigCommand({ clusterName: SEED.cluster, nodegroupName: SEED.brokenNodegroup, scalingConfig: { desiredSize: 0 } }));
    emulator.advance(2);
    const emptied = liveInstanceIds(emulator, SEED.brokenNodegroup);
    await clients.eks.send(new UpdateNodegroupConfigCommand({ clusterName: SEED.cluster, nodegroupName: SEED.brokenNodegroup, scalingConfig: { desiredSize: 1 } }));
    emulator.advance(3);

    // Assess
    expect(emptied).toEqual([]);
    expect(nodesOf(emulator, SEED.brokenNodegroup)).toHaveLength(1);
  });

  it('blackhole: the default route to a deleted NAT gateway is a blackhole; retargeted and replaced, the node registers', async () => {
    // Prepare
    await start('blackhole');
    const [stuck] = liveInstanceIds(emulator, SEED.brokenNodegroup);
    const table = emulator.world.routeTables.get(SEED.newRouteTableId);

    // Act
    await clients.ec2.send(new ReplaceRouteCommand({ RouteTableId: SEED.newRouteTableId, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: SEED.natGatewayId }));
    await clients.autoscaling.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: stuck, ShouldDecrementDesiredCapacity: false }));
    emulator.advance(3);

    // Assess
    expect(table?.routes).toEqual([expect.objectContaining({ natGatewayId: SEED.natGatewayId })]);
    expect(emulator.world.instances.get(stuck as string)?.bootstrapDetail).toContain('blackhole');
    expect(nodesOf(emulator, SEED.brokenNodegroup)).toHaveLength(1);
  });

  it('healthy: every instance registered; no-usable-nat: forced joins stay, the new subnet never joins', async () => {
    // Prepare
    await start('healthy');
    const healthyNodes = nodesOf(emulator, SEED.brokenNodegroup).length + nodesOf(emulator, SEED.workingNodegroup).length;
    destroyClients(clients);
    await emulator.close();
    await start('no-usable-nat');

    // Act
    emulator.advance(600);

    // Assess
    expect(healthyNodes).toBe(4);
    expect(nodesOf(emulator, SEED.workingNodegroup)).toHaveLength(3);
    expect(nodesOf(emulator, SEED.brokenNodegroup)).toEqual([]);
  });

  it('a new instance in a subnet whose NAT gateway was deleted does not register', async () => {
    // Prepare
    await start('healthy');
    const [old] = liveInstanceIds(emulator, SEED.brokenNodegroup);

    // Act
    emulator.world.deleteNatGateway(SEED.natGatewayId);
    await clients.autoscaling.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: old, ShouldDecrementDesiredCapacity: false }));
    emulator.advance(10);

    // Assess
    expect(nodesOf(emulator, SEED.brokenNodegroup)).toEqual([]);
    const [replacement] = liveInstanceIds(emulator, SEED.brokenNodegroup);
    expect(emulator.world.instances.get(replacement as string)?.bootstrap).toBe('no-path');
  });

  it('emits "EC2 Instance Launch Successful" for every launch, including the ones at start', async () => {
    // Prepare
    await start('seed');
    const [stuck] = liveInstanceIds(emulator, SEED.brokenNodegroup);

    // Act
    await clients.autoscaling.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: stuck, ShouldDecrementDesiredCapacity: false }));
    emulator.advance(5);

    // Assess
    const launches = emulator.events().filter((e) => e['detail-type'] === 'EC2 Instance Launch Successful');
    expect(launches).toHaveLength(5);
    const last = launches[4];
    const [replacement] = liveInstanceIds(emulator, SEED.brokenNodegroup);
    expect(last).toMatchObject({
      source: 'aws.autoscaling',
      detail: { EC2InstanceId: replacement, AutoScalingGroupName: expect.stringMatching(/^eks-new_nodegroup_2-/), Details: { 'Subnet ID': SEED.newSubnetId } },
    });
    expect(emulator.events().filter((e) => e['detail-type'] === 'EC2 Instance Terminate Successful').map((e) => e.detail.EC2InstanceId)).toEqual([stuck]);
  });

  it('scenario instance overrides: forced outcome and explicit ids', async () => {
    // Prepare
    const scenario = bundledScenario('seed');
    const broken = scenario.clusters[0]?.nodegroups[1];
    if (broken) broken.instances = [{ instanceId: 'i-0aaaaaaaaaaaaaaa1', joins: true, ageSeconds: 30 }];
    emulator = await startTestEmulator(scenario);
    clients = clientsFor(emulator);

    // Assess
    expect(nodesOf(emulator, SEED.brokenNodegroup).map((n) => n.spec.providerID)).toEqual(['aws:///us-west-2a/i-0aaaaaaaaaaaaaaa1']);
  });
});
