/**
 * Starting emulators and SDK clients against them for the emulator tests. Scenarios start
 * from the bundled seed world; tests change what they are about and leave the rest as it is.
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient } from '@aws-sdk/client-eks';
import { loadScenarioFile, startEmulator, type RunningEmulator, type Scenario, type StartEmulatorOptions } from '../../../../emulator/index';

export const SEED = {
  cluster: 'eks-workshop',
  vpcId: 'vpc-0c2b7f9a1d3e5f604',
  newSubnetId: 'subnet-0a1b2c3d4e5f60718',
  newRouteTableId: 'rtb-0e1f2a3b4c5d6e7f8',
  privateRouteTableId: 'rtb-0b2c3d4e5f6a7b8c9',
  publicRouteTableId: 'rtb-0a1f2e3d4c5b6a798',
  mainRouteTableId: 'rtb-0d4c3b2a1f0e9d8c7',
  natGatewayId: 'nat-0c2b4e6a8d0f13579',
  internetGatewayId: 'igw-0a9e8d7c6b5a43210',
  privateSubnetIds: ['subnet-0a6b1c2d3e4f50617', 'subnet-0b7c2d3e4f5061728', 'subnet-0c8d3e4f5061728a9'],
  brokenNodegroup: 'new_nodegroup_2',
  workingNodegroup: 'default',
  operatorArn: 'arn:aws:iam::123456789012:role/platform-admin',
  remediatorArn: 'arn:aws:iam::123456789012:role/node-join-remediator',
} as const;

/** A bundled scenario, deep-copied so a test may edit it. */
export function bundledScenario(name: 'seed' | 'healthy' | 'blackhole' | 'no-usable-nat' | 'shared-main-table'): Scenario {
  return structuredClone(loadScenarioFile(name));
}

export async function startTestEmulator(
  scenario: Scenario = bundledScenario('seed'),
  options: Omit<StartEmulatorOptions, 'scenario'> = {},
): Promise<RunningEmulator> {
  return startEmulator({ scenario, kubernetes: false, ...options });
}

export interface Clients {
  ec2: EC2Client;
  autoscaling: AutoScalingClient;
  eks: EKSClient;
}

/** SDK v3 clients pointed at the emulator, signing as the named principal. */
export function clientsFor(emulator: RunningEmulator, principal = 'operator', maxAttempts = 1): Clients {
  const config = {
    endpoint: emulator.awsEndpoint,
    region: emulator.region,
    credentials: emulator.credentialsOf(principal),
    maxAttempts,
  };
  return { ec2: new EC2Client(config), autoscaling: new AutoScalingClient(config), eks: new EKSClient(config) };
}

export function destroyClients(clients: Clients): void {
  clients.ec2.destroy();
  clients.autoscaling.destroy();
  clients.eks.destroy();
}

/** The rejection of `promise`, or a failure if it resolved. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & { name: string; $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { name: string };
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** Environment for the installed AWS CLI against the emulator, signing as the named principal. */
export function awsCliEnv(emulator: RunningEmulator, principal = 'operator'): NodeJS.ProcessEnv {
  const credentials = emulator.credentialsOf(principal);
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ENDPOINT_URL: emulator.awsEndpoint,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_DEFAULT_REGION: emulator.region,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
  };
}
