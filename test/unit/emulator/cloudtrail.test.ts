/**
 * The emulator's CloudTrail event history: every mutating call it served (with the caller's
 * identity) plus the scenario's earlier `cloudTrail`, answered by LookupEvents the way the AWS CLI
 * and the SDK expect; NAT gateways' configurable CreateTime.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { CreateRouteCommand, DescribeNatGatewaysCommand, DescribeRouteTablesCommand } from '@aws-sdk/client-ec2';
import type { RunningEmulator } from '../../../emulator/index';
import { parseScenario } from '../../../emulator/index';
import { trailOf } from '../../../emulator/services/cloudtrail';
import { createCloudTrailAdapter } from '../../../lambda/aws/cloudtrail';
import { awsCliEnv, bundledScenario, clientsFor, destroyClients, SEED, startTestEmulator } from './support/harness';

const run = promisify(execFile);
const awsCliMissing = spawnSync('aws', ['--version']).error !== undefined;

async function awsCli(emulator: RunningEmulator, args: string[]): Promise<unknown> {
  const { stdout } = await run('aws', [...args, '--output', 'json'], { timeout: 20_000, env: awsCliEnv(emulator, 'remediator') });
  return JSON.parse(stdout) as unknown;
}

describe('emulator CloudTrail LookupEvents', () => {
  let emulator: RunningEmulator | undefined;
  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
  });

  it('records the operator\'s CreateRoute with its identity and resources; reads are not recorded', async () => {
    // Prepare
    emulator = await startTestEmulator(bundledScenario('seed'));
    const clients = clientsFor(emulator, 'operator');
    await clients.ec2.send(new DescribeRouteTablesCommand({}));
    await clients.ec2.send(new CreateRouteCommand({ RouteTableId: SEED.newRouteTableId, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: SEED.natGatewayId }));
    destroyClients(clients);
    const cloudtrail = createCloudTrailAdapter({ region: emulator.region, endpoint: emulator.awsEndpoint, credentials: emulator.credentialsOf('remediator'), maxAttempts: 1 });
    const now = Date.now() + 60_000;

    // Act
    const events = await cloudtrail.lookupResourceEvents(SEED.newRouteTableId, new Date(now - 3600_000), new Date(now));
    const recorded = trailOf(emulator.world).all().map((e) => e.eventName);

    // Assess
    expect(events).toEqual([
      expect.objectContaining({
        eventName: 'CreateRoute',
        eventSource: 'ec2.amazonaws.com',
        callerArn: 'arn:aws:sts::123456789012:assumed-role/platform-admin/alice',
        resourceNames: expect.arrayContaining([SEED.newRouteTableId, SEED.natGatewayId]),
      }),
    ]);
    expect(recorded).toEqual(['CreateRoute']);
  });

  (awsCliMissing ? it.skip : it)('answers `aws cloudtrail lookup-events` with the scenario history, newest first', async () => {
    // Prepare
    const scenario = bundledScenario('seed');
    scenario.cloudTrail = [
      { eventName: 'CreateRoute', eventSecondsAgo: 600, requestParameters: { routeTableId: SEED.newRouteTableId }, userIdentity: { arn: 'arn:aws:iam::123456789012:user/terraform' } },
      { eventName: 'AssociateRouteTable', eventSecondsAgo: 60, requestParameters: { routeTableId: SEED.newRouteTableId, subnetId: SEED.newSubnetId } },
      { eventName: 'CreateRoute', eventSecondsAgo: 30, requestParameters: { routeTableId: SEED.privateRouteTableId } },
    ];
    emulator = await startTestEmulator(scenario);

    // Act
    const result = (await awsCli(emulator, [
      'cloudtrail', 'lookup-events', '--lookup-attributes', `AttributeKey=ResourceName,AttributeValue=${SEED.newRouteTableId}`,
    ])) as { Events: { EventName: string; Username?: string; Resources: { ResourceName: string }[]; CloudTrailEvent: string }[] };

    // Assess
    expect(result.Events.map((e) => e.EventName)).toEqual(['AssociateRouteTable', 'CreateRoute']);
    expect(result.Events[1]!.Username).toBe('terraform');
    expect(JSON.parse(result.Events[1]!.CloudTrailEvent)).toMatchObject({ eventName: 'CreateRoute', userIdentity: { arn: 'arn:aws:iam::123456789012:user/terraform' } });
  });

  it('answers an unsigned request in CloudTrail\'s JSON 1.1 error shape', async () => {
    emulator = await startTestEmulator(bundledScenario('seed'));
    const response = await fetch(`${emulator.awsEndpoint}/`, { method: 'POST', headers: { 'x-amz-target': 'CloudTrail_20131101.LookupEvents' }, body: '{}' });

    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
  });

  it('NAT gateways: createdSecondsAgo sets CreateTime; without it, 30 days before start', async () => {
    // Prepare
    const scenario = bundledScenario('seed');
    scenario.natGateways.push({ natGatewayId: 'nat-0f0f0f0f0f0f0f0f0', subnetId: scenario.natGateways[0]!.subnetId, state: 'available', connectivityType: 'public', createdSecondsAgo: 120 });
    emulator = await startTestEmulator(scenario);
    const clients = clientsFor(emulator, 'operator');

    // Act
    const { NatGateways = [] } = await clients.ec2.send(new DescribeNatGatewaysCommand({}));
    destroyClients(clients);

    // Assess
    const start = emulator.world.startedAt;
    const created = Object.fromEntries(NatGateways.map((n) => [n.NatGatewayId, n.CreateTime!.getTime()]));
    expect(start - created['nat-0f0f0f0f0f0f0f0f0']!).toBeGreaterThanOrEqual(119_000);
    expect(start - created['nat-0f0f0f0f0f0f0f0f0']!).toBeLessThanOrEqual(121_000);
    expect(start - created[SEED.natGatewayId]!).toBeGreaterThan(29 * 24 * 3600_000);
  });

  it('scenario validation: a cloudTrail entry needs exactly one of eventTime and eventSecondsAgo', () => {
    const scenario = bundledScenario('seed') as unknown as Record<string, unknown>;
    scenario['cloudTrail'] = [{ eventName: 'CreateRoute' }];

    expect(() => parseScenario(scenario)).toThrow(/cloudTrail\[0\]\.eventTime/);
  });
});
