/**
 * Who may read nodes: decided from the cluster's EKS access entries, the way EKS's access
 * policies and Kubernetes groups would (only the read-nodes slice of RBAC is emulated).
 */
import { roleArnWithoutPath } from '../world/identity';
import type { KubeAccessEntry } from './types';

const ACCESS_POLICY_PREFIX = 'arn:aws:eks::aws:cluster-access-policy/';

/**
 * Access policies whose rules include `list`/`get` on nodes. AmazonEKSViewPolicy is absent on
 * purpose: in real EKS it cannot read nodes (nor can AmazonEKSEditPolicy).
 */
export const NODE_READING_ACCESS_POLICIES: readonly string[] = [
  'AmazonEKSClusterAdminPolicy',
  'AmazonEKSAdminPolicy',
  'AmazonEKSAdminViewPolicy',
].map((name) => ACCESS_POLICY_PREFIX + name);

/** Bound to cluster-admin in every cluster. */
export const SYSTEM_MASTERS_GROUP = 'system:masters';
/**
 * The group the project's docs tell operators to bind to a ClusterRole that can get/list nodes
 * (for clusters that manage RBAC themselves); the emulator treats that binding as present.
 */
export const NODE_READER_GROUP = 'eks-node-join-remediator-node-readers';

export type NodeVerb = 'get' | 'list';

export type NodeReadDecision = { allowed: true } | { allowed: false; message: string };

/** `arn:aws:sts::A:assumed-role/R/session` → `arn:aws:iam::A:role/R`: access entries name roles, callers come as sessions. */
export function principalArnForAccessEntries(callerArn: string): string {
  const session = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(callerArn);
  return session ? `arn:${session[1]}:iam::${session[2]}:role/${session[3]}` : callerArn;
}

/** aws-auth `mapRoles` as the authenticator reads them: the caller's role, without path, and its groups. */
export function groupsFromAwsAuth(callerArn: string, mapRoles: readonly { rolearn: string; groups: string[] }[] | null): string[] | undefined {
  const principalArn = principalArnForAccessEntries(callerArn);
  const mapping = (mapRoles ?? []).find((m) => m.rolearn === roleArnWithoutPath(principalArn));
  return mapping?.groups;
}

/**
 * Reads of the identity objects the remediator checks (aws-auth, webhook configurations,
 * endpointslices): allowed to the access policies that read nodes (they view everything),
 * system:masters, and the node-reader group, whose ClusterRole (deploy/kubernetes/node-reader-rbac.yaml)
 * grants exactly these reads (aws-auth by resourceName in kube-system).
 */
export function authorizeIdentityRead(
  callerArn: string,
  accessEntries: KubeAccessEntry[],
  awsAuthGroups: string[] | undefined,
  resource: { resource: string; namespace?: string; name?: string; group: string },
): NodeReadDecision {
  const principalArn = principalArnForAccessEntries(callerArn);
  const entry = accessEntries.find((candidate) => candidate.principalArn === principalArn);
  const groups = [...(entry?.kubernetesGroups ?? []), ...(awsAuthGroups ?? [])];
  const viewsAll =
    (entry?.accessPolicies ?? []).some((policy) => NODE_READING_ACCESS_POLICIES.includes(policy)) || groups.includes(SYSTEM_MASTERS_GROUP);
  const readerMay =
    groups.includes(NODE_READER_GROUP) &&
    (resource.resource !== 'configmaps' || (resource.namespace === 'kube-system' && resource.name === 'aws-auth'));
  if (viewsAll || readerMay) return { allowed: true };
  const where = resource.namespace ? `in the namespace "${resource.namespace}"` : 'at the cluster scope';
  const subject = resource.name ? `${resource.resource} "${resource.name}"` : resource.resource;
  return {
    allowed: false,
    message: `${subject} is forbidden: User "${callerArn}" cannot ${resource.name ? 'get' : 'list'} resource "${resource.resource}" in API group "${resource.group}" ${where}`,
  };
}

export function authorizeNodeRead(
  callerArn: string,
  accessEntries: KubeAccessEntry[],
  verb: NodeVerb,
  nodeName?: string,
  /** the caller's groups from aws-auth (CONFIG_MAP modes) */
  awsAuthGroups?: string[],
): NodeReadDecision {
  const principalArn = principalArnForAccessEntries(callerArn);
  const entry = accessEntries.find((candidate) => candidate.principalArn === principalArn);
  const groups = [...(entry?.kubernetesGroups ?? []), ...(awsAuthGroups ?? [])];
  const canReadNodes =
    (entry !== undefined && (entry.accessPolicies ?? []).some((policy) => NODE_READING_ACCESS_POLICIES.includes(policy))) ||
    groups.some((group) => group === SYSTEM_MASTERS_GROUP || group === NODE_READER_GROUP);
  if (canReadNodes) return { allowed: true };
  const subject = verb === 'get' && nodeName !== undefined ? `nodes "${nodeName}"` : 'nodes';
  return {
    allowed: false,
    message: `${subject} is forbidden: User "${callerArn}" cannot ${verb} resource "nodes" in API group "" at the cluster scope`,
  };
}
