import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CreateRouteCommand, DescribeRouteTablesCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeNodegroupCommand, EKSClient, ListClustersCommand } from '@aws-sdk/client-eks';
import type { CallRecord, RunningEmulator } from '../../../emulator/index';
import { bundledScenario, type Clients, clientsFor, destroyClients, rejectionOf, SEED, startTestEmulator } from './support/harness';

async function getJson<T>(url: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const response = await fetch(url, init);
  return { status: response.status, body: (await response.json()) as T };
}

describe('emulator endpoint: authentication, call log, faults, control endpoints', () => {
  let emulator: RunningEmulator;
  let clients: Clients;

  beforeEach(async () => {
    emulator = await startTestEmulator();
    clients = clientsFor(emulator, 'remediator');
  });

  afterEach(async () => {
    destroyClients(clients);
    await emulator.close();
  });

  describe('authentication', () => {
    it('refuses unknown access keys in each service’s own words', async () => {
      // Prepare
      const config = { endpoint: emulator.awsEndpoint, region: emulator.region, maxAttempts: 1, credentials: { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'x' } };
      const ec2 = new EC2Client(config);
      const eks = new EKSClient(config);
      const autoscaling = new AutoScalingClient(config);

      try {
        // Act
        const errors = await Promise.all([
          rejectionOf(ec2.send(new DescribeVpcsCommand({}))),
          rejectionOf(eks.send(new ListClustersCommand({}))),
          rejectionOf(autoscaling.send(new DescribeAutoScalingGroupsCommand({}))),
        ]);

        // Assess
        expect(errors.map((e) => e.name)).toEqual(['AuthFailure', 'UnrecognizedClientException', 'InvalidClientTokenId']);
        expect(emulator.calls().every((c) => c.principalArn === null && c.httpStatus >= 400)).toBe(true);
      } finally {
        ec2.destroy();
        eks.destroy();
        autoscaling.destroy();
      }
    });

    it('refuses a wrong secret as a signature mismatch', async () => {
      // Prepare
      const config = {
        endpoint: emulator.awsEndpoint,
        region: emulator.region,
        maxAttempts: 1,
        credentials: { accessKeyId: emulator.operator.accessKeyId, secretAccessKey: 'not-the-secret' },
      };
      const ec2 = new EC2Client(config);
      const eks = new EKSClient(config);

      try {
        // Act
        const ec2Error = await rejectionOf(ec2.send(new DescribeVpcsCommand({})));
        const eksError = await rejectionOf(eks.send(new ListClustersCommand({})));

        // Assess
        expect(ec2Error.name).toBe('SignatureDoesNotMatch');
        expect(eksError.name).toBe('InvalidSignatureException');
        expect(eksError.$metadata?.httpStatusCode).toBe(403);
      } finally {
        ec2.destroy();
        eks.destroy();
      }
    });

    it('accepts any secret when the scenario turns signature checks off', async () => {
      // Prepare
      const scenario = { ...bundledScenario('seed'), verifySignatures: false };
      const lax = await startTestEmulator(scenario);
      const ec2 = new EC2Client({ endpoint: lax.awsEndpoint, region: lax.region, maxAttempts: 1, credentials: { accessKeyId: lax.operator.accessKeyId, secretAccessKey: 'anything' } });

      try {
        // Act
        const out = await ec2.send(new DescribeVpcsCommand({}));

        // Assess
        expect(out.Vpcs).toHaveLength(1);
      } finally {
        ec2.destroy();
        await lax.close();
      }
    });
  });

  describe('call log', () => {
    it('records every call with service, operation, params and the caller principal ARN', async () => {
      // Act
      await clients.ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'association.subnet-id', Values: [SEED.newSubnetId] }] }));
      await clients.eks.send(new DescribeNodegroupCommand({ clusterName: SEED.cluster, nodegroupName: SEED.brokenNodegroup }));
      const overHttp = await getJson<CallRecord[]>(`${emulator.awsEndpoint}/_emulator/calls`);
      const onlyEks = await getJson<CallRecord[]>(`${emulator.awsEndpoint}/_emulator/calls?service=eks`);

      // Assess
      const calls = emulator.calls();
      expect(calls).toEqual([
        expect.objectContaining({
          service: 'ec2',
          operation: 'DescribeRouteTables',
          params: { Filter: [{ Name: 'association.subnet-id', Value: [SEED.newSubnetId] }] },
          principalArn: SEED.remediatorArn,
          httpStatus: 200,
        }),
        expect.objectContaining({
          service: 'eks',
          operation: 'DescribeNodegroup',
          params: { name: SEED.cluster, nodegroupName: SEED.brokenNodegroup },
          principalArn: SEED.remediatorArn,
        }),
      ]);
      expect(Number.isNaN(Date.parse(calls[0]?.time ?? ''))).toBe(false);
      expect(overHttp.body).toEqual(calls);
      expect(onlyEks.body.map((c) => c.operation)).toEqual(['DescribeNodegroup']);
    });

    it('records failed calls with their error code', async () => {
      // Act
      await rejectionOf(clients.ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: ['rtb-0000000000000dead'] })));

      // Assess
      expect(emulator.calls()).toEqual([expect.objectContaining({ operation: 'DescribeRouteTables', errorCode: 'InvalidRouteTableID.NotFound', httpStatus: 400 })]);
    });
  });

  describe('faults', () => {
    it('throttles twice, then the SDK retries succeed (EC2 RequestLimitExceeded)', async () => {
      // Prepare
      const retrying = clientsFor(emulator, 'remediator', 3);
      emulator.injectFault({ operation: 'DescribeRouteTables', error: 'throttle', count: 2 });

      try {
        // Act
        const out = await retrying.ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [SEED.newRouteTableId] }));

        // Assess
        expect(out.RouteTables).toHaveLength(1);
        expect(emulator.calls().map((c) => c.errorCode ?? 'ok')).toEqual(['RequestLimitExceeded', 'RequestLimitExceeded', 'ok']);
        expect(emulator.calls()[0]?.httpStatus).toBe(503);
      } finally {
        destroyClients(retrying);
      }
    });

    it('throttles EKS and Auto Scaling in their own codes, retried by the SDK', async () => {
      // Prepare
      const retrying = clientsFor(emulator, 'remediator', 2);
      emulator.injectFault({ service: 'eks', operation: '*', error: 'throttle', count: 1 });
      emulator.injectFault({ service: 'autoscaling', operation: 'DescribeAutoScalingGroups', error: 'throttle', count: 1 });

      try {
        // Act
        await retrying.eks.send(new ListClustersCommand({}));
        await retrying.autoscaling.send(new DescribeAutoScalingGroupsCommand({}));

        // Assess
        expect(emulator.calls().map((c) => `${c.operation}:${c.errorCode ?? 'ok'}`)).toEqual([
          'ListClusters:ThrottlingException',
          'ListClusters:ok',
          'DescribeAutoScalingGroups:Throttling',
          'DescribeAutoScalingGroups:ok',
        ]);
      } finally {
        destroyClients(retrying);
      }
    });

    it('fails with a server error or access denied, only for the principal named', async () => {
      // Prepare
      emulator.injectFault({ operation: 'DescribeVpcs', error: '5xx', count: 1 });
      emulator.injectFault({ operation: 'CreateRoute', error: 'access-denied', principalArn: SEED.remediatorArn });
      const operator = clientsFor(emulator, 'operator');

      try {
        // Act
        const serverError = await rejectionOf(clients.ec2.send(new DescribeVpcsCommand({})));
        const denied = await rejectionOf(
          clients.ec2.send(new CreateRouteCommand({ RouteTableId: SEED.newRouteTableId, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: SEED.natGatewayId })),
        );
        await operator.ec2.send(new CreateRouteCommand({ RouteTableId: SEED.newRouteTableId, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: SEED.natGatewayId }));

        // Assess
        expect(serverError.$metadata?.httpStatusCode).toBe(500);
        expect(serverError.name).toBe('InternalError');
        expect(denied.name).toBe('UnauthorizedOperation');
        expect(denied.message).toContain('ec2:CreateRoute');
        expect(emulator.world.routeTables.get(SEED.newRouteTableId)?.routes).toHaveLength(1);
      } finally {
        destroyClients(operator);
      }
    });

    it('adds latency', async () => {
      // Prepare
      emulator.injectFault({ operation: 'DescribeVpcs', latencyMs: 150, count: 1 });
      const started = Date.now();

      // Act
      await clients.ec2.send(new DescribeVpcsCommand({}));

      // Assess
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    });

    it('takes faults from the scenario and from POST /_emulator/faults, validated', async () => {
      // Prepare
      const scenario = { ...bundledScenario('seed'), faults: [{ operation: 'ListClusters', error: 'throttle' as const, count: 1 }] };
      const faulty = await startTestEmulator(scenario);
      const client = clientsFor(faulty);

      try {
        // Act
        const fromScenario = await rejectionOf(client.eks.send(new ListClustersCommand({})));
        const posted = await getJson<{ id: string }[]>(`${faulty.awsEndpoint}/_emulator/faults`, {
          method: 'POST',
          body: JSON.stringify({ operation: 'DescribeVpcs', error: '5xx', count: 1 }),
        });
        const invalid = await getJson<{ message: string }>(`${faulty.awsEndpoint}/_emulator/faults`, {
          method: 'POST',
          body: JSON.stringify({ operation: 'DescribeVpcs', error: 'explode' }),
        });
        const fromPost = await rejectionOf(client.ec2.send(new DescribeVpcsCommand({})));
        const armed = await getJson<unknown[]>(`${faulty.awsEndpoint}/_emulator/faults`);

        // Assess
        expect(fromScenario.name).toBe('ThrottlingException');
        expect(posted.status).toBe(201);
        expect(posted.body[0]?.id).toEqual(expect.any(String));
        expect(invalid.status).toBe(400);
        expect(invalid.body.message).toContain('fault.error');
        expect(fromPost.$metadata?.httpStatusCode).toBe(500);
        expect(armed.body).toEqual([]);
      } finally {
        destroyClients(client);
        await faulty.close();
      }
    });
  });

  describe('control endpoints', () => {
    it('GET /_emulator/state shows route tables (local route included), instances and nodes', async () => {
      // Act
      const { status, body } = await getJson<{
        routeTables: { routeTableId: string; routes: { gatewayId?: string; state: string }[] }[];
        instances: { instanceId: string; bootstrap: string; nodegroupName?: string }[];
        nodes: unknown[];
        clusters: { name: string; nodegroups: { nodegroupName: string }[] }[];
      }>(`${emulator.awsEndpoint}/_emulator/state`);

      // Assess
      expect(status).toBe(200);
      expect(body.routeTables.find((t) => t.routeTableId === SEED.newRouteTableId)?.routes).toEqual([
        expect.objectContaining({ gatewayId: 'local', state: 'active' }),
      ]);
      expect(body.instances.filter((i) => i.nodegroupName === SEED.brokenNodegroup).map((i) => i.bootstrap)).toEqual(['no-path']);
      expect(body.nodes).toHaveLength(3);
      expect(body.clusters[0]?.nodegroups.map((n) => n.nodegroupName)).toEqual([SEED.workingNodegroup, SEED.brokenNodegroup]);
    });

    it('POST /_emulator/advance moves the clock and GET /_emulator/events lists events', async () => {
      // Prepare
      const before = Date.parse((await getJson<{ time: string }>(`${emulator.awsEndpoint}/_emulator/health`)).body.time);

      // Act
      const advanced = await getJson<{ time: string }>(`${emulator.awsEndpoint}/_emulator/advance`, { method: 'POST', body: JSON.stringify({ seconds: 3600 }) });
      const bad = await getJson<{ message: string }>(`${emulator.awsEndpoint}/_emulator/advance`, { method: 'POST', body: '{"seconds": "soon"}' });
      const events = await getJson<{ 'detail-type': string }[]>(`${emulator.awsEndpoint}/_emulator/events`);
      const nodes = await getJson<{ items: unknown[] }>(`${emulator.awsEndpoint}/_emulator/clusters/${SEED.cluster}/nodes`);

      // Assess
      expect(Date.parse(advanced.body.time) - before).toBeGreaterThanOrEqual(3600_000);
      expect(bad.status).toBe(400);
      expect(events.body.map((e) => e['detail-type'])).toEqual(Array(4).fill('EC2 Instance Launch Successful'));
      expect(nodes.body.items).toHaveLength(3);
    });

    it('answers unknown control paths with 404 and the list of endpoints', async () => {
      // Act
      const { status, body } = await getJson<{ endpoints: string[] }>(`${emulator.awsEndpoint}/_emulator/nope`);

      // Assess
      expect(status).toBe(404);
      expect(body.endpoints).toContain('GET /_emulator/state');
    });
  });
});
