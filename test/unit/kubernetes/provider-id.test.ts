import { instanceIdFromProviderId, parseProviderId } from '../../../lambda/kubernetes/provider-id';

/** kubernetes/cloud-provider-aws pkg/providers/v1/instances_test.go TestMapToAWSInstanceIDs (commit d2de27fd). */
const CLOUD_PROVIDER_AWS_CASES: { providerID: string; expected: string | null }[] = [
  { providerID: 'aws:///us-east-1a/i-12345678', expected: 'i-12345678' },
  { providerID: 'aws:////i-12345678', expected: 'i-12345678' },
  { providerID: 'i-12345678', expected: 'i-12345678' },
  { providerID: 'aws:///us-east-1a/i-12345678abcdef01', expected: 'i-12345678abcdef01' },
  { providerID: 'aws:////i-12345678abcdef01', expected: 'i-12345678abcdef01' },
  { providerID: 'i-12345678abcdef01', expected: 'i-12345678abcdef01' },
  { providerID: 'vol-123456789', expected: null },
  { providerID: 'aws:///us-east-1a/vol-12345678abcdef01', expected: null },
  { providerID: 'aws://accountid/us-east-1a/vol-12345678abcdef01', expected: null },
  { providerID: 'aws:///us-east-1a/vol-12345678abcdef01/suffix', expected: null },
  { providerID: '', expected: null },
  { providerID: 'aws:///us-west-2c/1abc-2def/fargate-ip-192-168-164-88.internal', expected: 'fargate-ip-192-168-164-88.internal' },
  { providerID: 'aws:///us-west-2c/1abc-2def/fargate-192.168.164.88', expected: 'fargate-192.168.164.88' },
];

const FARGATE = CLOUD_PROVIDER_AWS_CASES.filter((c) => c.expected?.startsWith('fargate-'));
const EC2 = CLOUD_PROVIDER_AWS_CASES.filter((c) => c.expected?.startsWith('i-'));
const REJECTED = CLOUD_PROVIDER_AWS_CASES.filter((c) => c.expected === null);

describe('parseProviderId (cloud-provider-aws vectors)', () => {
  it.each(EC2)('maps $providerID to EC2 instance $expected', ({ providerID, expected }) => {
    expect(parseProviderId(providerID)).toEqual({ kind: 'ec2', instanceId: expected });
  });

  it.each(FARGATE)('maps $providerID to Fargate node $expected', ({ providerID, expected }) => {
    expect(parseProviderId(providerID)).toEqual({ kind: 'fargate', fargateId: expected });
  });

  it.each(REJECTED)('rejects "$providerID" like cloud-provider-aws does', ({ providerID }) => {
    expect(parseProviderId(providerID)).toBeUndefined();
  });
});

describe('instanceIdFromProviderId', () => {
  it.each(EC2)('returns $expected for $providerID', ({ providerID, expected }) => {
    expect(instanceIdFromProviderId(providerID)).toBe(expected);
  });

  it.each([...FARGATE, ...REJECTED])('returns undefined for "$providerID" (not an EC2 instance)', ({ providerID }) => {
    expect(instanceIdFromProviderId(providerID)).toBeUndefined();
  });

  it.each([
    ['aws:///us-east-1a/i-08736224042c4ee75', 'i-08736224042c4ee75'],
    ['aws:///us-east-1b/i-049093276ec4a5e07', 'i-049093276ec4a5e07'],
    ['aws:///us-east-2c/i-0a99d3bb7b27d62ac', 'i-0a99d3bb7b27d62ac'],
  ])('reads providerIDs seen on real EKS nodes: %s', (providerID, instanceId) => {
    expect(instanceIdFromProviderId(providerID)).toBe(instanceId);
  });
});
