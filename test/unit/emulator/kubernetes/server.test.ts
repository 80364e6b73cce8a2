import { Agent } from 'node:https';
import { startClusterApi, type RunningClusterApi } from '../../../../emulator/kubernetes/server';
import {
  caPemOf,
  fakeClusterView,
  httpsGet,
  loadFixtureNodes,
  mintEksToken,
  OPERATOR,
  presignedCallerIdentityUrl,
  REMEDIATOR,
  STRANGER,
  tokenForUrl,
  VIEWER,
} from './support/cluster-fixtures';

const KUBECTL_TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const AGGREGATED_DISCOVERY_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
const UNAUTHORIZED = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 };

const fixtureNodes = loadFixtureNodes();
const liveNodes: Record<string, unknown>[] = [...fixtureNodes];
const rejectedReasons: string[] = [];
let api: RunningClusterApi;
let caPem: string;

const tokenFor = (principal = OPERATOR, clusterName = 'eks-workshop') => mintEksToken({ clusterName, principal });
/** The error message a request fails with ('' if it succeeded). Node's errors come from another realm than jest's `Error`. */
const failureOf = (answer: Promise<unknown>): Promise<string> =>
  answer.then(() => '', (error: { message?: string; code?: string }) => `${error.code ?? ''} ${error.message ?? String(error)}`);
const namesIn = (items: { metadata: { name: string } }[]) => items.map((item) => item.metadata.name);
const fixtureNamesWhere = (predicate: (labels: Record<string, string>) => boolean) =>
  fixtureNodes.filter((node) => predicate(node.metadata.labels)).map((node) => node.metadata.name).sort();

beforeAll(async () => {
  api = await startClusterApi(fakeClusterView({ nodes: () => liveNodes }), { onTokenRejected: (reason) => rejectedReasons.push(reason) });
  caPem = caPemOf(api.certificateAuthorityData);
});

afterAll(async () => {
  await api.close();
});

