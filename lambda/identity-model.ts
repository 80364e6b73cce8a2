/**
 * The identity and bootstrap side of the snapshot (contract section 2, NODE_ROLE_* and the
 * other identity codes): what EKS, IAM, the Kubernetes API and the instances' serial consoles
 * say about whether a node may join. Gathered by lambda/identity-snapshot.ts, judged by the
 * pure checks under lambda/diagnosis/. Field names follow the AWS / Kubernetes APIs.
 */

/** A read that may have been refused or failed: the check then says nothing rather than guess. */
export type Reading<T> = { status: 'read'; value: T } | { status: 'unavailable'; reason: string };

/** One EKS access entry (DescribeAccessEntry). */
export interface AccessEntryInfo {
  principalArn: string;
  /** STANDARD | EC2_LINUX | EC2_WINDOWS | FARGATE_LINUX | HYBRID_LINUX */
  type: string;
  kubernetesGroups: string[];
  username?: string;
}

/** One `mapRoles` item of the kube-system/aws-auth ConfigMap. */
export interface AwsAuthRoleMapping {
  rolearn: string;
  username?: string;
  groups: string[];
}

/** GetRole: the role and its trust policy (decoded JSON). */
export interface IamRoleInfo {
  roleName: string;
  arn: string;
  assumeRolePolicyDocument: unknown;
}

/** GetInstanceProfile: the profile and the ARNs of its roles. */
export interface InstanceProfileInfo {
  instanceProfileName: string;
  arn: string;
  roleArns: string[];
  /** GetInstanceProfile answered NoSuchEntity */
  missing?: true;
}

/** One action of iam:SimulatePrincipalPolicy for the node role. */
export interface PermissionDecision {
  action: string;
  /** allowed | explicitDeny | implicitDeny */
  decision: string;
  /** the statements that decided it (sourcePolicyId, and the statement's position when known) */
  matchedStatements: { sourcePolicyId: string; sourcePolicyType?: string; startLine?: number }[];
}

/** One webhook of a Validating/MutatingWebhookConfiguration, as far as Node registration cares. */
export interface WebhookInfo {
  kind: 'ValidatingWebhookConfiguration' | 'MutatingWebhookConfiguration';
  configurationName: string;
  webhookName: string;
  /** Fail | Ignore (Kubernetes defaults to Fail) */
  failurePolicy: string;
  /** a rule covers CREATE of `nodes` in the core group */
  interceptsNodeCreate: boolean;
  service?: { namespace: string; name: string };
  url?: string;
}

/** Ready endpoints of one Service, counted from its EndpointSlices. */
export interface ServiceEndpoints {
  namespace: string;
  name: string;
  readyEndpoints: number;
}

/** Matched serial-console lines of one unregistered instance (never the whole console). */
export interface ConsoleEvidence {
  instanceId: string;
  lines: string[];
  /** why the console could not be read */
  unavailableReason?: string;
}

export interface IdentitySnapshot {
  /** access entries of the node role (its ARN, with or without path); absent in CONFIG_MAP mode */
  accessEntries?: Reading<AccessEntryInfo[]>;
  /** aws-auth mapRoles; null value = no aws-auth ConfigMap; absent when the Kubernetes API was not usable */
  awsAuth?: Reading<AwsAuthRoleMapping[] | null>;
  /** the node group's nodeRole; null value = the role does not exist (NoSuchEntity) */
  nodeRole?: Reading<IamRoleInfo | null>;
  /** the instance profiles the node group's instances carry */
  instanceProfiles?: Reading<InstanceProfileInfo[]>;
  /** SimulatePrincipalPolicy of the node role over NODE_BOOTSTRAP_ACTIONS */
  permissions?: Reading<PermissionDecision[]>;
  /** webhooks intercepting Node CREATE with their services' ready endpoints */
  webhooks?: Reading<{ webhooks: WebhookInfo[]; services: ServiceEndpoints[] }>;
  /** --read-console-output only */
  consoleOutput?: ConsoleEvidence[];
}
