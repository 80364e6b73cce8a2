/** gatherIdentity / gatherConsoleEvidence: what the identity side reads, how often, and what it does with refusals. */
import { AwsCallError, KubernetesApiError, NotFoundError } from '../../lambda/errors';
import { gatherConsoleEvidence, gatherIdentity, MAX_CONSOLE_INSTANCES } from '../../lambda/identity-snapshot';
import type { ClusterInfo, InstanceInfo, NodegroupInfo } from '../../lambda/model';
import type { Ports } from '../../lambda/ports';
import { seedSnapshot } from '../fixtures/snapshots/builder';

const ROLE = 'arn:aws:iam::123456789012:role/nodes/new-nodegroup-2-role';

/** Ports that count their calls; the answers can be replaced per test. */
function countingPorts(overrides: { listAccessEntries?: () => Promise<string[]>; readAwsAuth?: () => Promise<null>; console?: (id: string) => Promise<string> } = {}) {
  const calls: string[] = [];
  const count = <T>(name: string, answer: T) => async (..._args: unknown[]) => {
    calls.push(name);
    return answer;
  };
  const ports = {
    eks: {
      listAccessEntries: async () => {
        calls.push('ListAccessEntries');
        return overrides.listAccessEntries ? overrides.listAccessEntries() : ['arn:aws:iam::123456789012:role/other', 'arn:aws:iam::123456789012:role/new-nodegroup-2-role'];
      },
      describeAccessEntry: count('DescribeAccessEntry', { principalArn: ROLE, type: 'EC2_LINUX', kubernetesGroups: [] }),
    },
    ec2: {
      getConsoleOutput: async (id: string) => {
        calls.push('GetConsoleOutput');
        return overrides.console ? overrides.console(id) : 'boot\nnodeadm[1]: {"level":"error","msg":"Command failed"}\nsecret=abc';
      },
    },
    autoscaling: {},
    kubernetes: {
      listNodegroupNodes: async () => [],
      readAwsAuthRoleMappings: async () => {
        calls.push('GET aws-auth');
        return overrides.readAwsAuth ? overrides.readAwsAuth() : [];
      },
      listAdmissionWebhooks: count('LIST webhooks', []),
      serviceEndpoints: count('LIST endpointslices', { namespace: 'x', name: 'y', readyEndpoints: 0 }),
    },
    iam: {
      getRole: count('GetRole', { roleName: 'new-nodegroup-2-role', arn: ROLE, assumeRolePolicyDocument: {} }),
      getInstanceProfile: count('GetInstanceProfile', { instanceProfileName: 'eks-1', arn: 'p', roleArns: [ROLE] }),
      simulatePrincipalPolicy: count('SimulatePrincipalPolicy', []),
    },
  } as unknown as Ports;
  return { ports, calls };
}

function request(instanceCount: number, mode = 'API_AND_CONFIG_MAP') {
  const seed = seedSnapshot();
  const cluster: ClusterInfo = { ...seed.cluster, authenticationMode: mode, endpoint: 'https://127.0.0.1:6443', certificateAuthorityData: 'Q0E=' };
  const nodegroup: NodegroupInfo = { ...seed.nodegroup, nodeRole: ROLE };
  const instances: InstanceInfo[] = Array.from({ length: instanceCount }, (_, i) => ({
    ...seed.instances[0]!,
    instanceId: `i-${String(i).padStart(17, '0')}`,
    iamInstanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/eks-1',
  }));
  return { cluster, nodegroup, instances, region: 'us-west-2' };
}

describe('gatherIdentity', () => {
  it('makes the same calls for 60 instances as for 1, and describes only the node role entry (path aside)', async () => {
    // Prepare
    const one = countingPorts();
    const sixty = countingPorts();

    // Act
    const identity = await gatherIdentity(one.ports, request(1));
    await gatherIdentity(sixty.ports, request(60));

    // Assess
    expect(sixty.calls.sort()).toEqual(one.calls.sort());
    expect(one.calls.filter((c) => c === 'DescribeAccessEntry')).toHaveLength(1);
    expect(one.calls.filter((c) => c === 'GetInstanceProfile')).toHaveLength(1);
    expect(identity.accessEntries).toEqual({ status: 'read', value: [{ principalArn: ROLE, type: 'EC2_LINUX', kubernetesGroups: [] }] });
  });

  it('does not read access entries in CONFIG_MAP mode', async () => {
    const { ports, calls } = countingPorts();
    const identity = await gatherIdentity(ports, request(1, 'CONFIG_MAP'));
    expect(calls).not.toContain('ListAccessEntries');
    expect(identity.accessEntries).toBeUndefined();
    expect(identity.awsAuth).toEqual({ status: 'read', value: [] });
  });

  it('turns refused reads into unavailable readings, never into "none"', async () => {
    const { ports } = countingPorts({
      listAccessEntries: () => Promise.reject(new AwsCallError('ListAccessEntries', 'AccessDeniedException', 'no')),
      readAwsAuth: () => Promise.reject(new KubernetesApiError('GET aws-auth answered 403', 403)),
    });
    const identity = await gatherIdentity(ports, request(1));
    expect(identity.accessEntries).toMatchObject({ status: 'unavailable', reason: expect.stringContaining('AccessDeniedException') });
    expect(identity.awsAuth).toMatchObject({ status: 'unavailable', reason: expect.stringContaining('403') });
  });

  it('reads a role that does not exist as null (the trust check reports it)', async () => {
    const { ports } = countingPorts();
    (ports.iam as unknown as { getRole: () => Promise<never> }).getRole = () => Promise.reject(new NotFoundError('NoSuchEntity', 'x'));
    expect((await gatherIdentity(ports, request(1))).nodeRole).toEqual({ status: 'read', value: null });
  });

  it('propagates anything that is not a refused read (a bug is not "unavailable")', async () => {
    const { ports } = countingPorts({ listAccessEntries: () => Promise.reject(new TypeError('bug')) });
    await expect(gatherIdentity(ports, request(1))).rejects.toThrow(TypeError);
  });
});

describe('gatherConsoleEvidence', () => {
  it(`reads at most ${MAX_CONSOLE_INSTANCES} consoles and keeps only matched lines`, async () => {
    const { ports, calls } = countingPorts();
    const evidence = await gatherConsoleEvidence(ports, ['i-1', 'i-2', 'i-3', 'i-4', 'i-5']);
    expect(calls.filter((c) => c === 'GetConsoleOutput')).toHaveLength(MAX_CONSOLE_INSTANCES);
    expect(evidence[0]).toEqual({ instanceId: 'i-1', lines: ['nodeadm[1]: {"level":"error","msg":"Command failed"}'] });
  });
});
