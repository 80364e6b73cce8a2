/**
 * Which instances of the node group registered as Kubernetes nodes, which never did, and
 * which cannot be judged yet. The snapshot's `takenAt` is the clock.
 *
 * Sources of truth:
 * - kubernetes-api: an instance is registered when a Node's providerID names it.
 * - nodegroup-health (the Kubernetes API could not be used): EKS's NodeCreationFailure
 *   health issue names the instances that failed to join. Silence only proves something once
 *   EKS has had its own time to notice: an instance older than NODE_CREATION_FAILURE_WINDOW_SECONDS
 *   that EKS does not list counts as registered (`registered: true`, no node name), so a healthy
 *   node group is HEALTHY without Kubernetes access. Younger ones it does not list are
 *   "unverified": reported `registered: false` (not proven registered), never counted as joined,
 *   and never recycled or scale-cycled on.
 *
 * Only `running` instances old enough are judged: `pending` ones are still booting (young),
 * and instances stopping, stopped or leaving their Auto Scaling group are not judged at all.
 * "Older than the grace period" means age >= graceSeconds, so a grace of 0 judges at once.
 */
import type { Config } from '../config';
import { isLeavingItsGroup, type InstanceInfo, type NodeInfo, type NodegroupInfo, type Snapshot } from '../model';
import type { Finding, InstanceReport } from '../report';

export const NODE_CREATION_FAILURE = 'NodeCreationFailure';

/**
 * How long EKS takes to list an instance that never joined under NodeCreationFailure. EKS does
 * not document it; a managed node group whose instances cannot join fails (CREATE_FAILED with
 * NodeCreationFailure) after about 20 minutes (e.g. "21 minutes. error waiting for EKS Node Group
 * to create: unexpected state 'CREATE_FAILED'",
 * https://github.com/terraform-aws-modules/terraform-aws-eks/issues/1910). 30 minutes leaves a
 * margin: an instance this old that EKS does not list as failed has joined.
 */
export const NODE_CREATION_FAILURE_WINDOW_SECONDS = 1800;


/** Instances their Auto Scaling group is terminating, detaching or keeping in standby / a warm pool. */
export function instancesLeavingTheirGroup(snapshot: Snapshot): Set<string> {
  return new Set(
    snapshot.autoScalingGroups
      .flatMap((group) => group.instances)
      .filter((i) => isLeavingItsGroup(i.lifecycleState))
      .map((i) => i.instanceId),
  );
}

export interface RegistrationAssessment {
  instances: InstanceReport[];
  /** instances a Node object proves registered */
  registeredInstanceIds: string[];
  /** old enough, running, and proven not registered */
  unregisteredInstanceIds: string[];
  /** inside the grace period (or still pending): not judged yet */
  youngInstanceIds: string[];
  /** nodegroup-health source only: older than EKS's NodeCreationFailure window and not listed as failed */
  registeredByHealthInstanceIds: string[];
  /** nodegroup-health source only: old enough but not listed as failed, so unknown */
  unverifiedInstanceIds: string[];
  /** stopping, stopped or leaving the Auto Scaling group: not judged */
  notJudgedInstanceIds: string[];
  findings: Finding[];
}

/** Instance ids EKS lists under NodeCreationFailure in the node group's health. */
export function nodeCreationFailureInstanceIds(nodegroup: NodegroupInfo): Set<string> {
  return new Set(
    nodegroup.healthIssues.filter((issue) => issue.code === NODE_CREATION_FAILURE).flatMap((issue) => issue.resourceIds),
  );
}

/**
 * Instances proven registered. The plan uses this (not the diagnosis) as the last word on
 * which instances must never be terminated. With the nodegroup-health source nothing is
 * proven registered, which is why the plan only ever acts on NodeCreationFailure instances.
 */
export function nodesByInstanceId(snapshot: Snapshot): Map<string, NodeInfo> {
  const byId = new Map<string, NodeInfo>();
  if (snapshot.registration.source !== 'kubernetes-api') return byId;
  for (const node of snapshot.registration.nodes) {
    if (node.instanceId && !byId.has(node.instanceId)) byId.set(node.instanceId, node);
  }
  // A Node whose providerID is not set yet (or unparsable) still proves its instance registered:
  // match it by name, which EKS nodes take from the instance's private DNS name. Missing this
  // match would let the plan terminate a registered instance.
  const byDnsName = new Map<string, string>();
  for (const instance of snapshot.instances) {
    if (instance.privateDnsName) byDnsName.set(instance.privateDnsName.toLowerCase(), instance.instanceId);
  }
  for (const node of snapshot.registration.nodes) {
    if (node.instanceId) continue;
    const instanceId = byDnsName.get(node.name.toLowerCase());
    if (instanceId && !byId.has(instanceId)) byId.set(instanceId, node);
  }
  return byId;
}

