/** joinAfterAccessEntry: wait for the refused nodes first; replace only those still unregistered when the wait ends. */
import { joinAfterAccessEntry } from '../../lambda/access-entry-join';
import { diagnose } from '../../lambda/diagnosis';
import type { NodeInfo } from '../../lambda/model';
import type { Ports } from '../../lambda/ports';
import { config, registerNode, SEED, seedSnapshot, setDefaultRoute } from '../fixtures/snapshots/builder';

function fakePorts(nodes: () => NodeInfo[]) {
  const terminated: string[] = [];
  const ports = {
    kubernetes: { listNodegroupNodes: async () => nodes() },
    autoscaling: {
      describeAutoScalingGroups: async () => seedSnapshot().autoScalingGroups,
      terminateInstanceKeepCapacity: async (id: string) => void terminated.push(id),
    },
    eks: {},
    ec2: {},
  } as unknown as Ports;
  return { ports, terminated };
}

async function run(nodes: () => NodeInfo[]) {
  // The seed with its route fixed: the node was refused for identity only.
  const snapshot = seedSnapshot();
  setDefaultRoute(snapshot, SEED.newRouteTableId, { natGatewayId: SEED.natA, state: 'active' });
  snapshot.cluster.endpoint ??= 'https://127.0.0.1:6443';
  snapshot.cluster.certificateAuthorityData ??= 'Q0E=';
  const diagnosis = diagnose(snapshot, config());
  const { ports, terminated } = fakePorts(nodes);
  const now = () => new Date(snapshot.takenAt);
  const registrationNow = async () => {
    const listed = nodes();
    return { nodeCount: listed.length, registeredInstanceIds: new Set(listed.flatMap((n) => (n.instanceId ? [n.instanceId] : []))) };
  };
  const result = await joinAfterAccessEntry(
    ports,
    snapshot,
    diagnosis,
    config(),
    { expected: 1, deadline: now(), pollSeconds: 1, sleep: async () => undefined, now },
    { now, sleep: async () => undefined, deadline: now(), pollSeconds: 1, registrationNow },
  );
  return { result, terminated };
}

describe('joinAfterAccessEntry', () => {
  it('recycles nothing when the refused node registered during the wait', async () => {
    const joined = seedSnapshot();
    const node = registerNode(joined, SEED.instanceId);
    const { result, terminated } = await run(() => [node]);
    expect(result.verification.status).toBe('joined');
    expect(result.actions).toEqual([]);
    expect(terminated).toEqual([]);
  });

  it('replaces the instance still unregistered when the wait ends, and reports verification pending', async () => {
    const { result, terminated } = await run(() => []);
    expect(terminated).toEqual([SEED.instanceId]);
    expect(result.actions).toEqual([expect.objectContaining({ type: 'REPLACE_INSTANCES', status: 'done' })]);
    expect(result.verification.status).toBe('pending');
  });
});
