import { ValidationError } from '../../lambda/errors';
import {
  callerIsOwnRole,
  isOptedOut,
  parseInput,
  resolveAutoScalingGroupTarget,
  targetsForClusters,
  type ParsedInput,
} from '../../lambda/inputs';
import launchEvent from '../fixtures/events/autoscaling-instance-launch-successful.json';
import createNodegroup from '../fixtures/events/cloudtrail-create-nodegroup.json';
import createNodegroupFailed from '../fixtures/events/cloudtrail-create-nodegroup-failed.json';
import updateConfigByRemediator from '../fixtures/events/cloudtrail-update-nodegroup-config-by-remediator.json';
import updateConfig from '../fixtures/events/cloudtrail-update-nodegroup-config.json';
import updateVersion from '../fixtures/events/cloudtrail-update-nodegroup-version.json';
import scheduledEvent from '../fixtures/events/scheduled-event.json';
import { config } from '../fixtures/snapshots/builder';

const REMEDIATOR_ROLE = 'arn:aws:iam::123456789012:role/node-join-remediator';

/** A deep copy of a fixture, loosely typed so that a test may reshape it like a real event can be. */
function copy(fixture: unknown): any {
  return structuredClone(fixture);
}

function expectTargets(parsed: ParsedInput) {
  if (parsed.kind !== 'targets') throw new Error(`expected targets, got ${JSON.stringify(parsed)}`);
  return parsed.targets;
}

function expectSkipped(parsed: ParsedInput) {
  if (parsed.kind !== 'skipped') throw new Error(`expected skipped, got ${JSON.stringify(parsed)}`);
  return parsed.skipped;
}

