import { NODEGROUP_API_EVENT_NAMES } from '../../lib/event-patterns';
import { matchesEventPattern, UnsupportedPatternError } from './support/event-pattern-matcher';
import { loadFixture, onlyResource, synthRemediator } from './support/synth';

/** The role ARN in eks-UpdateNodegroupConfig.success.by-remediator.json stands for the deployed role. */
const DEPLOYED_ROLE_ARN = 'arn:aws:iam::123456789012:role/EksNodeJoinRemediator-RemediatorRole7A730B1F-Xy98Zw76Vu54';

const SUCCESSFUL_NODEGROUP_CALLS = [
  'cloudtrail/eks-CreateNodegroup.success.assumed-role.json',
  'cloudtrail/eks-UpdateNodegroupConfig.success.iam-user.json',
  'cloudtrail/eks-UpdateNodegroupVersion.success.sso-role.json',
];
const INSTANCE_LAUNCHES = {
  nodegroup: 'cloudtrail/autoscaling-EC2InstanceLaunchSuccessful.eks-nodegroup.json',
  other: 'cloudtrail/autoscaling-EC2InstanceLaunchSuccessful.other-asg.json',
};

/** Replaces the role's Fn::GetAtt by a concrete ARN; any other intrinsic left would be a test bug. */
function resolveRoleArn(node: unknown, roleLogicalId: string, roleArn: string): unknown {
  if (Array.isArray(node)) return node.map((item) => resolveRoleArn(item, roleLogicalId, roleArn));
  if (node === null || typeof node !== 'object') return node;
  const record = node as Record<string, unknown>;
  const getAtt = record['Fn::GetAtt'];
  if (getAtt !== undefined) {
    if (JSON.stringify(getAtt) === JSON.stringify([roleLogicalId, 'Arn'])) return roleArn;
    throw new Error(`unexpected intrinsic in event pattern: ${JSON.stringify(record)}`);
  }
  if (Object.keys(record).some((key) => key.startsWith('Fn::') || key === 'Ref')) {
    throw new Error(`unexpected intrinsic in event pattern: ${JSON.stringify(record)}`);
  }
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, resolveRoleArn(value, roleLogicalId, roleArn)]));
}

