/** The other identity and bootstrap checks (one describe per file under lambda/diagnosis/). */
import { matchConsoleLines } from '../../../lambda/diagnosis/console-output';
import { checkClusterHealth, checkNodegroupHealth } from '../../../lambda/diagnosis/health-issues';
import type { CheckContext } from '../../../lambda/diagnosis';
import { checkInstanceProfile } from '../../../lambda/diagnosis/instance-profile';
import { checkInstanceMetadata } from '../../../lambda/diagnosis/metadata';
import { checkNodeRolePermissions } from '../../../lambda/diagnosis/node-role-permissions';
import { checkNodeRoleTrustPolicy, trustsEc2 } from '../../../lambda/diagnosis/trust-policy';
import { checkNodeWebhooks } from '../../../lambda/diagnosis/webhooks';
import type { Snapshot } from '../../../lambda/model';
import { config, SEED, seedSnapshot } from '../../fixtures/snapshots/builder';

const ROLE = 'arn:aws:iam::123456789012:role/new-nodegroup-2-role';
const CONTEXT: CheckContext = { config: config(), unregisteredInstanceIds: [SEED.instanceId], subnetPaths: [] };
const NOTHING_UNREGISTERED: CheckContext = { ...CONTEXT, unregisteredInstanceIds: [] };

function snapshot(identity: Snapshot['identity'] = {}): Snapshot {
  const s = seedSnapshot();
  s.nodegroup.nodeRole = ROLE;
  s.identity = identity;
  return s;
}

describe('checkNodeRolePermissions (IAM simulation)', () => {
  const denied = snapshot({
    permissions: {
      status: 'read',
      value: [
        { action: 'ec2:DescribeInstances', decision: 'allowed', matchedStatements: [{ sourcePolicyId: 'AmazonEKSWorkerNodePolicy' }] },
        { action: 'ecr:BatchGetImage', decision: 'explicitDeny', matchedStatements: [{ sourcePolicyId: 'deny-ecr', startLine: 1 }] },
        { action: 'ecr:GetAuthorizationToken', decision: 'implicitDeny', matchedStatements: [] },
      ],
    },
  });

  it('names each denied action with its deciding statement, and the fix', () => {
    const [finding] = checkNodeRolePermissions(denied, CONTEXT);
    expect(finding).toMatchObject({ code: 'NODE_ROLE_MISSING_PERMISSIONS', resourceId: ROLE, remediable: false });
    expect(finding!.evidence['deniedActions']).toEqual([
      { action: 'ecr:BatchGetImage', decision: 'explicitDeny', decidingStatements: [{ sourcePolicyId: 'deny-ecr', startLine: 1 }] },
      { action: 'ecr:GetAuthorizationToken', decision: 'implicitDeny', decidingStatements: [] },
    ]);
    expect(finding!.evidence['fix']).toContain('aws iam attach-role-policy --role-name new-nodegroup-2-role --policy-arn arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly');
    expect(finding!.evidence['fix']).toContain('deny-ecr');
  });

  it('is silent when everything is allowed or nothing is unregistered', () => {
    expect(checkNodeRolePermissions(snapshot({ permissions: { status: 'read', value: [{ action: 'ec2:DescribeInstances', decision: 'allowed', matchedStatements: [] }] } }), CONTEXT)).toEqual([]);
    expect(checkNodeRolePermissions(denied, NOTHING_UNREGISTERED)).toEqual([]);
  });
});

describe('checkNodeRoleTrustPolicy', () => {
  const trust = (principal: unknown, effect = 'Allow') => ({ Version: '2012-10-17', Statement: [{ Effect: effect, Principal: principal, Action: 'sts:AssumeRole' }] });

  it('accepts ec2.amazonaws.com (alone or in a list) and refuses other services or a Deny', () => {
    expect(trustsEc2(trust({ Service: 'ec2.amazonaws.com' }))).toBe(true);
    expect(trustsEc2(trust({ Service: ['eks.amazonaws.com', 'ec2.amazonaws.com'] }))).toBe(true);
    expect(trustsEc2(trust({ Service: 'lambda.amazonaws.com' }))).toBe(false);
    expect(trustsEc2({ Statement: [...trust({ Service: 'ec2.amazonaws.com' }).Statement, ...trust({ Service: 'ec2.amazonaws.com' }, 'Deny').Statement] })).toBe(false);
  });

  it('reports a role EC2 cannot assume, and a role that does not exist', () => {
    const wrong = checkNodeRoleTrustPolicy(snapshot({ nodeRole: { status: 'read', value: { roleName: 'x', arn: ROLE, assumeRolePolicyDocument: trust({ Service: 'lambda.amazonaws.com' }) } } }), CONTEXT);
    expect(wrong[0]).toMatchObject({ code: 'NODE_ROLE_TRUST_POLICY', resourceId: ROLE });
    expect(wrong[0]!.evidence['fix']).toMatch(/^aws iam update-assume-role-policy --role-name new-nodegroup-2-role/);
    const gone = checkNodeRoleTrustPolicy(snapshot({ nodeRole: { status: 'read', value: null } }), CONTEXT);
    expect(gone[0]!.evidence).toMatchObject({ roleExists: false });
  });
});

