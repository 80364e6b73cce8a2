/**
 * gatherIdentity: the identity and bootstrap facts of one node group (lambda/identity-model.ts),
 * read with a number of calls that does not grow with the node group's instances:
 *
 *   EKS   ListAccessEntries → DescribeAccessEntry (the node role's entry only)   [API modes]
 *   K8s   GET kube-system/aws-auth
 *   IAM   GetRole ‖ GetInstanceProfile (each distinct profile, at most 3) ‖ SimulatePrincipalPolicy
 *   K8s   webhook configurations → EndpointSlices of the services of blocking webhooks (at most 5)
 *   EC2   GetConsoleOutput of at most 3 unregistered instances (only with --read-console-output)
 *
 * A read that is refused or fails (AccessDenied, Kubernetes 403, ...) becomes an `unavailable`
 * Reading: the matching check stays silent rather than guess. Anything else propagates.
 */
import { AwsCallError, KubernetesApiError, NotFoundError, describeError } from './errors';
import type { ConsoleEvidence, IdentitySnapshot, InstanceProfileInfo, Reading } from './identity-model';
import type { ClusterInfo, InstanceInfo, NodegroupInfo } from './model';
import type { KubernetesTarget, Ports } from './ports';
import { NODE_BOOTSTRAP_ACTIONS } from './diagnosis/node-role-permissions';
import { matchConsoleLines } from './diagnosis/console-output';
import { iamResourceName, sameRole } from './diagnosis/node-role-access';
import { mayBlockNodes } from './diagnosis/webhooks';

/** At most this many distinct instance profiles are read per node group. */
export const MAX_INSTANCE_PROFILES = 3;
/** At most this many webhook services are looked up per run. */
export const MAX_WEBHOOK_SERVICES = 5;
/** At most this many serial consoles are read per node group (--read-console-output). */
export const MAX_CONSOLE_INSTANCES = 3;

async function reading<T>(read: () => Promise<T>): Promise<Reading<T>> {
  try {
    return { status: 'read', value: await read() };
  } catch (error) {
    if (error instanceof AwsCallError || error instanceof KubernetesApiError || error instanceof NotFoundError) {
      return { status: 'unavailable', reason: describeError(error) };
    }
    throw error;
  }
}


export interface IdentityRequest {
  cluster: ClusterInfo;
  nodegroup: NodegroupInfo;
  instances: InstanceInfo[];
  region: string;
}

export async function gatherIdentity(ports: Ports, request: IdentityRequest): Promise<IdentitySnapshot> {
  const { cluster, nodegroup, instances } = request;
  const mode = cluster.authenticationMode;
  const target: KubernetesTarget | undefined =
    cluster.endpoint && cluster.certificateAuthorityData
      ? { clusterName: cluster.name, endpoint: cluster.endpoint, certificateAuthorityData: cluster.certificateAuthorityData, region: request.region }
      : undefined;
  const nodeRole = nodegroup.nodeRole;
  const kubernetes = ports.kubernetes;
  const iam = ports.iam;

  const tasks: Promise<Partial<IdentitySnapshot>>[] = [];
  if (nodeRole && mode !== 'CONFIG_MAP') {
    tasks.push(
      reading(async () => {
        const arns = (await ports.eks.listAccessEntries(cluster.name)).filter((arn) => sameRole(arn, nodeRole));
        const entries = await Promise.all(arns.map((arn) => ports.eks.describeAccessEntry(cluster.name, arn)));
        return entries.filter((e) => e !== undefined);
      }).then((accessEntries) => ({ accessEntries })),
    );
  }
  // Read in every mode: CREATE_ACCESS_ENTRY needs proof that the role has no mapping either.
  if (nodeRole && target && kubernetes.readAwsAuthRoleMappings) {
    tasks.push(reading(() => kubernetes.readAwsAuthRoleMappings!(target)).then((awsAuth) => ({ awsAuth })));
  }
  if (nodeRole && iam) {
    tasks.push(
      reading(async () => {
        try {
          return await iam.getRole(iamResourceName(nodeRole));
        } catch (error) {
          if (error instanceof NotFoundError) return null;
          throw error;
        }
      }).then((role) => ({ nodeRole: role })),
    );
    tasks.push(reading(() => iam.simulatePrincipalPolicy(nodeRole, NODE_BOOTSTRAP_ACTIONS)).then((permissions) => ({ permissions })));
  }
  const profileNames = [...new Set(instances.map((i) => i.iamInstanceProfileArn).filter((a): a is string => !!a).map(iamResourceName))];
  if (iam && profileNames.length > 0) {
    tasks.push(
      reading(() =>
        Promise.all(
          profileNames.slice(0, MAX_INSTANCE_PROFILES).map(async (name): Promise<InstanceProfileInfo> => {
            try {
              return await iam.getInstanceProfile(name);
            } catch (error) {
              if (error instanceof NotFoundError) return { instanceProfileName: name, arn: '', roleArns: [], missing: true };
              throw error;
            }
          }),
        ),
      ).then((instanceProfiles) => ({ instanceProfiles })),
    );
  }
  if (target && kubernetes.listAdmissionWebhooks && kubernetes.serviceEndpoints) {
    tasks.push(reading(() => webhooksWithEndpoints(ports, target)).then((webhooks) => ({ webhooks })));
  }
  return Object.assign({}, ...(await Promise.all(tasks))) as IdentitySnapshot;
}


async function webhooksWithEndpoints(ports: Ports, target: KubernetesTarget) {
  const webhooks = await ports.kubernetes.listAdmissionWebhooks!(target);
  const keys = [
    ...new Set(webhooks.filter(mayBlockNodes).flatMap((w) => (w.service ? [`${w.service.namespace}/${w.service.name}`] : []))),
  ].slice(0, MAX_WEBHOOK_SERVICES);
  const services = await Promise.all(
    keys.map((key) => {
      const [namespace = 'default', name = ''] = key.split('/');
      return ports.kubernetes.serviceEndpoints!(target, namespace, name);
    }),
  );
  return { webhooks, services };
}

/**
 * --read-console-output: the latest serial console of at most MAX_CONSOLE_INSTANCES unregistered
 * instances, reduced to the lines that match known nodeadm/kubelet failures (the console may
 * hold secrets, so nothing else is kept).
 */
export async function gatherConsoleEvidence(ports: Ports, instanceIds: readonly string[]): Promise<ConsoleEvidence[]> {
  return Promise.all(
    instanceIds.slice(0, MAX_CONSOLE_INSTANCES).map(async (instanceId): Promise<ConsoleEvidence> => {
      const console = await reading(() => ports.ec2.getConsoleOutput(instanceId));
      return console.status === 'read'
        ? { instanceId, lines: matchConsoleLines(console.value) }
        : { instanceId, lines: [], unavailableReason: console.reason };
    }),
  );
}
