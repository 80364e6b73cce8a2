import { accessEntryRefusal, accessEntryTypeFor, checkNodeRoleAccess, nodeRoleAccess, sameRole, withoutPath } from '../../../lambda/diagnosis/node-role-access';
import type { CheckContext } from '../../../lambda/diagnosis';
import type { Snapshot } from '../../../lambda/model';
import { config, SEED, seedSnapshot } from '../../fixtures/snapshots/builder';

const ROLE = 'arn:aws:iam::123456789012:role/eks/nodes/new-nodegroup-2-role';
const ROLE_WITHOUT_PATH = 'arn:aws:iam::123456789012:role/new-nodegroup-2-role';

function context(overrides: Partial<CheckContext['config']> = {}): CheckContext {
  return { config: config(overrides), unregisteredInstanceIds: [SEED.instanceId], subnetPaths: [] };
}

/** The seed snapshot with the node role's identity facts: no entry and no mapping unless given. */
function snapshotWith(mode: string, identity: Snapshot['identity'] = {}): Snapshot {
  const snapshot = seedSnapshot();
  snapshot.cluster.authenticationMode = mode;
  snapshot.nodegroup.nodeRole = ROLE;
  snapshot.nodegroup.amiType = 'AL2023_x86_64_STANDARD';
  snapshot.identity = {
    accessEntries: { status: 'read', value: [] },
    awsAuth: { status: 'read', value: [] },
    ...identity,
  };
  return snapshot;
}

describe('role ARNs as EKS compares them', () => {
  it('drops the path of a role ARN, and matches roles across paths', () => {
    expect(withoutPath(ROLE)).toBe(ROLE_WITHOUT_PATH);
    expect(sameRole(ROLE, ROLE_WITHOUT_PATH)).toBe(true);
    expect(sameRole(ROLE, 'arn:aws:iam::123456789012:role/other')).toBe(false);
  });

  it('wants EC2_WINDOWS for Windows AMI types and EC2_LINUX for the others', () => {
    expect(accessEntryTypeFor('WINDOWS_CORE_2022_x86_64')).toBe('EC2_WINDOWS');
    expect(accessEntryTypeFor('BOTTLEROCKET_ARM_64')).toBe('EC2_LINUX');
    expect(accessEntryTypeFor(undefined)).toBe('EC2_LINUX');
  });
});

describe('checkNodeRoleAccess', () => {
  it('API mode, no access entry: NODE_ROLE_NOT_AUTHORIZED with the create-access-entry fix', () => {
    // Act
    const [finding] = checkNodeRoleAccess(snapshotWith('API'), context());
    // Assess
    expect(finding).toMatchObject({ code: 'NODE_ROLE_NOT_AUTHORIZED', severity: 'error', resourceId: ROLE, remediable: false });
    expect(finding!.evidence['fix']).toBe(`aws eks create-access-entry --cluster-name ${SEED.clusterName} --principal-arn ${ROLE} --type EC2_LINUX`);
  });

  it('an EC2_LINUX entry admits the role; a STANDARD one does not', () => {
    const entry = (type: string) => snapshotWith('API', { accessEntries: { status: 'read', value: [{ principalArn: ROLE, type, kubernetesGroups: [] }] } });
    expect(checkNodeRoleAccess(entry('EC2_LINUX'), context())).toEqual([]);
    expect(checkNodeRoleAccess(entry('STANDARD'), context())[0]!.message).toContain('of type STANDARD, not EC2_LINUX');
  });

  it('CONFIG_MAP mode: a mapping admits the role only by its ARN without path and with both node groups', () => {
    const mapped = (rolearn: string, groups: string[]) =>
      snapshotWith('CONFIG_MAP', { accessEntries: undefined, awsAuth: { status: 'read', value: [{ rolearn, groups }] } });
    expect(checkNodeRoleAccess(mapped(ROLE_WITHOUT_PATH, ['system:bootstrappers', 'system:nodes']), context())).toEqual([]);
    expect(checkNodeRoleAccess(mapped(ROLE, ['system:bootstrappers', 'system:nodes']), context())[0]!.message).toContain('names the role with a path');
    expect(checkNodeRoleAccess(mapped(ROLE_WITHOUT_PATH, ['system:nodes']), context())[0]!.message).toContain('lacks the groups');
  });

  it('API_AND_CONFIG_MAP: either an entry or a mapping is enough', () => {
    const snapshot = snapshotWith('API_AND_CONFIG_MAP', { awsAuth: { status: 'read', value: [{ rolearn: ROLE_WITHOUT_PATH, groups: ['system:bootstrappers', 'system:nodes'] }] } });
    expect(checkNodeRoleAccess(snapshot, context())).toEqual([]);
  });

  it('says nothing when a fact it needs could not be read, or when no instance is unregistered', () => {
    const unreadable = snapshotWith('API_AND_CONFIG_MAP', { awsAuth: { status: 'unavailable', reason: 'KubernetesApiError: 403' } });
    expect(checkNodeRoleAccess(unreadable, context())).toEqual([]);
    expect(checkNodeRoleAccess(snapshotWith('API'), { ...context(), unregisteredInstanceIds: [] })).toEqual([]);
  });

  it('is remediable only with createNodeAccessEntry and when the role has neither entry nor mapping', () => {
    expect(checkNodeRoleAccess(snapshotWith('API'), context({ createNodeAccessEntry: true }))[0]!.remediable).toBe(true);
    const configMap = snapshotWith('CONFIG_MAP', { accessEntries: undefined });
    const [refused] = checkNodeRoleAccess(configMap, context({ createNodeAccessEntry: true }));
    expect(refused).toMatchObject({ remediable: false, evidence: expect.objectContaining({ createAccessEntryRefused: expect.stringContaining('CONFIG_MAP') }) });
  });
});

describe('accessEntryRefusal (contract section 3)', () => {
  it('refuses when a mapping names the role at all, even a broken one, and when aws-auth is unreadable', () => {
    const broken = nodeRoleAccess(snapshotWith('API_AND_CONFIG_MAP', { awsAuth: { status: 'read', value: [{ rolearn: ROLE, groups: [] }] } }))!;
    expect(accessEntryRefusal(broken)).toMatch(/aws-auth mapping/);
    const unreadable = nodeRoleAccess(snapshotWith('API', { awsAuth: { status: 'unavailable', reason: 'x' } }))!;
    expect(accessEntryRefusal(unreadable)).toMatch(/could not be read/);
    expect(accessEntryRefusal(nodeRoleAccess(snapshotWith('API'))!)).toBeUndefined();
  });

  it('refuses when the role has an entry of another type', () => {
    const other = nodeRoleAccess(snapshotWith('API', { accessEntries: { status: 'read', value: [{ principalArn: ROLE, type: 'STANDARD', kubernetesGroups: [] }] } }))!;
    expect(accessEntryRefusal(other)).toMatch(/already has an access entry \(STANDARD\)/);
  });
});
