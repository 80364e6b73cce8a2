/**
 * The identity side of the simulated account (contract section 7.1): IAM roles, instance
 * profiles and the AWS managed policies a node needs, and whether a node may join — the checks
 * nodeadm and the cluster make, in the order they make them — with what nodeadm / kubelet would
 * print to the serial console when one fails.
 *
 * Policy evaluation is @cloud-copilot/iam-simulate's (a real IAM policy evaluator), fed with the
 * role's attached and inline policy documents; nothing here evaluates a policy by hand.
 */
import { runSimulation, runUnsafeSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import managedPolicies from '../fixtures/iam-managed-policies.json';
import type { ScenarioIam, ScenarioRoleMapping } from '../scenario-identity';
import { createHash } from 'node:crypto';

/**
 * IAM's unique ids (AROA…, AIPA…), derived from the name so that adding IAM to the world never
 * shifts the ids of the other resources (scenarios and event fixtures name them).
 */
function stableId(prefix: string, name: string): string {
  return prefix + createHash('sha256').update(name).digest('hex').slice(0, 17).toUpperCase();
}

const MS = 1000;

export interface ManagedPolicy {
  policyName: string;
  policyId: string;
  document: unknown;
}

/** AWS managed policies the emulator knows by ARN (emulator/fixtures/iam-managed-policies.json). */
export const MANAGED_POLICIES: Readonly<Record<string, ManagedPolicy>> = managedPolicies;

/** What EKS's console and eksctl attach to a node role. */
export const DEFAULT_NODE_ROLE_POLICIES = [
  'arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy',
  'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly',
  'arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy',
];

export const EC2_TRUST_POLICY = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};

/**
 * The calls node bootstrap makes with the node role (same list as the remediator's
 * lambda/diagnosis/node-role-permissions.ts, which cites the nodeadm sources).
 */
