import { checkInstanceProfile } from '../../../lambda/diagnosis/instance-profile';
import { CONTEXT, snapshot } from '../../fixtures/snapshots/identity';

describe('checkInstanceProfile', () => {
  it('reports an instance whose profile holds another role', () => {
    const s = snapshot({ instanceProfiles: { status: 'read', value: [{ instanceProfileName: 'legacy', arn: 'arn:aws:iam::123456789012:instance-profile/legacy', roleArns: ['arn:aws:iam::123456789012:role/other'] }] } });
    s.instances[0]!.iamInstanceProfileArn = 'arn:aws:iam::123456789012:instance-profile/legacy';
    const [finding] = checkInstanceProfile(s, CONTEXT);
    expect(finding).toMatchObject({ code: 'INSTANCE_PROFILE_MISMATCH', severity: 'error' });
    expect(finding!.evidence['fix']).toContain('aws iam add-role-to-instance-profile --instance-profile-name legacy --role-name new-nodegroup-2-role');
  });

  it('accepts a profile holding the node role (paths aside)', () => {
    const s = snapshot({ instanceProfiles: { status: 'read', value: [{ instanceProfileName: 'eks-1', arn: 'x', roleArns: ['arn:aws:iam::123456789012:role/p/new-nodegroup-2-role'] }] } });
    s.instances[0]!.iamInstanceProfileArn = 'arn:aws:iam::123456789012:instance-profile/eks-1';
    expect(checkInstanceProfile(s, CONTEXT)).toEqual([]);
  });

  it('reports an instance without any profile once IAM was consulted, and stays silent on a partial snapshot', () => {
    const gathered = snapshot({ nodeRole: { status: 'read', value: { roleName: 'new-nodegroup-2-role', arn: 'x', assumeRolePolicyDocument: {} } } });
    delete gathered.instances[0]!.iamInstanceProfileArn;
    expect(checkInstanceProfile(gathered, CONTEXT)[0]!.evidence['instances']).toEqual([
      { instanceId: gathered.instances[0]!.instanceId, instanceProfileArn: null, problem: 'has no instance profile' },
    ]);
    const partial = snapshot();
    delete partial.instances[0]!.iamInstanceProfileArn;
    expect(checkInstanceProfile(partial, CONTEXT)).toEqual([]);
  });
});
