/**
 * Property over generated worlds (the seed story plus random network controls): no route is
 * written and nothing is recycled while a blocker stands, and a world whose only fault is the
 * missing route is still fixed (route + recycle), exactly as before the network checks existed.
 */
import fc from 'fast-check';
import { blockersOf, diagnose } from '../../../lambda/diagnosis';
import type { NetworkAclInfo, SecurityGroupInfo } from '../../../lambda/model';
import { plan } from '../../../lambda/plan';
import { addPrivateEndpoints, config, SEED } from '../../fixtures/snapshots/builder';
import { CLUSTER_SG, withGroups } from '../../fixtures/snapshots/network';

const faultsArb = fc.record({
  routeMissing: fc.boolean(),
  dnsSupport: fc.boolean(),
  dnsHostnames: fc.boolean(),
  privateAccess: fc.boolean(),
  publicAccessCidr: fc.constantFrom(undefined, '0.0.0.0/0', '198.51.100.0/24', '44.226.10.28/32'),
  nodeGroups: fc.constantFrom('cluster', 'launch-template'),
  clusterIngress: fc.constantFrom('self', 'vpc-443', 'none'),
  nodeEgress: fc.constantFrom('all', 'vpc-only', 'https-anywhere'),
  acl: fc.constantFrom('none', 'deny-443-first', 'allow-443-then-deny', 'no-return'),
  endpoints: fc.constantFrom('none', 'all', 'all-but-ec2'),
  free: fc.constantFrom(undefined, 0, 50),
});
type Faults = typeof faultsArb extends fc.Arbitrary<infer F> ? F : never;

function world(f: Faults) {
  const clusterGroup: SecurityGroupInfo = {
    groupId: CLUSTER_SG,
    vpcId: SEED.vpcId,
    ingress:
      f.clusterIngress === 'self'
        ? [{ protocol: '-1', referencedGroupId: CLUSTER_SG }]
        : f.clusterIngress === 'vpc-443'
          ? [{ protocol: 'tcp', fromPort: 443, toPort: 443, cidrIpv4: '10.42.0.0/16' }]
          : [],
    egress: [{ protocol: '-1', cidrIpv4: '0.0.0.0/0' }],
  };
  const egress =
    f.nodeEgress === 'all'
      ? [{ protocol: '-1', cidrIpv4: '0.0.0.0/0' }]
      : f.nodeEgress === 'vpc-only'
        ? [{ protocol: '-1', cidrIpv4: '10.42.0.0/16' }]
        : [{ protocol: 'tcp', fromPort: 443, toPort: 443, cidrIpv4: '0.0.0.0/0' }];
  const ltGroup: SecurityGroupInfo = { groupId: 'sg-lt', vpcId: SEED.vpcId, ingress: [], egress };
  const snapshot = withGroups([clusterGroup, ltGroup], f.nodeGroups === 'cluster' ? [CLUSTER_SG] : ['sg-lt']);
  if (f.routeMissing) snapshot.network.routeTables.find((t) => t.routeTableId === SEED.newRouteTableId)!.routes = snapshot.network.routeTables
    .find((t) => t.routeTableId === SEED.newRouteTableId)!
    .routes.filter((r) => r.destinationCidrBlock !== '0.0.0.0/0');
  snapshot.network.vpc!.enableDnsSupport = f.dnsSupport;
  snapshot.network.vpc!.enableDnsHostnames = f.dnsHostnames;
  Object.assign(snapshot.cluster, { endpointPrivateAccess: f.privateAccess, ...(f.publicAccessCidr ? { publicAccessCidrs: [f.publicAccessCidr] } : {}) });
  snapshot.network.natGateways.forEach((n, i) => (n.publicIp = ['44.226.10.28', '35.160.7.99'][i]));
  const allow = (egress: boolean, ruleNumber = 100) => ({ ruleNumber, egress, protocol: '-1', cidrBlock: '0.0.0.0/0', ruleAction: 'allow' as const });
  const entries: NetworkAclInfo['entries'] =
    f.acl === 'deny-443-first'
      ? [{ ruleNumber: 90, egress: true, protocol: '6', fromPort: 443, toPort: 443, cidrBlock: '0.0.0.0/0', ruleAction: 'deny' }, allow(true), allow(false)]
      : f.acl === 'allow-443-then-deny'
        ? [{ ruleNumber: 90, egress: true, protocol: '6', fromPort: 443, toPort: 443, cidrBlock: '0.0.0.0/0', ruleAction: 'allow' }, { ...allow(true, 100), ruleAction: 'deny' }, allow(false)]
        : f.acl === 'no-return'
          ? [allow(true)]
          : [allow(true), allow(false)];
  snapshot.network.networkAcls = [{ networkAclId: 'acl-new', vpcId: SEED.vpcId, isDefault: false, subnetIds: [SEED.newSubnetId], entries }];
  if (f.endpoints !== 'none') {
    addPrivateEndpoints(snapshot, [SEED.newRouteTableId]);
    if (f.endpoints === 'all-but-ec2') snapshot.network.vpcEndpoints = snapshot.network.vpcEndpoints.filter((e) => !e.serviceName.endsWith('.ec2'));
  }
  if (f.free !== undefined) snapshot.network.subnets.find((s) => s.subnetId === SEED.newSubnetId)!.availableIpAddressCount = f.free;
  return snapshot;
}

const ROUTE_WRITES = new Set(['CREATE_ROUTE', 'REPLACE_ROUTE']);
const RECYCLES = new Set(['REPLACE_INSTANCES', 'SCALE_CYCLE']);

describe('network blockers over generated worlds', () => {
  it('no route is written and nothing is recycled while a blocker stands', () => {
    let blocked = 0;
    fc.assert(
      fc.property(faultsArb, (faults) => {
        const snapshot = world(faults);
        const diagnosis = diagnose(snapshot, config());
        const actions = plan(snapshot, diagnosis, config()).actions;
        if (blockersOf(diagnosis.findings).length > 0) {
          blocked += 1;
          expect(actions.filter((a) => ROUTE_WRITES.has(a.type) || RECYCLES.has(a.type))).toEqual([]);
        }
      }),
      { numRuns: 400, seed: 9 },
    );
    expect(blocked).toBeGreaterThan(100); // not vacuous
  });

  it('a world whose only fault is the missing route is still fixed: route, then recycle', () => {
    fc.assert(
      fc.property(fc.constantFrom(undefined, '0.0.0.0/0'), fc.boolean(), fc.constantFrom(undefined, 50), (cidr, privateAccess, free) => {
        const snapshot = world({
          routeMissing: true, dnsSupport: true, dnsHostnames: true, privateAccess, publicAccessCidr: cidr, nodeGroups: 'cluster',
          clusterIngress: 'self', nodeEgress: 'all', acl: 'none', endpoints: 'none', free,
        });
        const diagnosis = diagnose(snapshot, config());
        const actions = plan(snapshot, diagnosis, config()).actions;

        expect(blockersOf(diagnosis.findings)).toEqual([]);
        expect(actions.map((a) => a.type)).toEqual(['CREATE_ROUTE', 'REPLACE_INSTANCES']);
      }),
    );
  });
});
