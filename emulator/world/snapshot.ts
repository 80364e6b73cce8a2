/** The world as JSON for GET /_emulator/state: records with ISO times and derived facts (pure read). */
import { egressVerdict, effectiveRouteTable, effectiveRoutes } from './network';
import type { World } from './world';

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

export function worldSnapshot(world: World): Record<string, unknown> {
  const facts = world.facts;
  return {
    time: iso(world.clock.now()),
    region: world.region,
    accountId: world.accountId,
    vpcs: [...world.vpcs.values()],
    subnets: [...world.subnets.values()].map((s) => ({
      ...s,
      availableIpAddressCount: world.availableIpAddressCount(s.subnetId),
      routeTableId: effectiveRouteTable(facts, s.subnetId)?.routeTableId,
    })),
    internetGateways: [...world.internetGateways.values()],
    natGateways: [...world.natGateways.values()].map((n) => ({ ...n, createTime: iso(n.createTime), deleteTime: iso(n.deleteTime) })),
    routeTables: [...world.routeTables.values()].map((t) => ({
      routeTableId: t.routeTableId,
      vpcId: t.vpcId,
      main: t.main,
      subnetIds: t.associations.map((a) => a.subnetId),
      // as DescribeRouteTables shows them: the local route first, each with its state
      routes: effectiveRoutes(facts, t).map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined))),
      tags: t.tags,
    })),
    vpcEndpoints: [...world.vpcEndpoints.values()],
    instances: [...world.instances.values()].map((i) => ({
      ...i,
      launchTime: iso(i.launchTime),
      terminatedAt: iso(i.terminatedAt),
      egress: egressVerdict(facts, i.subnetId, {
        hasPublicIp: i.publicIp !== undefined,
        clusterEndpointPrivateAccess: (i.clusterName ? world.clusters.get(i.clusterName)?.endpointPrivateAccess : false) ?? false,
      }),
    })),
    autoScalingGroups: [...world.autoScalingGroups.values()].map((a) => ({ ...a, createdTime: iso(a.createdTime) })),
    scalingActivities: world.activities.map((a) => ({ ...a, startTime: iso(a.startTime), endTime: iso(a.endTime) })),
    clusters: [...world.clusters.values()].map((c) => ({
      ...c,
      createdAt: iso(c.createdAt),
      nodegroups: world.nodegroupsOf(c.name).map((n) => ({
        ...n,
        createdAt: iso(n.createdAt),
        modifiedAt: iso(n.modifiedAt),
        updates: n.updates.map((u) => ({ ...u, createdAt: iso(u.createdAt) })),
        health: { issues: world.healthIssues(n) },
      })),
      nodes: world.nodesOf(c.name),
    })),
    nodes: world.registeredNodes(),
    iam: {
      roles: [...world.iam.roles.values()].map((r) => ({ ...r, createDate: iso(r.createDate) })),
      instanceProfiles: [...world.iam.instanceProfiles.values()].map((p) => ({ ...p, createDate: iso(p.createDate) })),
    },
    pendingTasks: world.clock.pending(),
  };
}
