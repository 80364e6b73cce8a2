import { assessRegistration, NODE_CREATION_FAILURE_WINDOW_SECONDS } from '../../../lambda/diagnosis/registration';
import { diagnose } from '../../../lambda/diagnosis';
import { outcomeBeforeExecution, plan } from '../../../lambda/plan';
import { addInstance, config, registerNode, secondsBefore, SEED, seedSnapshot, useNodegroupHealth } from '../../fixtures/snapshots/builder';

const GRACE = { graceSeconds: 300 };

describe('assessRegistration with the Kubernetes API', () => {
  it('counts an old instance without a Node as unregistered (the seed story)', () => {
    // Prepare
    const snapshot = seedSnapshot();

    // Act
    const result = assessRegistration(snapshot, GRACE);

    // Assess
    expect(result.unregisteredInstanceIds).toEqual([SEED.instanceId]);
    expect(result.instances).toEqual([
      {
        instanceId: SEED.instanceId,
        subnetId: SEED.newSubnetId,
        availabilityZone: 'us-west-2a',
        launchTime: snapshot.instances[0]!.launchTime,
        registered: false,
      },
    ]);
  });

  it('maps Nodes to instances by the instance id parsed from providerID', () => {
    const snapshot = seedSnapshot();
    const node = registerNode(snapshot, SEED.instanceId, true);

    const result = assessRegistration(snapshot, GRACE);

    expect(result.registeredInstanceIds).toEqual([SEED.instanceId]);
    expect(result.unregisteredInstanceIds).toEqual([]);
    expect(result.instances[0]).toMatchObject({ registered: true, nodeName: node.name, ready: true });
  });

  it('does not judge an instance inside the grace period', () => {
    const snapshot = seedSnapshot();
    snapshot.instances[0]!.launchTime = secondsBefore(snapshot, 299);

    const result = assessRegistration(snapshot, GRACE);

    expect(result.youngInstanceIds).toEqual([SEED.instanceId]);
    expect(result.unregisteredInstanceIds).toEqual([]);
  });

  it('judges an instance exactly at the grace period', () => {
    const snapshot = seedSnapshot();
    snapshot.instances[0]!.launchTime = secondsBefore(snapshot, 300);

    expect(assessRegistration(snapshot, GRACE).unregisteredInstanceIds).toEqual([SEED.instanceId]);
  });

  it('treats a pending instance as young and an unreadable launch time as young', () => {
    const snapshot = seedSnapshot();
    addInstance(snapshot, { instanceId: 'i-0aaaaaaaaaaaaaaa1', state: 'pending' });
    addInstance(snapshot, { instanceId: 'i-0aaaaaaaaaaaaaaa2', launchTime: 'not a time' });

    const result = assessRegistration(snapshot, GRACE);

    expect(result.youngInstanceIds).toEqual(['i-0aaaaaaaaaaaaaaa1', 'i-0aaaaaaaaaaaaaaa2']);
  });

  it('does not judge stopped instances or instances leaving their Auto Scaling group', () => {
    const snapshot = seedSnapshot();
    addInstance(snapshot, { instanceId: 'i-0bbbbbbbbbbbbbbb1', state: 'stopped' });
    addInstance(snapshot, { instanceId: 'i-0bbbbbbbbbbbbbbb2' });
    snapshot.autoScalingGroups[0]!.instances.find((i) => i.instanceId === 'i-0bbbbbbbbbbbbbbb2')!.lifecycleState =
      'Terminating:Wait';

    const result = assessRegistration(snapshot, GRACE);

    expect(result.notJudgedInstanceIds).toEqual(['i-0bbbbbbbbbbbbbbb1', 'i-0bbbbbbbbbbbbbbb2']);
    expect(result.unregisteredInstanceIds).toEqual([SEED.instanceId]);
  });

  it('reports registered but NotReady nodes as NODES_NOT_READY, a warning that is not remediable', () => {
    const snapshot = seedSnapshot();
    const node = registerNode(snapshot, SEED.instanceId, false);

    const finding = assessRegistration(snapshot, GRACE).findings.find((f) => f.code === 'NODES_NOT_READY');

    expect(finding).toMatchObject({ severity: 'warning', remediable: false, resourceId: SEED.nodegroupName });
    expect(finding!.evidence).toEqual({ nodeNames: [node.name], instanceIds: [SEED.instanceId] });
  });
});

