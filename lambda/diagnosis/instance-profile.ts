/**
 * INSTANCE_PROFILE_MISMATCH: an unregistered instance has no instance profile, its profile no
 * longer exists, or the profile's role is not the node group's nodeRole (a launch template that
 * overrides the profile EKS made). Compared as EKS names roles: without their path.
 */
import type { Snapshot } from '../model';
import type { Finding } from '../report';
import type { CheckContext } from './index';
import { iamResourceName, sameRole } from './node-role-access';

export function checkInstanceProfile(snapshot: Snapshot, context: CheckContext): Finding[] {
  const roleArn = snapshot.nodegroup.nodeRole;
  if (!roleArn || context.unregisteredInstanceIds.length === 0) return [];
  const unregistered = snapshot.instances.filter((i) => context.unregisteredInstanceIds.includes(i.instanceId));
  const profiles = snapshot.identity?.instanceProfiles;
  const known = profiles?.status === 'read' ? new Map(profiles.value.map((p) => [p.instanceProfileName, p])) : undefined;
  const problems: { instanceId: string; instanceProfileArn: string | null; problem: string; profileRoleArns?: string[] }[] = [];
  for (const instance of unregistered) {
    const arn = instance.iamInstanceProfileArn;
    if (!arn) {
      // DescribeInstances omits IamInstanceProfile when the instance has none. Judged only when
      // the identity side was gathered (IAM consulted), so a partial snapshot never accuses.
      if (snapshot.identity?.nodeRole !== undefined) {
        problems.push({ instanceId: instance.instanceId, instanceProfileArn: null, problem: 'has no instance profile' });
      }
      continue;
    }
    const profile = known?.get(iamResourceName(arn));
    if (!profile) continue;
    if (profile.missing) {
      problems.push({ instanceId: instance.instanceId, instanceProfileArn: arn, problem: 'uses an instance profile that does not exist' });
    } else if (!profile.roleArns.some((r) => sameRole(r, roleArn))) {
      problems.push({
        instanceId: instance.instanceId,
        instanceProfileArn: arn,
        problem: profile.roleArns.length === 0 ? 'uses an instance profile without a role' : `uses a profile whose role is ${profile.roleArns.join(', ')}`,
        profileRoleArns: profile.roleArns,
      });
    }
  }
  if (problems.length === 0) return [];
  const first = problems[0]!;
  const profileName = first.instanceProfileArn ? iamResourceName(first.instanceProfileArn) : undefined;
  const roleName = iamResourceName(roleArn);
  return [
    {
      code: 'INSTANCE_PROFILE_MISMATCH',
      severity: 'error',
      resourceId: snapshot.nodegroup.nodegroupName,
      message:
        `Instances of the node group do not carry the node role ${roleArn}: ` +
        `${problems.map((p) => `${p.instanceId} ${p.problem}`).join('; ')}.`,
      remediable: false,
      evidence: {
        nodeRole: roleArn,
        instances: problems,
        fix:
          profileName && first.profileRoleArns
            ? `aws iam remove-role-from-instance-profile --instance-profile-name ${profileName} --role-name ${first.profileRoleArns[0] ? iamResourceName(first.profileRoleArns[0]) : '<role>'} && aws iam add-role-to-instance-profile --instance-profile-name ${profileName} --role-name ${roleName}` +
              ' (or fix the launch template\'s IamInstanceProfile, then replace the instances)'
            : `set the launch template's IamInstanceProfile to a profile holding ${roleName} (or remove it so EKS supplies one), then update the node group`,
      },
    },
  ];
}
