/**
 * verifyJoin: after instances were recycled, poll until the node group's instances are Nodes
 * again, or until the deadline (computed by the engine from --wait-seconds and the Lambda's
 * remaining time).
 *
 * Joined means: at least `expected` live instances of the node group's Auto Scaling groups
 * (the terminated ones excluded) have a Ready Node whose providerID names them.
 *
 * Without the Kubernetes API (no endpoint/CA, or it fails before ever answering), success
 * cannot be proven: the node group's health only ever proves failures (NodeCreationFailure
 * appears minutes after a failed boot; its absence means nothing). So verification reads the
 * health once — to log whether EKS already reports the new instances as failed — and returns
 * 'pending' at once rather than burning the wait on a result that cannot become 'joined'.
 * A Kubernetes error after the API answered at least once is taken as transient: polling goes on.
 *
 * verifyJoin never throws for a failed read: the fix is already applied and the report must be
 * written, so failures end in 'pending' (after MAX_FAILED_POLLS polls in a row) and are logged.
 */
import { KubernetesApiError, describeError } from './errors';
import { isLeavingItsGroup, type NodegroupInfo, type Snapshot } from './model';
import type { KubernetesTarget, Ports, RunLogger } from './ports';
import type { Verification } from './report';

/** The logging surface verification needs: the one of lambda/ports.ts (info and warn). */
export type VerifyLogger = Pick<RunLogger, 'info' | 'warn'>;

export interface VerifyOptions {
  /** how many Ready nodes make the node group whole (the desired capacity) */
  expected: number;
  /** instances terminated by the run: their Nodes (if any linger) never count */
  replacedInstanceIds: string[];
  deadline: Date;
  pollSeconds: number;
  sleep: (ms: number) => Promise<void>;
  now: () => Date;
  logger?: VerifyLogger;
  /** called before each wait between polls: Ready nodes so far, how many are expected, the deadline */
  progress?: (registered: number, expected: number, deadline: Date) => void;
}

/** What verification needs from the snapshot (the engine passes the whole snapshot). */
export type VerifyTarget = Pick<Snapshot, 'region' | 'cluster' | 'nodegroup'>;

/** Give up (pending) after this many polls in a row failed: the changes are done, the report must get out. */
export const MAX_FAILED_POLLS = 3;


export async function verifyJoin(ports: Ports, target: VerifyTarget, options: VerifyOptions): Promise<Verification> {
  const { expected, now, sleep, logger } = options;
  const replaced = new Set(options.replacedInstanceIds);
  const pollMs = Math.max(1, options.pollSeconds) * 1000;
  const kubernetes = kubernetesTarget(target);
  const nodegroupName = target.nodegroup.nodegroupName;

  if (!kubernetes) {
    await logNodegroupHealth(ports, target, replaced, 'the cluster has no API endpoint or certificate authority', logger);
    return { status: 'pending', registered: 0, expected };
  }

  let registered = 0;
  let kubernetesAnswered = false;
  let failedPolls = 0;
  for (;;) {
    try {
      const live = await liveInstanceIds(ports, target, replaced);
      const nodes = await ports.kubernetes.listNodegroupNodes(kubernetes, nodegroupName);
      kubernetesAnswered = true;
      failedPolls = 0;
      registered = nodes.filter(
        (n) => n.ready && n.instanceId !== undefined && !replaced.has(n.instanceId) && (live === undefined || live.has(n.instanceId)),
      ).length;
    } catch (error) {
      if (error instanceof KubernetesApiError && !kubernetesAnswered) {
        await logNodegroupHealth(ports, target, replaced, error.message, logger);
        return { status: 'pending', registered: 0, expected };
      }
      failedPolls += 1;
      logger?.warn('a verification poll failed', { nodegroupName, failedPolls, error: describeError(error) });
      if (failedPolls >= MAX_FAILED_POLLS) return { status: 'pending', registered, expected };
    }
    if (registered >= expected) return { status: 'joined', registered, expected };
    if (now().getTime() + pollMs > options.deadline.getTime()) return { status: 'pending', registered, expected };
    logger?.info('waiting for nodes to join', { nodegroupName, registered, expected });
    options.progress?.(registered, expected, options.deadline);
    await sleep(pollMs);
  }
}

function kubernetesTarget(target: VerifyTarget): KubernetesTarget | undefined {
  const { cluster } = target;
  if (!cluster.endpoint || !cluster.certificateAuthorityData) return undefined;
  return {
    clusterName: cluster.name,
    endpoint: cluster.endpoint,
    certificateAuthorityData: cluster.certificateAuthorityData,
    region: target.region,
  };
}

/** Instance ids now in the node group's Auto Scaling groups; undefined when it names no group. */
async function liveInstanceIds(ports: Ports, target: VerifyTarget, replaced: Set<string>): Promise<Set<string> | undefined> {
  const names = target.nodegroup.autoScalingGroupNames;
  if (names.length === 0) return undefined;
  const groups = await ports.autoscaling.describeAutoScalingGroups(names);
  return new Set(
    groups
      .flatMap((g) => g.instances)
      .filter((i) => !isLeavingItsGroup(i.lifecycleState) && !replaced.has(i.instanceId))
      .map((i) => i.instanceId),
  );
}

/** One read of the node group's health, for the log: it can show failure, never success. */
async function logNodegroupHealth(
  ports: Ports,
  target: VerifyTarget,
  replaced: Set<string>,
  reason: string,
  logger: VerifyLogger | undefined,
): Promise<void> {
  const { clusterName, nodegroupName } = target.nodegroup;
  let nodegroup: NodegroupInfo;
  try {
    nodegroup = await ports.eks.describeNodegroup(clusterName, nodegroupName);
  } catch (error) {
    logger?.warn('join not verifiable without the Kubernetes API; reporting pending', { nodegroupName, reason, error: describeError(error) });
    return;
  }
  const failedNew = nodegroup.healthIssues
    .filter((issue) => issue.code === 'NodeCreationFailure')
    .flatMap((issue) => issue.resourceIds)
    .filter((id) => !replaced.has(id));
  logger?.warn('join not verifiable without the Kubernetes API; reporting pending', {
    nodegroupName,
    reason,
    nodeCreationFailureInstanceIds: failedNew,
  });
}
