/** The composition root: the real adapters, built once per process. */
import { createAutoScalingAdapter } from './aws/autoscaling';
import { createEc2Adapter } from './aws/ec2';
import { createEksAdapter } from './aws/eks';
import { createIamAdapter } from './aws/iam';
import { createKubernetesClient } from './kubernetes/client';
import type { AwsClientOptions } from './aws/clients';
import type { Ports } from './ports';

/** `options` pins an endpoint and credentials (the demo and e2e tests); the default is the ambient ones. */
export function createPorts(region: string, options: Omit<AwsClientOptions, 'region'> = {}): Ports {
  const clientOptions = { ...options, region };
  return {
    eks: createEksAdapter(clientOptions),
    ec2: createEc2Adapter(clientOptions),
    autoscaling: createAutoScalingAdapter(clientOptions),
    iam: createIamAdapter(clientOptions),
    kubernetes: createKubernetesClient(options.credentials ? { credentials: options.credentials } : {}),
  };
}