function validationErrorOf(action: () => unknown): ValidationError {
  try {
    action();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('parseInput: CloudTrail node group events', () => {
  it.each([
    ['CreateNodegroup', createNodegroup],
    ['UpdateNodegroupConfig', updateConfig],
    ['UpdateNodegroupVersion', updateVersion],
  ])('targets the node group of a %s call', (eventName, fixture) => {
    // Prepare
    const event = copy(fixture);

    // Act
    const targets = expectTargets(parseInput(event, config({ ownRoleArn: REMEDIATOR_ROLE })));

    // Assess
    expect(targets).toEqual([
      expect.objectContaining({ clusterName: 'eks-workshop', nodegroupName: 'new_nodegroup_2', trigger: 'cloudtrail' }),
    ]);
    expect(targets[0]!.triggerDetail).toContain(eventName);
    expect(targets[0]!.dryRun).toBeUndefined();
    expect(targets[0]!.triggeredBy).toMatchObject({
      kind: 'cloudtrail',
      eventId: fixture.detail.eventID,
      caller: fixture.detail.userIdentity.arn,
    });
  });

  it('URL-decodes the cluster name taken from the request URI', () => {
    const event = copy(updateVersion);
    event.detail.requestParameters.name = 'eks%2Dworkshop';

    const targets = expectTargets(parseInput(event, config()));

    expect(targets[0]!.clusterName).toBe('eks-workshop');
  });

  it('falls back to responseElements.nodegroup.nodegroupName when the request lacks nodegroupName', () => {
    const event = copy(createNodegroup);
    delete event.detail.requestParameters.nodegroupName;
    event.detail.responseElements.nodegroup.nodegroupName = 'from-response';

    const targets = expectTargets(parseInput(event, config()));

    expect(targets[0]!.nodegroupName).toBe('from-response');
  });

  it('falls back to responseElements.nodegroup when it is a plain name', () => {
    const event = copy(createNodegroup);
    delete event.detail.requestParameters.nodegroupName;
    event.detail.responseElements = { nodegroup: 'plain-name' };

    expect(expectTargets(parseInput(event, config()))[0]!.nodegroupName).toBe('plain-name');
  });

  it('skips a failed API call (errorCode present), naming the error', () => {
    const skipped = expectSkipped(parseInput(copy(createNodegroupFailed), config()));

    expect(skipped.reason).toContain('ResourceInUseException');
    expect(skipped).toMatchObject({ skipped: true, clusterName: 'eks-workshop', nodegroupName: 'new_nodegroup_2' });
  });

  it("skips the remediator's own call, matched on the session issuer role ARN", () => {
    const skipped = expectSkipped(parseInput(copy(updateConfigByRemediator), config({ ownRoleArn: REMEDIATOR_ROLE })));

    expect(skipped.reason).toContain('remediator itself');
  });

  it("skips the remediator's own call when only the assumed-role ARN is recorded", () => {
    const event = copy(updateConfigByRemediator);
    delete event.detail.userIdentity.sessionContext;

    const skipped = expectSkipped(parseInput(event, config({ ownRoleArn: REMEDIATOR_ROLE })));

    expect(skipped.reason).toContain('assumed-role/node-join-remediator');
  });

  it('matches an own role that has an IAM path', () => {
    const event = copy(updateConfigByRemediator);
    event.detail.userIdentity.sessionContext.sessionIssuer.arn = 'arn:aws:iam::123456789012:role/service-role/node-join-remediator';

    const skipped = expectSkipped(
      parseInput(event, config({ ownRoleArn: 'arn:aws:iam::123456789012:role/service-role/node-join-remediator' })),
    );

    expect(skipped.reason).toContain('remediator itself');
  });

  it('does not mistake a same-named role of another account for its own', () => {
    const identity = {
      type: 'AssumedRole',
      arn: 'arn:aws:sts::999999999999:assumed-role/node-join-remediator/x',
      sessionContext: { sessionIssuer: { arn: 'arn:aws:iam::999999999999:role/node-join-remediator' } },
    };

    expect(callerIsOwnRole(identity, REMEDIATOR_ROLE)).toBeUndefined();
  });

  it("acts on another principal's call when the own role is configured", () => {
    expect(parseInput(copy(updateConfig), config({ ownRoleArn: REMEDIATOR_ROLE })).kind).toBe('targets');
  });

  it('skips other EKS event names', () => {
    const event = copy(createNodegroup);
    event.detail.eventName = 'DeleteNodegroup';

    const skipped = expectSkipped(parseInput(event, config()));

    expect(skipped.reason).toContain('DeleteNodegroup');
  });

  it('skips a cluster outside the allow-list', () => {
    const skipped = expectSkipped(parseInput(copy(createNodegroup), config({ clusterNames: ['prod-a', 'prod-b'] })));

    expect(skipped.reason).toContain('not in the allow-list');
    expect(skipped.clusterName).toBe('eks-workshop');
  });

  it('accepts a cluster inside the allow-list', () => {
    expect(parseInput(copy(createNodegroup), config({ clusterNames: ['eks-workshop'] })).kind).toBe('targets');
  });

  it.each([
    ['no detail', (event: any) => delete event.detail, 'detail'],
    ['no detail.eventName', (event: any) => delete event.detail.eventName, 'detail.eventName'],
    ['a non-string detail.eventName', (event: any) => (event.detail.eventName = 42), 'detail.eventName'],
  ])('rejects a CloudTrail event with %s as malformed, naming the field (not SKIPPED)', (_case, reshape, field) => {
    const event = copy(updateConfig);
    reshape(event);

    const error = validationErrorOf(() => parseInput(event, config()));

    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
  });

  it('rejects an event without a cluster name with a ValidationError naming the field', () => {
    const event = copy(updateConfig);
    delete event.detail.requestParameters.name;

    const error = validationErrorOf(() => parseInput(event, config()));

    expect(error.field).toBe('detail.requestParameters.name');
  });
});

describe('parseInput: Auto Scaling instance launches', () => {
  it('asks the caller to resolve the Auto Scaling group', () => {
    const parsed = parseInput(copy(launchEvent), config());

    expect(parsed).toEqual({
      kind: 'autoscaling-group',
      autoScalingGroupName: 'eks-new_nodegroup_2-a8c75f2f-df78-a72f-4063-4b69af3de5b1',
      instanceId: 'i-0f1e2d3c4b5a69788',
      triggerDetail: expect.stringContaining('i-0f1e2d3c4b5a69788'),
      triggeredBy: expect.objectContaining({ kind: 'instance-launch', instanceId: 'i-0f1e2d3c4b5a69788', eventId: expect.any(String) }),
    });
  });

  it('rejects a launch event without an Auto Scaling group name', () => {
    const event = copy(launchEvent);
    delete event.detail.AutoScalingGroupName;

    expect(validationErrorOf(() => parseInput(event, config())).field).toBe('detail.AutoScalingGroupName');
  });

  describe('resolveAutoScalingGroupTarget', () => {
    const input = { kind: 'autoscaling-group' as const, autoScalingGroupName: 'eks-ng-1', triggerDetail: 'launch' };
    const eksTags = { 'eks:cluster-name': 'eks-workshop', 'eks:nodegroup-name': 'new_nodegroup_2' };

    it('maps the EKS tags of the group to the node group', () => {
      const resolved = resolveAutoScalingGroupTarget(input, eksTags, config());

      expect(resolved).toEqual({
        kind: 'targets',
        targets: [
          {
            clusterName: 'eks-workshop',
            nodegroupName: 'new_nodegroup_2',
            trigger: 'instance-launch',
            triggerDetail: 'launch',
            triggeredBy: { kind: 'instance-launch', detail: 'launch' },
          },
        ],
      });
    });

    it('skips a group that is not a managed node group', () => {
      const resolved = resolveAutoScalingGroupTarget(input, { Name: 'web' }, config());

      expect(resolved.kind === 'skipped' && resolved.skipped.reason).toContain('eks:cluster-name');
    });

    it('skips a group that no longer exists', () => {
      const resolved = resolveAutoScalingGroupTarget(input, undefined, config());

      expect(resolved.kind === 'skipped' && resolved.skipped.reason).toContain('no longer exists');
    });

    it('skips a node group of a cluster outside the allow-list', () => {
      const resolved = resolveAutoScalingGroupTarget(input, eksTags, config({ clusterNames: ['prod'] }));

      expect(resolved.kind).toBe('skipped');
    });
  });
});

describe('parseInput: scheduled sweep', () => {
  it('sweeps every allow-listed cluster, all node groups', () => {
    const targets = expectTargets(parseInput(copy(scheduledEvent), config({ clusterNames: ['eks-workshop', 'prod'] })));

    expect(targets.map((t) => [t.clusterName, t.nodegroupName, t.trigger])).toEqual([
      ['eks-workshop', undefined, 'sweep'],
      ['prod', undefined, 'sweep'],
    ]);
    expect(targets[0]!.triggerDetail).toContain('rule/node-join-remediator-sweep');
  });

  it('asks the caller to list the clusters when the allow-list is empty', () => {
    expect(parseInput(copy(scheduledEvent), config()).kind).toBe('sweep');
  });

  it('targetsForClusters keeps only allow-listed clusters, once each', () => {
    const targets = targetsForClusters(['a', 'b', 'a'], config({ clusterNames: ['a'] }));

    expect(targets).toEqual([
      { clusterName: 'a', trigger: 'sweep', triggerDetail: 'scheduled sweep', triggeredBy: { kind: 'sweep', detail: 'scheduled sweep' } },
    ]);
  });
});

describe('parseInput: manual invocation', () => {
  it('accepts clusterName, nodegroupName and dryRun', () => {
    const targets = expectTargets(
      parseInput({ clusterName: 'eks-workshop', nodegroupName: 'new_nodegroup_2', dryRun: true }, config()),
    );

    expect(targets).toEqual([
      {
        clusterName: 'eks-workshop',
        nodegroupName: 'new_nodegroup_2',
        dryRun: true,
        trigger: 'manual',
        triggerDetail: 'manual invocation',
        triggeredBy: { kind: 'manual', detail: 'manual invocation' },
      },
    ]);
  });

  it('targets every node group when nodegroupName is absent, leaving dryRun to the configuration', () => {
    const [target] = expectTargets(parseInput({ clusterName: 'eks-workshop' }, config()));

    expect(target).not.toHaveProperty('nodegroupName');
    expect(target).not.toHaveProperty('dryRun');
  });

  it('rejects an unknown field, naming it and the allowed ones', () => {
    const error = validationErrorOf(() => parseInput({ clusterName: 'eks-workshop', nodeGroup: 'x' }, config()));

    expect(error.field).toBe('nodeGroup');
    expect(error.message).toContain('clusterName, nodegroupName, dryRun');
  });

  it.each([
    ['dryRun', { clusterName: 'eks-workshop', dryRun: 'true' }],
    ['nodegroupName', { clusterName: 'eks-workshop', nodegroupName: 42 }],
    ['clusterName', { clusterName: ['eks-workshop'] }],
    ['clusterName', {}],
  ])('rejects an ill-typed or missing %s', (field, payload) => {
    expect(validationErrorOf(() => parseInput(payload, config())).field).toBe(field);
  });

  it.each(['', '-starts-with-dash', 'has space', 'a'.repeat(101), 'eks/../x'])('rejects the bad cluster name %j', (name) => {
    const error = validationErrorOf(() => parseInput({ clusterName: name }, config()));

    expect(error.field).toBe('clusterName');
    expect(error.message).toContain(JSON.stringify(name));
  });

  it('skips a cluster outside the allow-list', () => {
    const skipped = expectSkipped(parseInput({ clusterName: 'eks-workshop', nodegroupName: 'ng' }, config({ clusterNames: ['prod'] })));

    expect(skipped).toMatchObject({ clusterName: 'eks-workshop', nodegroupName: 'ng' });
  });
});

describe('parseInput: anything else', () => {
  it.each([
    ['null', null],
    ['a string', 'eks-workshop'],
    ['an array', [{ clusterName: 'eks-workshop' }]],
    ['an unknown event', { 'detail-type': 'EC2 Instance State-change Notification', source: 'aws.ec2', detail: {} }],
    ['a CloudTrail event of another service', { 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.ec2', detail: {} }],
  ])('rejects %s, listing the accepted inputs', (_label, input) => {
    const error = validationErrorOf(() => parseInput(input, config()));

    expect(error.message).toContain('accepted inputs');
  });
});

describe('isOptedOut', () => {
  it('is true for the default tag node-join-remediator/disabled=true', () => {
    expect(isOptedOut({ 'node-join-remediator/disabled': 'true' }, config())).toBe(true);
    expect(isOptedOut({ 'node-join-remediator/disabled': 'TRUE' }, config())).toBe(true);
  });

  it('is false without the tag or with another value', () => {
    expect(isOptedOut({}, config())).toBe(false);
    expect(isOptedOut({ 'node-join-remediator/disabled': 'false' }, config())).toBe(false);
  });

  it('honours a configured tag', () => {
    const custom = config({ optOutTag: { key: 'team/remediate', value: 'no' } });

    expect(isOptedOut({ 'team/remediate': 'no' }, custom)).toBe(true);
    expect(isOptedOut({ 'node-join-remediator/disabled': 'true' }, custom)).toBe(false);
  });
});

describe('parseInput: re-checks the function scheduled for itself (input 5)', () => {
  const REMEDIATION = '6f1c1a52-8c1e-4a37-9a61-0d6f3f0b8a11';
  const recheck = (fields: Record<string, unknown>) => ({
    recheck: { clusterName: 'eks-workshop', nodegroupName: 'new_nodegroup_2', remediationId: REMEDIATION, ...fields },
  });

  it('accepts a verify re-check with its instances and deadline', () => {
    // Act
    const parsed = parseInput(
      recheck({ reason: 'verify', replacedInstanceIds: ['i-0f1e2d3c4b5a69788'], verifyUntil: '2026-11-29T06:10:00.000Z' }),
      config(),
    );

    // Assess
    expect(parsed).toEqual({
      kind: 'recheck',
      recheck: {
        clusterName: 'eks-workshop',
        nodegroupName: 'new_nodegroup_2',
        remediationId: REMEDIATION,
        reason: 'verify',
        replacedInstanceIds: ['i-0f1e2d3c4b5a69788'],
        verifyUntil: '2026-11-29T06:10:00.000Z',
      },
      triggeredBy: expect.objectContaining({ kind: 'recheck', reason: 'verify' }),
    });
  });

  it('names the allowed reasons when the reason is unknown', () => {
    const error = validationErrorOf(() => parseInput(recheck({ reason: 'later' }), config()));

    expect(error.field).toBe('recheck.reason');
    expect(error.message).toContain('grace-period, verify, lease-held, continuation');
  });

  it('names an unknown field and the allowed ones', () => {
    const error = validationErrorOf(() => parseInput(recheck({ reason: 'grace-period', when: 'now' }), config()));

    expect(error.field).toBe('recheck.when');
    expect(error.message).toContain('allowed fields: clusterName, nodegroupName, remediationId, reason');
  });

  it('requires a UUID remediationId and the pending node groups of a continuation', () => {
    expect(validationErrorOf(() => parseInput(recheck({ reason: 'lease-held', remediationId: 'x' }), config())).field).toBe(
      'recheck.remediationId',
    );
    expect(validationErrorOf(() => parseInput(recheck({ reason: 'continuation' }), config())).field).toBe('recheck.pending');
    expect(
      validationErrorOf(() => parseInput(recheck({ reason: 'continuation', pending: [{ clusterName: 'a' }] }), config())).field,
    ).toBe('recheck.pending[0].nodegroupName');
  });

  it('keeps only allow-listed clusters of a continuation, and skips a re-check of a cluster no longer allowed', () => {
    // Act
    const continuation = parseInput(
      recheck({ reason: 'continuation', pending: [{ clusterName: 'prod', nodegroupName: 'a' }, { clusterName: 'eks-workshop', nodegroupName: 'b' }] }),
      config({ clusterNames: ['prod'] }),
    );
    const single = parseInput(recheck({ reason: 'grace-period' }), config({ clusterNames: ['prod'] }));

    // Assess
    expect(continuation.kind === 'recheck' && continuation.recheck.pending).toEqual([{ clusterName: 'prod', nodegroupName: 'a' }]);
    expect(single.kind).toBe('skipped');
  });
});
