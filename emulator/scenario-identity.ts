/**
 * The identity side of the scenario file (contract section 7.1): authentication mode, aws-auth,
 * access entry types, node roles and their IAM roles and instance profiles, health issues,
 * admission webhooks and instance metadata options. All optional, AWS defaults when absent.
 */
import { ScenarioError, type FieldReader, type Scenario, type ScenarioAccessEntry } from './scenario';

export const AUTHENTICATION_MODES = ['API', 'API_AND_CONFIG_MAP', 'CONFIG_MAP'] as const;
export type AuthenticationMode = (typeof AUTHENTICATION_MODES)[number];
export const ACCESS_ENTRY_TYPES = ['STANDARD', 'EC2_LINUX', 'EC2_WINDOWS'] as const;

export interface ScenarioHealthIssue {
  code: string;
  message?: string;
}

export interface ScenarioRoleMapping {
  rolearn: string;
  username?: string;
  groups: string[];
}

/** An admission webhook on Node objects; blocks registration when Fail and its service is not ready. */
export interface ScenarioWebhook {
  name: string;
  failurePolicy: 'Fail' | 'Ignore';
  /** the resources its rules match: "nodes" (or "*") */
  rules: string;
  operations?: string[];
  serviceReady: boolean;
  /** ValidatingWebhookConfiguration (default) or MutatingWebhookConfiguration */
  kind?: 'Validating' | 'Mutating';
  /** the webhook's Service (default: the webhook's name in namespace "webhooks") */
  service?: { namespace: string; name: string };
}

export interface ScenarioClusterIdentity {
  /** default API_AND_CONFIG_MAP */
  authenticationMode?: AuthenticationMode;
  /** the kube-system/aws-auth ConfigMap's mapRoles (EKS adds node group roles to it) */
  awsAuth?: { mapRoles: ScenarioRoleMapping[] };
  health?: ScenarioHealthIssue[];
  webhooks?: ScenarioWebhook[];
}

export interface ScenarioNodegroupIdentity {
  /** false: EKS did not (or no longer does) admit the node role (no access entry, no aws-auth mapping) */
  nodeAccessEntry?: boolean;
  /** MetadataOptions.HttpEndpoint of the instances (default enabled) */
  metadataHttpEndpoint?: 'enabled' | 'disabled';
  health?: ScenarioHealthIssue[];
  /** the instances' profile (default: one EKS made, holding the node role) */
  instanceProfileName?: string;
}

export interface ScenarioRole {
  roleName: string;
  path?: string;
  /** default: trusts ec2.amazonaws.com */
  assumeRolePolicyDocument?: unknown;
  /** default for node roles: the AWS managed node policies */
  attachedPolicyArns?: string[];
  inlinePolicies?: Record<string, unknown>;
}

export interface ScenarioInstanceProfile {
  instanceProfileName: string;
  roleNames: string[];
}

export interface ScenarioIam {
  roles: ScenarioRole[];
  instanceProfiles: ScenarioInstanceProfile[];
}

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function readHealth(r: FieldReader, key: string): ScenarioHealthIssue[] | undefined {
  return r.optionalObjects(key, (h) => compact({ code: h.string('code'), message: h.optionalString('message') }));
}

function policyDocument(r: FieldReader, key: string): unknown {
  const value = r.raw(key);
  if (typeof value === 'string') {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      throw new ScenarioError(r.path(key), 'a policy document (JSON object or JSON text)');
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw r.error(key, 'a policy document (an object with Version and Statement)');
  }
  return value;
}

export function readAccessEntry(e: FieldReader): ScenarioAccessEntry {
  return compact({
    principalArn: e.string('principalArn'),
    kubernetesGroups: e.strings('kubernetesGroups'),
    accessPolicies: e.strings('accessPolicies'),
    type: e.optionalOneOf('type', ACCESS_ENTRY_TYPES),
  });
}

