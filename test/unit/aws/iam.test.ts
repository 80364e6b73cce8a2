import { GetInstanceProfileCommand, GetRoleCommand, IAMClient, NoSuchEntityException, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { decodePolicyDocument, IamAdapter } from '../../../lambda/aws/iam';
import { NotFoundError } from '../../../lambda/errors';

const iamMock = mockClient(IAMClient);
const adapter = new IamAdapter(new IAMClient({ region: 'us-west-2' }));
const ROLE = 'arn:aws:iam::123456789012:role/new-nodegroup-2-role';
const TRUST = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] };

beforeEach(() => iamMock.reset());

describe('IamAdapter', () => {
  it('decodes the URL-encoded trust policy IAM returns', async () => {
    iamMock.on(GetRoleCommand, { RoleName: 'new-nodegroup-2-role' }).resolves({
      Role: { RoleName: 'new-nodegroup-2-role', Arn: ROLE, Path: '/', RoleId: 'AROA1', CreateDate: new Date(), AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(TRUST)) },
    });
    expect(await adapter.getRole('new-nodegroup-2-role')).toEqual({ roleName: 'new-nodegroup-2-role', arn: ROLE, assumeRolePolicyDocument: TRUST });
    expect(decodePolicyDocument(JSON.stringify(TRUST))).toEqual(TRUST);
  });

  it('maps NoSuchEntity to NotFoundError', async () => {
    iamMock.on(GetInstanceProfileCommand).rejects(new NoSuchEntityException({ message: 'Instance Profile x cannot be found.', $metadata: {} }));
    await expect(adapter.getInstanceProfile('x')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('simulates the node role over the given actions and keeps the deciding statements', async () => {
    iamMock.on(SimulatePrincipalPolicyCommand).resolves({
      EvaluationResults: [
        { EvalActionName: 'ecr:BatchGetImage', EvalDecision: 'explicitDeny', MatchedStatements: [{ SourcePolicyId: 'deny-ecr', SourcePolicyType: 'role', StartPosition: { Line: 3, Column: 1 } }] },
      ],
      IsTruncated: false,
    });
    const decisions = await adapter.simulatePrincipalPolicy(ROLE, ['ecr:BatchGetImage']);
    expect(iamMock.commandCalls(SimulatePrincipalPolicyCommand)[0]!.args[0].input).toMatchObject({ PolicySourceArn: ROLE, ActionNames: ['ecr:BatchGetImage'] });
    expect(decisions).toEqual([
      { action: 'ecr:BatchGetImage', decision: 'explicitDeny', matchedStatements: [{ sourcePolicyId: 'deny-ecr', sourcePolicyType: 'role', startLine: 3 }] },
    ]);
  });
});
