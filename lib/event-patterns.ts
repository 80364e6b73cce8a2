/**
 * The EventBridge patterns that wake the remediator (contract section 6, inputs 1 and 2).
 * Pure data so tests can match them against real CloudTrail envelopes.
 */
import type { EventPattern } from 'aws-cdk-lib/aws-events';
import { NODEGROUP_API_EVENT_NAMES } from '../lambda/inputs';

// One list for the rule and the handler's own check.
export { NODEGROUP_API_EVENT_NAMES };

/** EKS names every managed node group's Auto Scaling group `eks-<nodegroup>-<uuid>` (older: `eks-<uuid>`). */
export const NODEGROUP_ASG_NAME_PREFIX = 'eks-';

/**
 * Successful node group API calls, except those made by the remediator's own role.
 *
 * - `errorCode` is absent on successful CloudTrail records, so `exists: false` drops failed calls.
 * - EventBridge only matches `anything-but` when the field exists, so callers without a session
 *   issuer (IAM users, root, AWS services) need their own `$or` branch or they would be dropped.
 */
export function nodegroupApiCallPattern(ownRoleArn: string): EventPattern {
  return {
    source: ['aws.eks'],
    detailType: ['AWS API Call via CloudTrail'],
    detail: {
      eventSource: ['eks.amazonaws.com'],
      eventName: [...NODEGROUP_API_EVENT_NAMES],
      errorCode: [{ exists: false }],
      $or: [
        { userIdentity: { sessionContext: { sessionIssuer: { arn: [{ 'anything-but': ownRoleArn }] } } } },
        { userIdentity: { sessionContext: { sessionIssuer: { arn: [{ exists: false }] } } } },
      ],
    },
  };
}

/** Instances launched into a node group's Auto Scaling group (scale-ups by cluster-autoscaler included). */
export function nodegroupInstanceLaunchPattern(): EventPattern {
  return {
    source: ['aws.autoscaling'],
    detailType: ['EC2 Instance Launch Successful'],
    detail: {
      AutoScalingGroupName: [{ prefix: NODEGROUP_ASG_NAME_PREFIX }],
    },
  };
}