describe('checkInstanceProfile', () => {
  it('reports an instance whose profile holds another role', () => {
    const s = snapshot({ instanceProfiles: { status: 'read', value: [{ instanceProfileName: 'legacy', arn: 'arn:aws:iam::123456789012:instance-profile/legacy', roleArns: ['arn:aws:iam::123456789012:role/other'] }] } });
    s.instances[0]!.iamInstanceProfileArn = 'arn:aws:iam::123456789012:instance-profile/legacy';
    const [finding] = checkInstanceProfile(s, CONTEXT);
    expect(finding).toMatchObject({ code: 'INSTANCE_PROFILE_MISMATCH', severity: 'error' });
    expect(finding!.evidence['fix']).toContain('aws iam add-role-to-instance-profile --instance-profile-name legacy --role-name new-nodegroup-2-role');
  });

  it('accepts a profile holding the node role (paths aside)', () => {
    const s = snapshot({ instanceProfiles: { status: 'read', value: [{ instanceProfileName: 'eks-1', arn: 'x', roleArns: ['arn:aws:iam::123456789012:role/p/new-nodegroup-2-role'] }] } });
    s.instances[0]!.iamInstanceProfileArn = 'arn:aws:iam::123456789012:instance-profile/eks-1';
    expect(checkInstanceProfile(s, CONTEXT)).toEqual([]);
  });
});

describe('checkInstanceMetadata', () => {
  it('reports unregistered instances whose IMDS endpoint is disabled, with the launch template fix', () => {
    const s = snapshot();
    s.instances[0]!.metadataHttpEndpoint = 'disabled';
    const [finding] = checkInstanceMetadata(s, CONTEXT);
    expect(finding).toMatchObject({ code: 'INSTANCE_METADATA_DISABLED', evidence: expect.objectContaining({ instanceIds: [SEED.instanceId] }) });
    expect(finding!.evidence['fix']).toContain('HttpEndpoint=enabled');
    s.instances[0]!.metadataHttpEndpoint = 'enabled';
    expect(checkInstanceMetadata(s, CONTEXT)).toEqual([]);
  });
});

describe('checkNodeWebhooks', () => {
  const webhook = { kind: 'ValidatingWebhookConfiguration' as const, configurationName: 'node-policy', webhookName: 'node-policy.example.com', failurePolicy: 'Fail', interceptsNodeCreate: true, service: { namespace: 'policy', name: 'node-policy' } };

  it('reports a Fail webhook on Node CREATE whose service has no ready endpoint', () => {
    const [finding] = checkNodeWebhooks(snapshot({ webhooks: { status: 'read', value: { webhooks: [webhook], services: [{ namespace: 'policy', name: 'node-policy', readyEndpoints: 0 }] } } }), CONTEXT);
    expect(finding).toMatchObject({ code: 'NODE_WEBHOOK_BLOCKING', resourceId: 'node-policy' });
  });

  it('ignores Ignore-policy webhooks, webhooks not on nodes, and services with ready endpoints', () => {
    const services = [{ namespace: 'policy', name: 'node-policy', readyEndpoints: 0 }];
    const check = (w: typeof webhook, ready = services) => checkNodeWebhooks(snapshot({ webhooks: { status: 'read', value: { webhooks: [w], services: ready } } }), CONTEXT);
    expect(check({ ...webhook, failurePolicy: 'Ignore' })).toEqual([]);
    expect(check({ ...webhook, interceptsNodeCreate: false })).toEqual([]);
    expect(check(webhook, [{ namespace: 'policy', name: 'node-policy', readyEndpoints: 2 }])).toEqual([]);
  });
});

describe('health issues', () => {
  it('reports every node group code but NodeCreationFailure, with meaning and fix', () => {
    const s = snapshot();
    s.nodegroup.healthIssues = [
      { code: 'NodeCreationFailure', resourceIds: [SEED.instanceId] },
      { code: 'Ec2LaunchTemplateVersionMismatch', message: 'The launch template version does not match', resourceIds: [SEED.asgName] },
    ];
    const findings = checkNodegroupHealth(s, CONTEXT);
    expect(findings.map((f) => f.evidence['code'])).toEqual(['Ec2LaunchTemplateVersionMismatch']);
    expect(findings[0]!.evidence['fix']).toContain(`aws eks update-nodegroup-version --cluster-name ${SEED.clusterName} --nodegroup-name ${SEED.nodegroupName}`);
    expect(findings[0]!.severity).toBe('error');
  });

  it('explains StsRegionalEndpointDisabled with the console step, and is a warning when every node joined', () => {
    const s = snapshot();
    s.cluster.healthIssues = [{ code: 'StsRegionalEndpointDisabled', resourceIds: [] }];
    const [finding] = checkClusterHealth(s, CONTEXT);
    expect(finding).toMatchObject({ code: 'CLUSTER_HEALTH_ISSUE', severity: 'error' });
    expect(finding!.evidence['fix']).toContain('Security Token Service (STS) > Endpoints: activate us-west-2');
    expect(checkClusterHealth(s, NOTHING_UNREGISTERED)[0]!.severity).toBe('warning');
  });
});

describe('matchConsoleLines', () => {
  it('keeps only known failure lines, never the rest of the console', () => {
    const console = [
      'cloud-init[1620]: Cloud-init v. 22.2.2 running',
      'export AWS_SECRET_ACCESS_KEY=abc123',
      'nodeadm[1842]: {"level":"error","msg":"Command failed","error":"IMDS endpoint is disabled"}',
      'kubelet[2211]: "Unable to register node with API server" err="Unauthorized"',
    ].join('\n');
    expect(matchConsoleLines(console)).toEqual([
      'nodeadm[1842]: {"level":"error","msg":"Command failed","error":"IMDS endpoint is disabled"}',
      'kubelet[2211]: "Unable to register node with API server" err="Unauthorized"',
    ]);
  });
});
