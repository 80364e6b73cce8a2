import { diagnose } from '../../../lambda/diagnosis';
import { restoreCommand, strandedScaling } from '../../../lambda/diagnosis/stranded-scaling';
import type { LedgerEntry, Snapshot } from '../../../lambda/model';
import { outcomeBeforeExecution, plan } from '../../../lambda/plan';
import { config, SEED, secondsBefore, seedSnapshot } from '../../fixtures/snapshots/builder';

const ORIGINAL = { minSize: 1, maxSize: 3, desiredSize: 2 };

/** A node group at zero with no instance, after a scale cycle of this tool whose restore failed. */
function strandedSnapshot(extra: LedgerEntry[] = []): Snapshot {
  const snapshot = seedSnapshot();
  snapshot.instances = [];
  for (const group of snapshot.autoScalingGroups) {
    group.instances = [];
    group.desiredCapacity = 0;
  }
  snapshot.nodegroup.scalingConfig = { minSize: 0, maxSize: 3, desiredSize: 0 };
  const scaleCycle: LedgerEntry = {
    time: secondsBefore(snapshot, 600),
    remediationId: 'r-1',
    cause: 'NO_DEFAULT_ROUTE',
    action: {
      type: 'SCALE_CYCLE',
      resourceId: SEED.nodegroupName,
      status: 'failed',
      detail: { clusterName: SEED.clusterName, nodegroupName: SEED.nodegroupName, original: ORIGINAL, scaledDownTo: { minSize: 0, maxSize: 3, desiredSize: 0 } },
    },
  };
  snapshot.history = { changes: [], ledger: [...extra, scaleCycle], ledgerDurable: true };
  return snapshot;
}

describe('a node group this tool left scaled down', () => {
  it('is restored first (RESTORE_SCALING to the recorded original) and is never HEALTHY', () => {
    // Prepare
    const snapshot = strandedSnapshot();

    // Act
    const diagnosis = diagnose(snapshot, config());
    const result = plan(snapshot, diagnosis, config());

    // Assess
    expect(diagnosis.findings.map((f) => [f.code, f.severity])).toContainEqual(['NODEGROUP_LEFT_SCALED_DOWN', 'error']);
    expect(result.actions[0]).toMatchObject({ type: 'RESTORE_SCALING', resourceId: SEED.nodegroupName, detail: { original: ORIGINAL } });
    expect(outcomeBeforeExecution(diagnosis, result, true)?.outcome).toBe('DRY_RUN');
    expect(outcomeBeforeExecution(diagnosis, { actions: [] }, false)?.outcome).toBe('UNRESOLVED');
  });

  it('fixes every broken subnet the restored instances can launch into, after the restore', () => {
    const snapshot = strandedSnapshot();

    const result = plan(snapshot, diagnose(snapshot, config()), config());

    expect(result.actions.map((a) => `${a.type}:${a.resourceId}`)).toEqual([`RESTORE_SCALING:${SEED.nodegroupName}`, `CREATE_ROUTE:${SEED.newRouteTableId}`]);
  });

  it('is not restored once a RESTORE_SCALING is done, nor when a person changed the scaling since', () => {
    const restored = strandedSnapshot([
      { time: secondsBefore(seedSnapshot(), 60), remediationId: 'r-2', cause: 'NODEGROUP_LEFT_SCALED_DOWN', action: { type: 'RESTORE_SCALING', resourceId: SEED.nodegroupName, status: 'done', detail: {} } },
    ]);
    const changedByPerson = strandedSnapshot();
    changedByPerson.nodegroup.scalingConfig = { minSize: 0, maxSize: 3, desiredSize: 1 };

    expect(strandedScaling(restored)).toBeUndefined();
    expect(strandedScaling(changedByPerson)).toBeUndefined();
    expect(strandedScaling(strandedSnapshot())).toMatchObject({ original: ORIGINAL, remediationId: 'r-1' });
  });

  it('prints the exact AWS CLI command that restores it', () => {
    expect(restoreCommand('eks-workshop', 'ng', ORIGINAL)).toBe(
      'aws eks update-nodegroup-config --cluster-name eks-workshop --nodegroup-name ng --scaling-config minSize=1,maxSize=3,desiredSize=2',
    );
  });
});
