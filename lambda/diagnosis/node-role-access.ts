/**
 * NODE_ROLE_NOT_AUTHORIZED: the cluster does not let the node role in. EKS admits a node's
 * role through an access entry of type EC2_LINUX / EC2_WINDOWS (authentication modes API and
 * API_AND_CONFIG_MAP) or an aws-auth `mapRoles` item with the groups system:bootstrappers and
 * system:nodes (CONFIG_MAP and API_AND_CONFIG_MAP).
 * Source: EKS User Guide, "Grant IAM users access to Kubernetes with EKS access entries" and
 * "Grant IAM users and roles access to Kubernetes APIs" (aws-auth: "The role ARN can't include a
 * path such as role/my-team/developers/my-role"; the authenticator compares the node's role
 * without its path).
 */
import type { AccessEntryInfo, AwsAuthRoleMapping } from '../identity-model';
import type { Snapshot } from '../model';
import type { Finding } from '../report';
import type { CheckContext } from './index';

export const NODE_GROUPS = ['system:bootstrappers', 'system:nodes'] as const;

/** `arn:aws:iam::A:role/some/path/name` → `arn:aws:iam::A:role/name` (how EKS names a node's role). */
export function withoutPath(roleArn: string): string {
  const match = /^(arn:[^:]+:iam::\d{12}:role\/)(?:.*\/)?([^/]+)$/.exec(roleArn);
  return match ? `${match[1]}${match[2]}` : roleArn;
}

