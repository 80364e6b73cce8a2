import { checkNodeRolePermissions } from '../../../lambda/diagnosis/node-role-permissions';
import { CONTEXT, NOTHING_UNREGISTERED, ROLE, snapshot } from '../../fixtures/snapshots/identity';

describe('checkNodeRolePermissions (IAM simulation)', () => {
  const denied = snapshot({
    permissions: {
      status: 'read',
      value: [
        { action: 'ec2:DescribeInstances', decision: 'allowed', matchedStatements: [{ sourcePolicyId: 'AmazonEKSWorkerNodePolicy' }] },
        { action: 'ecr:BatchGetImage', decision: 'explicitDeny', matchedStatements: [{ sourcePolicyId: 'deny-ecr', startLine: 1 }] },
        { action: 'ecr:GetAuthorizationToken', decision: 'implicitDeny', matchedStatements: [] },
      ],
    },
  });

  it('names each denied action with its deciding statement, and the fix', () => {
    const [finding] = checkNodeRolePermissions(denied, CONTEXT);
    expect(finding).toMatchObject({ code: 'NODE_ROLE_MISSING_PERMISSIONS', resourceId: ROLE, remediable: false });
    expect(finding!.evidence['deniedActions']).toEqual([
      { action: 'ecr:BatchGetImage', decision: 'explicitDeny', decidingStatements: [{ sourcePolicyId: 'deny-ecr', startLine: 1 }] },
      { action: 'ecr:GetAuthorizationToken', decision: 'implicitDeny', decidingStatements: [] },
    ]);
    expect(finding!.evidence['fix']).toContain('aws iam attach-role-policy --role-name new-nodegroup-2-role --policy-arn arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly');
    expect(finding!.evidence['fix']).toContain('deny-ecr');
  });

  it('is silent when everything is allowed or nothing is unregistered', () => {
    expect(checkNodeRolePermissions(snapshot({ permissions: { status: 'read', value: [{ action: 'ec2:DescribeInstances', decision: 'allowed', matchedStatements: [] }] } }), CONTEXT)).toEqual([]);
    expect(checkNodeRolePermissions(denied, NOTHING_UNREGISTERED)).toEqual([]);
  });
});

