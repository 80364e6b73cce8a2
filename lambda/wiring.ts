/** The composition root: the real adapters, built once per process. */
import { createAutoScalingAdapter } from './aws/autoscaling';
import { createEc2Adapter } from './aws/ec2';
import { createEksAdapter } from './aws/eks';
import { createKubernetesClient } from './kubernetes/client';
import type { Ports } from './ports';

export function createPorts(region: string): Ports {
  return {
    eks: createEksAdapter({ region }),
    ec2: createEc2Adapter({ region }),
    autoscaling: createAutoScalingAdapter({ region }),
    kubernetes: createKubernetesClient(),
  };
}
