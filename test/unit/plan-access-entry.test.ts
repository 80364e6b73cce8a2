/** plan.ts rule 12 (the one identity ever created) and its follow-up, and execute's CREATE_ACCESS_ENTRY. */
import { CreateAccessEntryCommand, EKSClient, ResourceInUseException } from '@aws-sdk/client-eks';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { AutoScalingAdapter } from '../../lambda/aws/autoscaling';
import { Ec2Adapter } from '../../lambda/aws/ec2';
import { EksAdapter } from '../../lambda/aws/eks';
import type { Config } from '../../lambda/config';
import { diagnose } from '../../lambda/diagnosis';
import { executePlan } from '../../lambda/execute';
import type { Snapshot } from '../../lambda/model';
import { plan, planAfterAccessEntry } from '../../lambda/plan';
import type { Ports } from '../../lambda/ports';
import { config, SEED, seedSnapshot, setDefaultRoute } from '../fixtures/snapshots/builder';

const ROLE = 'arn:aws:iam::123456789012:role/new-nodegroup-2-role';

/** The seed, with its route fixed, and a node role EKS does not admit (no entry, no mapping). */
function refusedRole(mode = 'API_AND_CONFIG_MAP', identity: Snapshot['identity'] = {}): Snapshot {
  const snapshot = seedSnapshot();
  setDefaultRoute(snapshot, SEED.newRouteTableId, { natGatewayId: SEED.natA, state: 'active' });
  snapshot.cluster.authenticationMode = mode;
  snapshot.nodegroup.nodeRole = ROLE;
  snapshot.nodegroup.amiType = 'AL2023_x86_64_STANDARD';
  snapshot.identity = { accessEntries: { status: 'read', value: [] }, awsAuth: { status: 'read', value: null }, ...identity };
  return snapshot;
}

function planFor(snapshot: Snapshot, cfg: Config) {
  const diagnosis = diagnose(snapshot, cfg);
  return { diagnosis, plan: plan(snapshot, diagnosis, cfg) };
}

describe('rule 12: CREATE_ACCESS_ENTRY', () => {
  it('is not planned by default: the missing entry is a blocker', () => {
    const { plan: p } = planFor(refusedRole(), config());
    expect(p.actions).toEqual([]);
    expect(p.unresolvedReason).toContain(`NODE_ROLE_NOT_AUTHORIZED on ${ROLE} (fix: aws eks create-access-entry`);
  });

  it('with createNodeAccessEntry: one EC2_LINUX entry for the node group own role, and nothing recycled', () => {
    const { plan: p } = planFor(refusedRole(), config({ createNodeAccessEntry: true }));
    expect(p).toEqual({
      actions: [
        {
          type: 'CREATE_ACCESS_ENTRY',
          resourceId: ROLE,
          status: 'planned',
          detail: { clusterName: SEED.clusterName, principalArn: ROLE, type: 'EC2_LINUX', authenticationMode: 'API_AND_CONFIG_MAP' },
        },
      ],
    });
  });

  it('asks for EC2_WINDOWS for a Windows node group', () => {
    const snapshot = refusedRole();
    snapshot.nodegroup.amiType = 'WINDOWS_FULL_2022_x86_64';
    expect((planFor(snapshot, config({ createNodeAccessEntry: true })).plan.actions[0]!.detail as Record<string, unknown>)['type']).toBe('EC2_WINDOWS');
  });

  it.each([
    ['CONFIG_MAP mode', refusedRole('CONFIG_MAP', { accessEntries: undefined })],
    ['an aws-auth mapping of the role', refusedRole('API_AND_CONFIG_MAP', { awsAuth: { status: 'read', value: [{ rolearn: ROLE, groups: ['system:bootstrappers'] }] } })],
    ['an access entry of another type', refusedRole('API', { accessEntries: { status: 'read', value: [{ principalArn: ROLE, type: 'STANDARD', kubernetesGroups: [] }] } })],
    ['aws-auth that cannot be read', refusedRole('API', { awsAuth: { status: 'unavailable', reason: 'KubernetesApiError: 403' } })],
  ])('is refused with %s', (_label, snapshot) => {
    const { plan: p } = planFor(snapshot, config({ createNodeAccessEntry: true }));
    expect(p.actions.filter((a) => a.type === 'CREATE_ACCESS_ENTRY')).toEqual([]);
  });

  it('after the wait, replaces only the instances still unregistered (rule 5 applies)', () => {
    const snapshot = refusedRole();
    const { diagnosis } = planFor(snapshot, config({ createNodeAccessEntry: true }));
    expect(planAfterAccessEntry(snapshot, diagnosis, config(), new Set()).actions).toEqual([]);
    const followUp = planAfterAccessEntry(snapshot, diagnosis, config(), new Set([SEED.instanceId]));
    expect(followUp.actions).toEqual([expect.objectContaining({ type: 'REPLACE_INSTANCES', detail: expect.objectContaining({ instanceIds: [SEED.instanceId] }) })]);
    expect(planAfterAccessEntry(snapshot, diagnosis, config({ recycle: 'none' }), new Set([SEED.instanceId])).actions).toEqual([]);
  });

  it('after the wait, respects the recycle cool-down for the same cause (rule 10)', () => {
    const snapshot = refusedRole();
    const recently = new Date(Date.parse(snapshot.takenAt) - 60_000).toISOString();
    snapshot.history = {
      changes: [],
      ledger: [{ time: recently, remediationId: 'r-1', cause: 'NODE_ROLE_NOT_AUTHORIZED', action: { type: 'REPLACE_INSTANCES', resourceId: SEED.nodegroupName, status: 'done', detail: {} } }],
      ledgerDurable: true,
    };
    const { diagnosis } = planFor(snapshot, config({ createNodeAccessEntry: true }));
    const followUp = planAfterAccessEntry(snapshot, diagnosis, config(), new Set([SEED.instanceId]));
    expect(followUp.actions).toEqual([]);
    expect(followUp.unresolvedReason).toContain('recycle cool-down');
  });
});

