/**
 * STS adapter: who the ambient credentials are (the CLI's first stderr line names the account it
 * acts on). GetCallerIdentity needs no IAM permission ("No permissions are required to perform
 * this operation", STS API reference), so it works for any valid credentials; the Lambda never
 * calls it (its account comes from its own ARN).
 * (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html)
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { awsCallError, awsClientConfig, type AwsClientOptions } from './clients';

export interface CallerIdentity {
  /** 12-digit account id */
  account: string;
  /** the principal's ARN (an assumed-role ARN for role sessions) */
  arn: string;
}

export interface IdentityPort {
  /** throws AwsCallError when the credentials are missing or invalid */
  callerIdentity(): Promise<CallerIdentity>;
}

export class StsAdapter implements IdentityPort {
  constructor(private readonly client: STSClient = new STSClient(awsClientConfig())) {}

  async callerIdentity(): Promise<CallerIdentity> {
    try {
      const output = await this.client.send(new GetCallerIdentityCommand({}));
      return { account: output.Account ?? '', arn: output.Arn ?? '' };
    } catch (error) {
      throw awsCallError('GetCallerIdentity', error);
    }
  }
}

/** An identity reader on the shared client config (one attempt more than nothing: it only starts a run). */
export function createStsAdapter(options: AwsClientOptions = {}): StsAdapter {
  return new StsAdapter(new STSClient(awsClientConfig({ maxAttempts: 2, ...options })));
}
