import { diagnose } from '../../../lambda/diagnosis';
import { evidenceFor, pathResourcesOf } from '../../../lambda/diagnosis/booted-before-fix';
import type { LedgerEntry, PathChange, Snapshot } from '../../../lambda/model';
import { plan } from '../../../lambda/plan';
import { config, SEED, secondsBefore, seedSnapshot, setDefaultRoute } from '../../fixtures/snapshots/builder';

/** The seed instance (15 minutes old) in a subnet whose NAT route works now. */
function fixedSnapshot(changes: PathChange[] = [], ledger: LedgerEntry[] = []): Snapshot {
  const snapshot = seedSnapshot();
  setDefaultRoute(snapshot, SEED.newRouteTableId, { natGatewayId: SEED.natA, state: 'active' });
  snapshot.history = { changes, ledger, ledgerDurable: true };
  return snapshot;
}

function createRoute(snapshot: Snapshot, secondsAgo: number, routeTableId: string = SEED.newRouteTableId): PathChange {
  return {
    source: 'cloudtrail',
    eventName: 'CreateRoute',
    time: secondsBefore(snapshot, secondsAgo),
    by: 'arn:aws:sts::123456789012:assumed-role/platform-admin/alice',
    resourceIds: [routeTableId],
    eventId: 'e-1',
  };
}

function instance(snapshot: Snapshot) {
  return snapshot.instances.find((i) => i.instanceId === SEED.instanceId)!;
}

describe('INSTANCES_BOOTED_BEFORE_FIX evidence rules', () => {
  it('counts a CreateRoute on the instance\'s route table newer than its launch, and names who and when', () => {
    // Prepare: the instance launched 15 minutes ago; the route came 5 minutes ago.
    const snapshot = fixedSnapshot();
    snapshot.history!.changes.push(createRoute(snapshot, 300));

    // Act
    const diagnosis = diagnose(snapshot, config());

    // Assess
    const finding = diagnosis.findings.find((f) => f.code === 'INSTANCES_BOOTED_BEFORE_FIX');
    expect(finding).toMatchObject({ severity: 'error', remediable: true, resourceId: SEED.nodegroupName });
    expect(finding!.evidence['instanceIds']).toEqual([SEED.instanceId]);
    expect(finding!.message).toContain('platform-admin/alice');
    expect(finding!.message).toContain(secondsBefore(snapshot, 300));
  });

  it('does not count an event older than the instance', () => {
    const snapshot = fixedSnapshot();
    snapshot.history!.changes.push(createRoute(snapshot, 3600));

    expect(evidenceFor(instance(snapshot), snapshot)).toEqual([]);
    expect(diagnose(snapshot, config()).findings.map((f) => f.code)).not.toContain('INSTANCES_BOOTED_BEFORE_FIX');
  });

  it('does not count an event on another route table', () => {
    const snapshot = fixedSnapshot();
    snapshot.history!.changes.push(createRoute(snapshot, 300, SEED.privateRouteTableB));

    expect(evidenceFor(instance(snapshot), snapshot)).toEqual([]);
  });

  it('does not count events of calls that cannot complete a path (e.g. CreateTags on the table)', () => {
    const snapshot = fixedSnapshot();
    snapshot.history!.changes.push({ ...createRoute(snapshot, 300), eventName: 'CreateTags' });

    expect(evidenceFor(instance(snapshot), snapshot)).toEqual([]);
  });

  it('counts a change on the NAT gateway\'s own subnet table (its route to the internet gateway)', () => {
    const snapshot = fixedSnapshot();
    const resources = pathResourcesOf(SEED.newSubnetId, snapshot);
    snapshot.history!.changes.push(createRoute(snapshot, 300, resources.natRouteTableId));

    expect(resources.natRouteTableId).toBe(SEED.publicRouteTableId);
    expect(evidenceFor(instance(snapshot), snapshot).map((c) => c.eventName)).toEqual(['CreateRoute']);
  });

  it('takes the ledger first: this tool\'s own route write, then CloudTrail, then the NAT gateway\'s CreateTime', () => {
    // Prepare
    const snapshot = fixedSnapshot();
    const ledger: LedgerEntry = {
      time: secondsBefore(snapshot, 200),
      remediationId: 'r-1',
      cause: 'NO_DEFAULT_ROUTE',
      action: { type: 'CREATE_ROUTE', resourceId: SEED.newRouteTableId, status: 'done', detail: { subnetIds: [SEED.newSubnetId] } },
    };
    snapshot.history = { changes: [createRoute(snapshot, 300)], ledger: [ledger], ledgerDurable: true };
    snapshot.network.natGateways.find((n) => n.natGatewayId === SEED.natA)!.createTime = secondsBefore(snapshot, 100);

    // Act
    const fromLedger = evidenceFor(instance(snapshot), snapshot);
    snapshot.history.ledger = [];
    const fromCloudTrail = evidenceFor(instance(snapshot), snapshot);
    snapshot.history.changes = [];
    const fromNat = evidenceFor(instance(snapshot), snapshot);

    // Assess
    expect(fromLedger.map((c) => c.source)).toEqual(['ledger']);
    expect(fromCloudTrail.map((c) => c.source)).toEqual(['cloudtrail']);
    expect(fromNat).toEqual([
      { source: 'nat-gateway-create-time', eventName: 'CreateNatGateway', time: secondsBefore(snapshot, 100), resourceIds: [SEED.natA] },
    ]);
  });

  it('a failed route write in the ledger is no evidence', () => {
    const snapshot = fixedSnapshot([], [
      { time: seedSnapshotTime(-200), remediationId: 'r-1', cause: 'NO_DEFAULT_ROUTE', action: { type: 'CREATE_ROUTE', resourceId: SEED.newRouteTableId, status: 'failed', detail: {} } },
    ]);

    expect(evidenceFor(instance(snapshot), snapshot)).toEqual([]);
  });
});

