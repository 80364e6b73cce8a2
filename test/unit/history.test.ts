import { diagnose } from '../../lambda/diagnosis';
import { gatherHistory } from '../../lambda/history';
import { InMemoryLedger } from '../../lambda/ledger/memory';
import type { Snapshot } from '../../lambda/model';
import type { CloudTrailEventInfo, CloudTrailPort } from '../../lambda/ports';
import { addInstance, config, SEED, secondsBefore, seedSnapshot, setDefaultRoute } from '../fixtures/snapshots/builder';

/** Three unregistered instances in the new subnet, whose NAT route works now. */
function workingPathSnapshot(): Snapshot {
  const snapshot = seedSnapshot();
  setDefaultRoute(snapshot, SEED.newRouteTableId, { natGatewayId: SEED.natA, state: 'active' });
  addInstance(snapshot, { instanceId: 'i-0aaaaaaaaaaaaaaa2' });
  addInstance(snapshot, { instanceId: 'i-0aaaaaaaaaaaaaaa3' });
  return snapshot;
}

function recordingCloudTrail(events: CloudTrailEventInfo[] = [], failure?: Error): CloudTrailPort & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async lookupResourceEvents(resourceName) {
      asked.push(resourceName);
      if (failure) throw failure;
      return events.filter((e) => e.resourceNames.includes(resourceName));
    },
  };
}

describe('gatherHistory', () => {
  it('asks CloudTrail once per resource of the path, not once per instance, and keeps successful path changes', async () => {
    // Prepare
    const snapshot = workingPathSnapshot();
    const cloudtrail = recordingCloudTrail([
      { eventId: 'e-1', eventName: 'CreateRoute', eventTime: secondsBefore(snapshot, 120), resourceNames: [SEED.newRouteTableId], callerArn: 'arn:aws:iam::123456789012:user/ops' },
      { eventId: 'e-2', eventName: 'CreateRoute', eventTime: secondsBefore(snapshot, 100), resourceNames: [SEED.newRouteTableId], errorCode: 'RouteAlreadyExists' },
    ]);

    // Act
    const gathered = await gatherHistory(snapshot, diagnose(snapshot, config()), { ledger: new InMemoryLedger(), cloudtrail });

    // Assess
    expect(new Set(cloudtrail.asked).size).toBe(cloudtrail.asked.length);
    expect(cloudtrail.asked).toEqual(expect.arrayContaining([SEED.newRouteTableId, SEED.newSubnetId, SEED.natA, SEED.publicRouteTableId]));
    expect(cloudtrail.asked.length).toBeLessThanOrEqual(7);
    expect(gathered.history!.changes.map((c) => c.eventId)).toEqual(['e-1']);
    expect(diagnose(gathered, config()).findings.find((f) => f.code === 'INSTANCES_BOOTED_BEFORE_FIX')!.evidence['instanceIds']).toHaveLength(3);
  });

  it('does not ask CloudTrail when the ledger already explains every instance', async () => {
    // Prepare: this tool wrote the route 2 minutes ago.
    const snapshot = workingPathSnapshot();
    const ledger = new InMemoryLedger();
    await ledger.append({
      kind: 'action', clusterName: SEED.clusterName, nodegroupName: SEED.nodegroupName, time: secondsBefore(snapshot, 120),
      remediationId: 'r-1', trigger: 'sweep', cause: 'NO_DEFAULT_ROUTE',
      action: { type: 'CREATE_ROUTE', resourceId: SEED.newRouteTableId, status: 'done', detail: { subnetIds: [SEED.newSubnetId] } },
    });
    const cloudtrail = recordingCloudTrail();

    // Act
    const gathered = await gatherHistory(snapshot, diagnose(snapshot, config()), { ledger, cloudtrail });

    // Assess
    expect(cloudtrail.asked).toEqual([]);
    expect(gathered.history!.ledger).toHaveLength(1);
  });

  it('a CloudTrail failure is recorded, not fatal', async () => {
    const snapshot = workingPathSnapshot();
    const cloudtrail = recordingCloudTrail([], Object.assign(new Error('not authorized'), { name: 'AwsCallError' }));

    const gathered = await gatherHistory(snapshot, diagnose(snapshot, config()), { cloudtrail });

    expect(gathered.history!.cloudTrailUnavailable).toContain('not authorized');
  });
});