function ageSeconds(instance: InstanceInfo, takenAt: string): number | undefined {
  const launched = Date.parse(instance.launchTime);
  const now = Date.parse(takenAt);
  if (Number.isNaN(launched) || Number.isNaN(now)) return undefined;
  return (now - launched) / 1000;
}

type Verdict = 'registered' | 'registered-by-health' | 'unregistered' | 'young' | 'unverified' | 'not-judged';

export function assessRegistration(snapshot: Snapshot, config: Pick<Config, 'graceSeconds'>): RegistrationAssessment {
  const nodes = nodesByInstanceId(snapshot);
  const failed = nodeCreationFailureInstanceIds(snapshot.nodegroup);
  const fromKubernetes = snapshot.registration.source === 'kubernetes-api';
  const leaving = instancesLeavingTheirGroup(snapshot);

  const verdictOf = (instance: InstanceInfo): Verdict => {
    if (nodes.has(instance.instanceId)) return 'registered';
    if (leaving.has(instance.instanceId)) return 'not-judged';
    if (instance.state === 'pending') return 'young';
    if (instance.state !== 'running') return 'not-judged';
    const age = ageSeconds(instance, snapshot.takenAt);
    // An unreadable launch time is never taken as "old": not judging is the safe side.
    if (age === undefined || age < config.graceSeconds) return 'young';
    if (fromKubernetes) return 'unregistered';
    if (failed.has(instance.instanceId)) return 'unregistered';
    return age >= NODE_CREATION_FAILURE_WINDOW_SECONDS ? 'registered-by-health' : 'unverified';
  };

  const result: RegistrationAssessment = {
    instances: [],
    registeredInstanceIds: [],
    registeredByHealthInstanceIds: [],
    unregisteredInstanceIds: [],
    youngInstanceIds: [],
    unverifiedInstanceIds: [],
    notJudgedInstanceIds: [],
    findings: [],
  };
  const lists: Record<Verdict, string[]> = {
    registered: result.registeredInstanceIds,
    'registered-by-health': result.registeredByHealthInstanceIds,
    unregistered: result.unregisteredInstanceIds,
    young: result.youngInstanceIds,
    unverified: result.unverifiedInstanceIds,
    'not-judged': result.notJudgedInstanceIds,
  };

  for (const instance of snapshot.instances) {
    const node = nodes.get(instance.instanceId);
    const verdict = verdictOf(instance);
    lists[verdict].push(instance.instanceId);
    result.instances.push({
      instanceId: instance.instanceId,
      subnetId: instance.subnetId,
      availabilityZone: instance.availabilityZone,
      launchTime: instance.launchTime,
      registered: node !== undefined || verdict === 'registered-by-health',
      ...(node ? { nodeName: node.name, ready: node.ready } : {}),
    });
  }

  result.findings.push(...registrationFindings(snapshot, result, failed));
  return result;
}

/** KUBERNETES_API_UNAVAILABLE and NODES_NOT_READY; NODES_NOT_REGISTERED needs the routes, see diagnose(). */
function registrationFindings(
  snapshot: Snapshot,
  assessment: RegistrationAssessment,
  failed: Set<string>,
): Finding[] {
  const findings: Finding[] = [];
  const nodegroupName = snapshot.nodegroup.nodegroupName;
  const { registration } = snapshot;

  if (registration.source === 'nodegroup-health') {
    const reason = registration.unavailableReason ?? 'unknown reason';
    findings.push({
      code: 'KUBERNETES_API_UNAVAILABLE',
      severity: 'warning',
      resourceId: snapshot.cluster.name,
      message:
        `The Kubernetes API of ${snapshot.cluster.name} could not be used (${reason}); registration was read from ` +
        `the node group's ${NODE_CREATION_FAILURE} health issue instead: instances older than ` +
        `${NODE_CREATION_FAILURE_WINDOW_SECONDS / 60} minutes that it does not list count as registered.`,
      remediable: false,
      evidence: {
        unavailableReason: reason,
        nodeCreationFailureInstanceIds: [...failed].sort(),
        unverifiedInstanceIds: assessment.unverifiedInstanceIds,
        registeredByHealthInstanceIds: assessment.registeredByHealthInstanceIds,
      },
    });
  }

  const notReady = registration.source === 'kubernetes-api' ? registration.nodes.filter((n) => !n.ready) : [];
  if (notReady.length > 0) {
    findings.push({
      code: 'NODES_NOT_READY',
      severity: 'warning',
      resourceId: nodegroupName,
      message:
        `${notReady.length} node(s) registered but are NotReady: ${notReady.map((n) => n.name).join(', ')}. ` +
        'They reached the cluster (they registered); a cause on their subnets (e.g. no S3 path to pull images) is named in its own finding. The remediator does not act on this.',
      remediable: false,
      evidence: {
        nodeNames: notReady.map((n) => n.name),
        instanceIds: notReady.map((n) => n.instanceId).filter((id): id is string => !!id),
      },
    });
  }

  return findings;
}
