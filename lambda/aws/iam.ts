/**
 * The IamPort adapter: read-only facts about the node group's role (trust policy, instance
 * profiles) and IAM's own policy simulation of it (iam:SimulatePrincipalPolicy), so that the
 * verdict on permissions is IAM's, never a hand-written evaluation.
 */
import {
  GetInstanceProfileCommand,
  GetRoleCommand,
  IAMClient,
  NoSuchEntityException,
  paginateSimulatePrincipalPolicy,
} from '@aws-sdk/client-iam';
import { NotFoundError } from '../errors';
import type { IamRoleInfo, InstanceProfileInfo, PermissionDecision } from '../identity-model';
import type { IamPort } from '../ports';
import { awsCallError, awsClientConfig, type AwsClientOptions } from './clients';

/** IAM returns policy documents URL-encoded JSON (RFC 3986). */
export function decodePolicyDocument(document: string | undefined): unknown {
  if (!document) return undefined;
  const text = document.trimStart().startsWith('{') ? document : decodeURIComponent(document);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export class IamAdapter implements IamPort {
  private readonly client: IAMClient;

  constructor(client?: IAMClient, options: AwsClientOptions = {}) {
    this.client = client ?? new IAMClient(awsClientConfig(options));
  }

  async getRole(roleName: string): Promise<IamRoleInfo> {
    try {
      const output = await this.client.send(new GetRoleCommand({ RoleName: roleName }));
      const role = output?.Role;
      if (!role) throw new NotFoundError(`role ${roleName} was not found`, roleName);
      return { roleName: role.RoleName ?? roleName, arn: role.Arn ?? '', assumeRolePolicyDocument: decodePolicyDocument(role.AssumeRolePolicyDocument) };
    } catch (error) {
      throw mapIamError('GetRole', error, roleName);
    }
  }

  async getInstanceProfile(instanceProfileName: string): Promise<InstanceProfileInfo> {
    try {
      const output = await this.client.send(new GetInstanceProfileCommand({ InstanceProfileName: instanceProfileName }));
      const profile = output?.InstanceProfile;
      if (!profile) throw new NotFoundError(`instance profile ${instanceProfileName} was not found`, instanceProfileName);
      return {
        instanceProfileName: profile.InstanceProfileName ?? instanceProfileName,
        arn: profile.Arn ?? '',
        roleArns: (profile.Roles ?? []).map((r) => r.Arn ?? '').filter((arn) => arn !== ''),
      };
    } catch (error) {
      throw mapIamError('GetInstanceProfile', error, instanceProfileName);
    }
  }

  async simulatePrincipalPolicy(policySourceArn: string, actions: readonly string[]): Promise<PermissionDecision[]> {
    const decisions: PermissionDecision[] = [];
    try {
      const pages = paginateSimulatePrincipalPolicy(
        { client: this.client, stopOnSameToken: true },
        { PolicySourceArn: policySourceArn, ActionNames: [...actions], ResourceArns: ['*'] },
      );
      for await (const page of pages) {
        for (const result of page?.EvaluationResults ?? []) {
          decisions.push({
            action: result.EvalActionName ?? '',
            decision: result.EvalDecision ?? 'implicitDeny',
            matchedStatements: (result.MatchedStatements ?? []).map((s) => ({
              sourcePolicyId: s.SourcePolicyId ?? '',
              ...(s.SourcePolicyType ? { sourcePolicyType: s.SourcePolicyType } : {}),
              ...(s.StartPosition?.Line !== undefined ? { startLine: s.StartPosition.Line } : {}),
            })),
          });
        }
      }
    } catch (error) {
      throw mapIamError('SimulatePrincipalPolicy', error, policySourceArn);
    }
    return decisions;
  }
}

function mapIamError(operation: string, error: unknown, resourceId: string): Error {
  if (error instanceof NotFoundError) return error;
  if (error instanceof NoSuchEntityException) {
    return new NotFoundError(`${operation}: ${error.message}`, resourceId, { cause: error });
  }
  return awsCallError(operation, error);
}

export function createIamAdapter(options: AwsClientOptions = {}): IamAdapter {
  return new IamAdapter(undefined, options);
}
