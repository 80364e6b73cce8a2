import { checkNodeRoleTrustPolicy, trustsEc2 } from '../../../lambda/diagnosis/trust-policy';
import { CONTEXT, ROLE, snapshot } from '../../fixtures/snapshots/identity';

describe('checkNodeRoleTrustPolicy', () => {
  const trust = (principal: unknown, effect = 'Allow') => ({ Version: '2012-10-17', Statement: [{ Effect: effect, Principal: principal, Action: 'sts:AssumeRole' }] });

  it('accepts ec2.amazonaws.com (alone or in a list) and refuses other services or a Deny', () => {
    expect(trustsEc2(trust({ Service: 'ec2.amazonaws.com' }))).toBe(true);
    expect(trustsEc2(trust({ Service: ['eks.amazonaws.com', 'ec2.amazonaws.com'] }))).toBe(true);
    expect(trustsEc2(trust({ Service: 'lambda.amazonaws.com' }))).toBe(false);
    expect(trustsEc2({ Statement: [...trust({ Service: 'ec2.amazonaws.com' }).Statement, ...trust({ Service: 'ec2.amazonaws.com' }, 'Deny').Statement] })).toBe(false);
  });

  it('reports a role EC2 cannot assume, and a role that does not exist', () => {
    const wrong = checkNodeRoleTrustPolicy(snapshot({ nodeRole: { status: 'read', value: { roleName: 'x', arn: ROLE, assumeRolePolicyDocument: trust({ Service: 'lambda.amazonaws.com' }) } } }), CONTEXT);
    expect(wrong[0]).toMatchObject({ code: 'NODE_ROLE_TRUST_POLICY', resourceId: ROLE });
    expect(wrong[0]!.evidence['fix']).toMatch(/^aws iam update-assume-role-policy --role-name new-nodegroup-2-role/);
    const gone = checkNodeRoleTrustPolicy(snapshot({ nodeRole: { status: 'read', value: null } }), CONTEXT);
    expect(gone[0]!.evidence).toMatchObject({ roleExists: false });
  });
});

