import {
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  SetDesiredCapacityCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeNodegroupCommand } from '@aws-sdk/client-eks';
import type { RunningEmulator } from '../../../emulator/index';
import { type Clients, clientsFor, destroyClients, rejectionOf, SEED, startTestEmulator } from './support/harness';

describe('emulator Auto Scaling (SDK v3 over the AWS Query protocol)', () => {
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

  async function brokenGroupName(): Promise<string> {
    const out = await clients.eks.send(new DescribeNodegroupCommand({ clusterName: SEED.cluster, nodegroupName: SEED.brokenNodegroup }));
    return out.nodegroup?.resources?.autoScalingGroups?.[0]?.name as string;
  }

  it("names each node group's group eks-<nodegroup>-<uuid> with the EKS tags, and filters by tag", async () => {
    // Act
    const name = await brokenGroupName();
    const byName = await clients.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
    const byTag = await clients.autoscaling.send(
      new DescribeAutoScalingGroupsCommand({
        Filters: [
          { Name: 'tag:eks:cluster-name', Values: [SEED.cluster] },
          { Name: 'tag:eks:nodegroup-name', Values: [SEED.brokenNodegroup] },
        ],
      }),
    );

    // Assess
    expect(name).toMatch(/^eks-new_nodegroup_2-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const group = byName.AutoScalingGroups?.[0];
    expect(group).toMatchObject({ AutoScalingGroupName: name, MinSize: 0, MaxSize: 1, DesiredCapacity: 1, VPCZoneIdentifier: SEED.newSubnetId });
    expect(group?.Tags).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Key: 'eks:cluster-name', Value: SEED.cluster }),
        expect.objectContaining({ Key: 'eks:nodegroup-name', Value: SEED.brokenNodegroup }),
        expect.objectContaining({ Key: `kubernetes.io/cluster/${SEED.cluster}`, Value: 'owned' }),
      ]),
    );
    expect(group?.Instances).toEqual([expect.objectContaining({ LifecycleState: 'InService', HealthStatus: 'Healthy', AvailabilityZone: 'us-west-2a' })]);
    expect(byTag.AutoScalingGroups?.map((g) => g.AutoScalingGroupName)).toEqual([name]);
  });

  it('pages groups with MaxRecords and NextToken', async () => {
    // Act
    const first = await clients.autoscaling.send(new DescribeAutoScalingGroupsCommand({ MaxRecords: 1 }));
    const second = await clients.autoscaling.send(new DescribeAutoScalingGroupsCommand({ MaxRecords: 1, NextToken: first.NextToken }));

    // Assess
    expect(first.AutoScalingGroups).toHaveLength(1);
    expect(first.NextToken).toEqual(expect.any(String));
    expect(second.AutoScalingGroups).toHaveLength(1);
    expect(second.NextToken).toBeUndefined();
    expect(second.AutoScalingGroups?.[0]?.AutoScalingGroupName).not.toBe(first.AutoScalingGroups?.[0]?.AutoScalingGroupName);
  });

  it('describes the launch activity the way the seed shows it', async () => {
    // Act
    const name = await brokenGroupName();
    const out = await clients.autoscaling.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: name }));

    // Assess
    expect(out.Activities).toHaveLength(1);
    const activity = out.Activities?.[0];
    expect(activity?.Description).toMatch(/^Launching a new EC2 instance: i-0[0-9a-f]{16}$/);
    expect(activity?.Cause).toMatch(/an instance was started in response to a difference between desired and actual capacity, increasing the capacity from 0 to 1\.$/);
    expect(activity?.StatusCode).toBe('Successful');
    expect(activity?.StartTime).toBeInstanceOf(Date);
    expect(JSON.parse(activity?.Details ?? '{}')).toEqual({ 'Subnet ID': SEED.newSubnetId, 'Availability Zone': 'us-west-2a' });
  });

  it('TerminateInstanceInAutoScalingGroup without decrement launches a replacement with a new id', async () => {
    // Prepare
    const name = await brokenGroupName();
    const before = await clients.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
    const oldId = before.AutoScalingGroups?.[0]?.Instances?.[0]?.InstanceId as string;

    // Act
    const out = await clients.autoscaling.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: oldId, ShouldDecrementDesiredCapacity: false }));
    const during = await clients.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
    emulator.advance(5);
    const after = await clients.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
    const activities = await clients.autoscaling.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: name }));

    // Assess
    expect(out.Activity?.Description).toBe(`Terminating EC2 instance: ${oldId}`);
    expect(out.Activity?.Cause).toContain('taken out of service in response to a user request');
    expect(during.AutoScalingGroups?.[0]?.Instances?.map((i) => [i.InstanceId === oldId, i.LifecycleState])).toEqual(
      expect.arrayContaining([
        [true, 'Terminating'],
        [false, 'Pending'],
      ]),
    );
    const remaining = after.AutoScalingGroups?.[0]?.Instances ?? [];
    expect(remaining).toHaveLength(1);
    expect(remaining[0]?.InstanceId).not.toBe(oldId);
    expect(remaining[0]?.LifecycleState).toBe('InService');
    expect(after.AutoScalingGroups?.[0]?.DesiredCapacity).toBe(1);
    expect(activities.Activities?.map((a) => a.Description)).toEqual([
      `Launching a new EC2 instance: ${remaining[0]?.InstanceId}`,
      `Terminating EC2 instance: ${oldId}`,
      `Launching a new EC2 instance: ${oldId}`,
    ]);
    expect(activities.Activities?.every((a) => a.StatusCode === 'Successful')).toBe(true);
  });

  it('TerminateInstanceInAutoScalingGroup with decrement shrinks the group (and the node group)', async () => {
    // Prepare
    const name = await brokenGroupName();
    const before = await clients.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
    const oldId = before.AutoScalingGroups?.[0]?.Instances?.[0]?.InstanceId as string;

    // Act
    await clients.autoscaling.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: oldId, ShouldDecrementDesiredCapacity: true }));
    emulator.advance(5);
    const after = await clients.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
    const nodegroup = await clients.eks.send(new DescribeNodegroupCommand({ clusterName: SEED.cluster, nodegroupName: SEED.brokenNodegroup }));

    // Assess
    expect(after.AutoScalingGroups?.[0]?.DesiredCapacity).toBe(0);
    expect(after.AutoScalingGroups?.[0]?.Instances).toEqual([]);
    expect(nodegroup.nodegroup?.scalingConfig?.desiredSize).toBe(0);
  });

  it('answers unknown instances and out-of-range capacities with ValidationError', async () => {
    // Prepare
    const name = await brokenGroupName();

    // Act
    const unknown = await rejectionOf(
      clients.autoscaling.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: 'i-0123456789abcdef0', ShouldDecrementDesiredCapacity: false })),
    );
    const tooMany = await rejectionOf(clients.autoscaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: name, DesiredCapacity: 5 })));

    // Assess
    expect(unknown.name).toBe('ValidationError');
    expect(unknown.message).toContain('i-0123456789abcdef0');
    expect(tooMany.name).toBe('ValidationError');
    expect(tooMany.message).toBe('New SetDesiredCapacity value 5 is above max value 1 for the AutoScalingGroup.');
  });

  it('SetDesiredCapacity launches and terminates to match', async () => {
    // Prepare
    const name = await brokenGroupName();

    // Act
    await clients.autoscaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: name, DesiredCapacity: 0 }));
    emulator.advance(5);
    const empty = await clients.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
    await clients.autoscaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: name, DesiredCapacity: 1 }));
    const refilled = await clients.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));

    // Assess
    expect(empty.AutoScalingGroups?.[0]?.Instances).toEqual([]);
    expect(refilled.AutoScalingGroups?.[0]?.Instances).toEqual([expect.objectContaining({ LifecycleState: 'Pending' })]);
  });
});