describe('cluster API endpoint', () => {
  it('listens with HTTPS on loopback and hands out its CA as base64 PEM', () => {
    // Assess
    expect(api.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(caPem).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it('answers /version without credentials', async () => {
    // Act
    const answer = await httpsGet(api.endpoint, '/version', { caPem });

    // Assess
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toMatchObject({ major: '1', gitVersion: expect.stringMatching(/^v1\./) });
  });
});

describe('authentication', () => {
  it('answers 401 Status without a token', async () => {
    // Act
    const answer = await httpsGet(api.endpoint, '/api/v1/nodes', { caPem });

    // Assess
    expect(answer).toMatchObject({ statusCode: 401, body: UNAUTHORIZED });
  });

  const badTokens: [string, () => Promise<string>, string][] = [
    ['an expired token', () => mintEksToken({ clusterName: 'eks-workshop', principal: OPERATOR, signingDate: new Date(Date.now() - 16 * 60_000) }), 'expired'],
    ['a token for another cluster', () => tokenFor(OPERATOR, 'other-cluster'), 'another cluster'],
    ['a token with a bad signature', async () => tokenForUrl((await presignedCallerIdentityUrl({ clusterName: 'eks-workshop', principal: OPERATOR })).replace(/X-Amz-Signature=[0-9a-f]{8}/, 'X-Amz-Signature=deadbeef')), 'signature does not match'],
    ['a token of an unknown key', () => mintEksToken({ clusterName: 'eks-workshop', principal: { accessKeyId: 'AKIANOBODY0000000000', secretAccessKey: 'x' } }), 'unknown access key id'],
    ['a padded token', async () => `k8s-aws-v1.${Buffer.from(`${await presignedCallerIdentityUrl({ clusterName: 'eks-workshop', principal: OPERATOR })}&`, 'utf8').toString('base64url')}==`, 'base64url'],
    ['a token with an extra query parameter', async () => tokenForUrl(`${await presignedCallerIdentityUrl({ clusterName: 'eks-workshop', principal: OPERATOR })}&DurationSeconds=900`), 'non-whitelisted'],
    ['a token for a host that is not STS', async () => tokenForUrl((await presignedCallerIdentityUrl({ clusterName: 'eks-workshop', principal: OPERATOR })).replace('sts.us-west-2.amazonaws.com', 'sts.example.com')), 'unexpected hostname'],
  ];

  it.each(badTokens)('answers 401 Status to %s', async (_name, makeToken, reason) => {
    // Prepare
    const token = await makeToken();
    rejectedReasons.length = 0;

    // Act
    const answer = await httpsGet(api.endpoint, '/api/v1/nodes', { caPem, token });

    // Assess
    expect(answer).toMatchObject({ statusCode: 401, body: UNAUTHORIZED });
    expect(rejectedReasons).toEqual([expect.stringContaining(reason)]);
  });

  it('accepts a token presigned against the emulator AWS endpoint (AWS_ENDPOINT_URL) over http', async () => {
    // Prepare
    const emulatorApi = await startClusterApi(fakeClusterView({ awsEndpointHost: '127.0.0.1:45660' }));
    const token = tokenForUrl(await presignedCallerIdentityUrl({ clusterName: 'eks-workshop', principal: OPERATOR, host: '127.0.0.1:45660', protocol: 'http:' }));

    // Act
    const answer = await httpsGet(emulatorApi.endpoint, '/api/v1/nodes', { caPem: caPemOf(emulatorApi.certificateAuthorityData), token }).finally(() => emulatorApi.close());

    // Assess
    expect(answer.statusCode).toBe(200);
    expect(answer.body.items).toHaveLength(fixtureNodes.length);
  });
});

describe('authorization from access entries', () => {
  it.each([
    ['only AmazonEKSViewPolicy', VIEWER],
    ['no access entry', STRANGER],
  ])('answers 403 Status to a principal with %s', async (_name, principal) => {
    // Act
    const answer = await httpsGet(api.endpoint, '/api/v1/nodes?labelSelector=eks.amazonaws.com%2Fnodegroup%3Ddefault', { caPem, token: await tokenFor(principal) });

    // Assess
    expect(answer).toMatchObject({
      statusCode: 403,
      body: {
        kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', code: 403,
        message: `nodes is forbidden: User "${principal.arn}" cannot list resource "nodes" in API group "" at the cluster scope`,
      },
    });
  });

  it('lets a principal with AmazonEKSAdminViewPolicy list nodes', async () => {
    // Act
    const answer = await httpsGet(api.endpoint, '/api/v1/nodes', { caPem, token: await tokenFor(REMEDIATOR) });

    // Assess
    expect(answer.statusCode).toBe(200);
    expect(namesIn(answer.body.items).sort()).toEqual(fixtureNamesWhere(() => true));
  });

  it('still serves discovery to an authenticated principal that cannot read nodes', async () => {
    // Act
    const answer = await httpsGet(api.endpoint, '/api/v1', { caPem, token: await tokenFor(VIEWER) });

    // Assess
    expect(answer.statusCode).toBe(200);
  });
});

describe('GET /api/v1/nodes', () => {
  it.each([
    ['eks.amazonaws.com/nodegroup=default', (labels: Record<string, string>) => labels['eks.amazonaws.com/nodegroup'] === 'default'],
    ['eks.amazonaws.com/nodegroup!=default', (labels: Record<string, string>) => labels['eks.amazonaws.com/nodegroup'] !== 'default'],
    ['eks.amazonaws.com/nodegroup in (system,new_nodegroup_2)', (labels: Record<string, string>) => ['system', 'new_nodegroup_2'].includes(labels['eks.amazonaws.com/nodegroup'] as string)],
    ['eks.amazonaws.com/nodegroup notin (default),topology.kubernetes.io/zone=us-west-2a', (labels: Record<string, string>) => labels['eks.amazonaws.com/nodegroup'] !== 'default' && labels['topology.kubernetes.io/zone'] === 'us-west-2a'],
    ['node-role.kubernetes.io/infra', (labels: Record<string, string>) => 'node-role.kubernetes.io/infra' in labels],
    ['!node-role.kubernetes.io/infra', (labels: Record<string, string>) => !('node-role.kubernetes.io/infra' in labels)],
    ['eks.amazonaws.com/nodegroup=nonexistent', () => false],
  ])('filters with labelSelector %j', async (selector, predicate) => {
    // Act
    const answer = await httpsGet(api.endpoint, `/api/v1/nodes?labelSelector=${encodeURIComponent(selector)}`, { caPem, token: await tokenFor() });

    // Assess
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toMatchObject({ kind: 'NodeList', apiVersion: 'v1', metadata: { resourceVersion: expect.stringMatching(/^\d+$/) } });
    expect(namesIn(answer.body.items)).toEqual(fixtureNamesWhere(predicate));
    expect(answer.body.items.every((item: { kind: string }) => item.kind === 'Node')).toBe(true);
  });

  it('filters with fieldSelector metadata.name', async () => {
    // Prepare
    const name = fixtureNodes[1]?.metadata.name as string;

    // Act
    const answer = await httpsGet(api.endpoint, `/api/v1/nodes?fieldSelector=${encodeURIComponent(`metadata.name=${name}`)}`, { caPem, token: await tokenFor() });

    // Assess
    expect(namesIn(answer.body.items)).toEqual([name]);
  });

  it('pages with limit and continue', async () => {
    // Prepare
    const token = await tokenFor();
    const pages: { metadata: { continue?: string; remainingItemCount?: number }; items: { metadata: { name: string } }[] }[] = [];

    // Act
    let path = '/api/v1/nodes?limit=2';
    for (;;) {
      const answer = await httpsGet(api.endpoint, path, { caPem, token });
      pages.push(answer.body);
      const next = answer.body.metadata.continue as string | undefined;
      if (!next) break;
      path = `/api/v1/nodes?limit=2&continue=${encodeURIComponent(next)}`;
    }

    // Assess
    expect(pages.map((page) => page.items.length)).toEqual([2, 2, fixtureNodes.length - 4]);
    expect(pages[0]?.metadata.remainingItemCount).toBe(fixtureNodes.length - 2);
    expect(pages.flatMap((page) => namesIn(page.items))).toEqual(fixtureNamesWhere(() => true));
  });

  it('answers 400 Status to a bad continue token or a malformed selector', async () => {
    // Prepare
    const token = await tokenFor();

    // Act
    const badContinue = await httpsGet(api.endpoint, '/api/v1/nodes?limit=2&continue=garbage', { caPem, token });
    const badSelector = await httpsGet(api.endpoint, `/api/v1/nodes?labelSelector=${encodeURIComponent('a in (')}`, { caPem, token });

    // Assess
    expect(badContinue).toMatchObject({ statusCode: 400, body: { kind: 'Status', reason: 'BadRequest', code: 400 } });
    expect(badSelector).toMatchObject({ statusCode: 400, body: { kind: 'Status', reason: 'BadRequest', code: 400 } });
  });

  it('serves nodes that appear in the view after the server started', async () => {
    // Prepare
    const joined = { metadata: { name: 'ip-10-42-200-9.us-west-2.compute.internal', resourceVersion: '9999', labels: { 'eks.amazonaws.com/nodegroup': 'late' } } };
    liveNodes.push(joined);

    // Act
    const answer = await httpsGet(api.endpoint, '/api/v1/nodes?labelSelector=eks.amazonaws.com%2Fnodegroup%3Dlate', { caPem, token: await tokenFor() }).finally(() => liveNodes.pop());

    // Assess
    expect(namesIn(answer.body.items)).toEqual([joined.metadata.name]);
    expect(answer.body.metadata.resourceVersion).toBe('9999');
  });

  it('returns a meta.k8s.io Table when asked the way kubectl asks', async () => {
    // Act
    const answer = await httpsGet(api.endpoint, '/api/v1/nodes?labelSelector=eks.amazonaws.com%2Fnodegroup%3Ddefault&limit=500', {
      caPem, token: await tokenFor(), accept: KUBECTL_TABLE_ACCEPT,
    });

    // Assess
    expect(answer.body).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
    expect(answer.body.columnDefinitions.map((column: { name: string; priority: number }) => [column.name.toUpperCase(), column.priority])).toEqual([
      ['NAME', 0], ['STATUS', 0], ['ROLES', 0], ['AGE', 0], ['VERSION', 0],
      ['INTERNAL-IP', 1], ['EXTERNAL-IP', 1], ['OS-IMAGE', 1], ['KERNEL-VERSION', 1], ['CONTAINER-RUNTIME', 1],
    ]);
    expect(answer.body.rows.map((row: { cells: string[] }) => row.cells[0])).toEqual(fixtureNamesWhere((labels) => labels['eks.amazonaws.com/nodegroup'] === 'default'));
    expect(answer.body.rows.map((row: { object: { kind: string } }) => row.object.kind)).toEqual(answer.body.rows.map(() => 'PartialObjectMetadata'));
  });

  it('puts full Node objects in Table rows for includeObject=Object', async () => {
    // Act
    const answer = await httpsGet(api.endpoint, '/api/v1/nodes?includeObject=Object', { caPem, token: await tokenFor(), accept: KUBECTL_TABLE_ACCEPT });

    // Assess
    expect(answer.body.rows.map((row: { object: { kind: string; status: unknown } }) => [row.object.kind, row.object.status !== undefined])).toEqual(
      fixtureNodes.map(() => ['Node', true]),
    );
  });
});

describe('GET /api/v1/nodes/{name}', () => {
  it('returns the Node', async () => {
    // Prepare
    const fixture = fixtureNodes[2];

    // Act
    const answer = await httpsGet(api.endpoint, `/api/v1/nodes/${fixture?.metadata.name}`, { caPem, token: await tokenFor() });

    // Assess
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toEqual({ kind: 'Node', apiVersion: 'v1', ...fixture });
  });

  it('answers 404 Status for an unknown node and 403 with the get wording for a viewer', async () => {
    // Act
    const missing = await httpsGet(api.endpoint, '/api/v1/nodes/ip-10-0-0-1.ec2.internal', { caPem, token: await tokenFor() });
    const forbidden = await httpsGet(api.endpoint, '/api/v1/nodes/ip-10-0-0-1.ec2.internal', { caPem, token: await tokenFor(VIEWER) });

    // Assess
    expect(missing).toMatchObject({ statusCode: 404, body: { kind: 'Status', reason: 'NotFound', message: 'nodes "ip-10-0-0-1.ec2.internal" not found', code: 404 } });
    expect(forbidden.body.message).toBe(`nodes "ip-10-0-0-1.ec2.internal" is forbidden: User "${VIEWER.arn}" cannot get resource "nodes" in API group "" at the cluster scope`);
  });
});

describe('discovery and unknown paths', () => {
  it.each([
    ['/api', { kind: 'APIVersions', versions: ['v1'] }],
    ['/apis', { kind: 'APIGroupList', groups: [expect.objectContaining({ name: 'admissionregistration.k8s.io' }), expect.objectContaining({ name: 'discovery.k8s.io' })] }],
    [
      '/api/v1',
      {
        kind: 'APIResourceList',
        groupVersion: 'v1',
        resources: [
          expect.objectContaining({ name: 'nodes', kind: 'Node', namespaced: false, verbs: expect.arrayContaining(['list', 'get']) }),
          expect.objectContaining({ name: 'configmaps', kind: 'ConfigMap', namespaced: true }),
        ],
      },
    ],
  ])('answers %s with plain JSON even when aggregated discovery is asked for', async (path, expected) => {
    // Act
    const answer = await httpsGet(api.endpoint, path, { caPem, token: await tokenFor(), accept: AGGREGATED_DISCOVERY_ACCEPT });

    // Assess
    expect(answer.contentType).toBe('application/json');
    expect(answer.body).toMatchObject(expected);
  });

  it.each(['/api/v1/pods', '/apis/apps/v1', '/api/v1/nodes/a/b', '/openapi/v2'])('answers 404 Status to %s', async (path) => {
    // Act
    const answer = await httpsGet(api.endpoint, path, { caPem, token: await tokenFor() });

    // Assess
    expect(answer).toMatchObject({ statusCode: 404, body: { kind: 'Status', reason: 'NotFound', code: 404 } });
  });

  it('refuses writes on nodes with 405 Status', async () => {
    // Act
    const answer = await httpsGet(api.endpoint, `/api/v1/nodes/${fixtureNodes[0]?.metadata.name}`, { caPem, token: await tokenFor(), method: 'DELETE' });

    // Assess
    expect(answer).toMatchObject({ statusCode: 405, body: { kind: 'Status', reason: 'MethodNotAllowed', code: 405 } });
  });
});

describe('TLS and lifecycle', () => {
  it("is trusted only through the cluster's own CA, not another cluster's", async () => {
    // Prepare
    const otherCluster = await startClusterApi(fakeClusterView({ clusterName: 'other-cluster' }));
    const otherCaPem = caPemOf(otherCluster.certificateAuthorityData);

    // Act
    const withOtherCa = await failureOf(httpsGet(api.endpoint, '/version', { caPem: otherCaPem }));
    const withoutCa = await failureOf(httpsGet(api.endpoint, '/version', { caPem: '' }));
    const viaLocalhost = await httpsGet(api.endpoint.replace('127.0.0.1', 'localhost'), '/version', { caPem });
    await otherCluster.close();

    // Assess
    expect(withOtherCa).toMatch(/certificate|self[- ]signed/i);
    expect(withoutCa).toMatch(/certificate|self[- ]signed/i);
    expect(viaLocalhost.statusCode).toBe(200);
    expect(otherCaPem).not.toBe(caPem);
  });

  it('close() ends keep-alive connections and the port stops answering', async () => {
    // Prepare
    const shortLived = await startClusterApi(fakeClusterView());
    const keepAliveAgent = new Agent({ keepAlive: true });
    const shortLivedCa = caPemOf(shortLived.certificateAuthorityData);
    await httpsGet(shortLived.endpoint, '/version', { caPem: shortLivedCa, agent: keepAliveAgent });

    // Act
    const started = Date.now();
    await shortLived.close();
    const closeMs = Date.now() - started;
    const afterClose = await failureOf(httpsGet(shortLived.endpoint, '/version', { caPem: shortLivedCa, agent: keepAliveAgent }));
    keepAliveAgent.destroy();

    // Assess
    expect(closeMs).toBeLessThan(2000);
    expect(afterClose).toMatch(/ECONNREFUSED|socket hang up|ECONNRESET/);
    await expect(shortLived.close()).resolves.toBeUndefined();
  });
});