/** The last segment of an IAM ARN: role/path/name → name, instance-profile/x → x. */
export function iamResourceName(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

/** Two role ARNs name the same role once paths are set aside. */
export function sameRole(a: string, b: string): boolean {
  return withoutPath(a) === withoutPath(b);
}

/** EC2_WINDOWS for Windows AMI types, EC2_LINUX for every other managed node group AMI type. */
export function accessEntryTypeFor(amiType: string | undefined): 'EC2_LINUX' | 'EC2_WINDOWS' {
  return amiType?.startsWith('WINDOWS_') ? 'EC2_WINDOWS' : 'EC2_LINUX';
}

export const usesAccessEntries = (mode: string | undefined): boolean => mode === 'API' || mode === 'API_AND_CONFIG_MAP';
export const usesAwsAuth = (mode: string | undefined): boolean => mode === 'CONFIG_MAP' || mode === 'API_AND_CONFIG_MAP';

/** An aws-auth item that EKS would use for the node role: rolearn equal to the role without its path. */
export function awsAuthMappingsOf(roleArn: string, mappings: readonly AwsAuthRoleMapping[]): AwsAuthRoleMapping[] {
  return mappings.filter((m) => m.rolearn === withoutPath(roleArn));
}

/** Any aws-auth item that names the role at all (with or without path): "has a mapping" for CREATE_ACCESS_ENTRY. */
export function awsAuthMentions(roleArn: string, mappings: readonly AwsAuthRoleMapping[]): AwsAuthRoleMapping[] {
  return mappings.filter((m) => sameRole(m.rolearn, roleArn));
}

function grantsNodeGroups(mapping: AwsAuthRoleMapping): boolean {
  return NODE_GROUPS.every((g) => mapping.groups.includes(g));
}

export interface NodeRoleAccess {
  roleArn: string;
  authenticationMode: string;
  wantedType: 'EC2_LINUX' | 'EC2_WINDOWS';
  entries?: AccessEntryInfo[];
  mappings?: AwsAuthRoleMapping[] | null;
  authorized: boolean;
  /** some fact needed to conclude could not be read */
  inconclusive: boolean;
}

/** The facts about the node role's access, read from the snapshot alone (the plan reuses this). */
export function nodeRoleAccess(snapshot: Snapshot): NodeRoleAccess | undefined {
  const roleArn = snapshot.nodegroup.nodeRole;
  const mode = snapshot.cluster.authenticationMode;
  if (!roleArn || !mode) return undefined;
  const identity = snapshot.identity ?? {};
  const wantedType = accessEntryTypeFor(snapshot.nodegroup.amiType);
  const entries = identity.accessEntries?.status === 'read' ? identity.accessEntries.value : undefined;
  const mappings = identity.awsAuth?.status === 'read' ? identity.awsAuth.value : undefined;
  const entryOk = usesAccessEntries(mode) && (entries ?? []).some((e) => e.type === wantedType);
  const mappingOk = usesAwsAuth(mode) && awsAuthMappingsOf(roleArn, mappings ?? []).some(grantsNodeGroups);
  const inconclusive = (usesAccessEntries(mode) && entries === undefined) || (usesAwsAuth(mode) && mappings === undefined);
  return {
    roleArn,
    authenticationMode: mode,
    wantedType,
    ...(entries ? { entries } : {}),
    ...(mappings !== undefined ? { mappings } : {}),
    authorized: entryOk || mappingOk,
    inconclusive,
  };
}

/**
 * Contract section 3: CREATE_ACCESS_ENTRY only in API / API_AND_CONFIG_MAP, only when the role
 * has neither an access entry (of any type) nor an aws-auth mapping. Returns why not, or undefined.
 */
export function accessEntryRefusal(access: NodeRoleAccess): string | undefined {
  if (!usesAccessEntries(access.authenticationMode)) {
    return `the cluster's authentication mode is ${access.authenticationMode}, where access entries are not used`;
  }
  if (access.entries === undefined) return 'the access entries of the cluster could not be read';
  if (access.entries.length > 0) {
    return `the role already has an access entry (${access.entries.map((e) => e.type).join(', ')})`;
  }
  if (access.mappings === undefined) return 'the aws-auth ConfigMap could not be read, so a mapping cannot be ruled out';
  if (awsAuthMentions(access.roleArn, access.mappings ?? []).length > 0) return 'the role has an aws-auth mapping';
  return undefined;
}

function fixFor(access: NodeRoleAccess, clusterName: string): string {
  if (usesAccessEntries(access.authenticationMode)) {
    return `aws eks create-access-entry --cluster-name ${clusterName} --principal-arn ${access.roleArn} --type ${access.wantedType}`;
  }
  return (
    `eksctl create iamidentitymapping --cluster ${clusterName} --arn ${withoutPath(access.roleArn)} ` +
    '--group system:bootstrappers --group system:nodes --username system:node:{{EC2PrivateDNSName}}'
  );
}

export function checkNodeRoleAccess(snapshot: Snapshot, context: CheckContext): Finding[] {
  if (context.unregisteredInstanceIds.length === 0) return [];
  const access = nodeRoleAccess(snapshot);
  if (!access || access.authorized || access.inconclusive) return [];
  const clusterName = snapshot.cluster.name;
  const mentions = awsAuthMentions(access.roleArn, access.mappings ?? []);
  const why: string[] = [];
  if (usesAccessEntries(access.authenticationMode)) {
    why.push(
      access.entries && access.entries.length > 0
        ? `its access entry is of type ${access.entries.map((e) => e.type).join(', ')}, not ${access.wantedType}`
        : `it has no access entry of type ${access.wantedType}`,
    );
  }
  if (usesAwsAuth(access.authenticationMode)) {
    const withPath = mentions.filter((m) => m.rolearn !== withoutPath(access.roleArn));
    why.push(
      withPath.length > 0
        ? `its aws-auth mapping names the role with a path (${withPath[0]!.rolearn}), which EKS never matches`
        : mentions.length > 0
          ? `its aws-auth mapping lacks the groups ${NODE_GROUPS.join(' + ')}`
          : access.mappings === null
            ? 'the kube-system/aws-auth ConfigMap does not exist'
            : 'aws-auth maps it to nothing',
    );
  }
  const refusal = accessEntryRefusal(access);
  const remediable = context.config.createNodeAccessEntry === true && refusal === undefined;
  return [
    {
      code: 'NODE_ROLE_NOT_AUTHORIZED',
      severity: 'error',
      resourceId: access.roleArn,
      message:
        `The cluster ${clusterName} (authentication mode ${access.authenticationMode}) does not admit the node role ` +
        `${access.roleArn}: ${why.join('; ')}. Its nodes are refused when they register.`,
      remediable,
      evidence: {
        authenticationMode: access.authenticationMode,
        nodeRole: access.roleArn,
        amiType: snapshot.nodegroup.amiType ?? null,
        expectedAccessEntryType: access.wantedType,
        accessEntries: access.entries ?? null,
        awsAuthMappings: access.mappings === undefined ? null : mentions,
        awsAuthConfigMapExists: access.mappings !== null,
        ...(refusal && context.config.createNodeAccessEntry ? { createAccessEntryRefused: refusal } : {}),
        fix: fixFor(access, clusterName),
      },
    },
  ];
}
