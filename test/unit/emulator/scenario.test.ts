import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BUNDLED_SCENARIO_DIR, loadScenarioFile, parseScenario, ScenarioError } from '../../../emulator/scenario';

function seedDocument(): Record<string, unknown> {
  return structuredClone(loadScenarioFile('seed')) as unknown as Record<string, unknown>;
}

function errorOf(document: unknown): ScenarioError {
  try {
    parseScenario(document);
  } catch (error) {
    if (error instanceof ScenarioError) return error;
    throw error;
  }
  throw new Error('expected the scenario to be rejected');
}

describe('emulator scenario validation', () => {
  it.each(readdirSync(BUNDLED_SCENARIO_DIR).filter((f) => f.endsWith('.json')))('bundled scenario %s is valid', (file) => {
    // Act
    const scenario = loadScenarioFile(path.join(BUNDLED_SCENARIO_DIR, file));

    // Assess
    expect(scenario.clusters[0]?.name).toBe('eks-workshop');
    expect(scenario.principals.map((p) => p.name)).toEqual(['operator', 'remediator']);
  });

  it('resolves a bare bundled name', () => {
    // Act
    const scenario = loadScenarioFile('blackhole');

    // Assess
    expect(scenario.natGateways.map((n) => n.state)).toContain('deleted');
  });

  it.each([
    ['a missing top-level field', (d: Record<string, unknown>) => delete d.timing, 'timing'],
    ['a missing timing', (d: Record<string, unknown>) => delete (d.timing as Record<string, unknown>).nodeJoinSeconds, 'timing.nodeJoinSeconds'],
    ['a negative timing', (d: Record<string, unknown>) => ((d.timing as Record<string, unknown>).instanceBootSeconds = -1), 'timing.instanceBootSeconds'],
    ['a bad CIDR', (d: Record<string, unknown>) => ((d.subnets as Record<string, unknown>[])[2]!.cidrBlock = '10.42.0.0/33'), 'subnets[2].cidrBlock'],
    ['a subnet outside its VPC', (d: Record<string, unknown>) => ((d.subnets as Record<string, unknown>[])[0]!.cidrBlock = '10.43.0.0/19'), 'subnets[0].cidrBlock'],
    ['an unknown VPC', (d: Record<string, unknown>) => ((d.subnets as Record<string, unknown>[])[1]!.vpcId = 'vpc-nope'), 'subnets[1].vpcId'],
    ['a NAT state', (d: Record<string, unknown>) => ((d.natGateways as Record<string, unknown>[])[0]!.state = 'broken'), 'natGateways[0].state'],
    ['a route with two targets', (d: Record<string, unknown>) => {
      const routes = (d.routeTables as { routes: Record<string, unknown>[] }[])[1]!.routes;
      routes[0]!.natGatewayId = 'nat-0c2b4e6a8d0f13579';
    }, 'routeTables[1].routes[0]'],
    ['a subnet in two tables', (d: Record<string, unknown>) => {
      (d.routeTables as { subnetIds: string[] }[])[3]!.subnetIds.push('subnet-0a6b1c2d3e4f50617');
    }, 'routeTables[3].subnetIds[1]'],
    ['desired above max', (d: Record<string, unknown>) => {
      const ng = (d.clusters as { nodegroups: { scalingConfig: Record<string, number> }[] }[])[0]!.nodegroups[1]!;
      ng.scalingConfig.desiredSize = 2;
    }, 'clusters[0].nodegroups[1].scalingConfig.desiredSize'],
    ['a node group subnet of another VPC', (d: Record<string, unknown>) => {
      (d.clusters as { nodegroups: { subnetIds: string[] }[] }[])[0]!.nodegroups[1]!.subnetIds = ['subnet-unknown'];
    }, 'clusters[0].nodegroups[1].subnetIds[0]'],
    ['a bad principal ARN', (d: Record<string, unknown>) => ((d.principals as Record<string, unknown>[])[1]!.arn = 'remediator'), 'principals[1].arn'],
    ['a duplicate access key', (d: Record<string, unknown>) => {
      const principals = d.principals as Record<string, unknown>[];
      principals[1]!.accessKeyId = principals[0]!.accessKeyId;
    }, 'principals[1].accessKeyId'],
    ['an unknown fault error', (d: Record<string, unknown>) => (d.faults = [{ operation: '*', error: 'boom' }]), 'faults[0].error'],
  ])('names the field at fault for %s', (_label, mutate, field) => {
    // Prepare
    const document = seedDocument();
    mutate(document);

    // Act
    const error = errorOf(document);

    // Assess
    expect(error.field).toBe(field);
    expect(error.message).toContain(`"${field}"`);
  });

  it('defaults optional fields', () => {
    // Prepare
    const document = seedDocument();
    const cluster = (document.clusters as Record<string, unknown>[])[0] as Record<string, unknown>;
    delete cluster.accessEntries;
    delete (document.subnets as Record<string, unknown>[])[0]!.mapPublicIpOnLaunch;

    // Act
    const scenario = parseScenario(document);

    // Assess
    expect(scenario.clusters[0]?.accessEntries).toEqual([]);
    expect(scenario.subnets[0]?.mapPublicIpOnLaunch).toBe(false);
  });

  it('reports unreadable files and invalid JSON with the file name', () => {
    // Prepare
    const dir = mkdtempSync(path.join(tmpdir(), 'scenario-'));
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '{"region": ');
    const failureOf = (file: string): ScenarioError | undefined => {
      try {
        loadScenarioFile(file);
      } catch (error) {
        return error as ScenarioError;
      }
      return undefined;
    };

    try {
      // Act
      const missing = failureOf('/nonexistent/scenario.json');
      const invalid = failureOf(broken);

      // Assess
      expect(missing).toBeInstanceOf(ScenarioError);
      expect(missing?.message).toContain('/nonexistent/scenario.json');
      expect(invalid).toBeInstanceOf(ScenarioError);
      expect(invalid?.message).toContain('is not valid JSON');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
