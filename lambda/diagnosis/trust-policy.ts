/**
 * NODE_ROLE_TRUST_POLICY: EC2 cannot assume the node role, so the instance gets no credentials
 * and nodeadm fails at its first AWS call. The trust policy must allow `sts:AssumeRole` to the
 * service principal `ec2.amazonaws.com` (EKS User Guide, "Amazon EKS node IAM role").
 * A role that does not exist at all (GetRole: NoSuchEntity) is reported here too.
 */
import type { Snapshot } from '../model';
import type { Finding } from '../report';
import type { CheckContext } from './index';
import { iamResourceName } from './node-role-access';

export const EC2_SERVICE_PRINCIPAL = 'ec2.amazonaws.com';

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}

function actionAllowsAssumeRole(action: unknown): boolean {
  return typeof action === 'string' && /^(sts:AssumeRole|sts:\*|\*)$/i.test(action);
}

/** Whether a trust policy document lets ec2.amazonaws.com call sts:AssumeRole (an explicit Deny wins). */
export function trustsEc2(document: unknown): boolean {
  const statements = list((document as { Statement?: unknown } | undefined)?.Statement) as Record<string, unknown>[];
  const matches = (s: Record<string, unknown>): boolean => {
    const principal = s.Principal as Record<string, unknown> | string | undefined;
    const services = typeof principal === 'object' && principal !== null ? list(principal.Service) : [];
    const coversEc2 = principal === '*' || services.includes(EC2_SERVICE_PRINCIPAL);
    return coversEc2 && list(s.Action).some(actionAllowsAssumeRole);
  };
  const allowed = statements.some((s) => s.Effect === 'Allow' && matches(s) && s.Condition === undefined);
  const denied = statements.some((s) => s.Effect === 'Deny' && matches(s));
  return allowed && !denied;
}

export function checkNodeRoleTrustPolicy(snapshot: Snapshot, context: CheckContext): Finding[] {
  if (context.unregisteredInstanceIds.length === 0) return [];
  const roleArn = snapshot.nodegroup.nodeRole;
  const role = snapshot.identity?.nodeRole;
  if (!roleArn || role?.status !== 'read') return [];
  const roleName = iamResourceName(roleArn);
  const trustDocument = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: EC2_SERVICE_PRINCIPAL }, Action: 'sts:AssumeRole' }],
  });
  if (role.value === null) {
    return [
      {
        code: 'NODE_ROLE_TRUST_POLICY',
        severity: 'error',
        resourceId: roleArn,
        message: `The node role ${roleArn} does not exist (GetRole: NoSuchEntity), so EC2 cannot give the instances its credentials.`,
        remediable: false,
        evidence: { nodeRole: roleArn, roleExists: false, fix: `aws iam create-role --role-name ${roleName} --assume-role-policy-document '${trustDocument}' (then attach the node policies)` },
      },
    ];
  }
  if (trustsEc2(role.value.assumeRolePolicyDocument)) return [];
  return [
    {
      code: 'NODE_ROLE_TRUST_POLICY',
      severity: 'error',
      resourceId: roleArn,
      message: `The trust policy of the node role ${roleArn} does not let ${EC2_SERVICE_PRINCIPAL} assume it, so the instances get no credentials and bootstrap fails.`,
      remediable: false,
      evidence: {
        nodeRole: roleArn,
        assumeRolePolicyDocument: role.value.assumeRolePolicyDocument,
        fix: `aws iam update-assume-role-policy --role-name ${roleName} --policy-document '${trustDocument}'`,
      },
    },
  ];
}