describe('the synthesized event patterns against real CloudTrail envelopes', () => {
  // Prepare: synth once; read the two event rules and the function's role.
  const { template } = synthRemediator({ clusterNames: ['eks-workshop'] });
  const rules = Object.values(template.findResources('AWS::Events::Rule')).map((rule) => rule.Properties);
  const apiCallRule = rules.find((rule) => rule.EventPattern?.source?.[0] === 'aws.eks');
  const launchRule = rules.find((rule) => rule.EventPattern?.source?.[0] === 'aws.autoscaling');
  const fn = onlyResource(template, 'AWS::Lambda::Function');
  const functionRoleLogicalId: string = fn.properties.Role['Fn::GetAtt'][0];
  const apiCallPattern = resolveRoleArn(apiCallRule?.EventPattern, functionRoleLogicalId, DEPLOYED_ROLE_ARN) as Record<string, unknown>;
  const launchPattern = launchRule?.EventPattern as Record<string, unknown>;

  it('excludes exactly the role the function runs as', () => {
    // Assess: the only intrinsic in the pattern is the function's own role ARN (resolveRoleArn throws otherwise).
    expect(JSON.stringify(apiCallRule?.EventPattern)).toContain(JSON.stringify({ 'Fn::GetAtt': [functionRoleLogicalId, 'Arn'] }));
    expect(JSON.stringify(apiCallPattern)).toContain(DEPLOYED_ROLE_ARN);
  });

  it.each(SUCCESSFUL_NODEGROUP_CALLS)('matches the successful node group call %s', (fixture) => {
    // Act
    const matched = matchesEventPattern(apiCallPattern, loadFixture(fixture));
    // Assess
    expect(matched).toBe(true);
  });

  it('covers each node group event name of the contract with a fixture', () => {
    const fixtureEventNames = SUCCESSFUL_NODEGROUP_CALLS.map((fixture) => loadFixture<{ detail: { eventName: string } }>(fixture).detail.eventName);
    expect(fixtureEventNames.sort()).toEqual([...NODEGROUP_API_EVENT_NAMES].sort());
  });

  it('does not match a failed call (errorCode present)', () => {
    const failed = loadFixture('cloudtrail/eks-UpdateNodegroupConfig.failed.ResourceInUse.json');
    expect(matchesEventPattern(apiCallPattern, failed)).toBe(false);
  });

  it("does not match the function's own call", () => {
    const own = loadFixture('cloudtrail/eks-UpdateNodegroupConfig.success.by-remediator.json');
    expect(matchesEventPattern(apiCallPattern, own)).toBe(false);
  });

  it('matches the same call when another role makes it (only the own role is excluded)', () => {
    // Prepare: the remediator's call, re-attributed to a role whose ARN only shares a prefix.
    const own = loadFixture<any>('cloudtrail/eks-UpdateNodegroupConfig.success.by-remediator.json');
    own.detail.userIdentity.sessionContext.sessionIssuer.arn = `${DEPLOYED_ROLE_ARN}-copy`;
    expect(matchesEventPattern(apiCallPattern, own)).toBe(true);
  });

  it('does not match other node group calls (DeleteNodegroup)', () => {
    expect(matchesEventPattern(apiCallPattern, loadFixture('cloudtrail/eks-DeleteNodegroup.success.assumed-role.json'))).toBe(false);
  });

  it('does not match instance launches', () => {
    expect(matchesEventPattern(apiCallPattern, loadFixture(INSTANCE_LAUNCHES.nodegroup))).toBe(false);
  });

  it('launch rule: matches a launch into a node group Auto Scaling group, not into another group', () => {
    expect(matchesEventPattern(launchPattern, loadFixture(INSTANCE_LAUNCHES.nodegroup))).toBe(true);
    expect(matchesEventPattern(launchPattern, loadFixture(INSTANCE_LAUNCHES.other))).toBe(false);
  });

  it('launch rule: does not match node group API calls', () => {
    for (const fixture of SUCCESSFUL_NODEGROUP_CALLS) expect(matchesEventPattern(launchPattern, loadFixture(fixture))).toBe(false);
  });
});

describe('matchesEventPattern (the EventBridge semantics the tests rely on)', () => {
  const event = { source: 'aws.eks', detail: { tags: ['a', 'b'], identity: { arn: 'role/x' } } };

  it('requires every named field and ignores the others', () => {
    expect(matchesEventPattern({ source: ['aws.eks'] }, event)).toBe(true);
    expect(matchesEventPattern({ source: ['aws.eks'], account: ['1'] }, event)).toBe(false);
  });

  it('matches a missing field only with exists:false, even below missing parents', () => {
    expect(matchesEventPattern({ detail: { errorCode: [{ exists: false }] } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { session: { issuer: { arn: [{ exists: false }] } } } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { identity: { arn: [{ exists: false }] } } }, event)).toBe(false);
  });

  it('does not match anything-but on a missing field', () => {
    expect(matchesEventPattern({ detail: { session: { arn: [{ 'anything-but': 'role/x' }] } } }, event)).toBe(false);
    expect(matchesEventPattern({ detail: { identity: { arn: [{ 'anything-but': 'role/x' }] } } }, event)).toBe(false);
    expect(matchesEventPattern({ detail: { identity: { arn: [{ 'anything-but': ['role/y', 'role/z'] }] } } }, event)).toBe(true);
  });

  it('matches array values element-wise and $or alternatives at the same level', () => {
    expect(matchesEventPattern({ detail: { tags: ['b'] } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { $or: [{ tags: ['z'] }, { identity: { arn: [{ prefix: 'role/' }] } }] } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { $or: [{ tags: ['z'] }, { identity: { arn: [{ prefix: 'user/' }] } }] } }, event)).toBe(false);
  });

  it('refuses operators it does not implement', () => {
    expect(() => matchesEventPattern({ source: [{ suffix: '.eks' }] }, event)).toThrow(UnsupportedPatternError);
  });
});
