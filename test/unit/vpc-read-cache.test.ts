import type { Ec2Port } from '../../lambda/ports';
import { memoizeVpcReads } from '../../lambda/vpc-read-cache';

/** An Ec2Port that counts calls per method and answers with the arguments it got. */
function countingEc2(): { ec2: Ec2Port; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const answer = (name: string) => async (...args: unknown[]) => {
    calls[name] = (calls[name] ?? 0) + 1;
    if (args[0] === 'vpc-bad') throw new Error('throttled');
    return [{ name, args }];
  };
  const ec2 = {
    describeInstances: answer('describeInstances'),
    describeSubnets: answer('describeSubnets'),
    describeRouteTables: answer('describeRouteTables'),
    describeRouteTable: answer('describeRouteTable'),
    describeNatGateways: answer('describeNatGateways'),
    describeInternetGateways: answer('describeInternetGateways'),
    describeVpcEndpoints: answer('describeVpcEndpoints'),
    createDefaultRoute: async () => void (calls['createDefaultRoute'] = (calls['createDefaultRoute'] ?? 0) + 1),
    replaceDefaultRoute: async () => undefined,
  } as unknown as Ec2Port;
  return { ec2, calls };
}

describe('memoizeVpcReads', () => {
  it('reads each VPC-level collection once, concurrent callers included', async () => {
    // Prepare
    const { ec2, calls } = countingEc2();
    const cached = memoizeVpcReads(ec2);

    // Act
    await Promise.all([cached.describeRouteTables('vpc-1'), cached.describeRouteTables('vpc-1'), cached.describeNatGateways('vpc-1')]);
    await cached.describeRouteTables('vpc-1');
    await cached.describeRouteTables('vpc-2');

    // Assess
    expect(calls).toEqual({ describeRouteTables: 2, describeNatGateways: 1 });
  });

  it('never memoizes reads by id (instances, subnets, the route table execute re-reads)', async () => {
    const { ec2, calls } = countingEc2();
    const cached = memoizeVpcReads(ec2);

    await cached.describeRouteTable('rtb-1');
    await cached.describeRouteTable('rtb-1');
    await cached.describeInstances(['i-1']);
    await cached.describeInstances(['i-1']);

    expect(calls).toEqual({ describeRouteTable: 2, describeInstances: 2 });
  });

  it('forgets everything after a write, so the next node group sees the route just written', async () => {
    const { ec2, calls } = countingEc2();
    const cached = memoizeVpcReads(ec2);

    await cached.describeRouteTables('vpc-1');
    await cached.createDefaultRoute('rtb-1', 'nat-1');
    await cached.describeRouteTables('vpc-1');

    expect(calls['describeRouteTables']).toBe(2);
  });

  it('does not remember a failed read', async () => {
    const { ec2, calls } = countingEc2();
    const cached = memoizeVpcReads(ec2);

    await expect(cached.describeVpcEndpoints('vpc-bad')).rejects.toThrow('throttled');
    await expect(cached.describeVpcEndpoints('vpc-bad')).rejects.toThrow('throttled');

    expect(calls['describeVpcEndpoints']).toBe(2);
  });
});
