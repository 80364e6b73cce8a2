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

  /** Every field the scenario example of contract section 7 shows: all are required. */
  const CONTRACT_FIELDS = [
    'region', 'accountId', 'principals', 'timing', 'vpcs', 'internetGateways', 'subnets', 'natGateways', 'routeTables', 'vpcEndpoints', 'clusters',
    'principals[0].name', 'principals[0].accessKeyId', 'principals[0].secretAccessKey', 'principals[0].arn',
    'timing.instanceBootSeconds', 'timing.nodeJoinSeconds', 'timing.nodegroupUpdateSeconds', 'timing.instanceAgeSeconds', 'timing.nodeCreationFailureSeconds',
    'vpcs[0].vpcId', 'vpcs[0].cidrBlock',
    'internetGateways[0].internetGatewayId', 'internetGateways[0].vpcId',
    'subnets[0].subnetId', 'subnets[0].vpcId', 'subnets[0].availabilityZone', 'subnets[0].cidrBlock', 'subnets[0].mapPublicIpOnLaunch',
    'natGateways[0].natGatewayId', 'natGateways[0].subnetId', 'natGateways[0].state', 'natGateways[0].connectivityType',
    'routeTables[0].routeTableId', 'routeTables[0].vpcId', 'routeTables[0].main', 'routeTables[0].subnetIds', 'routeTables[0].routes',
    'vpcEndpoints[0].vpcEndpointId', 'vpcEndpoints[0].vpcId', 'vpcEndpoints[0].serviceName', 'vpcEndpoints[0].vpcEndpointType',
    'clusters[0].name', 'clusters[0].version', 'clusters[0].vpcId', 'clusters[0].endpointPublicAccess', 'clusters[0].endpointPrivateAccess',
    'clusters[0].accessEntries', 'clusters[0].nodegroups',
    'clusters[0].accessEntries[0].principalArn', 'clusters[0].accessEntries[0].kubernetesGroups', 'clusters[0].accessEntries[0].accessPolicies',
    'clusters[0].nodegroups[0].nodegroupName', 'clusters[0].nodegroups[0].subnetIds', 'clusters[0].nodegroups[0].scalingConfig', 'clusters[0].nodegroups[0].tags',
    'clusters[0].nodegroups[0].scalingConfig.minSize', 'clusters[0].nodegroups[0].scalingConfig.maxSize', 'clusters[0].nodegroups[0].scalingConfig.desiredSize',
  ];

  it.each(CONTRACT_FIELDS)('requires %s (shown in the contract example)', (field) => {
    // Prepare: the seed, with one VPC endpoint so that its fields exist too, minus the field.
    const document = seedDocument();
    (document.vpcEndpoints as unknown[]).push({
      vpcEndpointId: 'vpce-0a1b2c3d4e5f60789', vpcId: 'vpc-0c2b7f9a1d3e5f604', serviceName: 'com.amazonaws.us-west-2.ecr.api', vpcEndpointType: 'Interface',
    });
    expect(() => parseScenario(document)).not.toThrow();
    const keys = field.split(/\.|\[(\d+)\]/).filter((key) => key !== undefined && key !== '');
    const parent = keys.slice(0, -1).reduce<any>((node, key) => node[key], document);
    delete parent[keys[keys.length - 1] as string];

    // Act
    const error = errorOf(document);

    // Assess
    expect(error.field).toBe(field);
    expect(error.message).toContain('is required');
  });

  it('takes an internet gateway with vpcId null as detached', () => {
    // Prepare
    const document = seedDocument();
    (document.internetGateways as Record<string, unknown>[])[0]!.vpcId = null;

    // Act
    const scenario = parseScenario(document);

    // Assess: it parses, and parses again unchanged (startEmulator re-validates scenario objects).
    expect(scenario.internetGateways[0]?.vpcId).toBeNull();
    expect(parseScenario(structuredClone(scenario))).toEqual(scenario);
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