export function readClusterIdentity(r: FieldReader): ScenarioClusterIdentity {
  return compact({
    authenticationMode: r.optionalOneOf('authenticationMode', AUTHENTICATION_MODES),
    awsAuth: r.has('awsAuth')
      ? {
          mapRoles: r.object('awsAuth').objects('mapRoles', (m) =>
            compact({ rolearn: m.string('rolearn'), username: m.optionalString('username'), groups: m.strings('groups') }),
          ),
        }
      : undefined,
    health: readHealth(r, 'health'),
    webhooks: r.optionalObjects('webhooks', (w) =>
      compact({
        name: w.string('name'),
        failurePolicy: w.oneOf('failurePolicy', ['Fail', 'Ignore'] as const),
        rules: w.string('rules'),
        operations: w.optionalStrings('operations'),
        serviceReady: w.boolean('serviceReady'),
        kind: w.optionalOneOf('kind', ['Validating', 'Mutating'] as const),
        service: w.has('service') ? { namespace: w.object('service').string('namespace'), name: w.object('service').string('name') } : undefined,
      }),
    ),
  });
}

export function readNodegroupIdentity(r: FieldReader): ScenarioNodegroupIdentity {
  return compact({
    nodeAccessEntry: r.optionalBoolean('nodeAccessEntry'),
    metadataHttpEndpoint: r.optionalOneOf('metadataHttpEndpoint', ['enabled', 'disabled'] as const),
    health: readHealth(r, 'health'),
    instanceProfileName: r.optionalString('instanceProfileName'),
  });
}

function readInlinePolicies(reader: FieldReader, value: object): Record<string, unknown> {
  return Object.fromEntries(Object.keys(value).map((name) => [name, policyDocument(reader, name)]));
}

export function readIam(r: FieldReader): ScenarioIam {
  return {
    roles: r.has('roles')
      ? r.objects('roles', (role) =>
          compact({
            roleName: role.string('roleName'),
            path: role.optionalString('path'),
            assumeRolePolicyDocument: role.has('assumeRolePolicyDocument') ? policyDocument(role, 'assumeRolePolicyDocument') : undefined,
            attachedPolicyArns: role.optionalStrings('attachedPolicyArns'),
            inlinePolicies: role.has('inlinePolicies') ? readInlinePolicies(role.object('inlinePolicies'), role.raw('inlinePolicies') as object) : undefined,
          }),
        )
      : [],
    instanceProfiles: r.has('instanceProfiles')
      ? r.objects('instanceProfiles', (p) => ({ instanceProfileName: p.string('instanceProfileName'), roleNames: p.strings('roleNames') }))
      : [],
  };
}

/** IAM names referenced by node groups and profiles exist; nothing is declared twice. */
export function checkIdentityReferences(s: Scenario): void {
  const roles = s.iam?.roles ?? [];
  const profiles = s.iam?.instanceProfiles ?? [];
  const seen = new Set<string>();
  roles.forEach((role, i) => {
    if (seen.has(role.roleName)) throw new ScenarioError(`iam.roles[${i}].roleName`, `"${role.roleName}" is declared twice`);
    seen.add(role.roleName);
  });
  profiles.forEach((profile, i) =>
    profile.roleNames.forEach((name, j) => {
      if (!seen.has(name) && !s.clusters.some((c) => c.nodegroups.some((n) => n.nodeRole?.endsWith(`/${name}`)))) {
        throw new ScenarioError(`iam.instanceProfiles[${i}].roleNames[${j}]`, `"${name}" is not a role of the scenario`);
      }
    }),
  );
  s.clusters.forEach((c, i) =>
    c.nodegroups.forEach((n, j) => {
      if (n.instanceProfileName && !profiles.some((p) => p.instanceProfileName === n.instanceProfileName)) {
        throw new ScenarioError(`clusters[${i}].nodegroups[${j}].instanceProfileName`, `"${n.instanceProfileName}" is not in iam.instanceProfiles`);
      }
    }),
  );
}