describe('assessRegistration with the node group health fallback', () => {
  it('counts instances listed under NodeCreationFailure as unregistered and warns that the API was unavailable', () => {
    const snapshot = seedSnapshot();
    useNodegroupHealth(snapshot, [SEED.instanceId], 'TLS handshake timeout');

    const result = assessRegistration(snapshot, GRACE);

    expect(result.unregisteredInstanceIds).toEqual([SEED.instanceId]);
    const warning = result.findings.find((f) => f.code === 'KUBERNETES_API_UNAVAILABLE');
    expect(warning).toMatchObject({ severity: 'warning', remediable: false, resourceId: SEED.clusterName });
    expect(warning!.evidence).toMatchObject({ unavailableReason: 'TLS handshake timeout' });
  });

  it('never takes silence for success inside EKS\'s failure window: unlisted instances are unverified, not registered', () => {
    const snapshot = seedSnapshot();
    addInstance(snapshot, { instanceId: 'i-0ccccccccccccccc1', launchTime: secondsBefore(snapshot, NODE_CREATION_FAILURE_WINDOW_SECONDS - 1) });
    useNodegroupHealth(snapshot, [SEED.instanceId]);

    const result = assessRegistration(snapshot, GRACE);

    expect(result.unverifiedInstanceIds).toEqual(['i-0ccccccccccccccc1']);
    expect(result.registeredInstanceIds).toEqual([]);
    expect(result.instances.find((i) => i.instanceId === 'i-0ccccccccccccccc1')!.registered).toBe(false);
    expect(result.unregisteredInstanceIds).toEqual([SEED.instanceId]);
  });

  it('counts instances older than the NodeCreationFailure window that EKS does not list as registered', () => {
    // Prepare: one old instance EKS lists as failed, one just as old it does not list.
    const snapshot = seedSnapshot();
    addInstance(snapshot, { instanceId: 'i-0ccccccccccccccc1', launchTime: secondsBefore(snapshot, NODE_CREATION_FAILURE_WINDOW_SECONDS) });
    snapshot.instances[0]!.launchTime = secondsBefore(snapshot, NODE_CREATION_FAILURE_WINDOW_SECONDS);
    useNodegroupHealth(snapshot, [SEED.instanceId]);

    // Act
    const result = assessRegistration(snapshot, GRACE);

    // Assess
    expect(result.registeredByHealthInstanceIds).toEqual(['i-0ccccccccccccccc1']);
    expect(result.unverifiedInstanceIds).toEqual([]);
    expect(result.unregisteredInstanceIds).toEqual([SEED.instanceId]);
    expect(result.instances.find((i) => i.instanceId === 'i-0ccccccccccccccc1')).toMatchObject({ registered: true });
    expect(result.instances.find((i) => i.instanceId === 'i-0ccccccccccccccc1')).not.toHaveProperty('nodeName');
  });

  it('makes a healthy node group HEALTHY without Kubernetes access once its instances are past the window', () => {
    // Prepare: the API answers 401; EKS lists no failure for the seed's instance, launched 31 minutes ago.
    const snapshot = seedSnapshot();
    snapshot.instances[0]!.launchTime = secondsBefore(snapshot, NODE_CREATION_FAILURE_WINDOW_SECONDS + 60);
    useNodegroupHealth(snapshot, [], 'Unauthorized (401)');
    const settings = config();

    // Act
    const diagnosis = diagnose(snapshot, settings);
    const settled = outcomeBeforeExecution(diagnosis, plan(snapshot, diagnosis, settings), false);

    // Assess: the API's absence is a warning in the report, not UNRESOLVED.
    expect(settled?.outcome).toBe('HEALTHY');
    expect(diagnosis.findings.map((f) => [f.code, f.severity])).toEqual([['KUBERNETES_API_UNAVAILABLE', 'warning']]);
  });

  it('ignores NodeCreationFailure ids of instances that no longer exist', () => {
    const snapshot = seedSnapshot();
    useNodegroupHealth(snapshot, ['i-0deadbeefdeadbeef', SEED.instanceId]);

    expect(assessRegistration(snapshot, GRACE).unregisteredInstanceIds).toEqual([SEED.instanceId]);
  });
});
