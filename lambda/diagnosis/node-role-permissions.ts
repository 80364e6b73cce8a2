/**
 * NODE_ROLE_MISSING_PERMISSIONS: IAM's own policy simulation (iam:SimulatePrincipalPolicy) of
 * the node role denies an action node bootstrap needs.
 *
 * The actions, and where each comes from:
 * - ec2:DescribeInstances — nodeadm waits for and reads its own instance through EC2
 *   (awslabs/amazon-eks-ami, nodeadm/internal/aws/ec2/instance_waiter.go: DescribeInstances);
 *   granted by AmazonEKSWorkerNodePolicy.
 * - ecr:GetAuthorizationToken — nodeadm fetches an ECR token to pull the sandbox (pause) image
 *   from the EKS registry (nodeadm/internal/aws/ecr/ecr.go: GetAuthorizationToken, GetSandboxImage);
 * - ecr:BatchGetImage, ecr:GetDownloadUrlForLayer — the image pull itself (containerd with the ECR
 *   token); these three are granted by AmazonEC2ContainerRegistryReadOnly (or ...PullOnly).
 * Node registration itself authenticates with a presigned sts:GetCallerIdentity, which needs no
 * permission.
 */
import type { Snapshot } from '../model';
import type { Finding } from '../report';
import type { CheckContext } from './index';
import { iamResourceName } from './node-role-access';

export const NODE_BOOTSTRAP_ACTIONS: readonly string[] = [
  'ec2:DescribeInstances',
  'ecr:GetAuthorizationToken',
  'ecr:BatchGetImage',
  'ecr:GetDownloadUrlForLayer',
];

/** Which AWS managed policy grants each action (the fix hint attaches it). */
const MANAGED_POLICY_FOR: Record<string, string> = {
  'ec2:DescribeInstances': 'arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy',
  'ecr:GetAuthorizationToken': 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly',
  'ecr:BatchGetImage': 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly',
  'ecr:GetDownloadUrlForLayer': 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly',
};

export function checkNodeRolePermissions(snapshot: Snapshot, context: CheckContext): Finding[] {
  if (context.unregisteredInstanceIds.length === 0) return [];
  const roleArn = snapshot.nodegroup.nodeRole;
  const permissions = snapshot.identity?.permissions;
  if (!roleArn || permissions?.status !== 'read') return [];
  const denied = permissions.value.filter((d) => d.decision !== 'allowed');
  if (denied.length === 0) return [];
  const roleName = iamResourceName(roleArn);
  const explicit = denied.filter((d) => d.decision === 'explicitDeny');
  const policies = [...new Set(denied.filter((d) => d.decision === 'implicitDeny').map((d) => MANAGED_POLICY_FOR[d.action]).filter((p): p is string => !!p))];
  const fix = [
    ...policies.map((arn) => `aws iam attach-role-policy --role-name ${roleName} --policy-arn ${arn}`),
    ...explicit.map((d) => `remove or narrow the Deny statement of ${d.matchedStatements.map((s) => s.sourcePolicyId).join(', ') || 'the denying policy'} for ${d.action}`),
  ].join(' && ');
  return [
    {
      code: 'NODE_ROLE_MISSING_PERMISSIONS',
      severity: 'error',
      resourceId: roleArn,
      message:
        `IAM policy simulation of the node role ${roleArn} denies what node bootstrap needs: ` +
        `${denied.map((d) => `${d.action} (${d.decision}${d.matchedStatements.length ? ` by ${d.matchedStatements.map((s) => s.sourcePolicyId).join(', ')}` : ''})`).join(', ')}.`,
      remediable: false,
      evidence: {
        nodeRole: roleArn,
        deniedActions: denied.map((d) => ({
          action: d.action,
          decision: d.decision,
          decidingStatements: d.matchedStatements,
        })),
        simulatedActions: NODE_BOOTSTRAP_ACTIONS,
        fix,
      },
    },
  ];
}
