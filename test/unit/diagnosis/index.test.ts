import { diagnose } from '../../../lambda/diagnosis';
import { addInstance, config, registerNode, SEED, seedSnapshot, useNodegroupHealth } from '../../fixtures/snapshots/builder';

describe('diagnose', () => {
  it('tells the seed story: one unregistered instance, a route table with no default route', () => {
    // Prepare
    const snapshot = seedSnapshot();

    // Act
    const diagnosis = diagnose(snapshot, config());

    // Assess
    expect(diagnosis.findings.map((f) => [f.code, f.resourceId])).toEqual([
      ['NODES_NOT_REGISTERED', SEED.nodegroupName],
      ['NO_DEFAULT_ROUTE', SEED.newRouteTableId],
    ]);
    expect(diagnosis.findings[0]).toMatchObject({
      severity: 'error',
      remediable: true,
      evidence: expect.objectContaining({ instanceIds: [SEED.instanceId], graceSeconds: 300, registrationSource: 'kubernetes-api' }),
    });
    expect(diagnosis.unregisteredInstanceIds).toEqual([SEED.instanceId]);
    expect(diagnosis.youngInstanceIds).toEqual([]);
  });

  it('finds nothing wrong when every instance is registered and Ready', () => {
    const snapshot = seedSnapshot();
    registerNode(snapshot, SEED.instanceId);

    const diagnosis = diagnose(snapshot, config());

    expect(diagnosis.findings).toEqual([]);
    expect(diagnosis.instances[0]!.registered).toBe(true);
  });

  it('marks NODES_NOT_REGISTERED not remediable when the recycle strategy is none', () => {
    const snapshot = seedSnapshot();

    const diagnosis = diagnose(snapshot, config({ recycle: 'none' }));

    expect(diagnosis.findings[0]).toMatchObject({ code: 'NODES_NOT_REGISTERED', remediable: false });
  });

  it('honours the grace period from the configuration', () => {
    const snapshot = seedSnapshot(); // the instance is 900 s old

    const diagnosis = diagnose(snapshot, config({ graceSeconds: 1200 }));

    expect(diagnosis.unregisteredInstanceIds).toEqual([]);
    expect(diagnosis.youngInstanceIds).toEqual([SEED.instanceId]);
    expect(diagnosis.findings).toEqual([]);
  });

  it('with the node group health fallback, diagnoses the listed instances and warns about the API', () => {
    const snapshot = seedSnapshot();
    addInstance(snapshot, { instanceId: 'i-0ccccccccccccccc1' });
    useNodegroupHealth(snapshot, [SEED.instanceId]);

    const diagnosis = diagnose(snapshot, config());

    expect(diagnosis.findings.map((f) => f.code)).toEqual(['NODES_NOT_REGISTERED', 'KUBERNETES_API_UNAVAILABLE', 'NO_DEFAULT_ROUTE']);
    expect(diagnosis.unregisteredInstanceIds).toEqual([SEED.instanceId]);
    expect(diagnosis.findings[1]!.evidence).toMatchObject({ unverifiedInstanceIds: ['i-0ccccccccccccccc1'] });
    expect(diagnosis.findings[0]!.evidence).toMatchObject({ nodeCreationFailureInstanceIds: [SEED.instanceId] });
  });

  it('reports NotReady nodes last, as a warning, beside an unregistered instance', () => {
    const snapshot = seedSnapshot();
    addInstance(snapshot, { instanceId: 'i-0ccccccccccccccc1', subnetId: SEED.privateSubnetA });
    registerNode(snapshot, 'i-0ccccccccccccccc1', false);

    const diagnosis = diagnose(snapshot, config());

    expect(diagnosis.findings.map((f) => f.code)).toEqual(['NODES_NOT_REGISTERED', 'NO_DEFAULT_ROUTE', 'NODES_NOT_READY']);
  });
});