function seedSnapshotTime(offsetSeconds: number): string {
  const snapshot = seedSnapshot();
  return new Date(Date.parse(snapshot.takenAt) + offsetSeconds * 1000).toISOString();
}

describe('plan: recycling what booted before the fix, with the cool-down', () => {
  it('recycles the evidenced instances (REPLACE_INSTANCES) without writing any route', () => {
    const snapshot = fixedSnapshot();
    snapshot.history!.changes.push(createRoute(snapshot, 300));

    const result = plan(snapshot, diagnose(snapshot, config()), config());

    expect(result.actions.map((a) => [a.type, (a.detail as Record<string, unknown>)['cause']])).toEqual([['REPLACE_INSTANCES', 'INSTANCES_BOOTED_BEFORE_FIX']]);
    expect(result.unresolvedReason).toBeUndefined();
  });

  it('without evidence: nothing is recycled, UNRESOLVED with the hint to replace by hand', () => {
    const snapshot = fixedSnapshot();

    const result = plan(snapshot, diagnose(snapshot, config()), config());

    expect(result.actions).toEqual([]);
    expect(result.unresolvedReason).toMatch(/need replacing/);
  });

  it('never recycles twice within the cool-down for the same cause, whoever triggered the first', () => {
    // Prepare: a sweep recycled for INSTANCES_BOOTED_BEFORE_FIX 10 minutes ago.
    const snapshot = fixedSnapshot();
    snapshot.history!.changes.push(createRoute(snapshot, 300));
    snapshot.history!.ledger.push({
      time: secondsBefore(snapshot, 600),
      remediationId: 'r-0',
      cause: 'INSTANCES_BOOTED_BEFORE_FIX',
      action: { type: 'REPLACE_INSTANCES', resourceId: SEED.nodegroupName, status: 'done', detail: {} },
    });

    // Act
    const within = plan(snapshot, diagnose(snapshot, config()), config());
    const after = plan(snapshot, diagnose(snapshot, config()), config({ recycleCooldownSeconds: 300 }));

    // Assess
    expect(within.actions).toEqual([]);
    expect(within.unresolvedReason).toContain(`next attempt at ${secondsBefore(snapshot, 600 - 3600)}`);
    expect(after.actions.map((a) => a.type)).toEqual(['REPLACE_INSTANCES']);
  });

  it('a failed recycle does not start the cool-down: the next run finishes the job', () => {
    const snapshot = fixedSnapshot();
    snapshot.history!.changes.push(createRoute(snapshot, 300));
    snapshot.history!.ledger.push({
      time: secondsBefore(snapshot, 60),
      remediationId: 'r-0',
      cause: 'INSTANCES_BOOTED_BEFORE_FIX',
      action: { type: 'REPLACE_INSTANCES', resourceId: SEED.nodegroupName, status: 'failed', detail: {} },
    });

    const result = plan(snapshot, diagnose(snapshot, config()), config());

    expect(result.actions.map((a) => a.type)).toEqual(['REPLACE_INSTANCES']);
  });
});
