/**
 * diagnose(snapshot, config): which instances never joined, and why, as findings with evidence.
 * Pure: the snapshot's `takenAt` is the clock. Safety decisions are not taken here (see plan.ts);
 * `remediable` only tells the reader whether the plan will fix a finding under this configuration.
 */
import type { Config } from '../config';
import type { Diagnosis, Snapshot, SubnetPath } from '../model';
import type { Finding } from '../report';
import { checkClusterHealth, checkNodegroupHealth } from './health-issues';
import { checkInstanceProfile } from './instance-profile';
import { checkInstanceMetadata } from './metadata';
import { checkNodeRoleAccess } from './node-role-access';
import { checkNodeRolePermissions } from './node-role-permissions';
import { bootedBeforeFix } from './booted-before-fix';
import { launchSubnetPaths } from './launch-subnets';
import { assessRegistration, nodeCreationFailureInstanceIds } from './registration';
import { strandedScalingCheck } from './stranded-scaling';
import { diagnoseRoutes } from './routes';
import { checkSubnetAddresses } from './addresses';
import { checkDns } from './dns';
import { checkEndpointAccess } from './endpoint-access';
import { checkMissingEndpoints } from './endpoints';
import { checkEndpointServing } from './endpoint-serving';
import { checkS3PathOfNotReadyNodes } from './s3-path';
import { checkNetworkAcls } from './network-acls';
import { checkSecurityGroups } from './security-groups';
import { checkNodeRoleTrustPolicy } from './trust-policy';
import { checkNodeWebhooks } from './webhooks';

export { chooseNatGateway, natGatewayRejection, describeCandidates } from './nat';
export type { NatCandidate, NatChoice, NatRequest } from './nat';
export { assessRegistration, nodeCreationFailureInstanceIds, nodesByInstanceId } from './registration';
export type { RegistrationAssessment } from './registration';
export { diagnoseRoutes, judgeDefaultRoute, privateEndpointPath, routeFixFor } from './routes';
export type { DefaultRouteVerdict } from './routes';

export { blockersOf, describeBlockers, BLOCKER_CODES } from './blockers';

type DiagnosisConfig = Pick<Config, 'graceSeconds' | 'recycle' | 'natGatewayId' | 'allowSharedRouteTables'> &
  /** allowInternetEgress: contract section 3, a NAT route may be written on an endpoint-only subnet */
  Partial<Pick<Config, 'createNodeAccessEntry' | 'allowInternetEgress'>>;

/** What a cause check sees besides the snapshot: the knobs and what registration and routes found. */
export interface CheckContext {
  config: DiagnosisConfig;
  /** instances older than the grace period with no Node: a cause on their path is a blocker */
  unregisteredInstanceIds: readonly string[];
  subnetPaths: readonly SubnetPath[];
}

/** One cause of the network or identity side (one file each under lambda/diagnosis/). Pure. */
export type CauseCheck = (snapshot: Snapshot, context: CheckContext) => Finding[];

/** Every cause check, in report order. A new cause is one file and one line here. */
const CAUSE_CHECKS: readonly CauseCheck[] = [
  strandedScalingCheck,
  bootedBeforeFix,
  launchSubnetPaths,
  checkNodeRoleAccess,
  checkNodeRolePermissions,
  checkNodeRoleTrustPolicy,
  checkInstanceProfile,
  checkInstanceMetadata,
  checkNodeWebhooks,
  checkNodegroupHealth,
  checkClusterHealth,
  checkMissingEndpoints,
  checkEndpointServing,
  checkS3PathOfNotReadyNodes,
  checkDns,
  checkEndpointAccess,
  checkSecurityGroups,
  checkNetworkAcls,
  checkSubnetAddresses,
];

export function diagnose(snapshot: Snapshot, config: DiagnosisConfig): Diagnosis {
  const registration = assessRegistration(snapshot, config);
  const routes = diagnoseRoutes(snapshot, registration.unregisteredInstanceIds, config);

  const findings: Finding[] = [];
  if (registration.unregisteredInstanceIds.length > 0) {
    findings.push(
      notRegisteredFinding(snapshot, config, registration.unregisteredInstanceIds, routes.subnetPaths, {
        workingPathSubnetIds: routes.workingPathSubnetIds,
        fixableSubnetIds: routes.fixableSubnetIds,
      }),
    );
  }
  const notReady = registration.findings.filter((f) => f.code === 'NODES_NOT_READY');
  findings.push(...registration.findings.filter((f) => f.code !== 'NODES_NOT_READY'));
  findings.push(...routes.findings);
  const context: CheckContext = {
    config,
    unregisteredInstanceIds: registration.unregisteredInstanceIds,
    subnetPaths: routes.subnetPaths,
  };
  for (const check of CAUSE_CHECKS) findings.push(...check(snapshot, context));
  findings.push(...notReady);

  return {
    instances: registration.instances,
    findings,
    subnetPaths: routes.subnetPaths,
    unregisteredInstanceIds: registration.unregisteredInstanceIds,
    youngInstanceIds: registration.youngInstanceIds,
  };
}

function notRegisteredFinding(
  snapshot: Snapshot,
  config: DiagnosisConfig,
  unregisteredInstanceIds: string[],
  subnetPaths: SubnetPath[],
  routes: { workingPathSubnetIds: string[]; fixableSubnetIds: string[] },
): Finding {
  const unregistered = snapshot.instances.filter((i) => unregisteredInstanceIds.includes(i.instanceId));
  const subnetIds = [...new Set(unregistered.map((i) => i.subnetId))].sort();
  const fixable = unregistered.some((i) => routes.fixableSubnetIds.includes(i.subnetId));
  const working = [...new Set(routes.workingPathSubnetIds)].sort();
  const failedPerEks = [...nodeCreationFailureInstanceIds(snapshot.nodegroup)].sort();
  const cause =
    working.length > 0
      ? ` The egress path of ${working.join(', ')} looks fine, so routing does not explain it there: check the node ` +
        'IAM role and its access entry, security groups, and the instance bootstrap logs.'
      : '';
  return {
    code: 'NODES_NOT_REGISTERED',
    severity: 'error',
    resourceId: snapshot.nodegroup.nodegroupName,
    message:
      `${unregisteredInstanceIds.length} instance(s) older than ${config.graceSeconds}s have no Node object: ` +
      `${unregisteredInstanceIds.join(', ')}.${cause}`,
    remediable: fixable && config.recycle !== 'none',
    evidence: {
      instanceIds: unregisteredInstanceIds,
      graceSeconds: config.graceSeconds,
      registrationSource: snapshot.registration.source,
      subnetIds,
      egressBySubnet: Object.fromEntries(subnetPaths.map((p) => [p.subnetId, p.egress])),
      workingPathSubnetIds: working,
      ...(failedPerEks.length > 0 ? { nodeCreationFailureInstanceIds: failedPerEks } : {}),
      ...(snapshot.identity?.consoleOutput ? { consoleOutput: snapshot.identity.consoleOutput } : {}),
    },
  };
}