export const NODE_BOOTSTRAP_CALLS = ['ec2:DescribeInstances', 'ecr:GetAuthorizationToken', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'];

export interface RoleRecord {
  roleName: string;
  path: string;
  arn: string;
  roleId: string;
  createDate: number;
  assumeRolePolicyDocument: unknown;
  attachedPolicyArns: string[];
  inlinePolicies: Record<string, unknown>;
}

export interface InstanceProfileRecord {
  instanceProfileName: string;
  instanceProfileId: string;
  arn: string;
  path: string;
  createDate: number;
  roleNames: string[];
}

export interface StatementMatch {
  sourcePolicyId: string;
  sourcePolicyType: string;
  /** 1-based position of the statement in its policy */
  statementIndex: number;
}

export interface SimulationDecision {
  action: string;
  /** allowed | explicitDeny | implicitDeny, as SimulatePrincipalPolicy spells it */
  decision: 'allowed' | 'explicitDeny' | 'implicitDeny';
  matchedStatements: StatementMatch[];
}

/** role/some/path/name → { path: "/some/path/", name } */
export function splitRoleArn(arn: string): { path: string; roleName: string } {
  const match = /^arn:[^:]+:iam::\d{12}:role(\/(?:.*\/)?)([^/]+)$/.exec(arn);
  return match ? { path: match[1] ?? '/', roleName: match[2] ?? arn } : { path: '/', roleName: arn.slice(arn.lastIndexOf('/') + 1) };
}

/** The role ARN without its path, as EKS and aws-iam-authenticator name a node's role. */
export function roleArnWithoutPath(arn: string): string {
  return arn.replace(/^(arn:[^:]+:iam::\d{12}:role\/)(?:.*\/)?([^/]+)$/, '$1$2');
}

const DECISION: Record<string, SimulationDecision['decision']> = {
  Allowed: 'allowed',
  ExplicitlyDenied: 'explicitDeny',
  ImplicitlyDenied: 'implicitDeny',
};

/**
 * Whether ec2.amazonaws.com may assume each role the scenario declares, judged by iam-simulate
 * from the role's trust policy (a resource policy for sts:AssumeRole). Asynchronous, so it is
 * worked out before the world boots its first instances (startEmulator passes it to World).
 */
export async function ec2TrustVerdicts(scenario: ScenarioIam | undefined, accountId: string): Promise<Map<string, boolean>> {
  const verdicts = new Map<string, boolean>();
  for (const role of scenario?.roles ?? []) {
    const arn = `arn:aws:iam::${accountId}:role${role.path ?? '/'}${role.roleName}`;
    const result = (await runSimulation(
      {
        identityPolicies: [],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: (role.assumeRolePolicyDocument ?? EC2_TRUST_POLICY) as Simulation['resourcePolicy'],
        request: { action: 'sts:AssumeRole', principal: 'ec2.amazonaws.com', resource: { accountId, resource: arn }, contextVariables: {} },
      } as Simulation,
      {},
    )) as unknown as SimulationOutcome;
    verdicts.set(role.roleName, result.overallResult === 'Allowed');
  }
  return verdicts;
}

export class IamWorld {
  readonly roles = new Map<string, RoleRecord>();
  readonly instanceProfiles = new Map<string, InstanceProfileRecord>();

  constructor(
    private readonly accountId: string,
    private readonly startedAt: number,
    scenario: ScenarioIam | undefined,
    /** ec2TrustVerdicts of the scenario's roles; roles made with EKS's defaults trust EC2 */
    private readonly trust: ReadonlyMap<string, boolean> = new Map(),
  ) {
    for (const role of scenario?.roles ?? []) {
      const path = role.path ?? '/';
      this.roles.set(role.roleName, {
        roleName: role.roleName,
        path,
        arn: `arn:aws:iam::${accountId}:role${path}${role.roleName}`,
        roleId: stableId('AROA', role.roleName),
        createDate: startedAt - 120 * 24 * 3600 * MS,
        assumeRolePolicyDocument: role.assumeRolePolicyDocument ?? EC2_TRUST_POLICY,
        attachedPolicyArns: role.attachedPolicyArns ?? [...DEFAULT_NODE_ROLE_POLICIES],
        inlinePolicies: role.inlinePolicies ?? {},
      });
    }
    for (const profile of scenario?.instanceProfiles ?? []) this.addInstanceProfile(profile.instanceProfileName, profile.roleNames);
  }

  /** A node group's role: the scenario's, or one made the way EKS's console / eksctl make it. */
  ensureNodeRole(roleArn: string): RoleRecord {
    const { path, roleName } = splitRoleArn(roleArn);
    const existing = this.roles.get(roleName);
    if (existing) return existing;
    const role: RoleRecord = {
      roleName,
      path,
      arn: `arn:aws:iam::${this.accountId}:role${path}${roleName}`,
      roleId: stableId('AROA', roleName),
      createDate: this.startedAt - 120 * 24 * 3600 * MS,
      assumeRolePolicyDocument: EC2_TRUST_POLICY,
      attachedPolicyArns: [...DEFAULT_NODE_ROLE_POLICIES],
      inlinePolicies: {},
    };
    this.roles.set(roleName, role);
    return role;
  }

  addInstanceProfile(instanceProfileName: string, roleNames: string[]): InstanceProfileRecord {
    const profile: InstanceProfileRecord = {
      instanceProfileName,
      instanceProfileId: stableId('AIPA', instanceProfileName),
      arn: `arn:aws:iam::${this.accountId}:instance-profile/${instanceProfileName}`,
      path: '/',
      createDate: this.startedAt - 120 * 24 * 3600 * MS,
      roleNames: [...roleNames],
    };
    this.instanceProfiles.set(instanceProfileName, profile);
    return profile;
  }

  roleByArn(arn: string): RoleRecord | undefined {
    const role = this.roles.get(splitRoleArn(arn).roleName);
    return role && roleArnWithoutPath(role.arn) === roleArnWithoutPath(arn) ? role : undefined;
  }

  /** The role's attached (managed) and inline policies, named as SimulatePrincipalPolicy names them. */
  policiesOf(role: RoleRecord): { name: string; type: string; policy: unknown }[] {
    return [
      ...role.attachedPolicyArns.flatMap((arn) => {
        const managed = MANAGED_POLICIES[arn];
        // SimulatePrincipalPolicy's SourcePolicyType: aws-managed | user-managed | role (inline) | ...
        return managed ? [{ name: managed.policyName, type: 'aws-managed', policy: managed.document }] : [];
      }),
      ...Object.entries(role.inlinePolicies).map(([name, policy]) => ({ name, type: 'role', policy })),
    ];
  }

  private simulation(role: RoleRecord, action: string): Simulation {
    return {
      identityPolicies: this.policiesOf(role).map((p) => ({ name: p.name, policy: p.policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        action,
        principal: role.arn,
        resource: { accountId: this.accountId, resource: '*' },
        contextVariables: {},
      },
    } as Simulation;
  }

  /** Whether EC2 may assume the role (a role the scenario declares: as ec2TrustVerdicts judged it). */
  decideTrust(role: RoleRecord): boolean {
    return this.trust.get(role.roleName) ?? true;
  }

  /** The decision alone, synchronously (a booting node asks this). */
  decide(role: RoleRecord, action: string): SimulationDecision['decision'] {
    return DECISION[runUnsafeSimulation(this.simulation(role, action), {})] ?? 'implicitDeny';
  }

  /** iam:SimulatePrincipalPolicy: the decision and the statements that decided it. */
  async simulate(role: RoleRecord, action: string): Promise<SimulationDecision> {
    const result = (await runSimulation(this.simulation(role, action), {})) as unknown as SimulationOutcome;
    const analysis = result.result?.analysis ?? result.results?.[0]?.analysis;
    const decision = DECISION[result.overallResult ?? analysis?.result ?? ''] ?? 'implicitDeny';
    const identity = analysis?.identityAnalysis;
    const statements = decision === 'explicitDeny' ? identity?.denyStatements : decision === 'allowed' ? identity?.allowStatements : [];
    const policies = this.policiesOf(role);
    return {
      action,
      decision,
      matchedStatements: (statements ?? []).map((s) => {
        const policy = policies.find((p) => p.name === s.policyId);
        const list = (policy?.policy as { Statement?: unknown } | undefined)?.Statement;
        const index = Array.isArray(list) ? list.findIndex((candidate) => JSON.stringify(candidate) === JSON.stringify(s.statement)) : 0;
        return { sourcePolicyId: s.policyId, sourcePolicyType: policy?.type ?? 'none', statementIndex: index + 1 };
      }),
    };
  }
}

/** The parts of iam-simulate's result read here. */
interface SimulationOutcome {
  overallResult?: string;
  result?: { analysis?: Analysis };
  results?: { analysis?: Analysis }[];
}
interface Analysis {
  result?: string;
  identityAnalysis?: {
    allowStatements?: { policyId: string; statement: unknown }[];
    denyStatements?: { policyId: string; statement: unknown }[];
  };
}

// ------------------------------------------------------------------ may this node join?

export type AuthenticationMode = 'API' | 'API_AND_CONFIG_MAP' | 'CONFIG_MAP';

export interface NodeIdentityFacts {
  clusterName: string;
  region: string;
  authenticationMode: AuthenticationMode;
  accessEntries: { principalArn: string; type?: string }[];
  /** null: no aws-auth ConfigMap */
  awsAuthMapRoles: ScenarioRoleMapping[] | null;
  clusterHealthCodes: string[];
  nodegroupHealthCodes: string[];
  metadataHttpEndpoint: string;
  amiType: string;
  /** the instance's profile, undefined = none */
  instanceProfile: InstanceProfileRecord | undefined;
  instanceProfileArn: string | undefined;
  /** ready endpoints of Fail webhooks on Node CREATE: the names of those with none */
  blockingWebhooks: string[];
  iam: IamWorld;
  privateDnsName: string;
}

/**
 * final: nodeadm failed and exits (the instance never registers until replaced);
 * retry: the cluster refused the node, kubelet keeps retrying and registers once the cause goes.
 */
export type IdentityVerdict = { joins: true } | { joins: false; final: boolean; cause: string; console: string[] };

/** Node group health codes that stop a node from bootstrapping in this world. */
export const NODE_STOPPING_NODEGROUP_CODES = new Set(['ClusterUnreachable', 'IamNodeRoleNotFound', 'IamInstanceProfileNotFound', 'AmiIdNotFound']);

function nodeadmError(msg: string, error: string): string {
  return `nodeadm[1842]: {"level":"error","ts":0,"caller":"init/init.go:53","msg":"${msg}","error":"${error.replace(/"/g, '\\"')}"}`;
}

const usesAccessEntries = (mode: AuthenticationMode) => mode !== 'CONFIG_MAP';
const usesAwsAuth = (mode: AuthenticationMode) => mode !== 'API';

/** The checks of node bootstrap, in the order nodeadm and the cluster make them. */
export function nodeIdentityVerdict(f: NodeIdentityFacts): IdentityVerdict {
  if (f.metadataHttpEndpoint === 'disabled') {
    return {
      joins: false,
      final: true,
      cause: 'instance metadata service disabled',
      console: [nodeadmError('Command failed', 'failed to get instance details from IMDS: operation error ec2imds: GetMetadata, http response error StatusCode: 0, request to EC2 IMDS failed: IMDS endpoint is disabled (http://169.254.169.254)')],
    };
  }
  const stopping = f.nodegroupHealthCodes.find((c) => NODE_STOPPING_NODEGROUP_CODES.has(c));
  if (stopping) {
    return { joins: false, final: true, cause: `node group health issue ${stopping}`, console: [nodeadmError('Command failed', `node group reports ${stopping}`)] };
  }
  const roleName = f.instanceProfile?.roleNames[0];
  const role = roleName ? f.iam.roles.get(roleName) : undefined;
  if (!f.instanceProfile || !role) {
    return {
      joins: false,
      final: true,
      cause: f.instanceProfile ? 'the instance profile holds no role' : 'no instance profile',
      console: [nodeadmError('Command failed', 'NoCredentialProviders: no valid providers in chain; no EC2 IMDS role found, operation error ec2imds: GetMetadata, http response error StatusCode: 404')],
    };
  }
  const trustsEc2 = f.iam.decideTrust(role);
  if (!trustsEc2) {
    return {
      joins: false,
      final: true,
      cause: `the trust policy of ${role.arn} does not let ec2.amazonaws.com assume it`,
      console: [nodeadmError('Command failed', `failed to refresh cached credentials, no EC2 IMDS role found: EC2 cannot assume ${role.arn} (AccessDenied: sts:AssumeRole)`)],
    };
  }
  for (const action of NODE_BOOTSTRAP_CALLS) {
    if (f.iam.decide(role, action) !== 'allowed') {
      const [service, operation] = action.split(':');
      return {
        joins: false,
        final: true,
        cause: `${role.arn} may not call ${action}`,
        console: [
          nodeadmError(
            'Command failed',
            `operation error ${service === 'ec2' ? 'EC2' : 'ECR'}: ${operation}, https response error StatusCode: 403, api error ${service === 'ec2' ? 'UnauthorizedOperation' : 'AccessDeniedException'}: User: arn:aws:sts::${role.arn.split(':')[4]}:assumed-role/${role.roleName}/i-node is not authorized to perform: ${action}`,
          ),
        ],
      };
    }
  }
  // nodeadm succeeded; kubelet now registers with the cluster and may be refused (it retries).
  if (f.clusterHealthCodes.includes('StsRegionalEndpointDisabled')) {
    return {
      joins: false,
      final: false,
      cause: 'regional STS endpoint disabled',
      console: [`kubelet[2211]: E0101 00:00:00.000000 2211 kubelet_node_status.go:96] "Unable to register node with API server" err="Unauthorized" node="${f.privateDnsName}"`, 'aws-iam-authenticator: STS regional endpoint deactivated for this account'],
    };
  }
  const admitted =
    (usesAccessEntries(f.authenticationMode) &&
      f.accessEntries.some((e) => roleArnWithoutPath(e.principalArn) === roleArnWithoutPath(role.arn) && e.type === (f.amiType.startsWith('WINDOWS_') ? 'EC2_WINDOWS' : 'EC2_LINUX'))) ||
    (usesAwsAuth(f.authenticationMode) &&
      (f.awsAuthMapRoles ?? []).some(
        (m) => m.rolearn === roleArnWithoutPath(role.arn) && m.groups.includes('system:bootstrappers') && m.groups.includes('system:nodes'),
      ));
  if (!admitted) {
    return {
      joins: false,
      final: false,
      cause: `${role.arn} has no access entry / aws-auth mapping`,
      console: [`kubelet[2211]: E0101 00:00:00.000000 2211 kubelet_node_status.go:96] "Unable to register node with API server" err="Unauthorized" node="${f.privateDnsName}"`],
    };
  }
  if (f.blockingWebhooks.length > 0) {
    return {
      joins: false,
      final: false,
      cause: `admission webhook ${f.blockingWebhooks.join(', ')} has no ready endpoint`,
      console: f.blockingWebhooks.map(
        (name) =>
          `kubelet[2211]: E0101 00:00:00.000000 2211 kubelet_node_status.go:96] "Unable to register node with API server" err="Internal error occurred: failed calling webhook \\"${name}\\": no endpoints available for service" node="${f.privateDnsName}"`,
      ),
    };
  }
  return { joins: true };
}
