/**
 * Per-sweep memo of the EC2 reads that depend only on the VPC (route tables, NAT and internet
 * gateways, endpoints, and any other `describe*(vpcId)` read an adapter adds): node groups of
 * one cluster share a VPC, and re-reading it per node group was half of a 500-node-group
 * sweep's AWS calls (issue 7). In-flight calls are shared too, so node groups examined at the
 * same time cost one read. Built per invocation, so nothing outlives the sweep.
 *
 * Any call that is not such a read (a route write) clears the memo: the next snapshot must see
 * the route this run wrote. Reads by id (DescribeInstances, DescribeSubnets, the single route
 * table execute re-reads before a REPLACE_ROUTE) are never memoized.
 */
import type { Ec2Port } from './ports';

const VPC_ID = /^vpc-[0-9a-f]+$/;

export function memoizeVpcReads(ec2: Ec2Port): Ec2Port {
  const memo = new Map<string, Promise<unknown>>();
  return new Proxy(ec2, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      const method = value as (...args: unknown[]) => Promise<unknown>;
      return (...args: unknown[]) => {
        const vpcLevelRead = property.startsWith('describe') && args.length === 1 && typeof args[0] === 'string' && VPC_ID.test(args[0]);
        if (!vpcLevelRead) {
          if (!property.startsWith('describe')) memo.clear();
          return method.apply(target, args);
        }
        const key = `${property}:${String(args[0])}`;
        let call = memo.get(key);
        if (!call) {
          call = method.apply(target, args);
          memo.set(key, call);
          // A failed read is not remembered: the next node group tries again.
          call.catch(() => memo.get(key) === call && memo.delete(key));
        }
        return call;
      };
    },
  });
}