describe('executePlan: CREATE_ACCESS_ENTRY', () => {
  const eksMock = mockClient(EKSClient);
  const ports: Ports = {
    eks: new EksAdapter(new EKSClient({ region: 'us-west-2' })),
    ec2: new Ec2Adapter(new EC2Client({ region: 'us-west-2' })),
    autoscaling: new AutoScalingAdapter(new AutoScalingClient({ region: 'us-west-2' })),
    kubernetes: { listNodegroupNodes: async () => [] },
  };
  const action = {
    type: 'CREATE_ACCESS_ENTRY' as const,
    resourceId: ROLE,
    status: 'planned' as const,
    detail: { clusterName: SEED.clusterName, principalArn: ROLE, type: 'EC2_LINUX' as const, authenticationMode: 'API_AND_CONFIG_MAP' },
  };
  beforeEach(() => eksMock.reset());

  it('dry run: no call at all', async () => {
    const result = await executePlan({ actions: [action] }, ports, { dryRun: true });
    expect(result.actions[0]!.status).toBe('planned');
    expect(eksMock.calls()).toHaveLength(0);
  });

  it('creates the entry with exactly the planned principal and type', async () => {
    eksMock.on(CreateAccessEntryCommand).resolves({});
    const result = await executePlan({ actions: [action] }, ports, { dryRun: false });
    expect(result.actions[0]).toMatchObject({ status: 'done', detail: expect.objectContaining({ alreadyPresent: false }) });
    expect(eksMock.commandCalls(CreateAccessEntryCommand)[0]!.args[0].input).toEqual({ clusterName: SEED.clusterName, principalArn: ROLE, type: 'EC2_LINUX' });
  });

  it('an entry created meanwhile (ResourceInUse) counts as done, untouched', async () => {
    eksMock.on(CreateAccessEntryCommand).rejects(new ResourceInUseException({ message: 'in use', $metadata: {} }));
    const result = await executePlan({ actions: [action] }, ports, { dryRun: false });
    expect(result.actions[0]).toMatchObject({ status: 'done', detail: expect.objectContaining({ alreadyPresent: true }) });
  });
});
