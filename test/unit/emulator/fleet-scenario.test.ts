/**
 * The benchmark's generated fleets are valid scenarios (the emulator's own validation accepts
 * them) and are broken exactly where they say: 2% of the node groups have no default route.
 */
import { fleetScenario, isBrokenIndex } from '../../../emulator/fleet-scenario';
import { parseScenario } from '../../../emulator/scenario';

describe('fleetScenario', () => {
  it('builds a 50x10 fleet the emulator accepts, with 10 node groups lacking a default route', () => {
    // Act
    const scenario = parseScenario(fleetScenario({ clusters: 50, nodegroupsPerCluster: 10 }));

    // Assess
    expect(scenario.clusters).toHaveLength(50);
    expect(scenario.clusters.flatMap((c) => c.nodegroups)).toHaveLength(500);
    const nodegroupTables = scenario.routeTables.filter((t) => !t.main && t.subnetIds.length === 1 && !t.routes.some((r) => r.gatewayId));
    expect(nodegroupTables).toHaveLength(500);
    expect(nodegroupTables.filter((t) => t.routes.length === 0)).toHaveLength(10);
    expect(new Set(scenario.subnets.map((s) => s.subnetId)).size).toBe(scenario.subnets.length);
  });

  it('breaks 2% of a fleet: none of 10, 2 of 100', () => {
    // Act
    const broken = (n: number) => Array.from({ length: n }, (_, i) => i).filter(isBrokenIndex).length;

    // Assess
    expect([broken(10), broken(100), broken(500)]).toEqual([0, 2, 10]);
  });
});
