import {
  AutoScalingClient,
  AutoScalingServiceException,
  DescribeAutoScalingGroupsCommand,
  ScalingActivityInProgressFault,
  TerminateInstanceInAutoScalingGroupCommand,
  type AutoScalingGroup,
  type DescribeAutoScalingGroupsCommandOutput,
} from '@aws-sdk/client-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import { AutoScalingAdapter, MAX_GROUP_NAMES_PER_CALL } from '../../../lambda/aws/autoscaling';
import { AwsCallError, NotFoundError, ResourceInUseError } from '../../../lambda/errors';
import { awsResponse, WORLD } from '../../fixtures/aws/responses';

const autoScalingMock = mockClient(AutoScalingClient);

function adapter(): AutoScalingAdapter {
  return new AutoScalingAdapter(new AutoScalingClient({ region: WORLD.region }));
}

function validationError(message: string): AutoScalingServiceException {
  return new AutoScalingServiceException({ name: 'ValidationError', $fault: 'client', $metadata: { httpStatusCode: 400 }, message });
}

beforeEach(() => {
  autoScalingMock.reset();
});

describe('describeAutoScalingGroups', () => {
  it('maps sizes, tags and instances with their lifecycle state', async () => {
    // Prepare
    autoScalingMock
      .on(DescribeAutoScalingGroupsCommand)
      .resolves(awsResponse<DescribeAutoScalingGroupsCommandOutput>('autoscaling-describe-auto-scaling-groups.json'));

    // Act
    const groups = await adapter().describeAutoScalingGroups([WORLD.asgName]);

    // Assess
    expect(autoScalingMock).toHaveReceivedCommandWith(DescribeAutoScalingGroupsCommand, { AutoScalingGroupNames: [WORLD.asgName] });
    expect(groups).toEqual([
      {
        name: WORLD.asgName,
        minSize: 0,
        maxSize: 1,
        desiredCapacity: 1,
        tags: {
          'eks:cluster-name': WORLD.clusterName,
          'eks:nodegroup-name': WORLD.nodegroupName,
          'k8s.io/cluster-autoscaler/enabled': 'true',
        },
        instances: [{ instanceId: WORLD.instanceId, lifecycleState: 'InService', healthStatus: 'Healthy', availabilityZone: 'us-west-2a' }],
        // VPCZoneIdentifier: every subnet a replacement can land in
        subnetIds: [WORLD.newSubnetId],
      },
    ]);
  });

  it('asks for at most 50 names per call and follows NextToken', async () => {
    // Prepare
    const names = Array.from({ length: MAX_GROUP_NAMES_PER_CALL + 1 }, (_, i) => `eks-ng-${i}`);
    const group = (name: string): AutoScalingGroup => ({
      AutoScalingGroupName: name,
      MinSize: 0,
      MaxSize: 1,
      DesiredCapacity: 1,
      DefaultCooldown: 300,
      AvailabilityZones: ['us-west-2a'],
      HealthCheckType: 'EC2',
      CreatedTime: new Date('2026-11-29T05:41:14Z'),
      Instances: [],
    });
    autoScalingMock
      .on(DescribeAutoScalingGroupsCommand)
      .resolvesOnce({ AutoScalingGroups: names.slice(0, 30).map(group), NextToken: 'more' })
      .resolvesOnce({ AutoScalingGroups: names.slice(30, MAX_GROUP_NAMES_PER_CALL).map(group) })
      .resolvesOnce({ AutoScalingGroups: names.slice(MAX_GROUP_NAMES_PER_CALL).map(group) });

    // Act
    const groups = await adapter().describeAutoScalingGroups(names);

    // Assess
    expect(autoScalingMock).toHaveReceivedCommandTimes(DescribeAutoScalingGroupsCommand, 3);
    const batchSizes = autoScalingMock
      .commandCalls(DescribeAutoScalingGroupsCommand)
      .map((call) => call.args[0].input.AutoScalingGroupNames?.length);
    expect(batchSizes).toEqual([MAX_GROUP_NAMES_PER_CALL, MAX_GROUP_NAMES_PER_CALL, 1]);
    expect(groups.map((g) => g.name)).toEqual(names);
  });
});

describe('terminateInstanceKeepCapacity', () => {
  it('terminates without decrementing the desired capacity', async () => {
    // Prepare
    autoScalingMock.on(TerminateInstanceInAutoScalingGroupCommand).resolves({
      Activity: {
        ActivityId: 'a1b2c3d4-0000-4000-8000-000000000001',
        AutoScalingGroupName: WORLD.asgName,
        Cause: 'instance was taken out of service in response to a user request.',
        StartTime: new Date('2026-11-29T06:01:00Z'),
        StatusCode: 'InProgress',
        Progress: 0,
      },
    });

    // Act
    await adapter().terminateInstanceKeepCapacity(WORLD.instanceId);

    // Assess
    expect(autoScalingMock).toHaveReceivedCommandWith(TerminateInstanceInAutoScalingGroupCommand, {
      InstanceId: WORLD.instanceId,
      ShouldDecrementDesiredCapacity: false,
    });
  });

  it('maps "instance not in a group" ValidationError to NotFoundError', async () => {
    // Prepare
    autoScalingMock
      .on(TerminateInstanceInAutoScalingGroupCommand)
      .rejects(validationError(`Instance Id not found - No managed instance found for instance ID: ${WORLD.instanceId}`));

    // Act
    const result = adapter().terminateInstanceKeepCapacity(WORLD.instanceId);

    // Assess
    await expect(result).rejects.toBeInstanceOf(NotFoundError);
    await expect(result).rejects.toMatchObject({ resourceId: WORLD.instanceId });
  });

  it('maps a scaling activity in progress to ResourceInUseError and other validation errors to AwsCallError', async () => {
    // Prepare
    autoScalingMock
      .on(TerminateInstanceInAutoScalingGroupCommand)
      .rejectsOnce(new ScalingActivityInProgressFault({ $metadata: { httpStatusCode: 400 }, message: 'Scaling activity in progress' }))
      .rejectsOnce(validationError('1 validation error detected: Value at instanceId failed to satisfy constraint'));

    // Act
    const busy = adapter().terminateInstanceKeepCapacity(WORLD.instanceId);
    await expect(busy).rejects.toBeInstanceOf(ResourceInUseError);
    const invalid = adapter().terminateInstanceKeepCapacity('i-bad');

    // Assess
    await expect(invalid).rejects.toBeInstanceOf(AwsCallError);
    await expect(invalid).rejects.toMatchObject({ operation: 'TerminateInstanceInAutoScalingGroup', awsErrorCode: 'ValidationError' });
  });
});
