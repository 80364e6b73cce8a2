/**
 * The AutoScalingPort adapter: the node group's Auto Scaling groups and the one mutating call,
 * TerminateInstanceInAutoScalingGroup keeping the desired capacity (so the group launches a
 * replacement). Auto Scaling is a query-protocol service: "instance not in a group" arrives as
 * a generic ValidationError and is told apart by its message.
 */
import {
  AutoScalingClient,
  ResourceContentionFault,
  ScalingActivityInProgressFault,
  TerminateInstanceInAutoScalingGroupCommand,
  paginateDescribeAutoScalingGroups,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import { NotFoundError, ResourceInUseError } from '../errors';
import type { AutoScalingGroupInfo } from '../model';
import type { AutoScalingPort } from '../ports';
import { awsCallError, awsClientConfig, instrumented, awsErrorCode, awsErrorMessage, chunk, tagRecord, type AwsClientOptions } from './clients';

/** DescribeAutoScalingGroups accepts at most 50 group names per call. */
export const MAX_GROUP_NAMES_PER_CALL = 50;

/** How Auto Scaling words "this instance is not (or no longer) in any group". */
const INSTANCE_NOT_IN_GROUP = /not found|not part of|no managed instance|does not exist/i;

export function autoScalingGroupInfoFromGroup(group: AutoScalingGroup): AutoScalingGroupInfo {
  return {
    name: group.AutoScalingGroupName ?? '',
    minSize: group.MinSize ?? 0,
    maxSize: group.MaxSize ?? 0,
    desiredCapacity: group.DesiredCapacity ?? 0,
    tags: tagRecord(group.Tags),
    instances: (group.Instances ?? []).map((instance) => ({
      instanceId: instance.InstanceId ?? '',
      lifecycleState: instance.LifecycleState ?? 'Unknown',
      healthStatus: instance.HealthStatus ?? 'Unknown',
      availabilityZone: instance.AvailabilityZone ?? '',
    })),
    // "subnet-a,subnet-b": every subnet the group may launch a replacement into.
    subnetIds: (group.VPCZoneIdentifier ?? '').split(',').map((id) => id.trim()).filter((id) => id !== ''),
  };
}

export class AutoScalingAdapter implements AutoScalingPort {
  private readonly client: AutoScalingClient;

  constructor(client?: AutoScalingClient, options: AwsClientOptions = {}) {
    this.client = client ?? instrumented(new AutoScalingClient(awsClientConfig(options)), options);
  }

  /** Unknown names are simply absent from the answer (the API does not fail on them). */
  async describeAutoScalingGroups(names: string[]): Promise<AutoScalingGroupInfo[]> {
    const groups: AutoScalingGroupInfo[] = [];
    try {
      for (const batch of chunk([...new Set(names)], MAX_GROUP_NAMES_PER_CALL)) {
        const input = { AutoScalingGroupNames: batch };
        for await (const page of paginateDescribeAutoScalingGroups({ client: this.client, stopOnSameToken: true }, input)) {
          groups.push(...(page.AutoScalingGroups ?? []).map(autoScalingGroupInfoFromGroup));
        }
      }
    } catch (error) {
      throw awsCallError('DescribeAutoScalingGroups', error);
    }
    return groups;
  }

  async terminateInstanceKeepCapacity(instanceId: string): Promise<void> {
    try {
      await this.client.send(
        new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: instanceId, ShouldDecrementDesiredCapacity: false }),
      );
    } catch (error) {
      if (error instanceof ScalingActivityInProgressFault || error instanceof ResourceContentionFault) {
        throw new ResourceInUseError(`TerminateInstanceInAutoScalingGroup: ${instanceId}: ${error.message}`, { cause: error });
      }
      if (awsErrorCode(error) === 'ValidationError' && INSTANCE_NOT_IN_GROUP.test(awsErrorMessage(error))) {
        throw new NotFoundError(`instance ${instanceId} is not in an Auto Scaling group: ${awsErrorMessage(error)}`, instanceId, {
          cause: error,
        });
      }
      throw awsCallError('TerminateInstanceInAutoScalingGroup', error);
    }
  }
}

export function createAutoScalingAdapter(options: AwsClientOptions = {}): AutoScalingAdapter {
  return new AutoScalingAdapter(undefined, options);
}
