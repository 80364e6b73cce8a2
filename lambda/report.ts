/**
 * The remediation report: the public shape of contract section 2.
 * Field names here are stable API — alarms, dashboards and black-box tests read them.
 */

export type Outcome = 'HEALTHY' | 'REMEDIATED' | 'DRY_RUN' | 'UNRESOLVED' | 'SKIPPED' | 'FAILED';

export type RegistrationSource = 'kubernetes-api' | 'nodegroup-health';

export type FindingCode =
  | 'NODES_NOT_REGISTERED'
  | 'NO_DEFAULT_ROUTE'
  | 'BLACKHOLE_DEFAULT_ROUTE'
  | 'NAT_GATEWAY_NOT_AVAILABLE'
  | 'NO_USABLE_NAT_GATEWAY'
  | 'SHARED_ROUTE_TABLE'
  | 'PUBLIC_SUBNET_WITHOUT_PUBLIC_IP'
  | 'EGRESS_VIA_UNVERIFIED_TARGET'
  | 'NAT_GATEWAY_WITHOUT_INTERNET'
  | 'MISSING_VPC_ENDPOINTS'
  | 'VPC_ENDPOINT_NOT_SERVING'
  | 'VPC_DNS_DISABLED'
  | 'CUSTOM_DNS_SERVERS'
  | 'ENDPOINT_ACCESS_DENIES_NODES'
  | 'SECURITY_GROUP_BLOCKS_CLUSTER'
  | 'NETWORK_ACL_BLOCKS_TRAFFIC'
  | 'SUBNET_ADDRESSES_EXHAUSTED'
  | 'NODE_ROLE_NOT_AUTHORIZED'
  | 'NODE_ROLE_MISSING_PERMISSIONS'
  | 'NODE_ROLE_TRUST_POLICY'
  | 'INSTANCE_PROFILE_MISMATCH'
  | 'INSTANCE_METADATA_DISABLED'
  | 'NODE_WEBHOOK_BLOCKING'
  | 'NODEGROUP_HEALTH_ISSUE'
  | 'CLUSTER_HEALTH_ISSUE'
  | 'INSTANCES_BOOTED_BEFORE_FIX'
  // Extensions (the contract allows more codes):
  /** The Kubernetes API could not be used; registration was read from the node group's health. */
  | 'KUBERNETES_API_UNAVAILABLE'
  /** A NAT gateway override was given but fails the safety rules. */
  | 'NAT_GATEWAY_OVERRIDE_REJECTED'
  /** Registered nodes exist but are NotReady (reported, never acted on). */
  | 'NODES_NOT_READY'
  /** A scale cycle of this tool left the node group below its recorded scaling (restored first). */
  | 'NODEGROUP_LEFT_SCALED_DOWN';

export type Severity = 'error' | 'warning' | 'info';

export type ActionType =
  | 'CREATE_ROUTE'
  | 'REPLACE_ROUTE'
  | 'REPLACE_INSTANCES'
  | 'SCALE_CYCLE'
  | 'CREATE_ACCESS_ENTRY'
  // Extension (the contract allows more): puts back the scaling a scale cycle of this tool left
  // below its recorded original (detail: clusterName, nodegroupName, original, current, strandedBy).
  | 'RESTORE_SCALING';

/** What caused a run (contract section 2): the kind, and the event id / caller / instance id behind it. */
export interface Trigger {
  kind: 'cloudtrail' | 'instance-launch' | 'sweep' | 'manual' | 'cli' | 'recheck';
  eventId?: string;
  /** CloudTrail userIdentity.arn of the caller */
  caller?: string;
  instanceId?: string;
  /** recheck: why it was scheduled */
  reason?: string;
  /** free text for logs */
  detail?: string;
}

export type ActionStatus = 'planned' | 'done' | 'failed' | 'skipped';

export interface InstanceReport {
  instanceId: string;
  subnetId: string;
  availabilityZone: string;
  /** ISO-8601 */
  launchTime: string;
  registered: boolean;
  nodeName?: string;
  ready?: boolean;
}

export interface Finding {
  code: FindingCode;
  severity: Severity;
  resourceId: string;
  message: string;
  remediable: boolean;
  evidence: Record<string, unknown>;
}

export interface Action {
  type: ActionType;
  resourceId: string;
  status: ActionStatus;
  detail: Record<string, unknown>;
}

export interface Verification {
  status: 'joined' | 'pending' | 'not-attempted';
  registered: number;
  expected: number;
}

export interface Report {
  clusterName: string;
  nodegroupName: string;
  region: string;
  outcome: Outcome;
  reason: string;
  dryRun: boolean;
  registrationSource: RegistrationSource;
  instances: InstanceReport[];
  findings: Finding[];
  actions: Action[];
  verification: Verification;
  /** what caused the run; every report carries one (contract section 2) */
  trigger: Trigger;
  /** the AWS account the run examined (organisation shape: central consumers tell members apart) */
  accountId?: string;
  /** one id per remediation, carried by the re-checks that continue it (contract section 8) */
  remediationId?: string;
  /**
   * What a person does next (UNRESOLVED, FAILED, a SKIPPED "not found"): one line each, in words
   * and, where one exists, the exact command; settings named for where the report was made
   * (CLI flag, or CDK context key and Lambda environment variable). See lambda/next-steps.ts.
   */
  nextSteps?: string[];
}

/** A report with nothing examined yet: engine and handler fill in what they learn. */
export function blankReport(
  target: { clusterName: string; nodegroupName: string; region: string; dryRun: boolean; trigger: Trigger },
  outcome: Outcome = 'HEALTHY',
  reason = '',
): Report {
  return {
    ...target,
    outcome,
    reason,
    registrationSource: 'kubernetes-api',
    instances: [],
    findings: [],
    actions: [],
    verification: { status: 'not-attempted', registered: 0, expected: 0 },
  };
}

/** What a run over several node groups returns. */
export interface MultiReport {
  reports: Report[];
}
