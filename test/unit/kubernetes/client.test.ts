import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createCertificateAuthority, issueServerCertificate, type CertificateAuthority } from '../../../emulator/pki';
import { KubernetesApiError, ValidationError } from '../../../lambda/errors';
import {
  createKubernetesClient,
  KubernetesClient,
  nodeListPath,
  parseNodeListPage,
  type KubernetesNode,
} from '../../../lambda/kubernetes/client';
import { verifyEksToken } from '../../../emulator/kubernetes/token-verifier';
import { EKS_TOKEN_PREFIX } from '../../../lambda/kubernetes/token';
import type { KubernetesTarget } from '../../../lambda/ports';

interface NodeFixture {
  nodeList: { items: KubernetesNode[]; metadata: Record<string, string> };
  expected: { name: string; instanceId: string | null; ready: boolean }[];
}

const FIXTURE: NodeFixture = JSON.parse(
  readFileSync(path.join(__dirname, '../../fixtures/kubernetes/nodes.eks-managed-nodegroup.json'), 'utf8'),
);
const NODEGROUP = 'ecommerce-dev-node-group';
const CLUSTER = 'eks-workshop';
const REGION = 'us-west-2';
const CREDENTIALS = { accessKeyId: 'AKIAREMEDIATOR000001', secretAccessKey: 'remediator/secret' };
const CLOCK = () => new Date('2025-06-01T12:00:00Z');

/** A node that belongs to another node group: the label selector must keep it out. */
const OTHER_NODEGROUP_NODE: KubernetesNode = {
  metadata: { name: 'ip-10-0-30-5.ec2.internal', labels: { 'eks.amazonaws.com/nodegroup': 'other' } },
  spec: { providerID: 'aws:///us-east-1c/i-0ffffffffffffffff' },
  status: { conditions: [{ type: 'Ready', status: 'True' }] },
};

interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  authorization?: string;
}

type Responder = (request: RecordedRequest) => { status: number; body: unknown } | 'hang';

/** A Kubernetes-like API on 127.0.0.1 that authenticates tokens and pages the node list. */
class FakeApiServer {
  readonly requests: RecordedRequest[] = [];
  /** TLS handshakes completed */
  connections = 0;
  private server?: https.Server;
  respond: Responder = (request) => this.nodeList(request);
  /** the authenticator's clock (tokens are valid 15 minutes from signing) */
  clock: () => Date = CLOCK;

  constructor(
    private readonly certificate: { certPem: string; keyPem: string },
    private readonly nodes: KubernetesNode[],
  ) {}

  async start(): Promise<string> {
    this.server = https.createServer({ cert: this.certificate.certPem, key: this.certificate.keyPem }, (req, res) => {
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        authorization: req.headers.authorization,
      };
      this.requests.push(recorded);
      void this.authenticate(recorded).then((authenticated) => {
        const answer = authenticated ? this.respond(recorded) : { status: 401, body: status(401, 'Unauthorized') };
        if (answer === 'hang') return;
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.body));
      });
    });
    this.server.on('secureConnection', () => (this.connections += 1));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `https://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async authenticate(request: RecordedRequest): Promise<boolean> {
    const token = request.authorization?.replace(/^Bearer /, '');
    if (!token || token === request.authorization) return false;
    const principals = [{ ...CREDENTIALS, arn: 'arn:aws:iam::123456789012:role/node-join-remediator' }];
    const verdict = await verifyEksToken(token, { clusterName: CLUSTER, principals, now: this.clock() });
    return verdict.accepted;
  }

  /** Filters by the label selector and pages with limit/continue, as the API server does. */
  private nodeList(request: RecordedRequest): { status: number; body: unknown } {
    const selector = request.query.get('labelSelector') ?? '';
    const [labelKey, labelValue] = selector.split('=');
    const matching = this.nodes.filter((n) => !selector || n.metadata?.labels?.[labelKey ?? ''] === labelValue);
    const limit = Number(request.query.get('limit') ?? matching.length);
    const offset = Number(Buffer.from(request.query.get('continue') ?? 'MA', 'base64url').toString());
    const page = matching.slice(offset, offset + limit);
    const next = offset + limit < matching.length ? Buffer.from(String(offset + limit)).toString('base64url') : undefined;
    return {
      status: 200,
      body: { kind: 'NodeList', apiVersion: 'v1', metadata: { resourceVersion: '2568', ...(next ? { continue: next } : {}) }, items: page },
    };
  }
}

function status(code: number, reason: string, message = reason): unknown {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

const base64 = (pem: string) => Buffer.from(pem, 'utf8').toString('base64');

async function captureError(promise: Promise<unknown>): Promise<KubernetesApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KubernetesApiError);
  return error as KubernetesApiError;
}

describe('parseNodeListPage (fixture in the shape of kubectl get nodes -o json)', () => {
  it('maps Ready, NotReady, Unknown and missing providerIDs', () => {
    const page = parseNodeListPage(FIXTURE.nodeList);

    expect(page.continueToken).toBeUndefined();
    expect(page.nodes.map((n) => ({ name: n.name, instanceId: n.instanceId ?? null, ready: n.ready }))).toEqual(FIXTURE.expected);
    expect(page.nodes[0]?.providerID).toBe(FIXTURE.nodeList.items[0]?.spec?.providerID);
  });

  it('refuses a body that is not a NodeList', () => {
    expect(() => parseNodeListPage({ kind: 'Status', message: 'nope' })).toThrow(KubernetesApiError);
  });

  it('builds the label-selector path with limit and continue', () => {
    expect(nodeListPath('ng-1', 50, 'abc/=+')).toBe(
      '/api/v1/nodes?labelSelector=eks.amazonaws.com%2Fnodegroup%3Dng-1&limit=50&continue=abc%2F%3D%2B',
    );
  });
});

describe('KubernetesClient against a real HTTPS server', () => {
  let clusterCa: CertificateAuthority;
  let serverCertificate: { certPem: string; keyPem: string };
  let server: FakeApiServer;
  let endpoint: string;
  const nodes = [...FIXTURE.nodeList.items, OTHER_NODEGROUP_NODE];

  const target = (overrides: Partial<KubernetesTarget> = {}): KubernetesTarget => ({
    clusterName: CLUSTER,
    endpoint,
    certificateAuthorityData: base64(clusterCa.certPem),
    region: REGION,
    ...overrides,
  });

  beforeAll(() => {
    // Key generation is the slow part: one CA and one server certificate for the suite.
    clusterCa = createCertificateAuthority('kubernetes');
    serverCertificate = issueServerCertificate(clusterCa, ['127.0.0.1', 'localhost']);
  });

  beforeEach(async () => {
    server = new FakeApiServer(serverCertificate, nodes);
    endpoint = await server.start();
  });

  afterEach(async () => {
    await server.stop();
  });

  it('lists every node of the node group over several pages', async () => {
    // Prepare
    const client = createKubernetesClient({ credentials: CREDENTIALS, pageSize: 2, now: CLOCK });

    // Act
    const listed = await client.listNodegroupNodes(target(), NODEGROUP);

    // Assess
    expect(listed.map((n) => ({ name: n.name, instanceId: n.instanceId ?? null, ready: n.ready }))).toEqual(FIXTURE.expected);
    const expectedPages = Math.ceil(FIXTURE.expected.length / 2);
    expect(server.requests).toHaveLength(expectedPages);
    expect(server.requests.map((r) => r.query.get('limit'))).toEqual(Array(expectedPages).fill('2'));
    expect(server.requests[0]?.query.has('continue')).toBe(false);
    expect(server.requests.slice(1).every((r) => r.query.has('continue'))).toBe(true);
  });

  it('keeps one connection alive per cluster: listings of several node groups share one TLS handshake', async () => {
    // Prepare
    const client = new KubernetesClient({ credentials: CREDENTIALS, pageSize: 2, now: CLOCK });

    // Act
    try {
      await client.listNodegroupNodes(target(), NODEGROUP);
      await client.listNodegroupNodes(target(), 'other-nodegroup');
      await client.listNodegroupNodes(target(), NODEGROUP);
    } finally {
      client.close();
    }

    // Assess
    expect(server.requests.length).toBeGreaterThan(3);
    expect(server.connections).toBe(1);
  });

  it('sends the node group label selector and a signed EKS bearer token', async () => {
    const client = createKubernetesClient({ credentials: CREDENTIALS, now: CLOCK });

    await client.listNodegroupNodes(target(), NODEGROUP);

    const [request] = server.requests;
    expect(request?.method).toBe('GET');
    expect(request?.path).toBe('/api/v1/nodes');
    expect(request?.query.get('labelSelector')).toBe(`eks.amazonaws.com/nodegroup=${NODEGROUP}`);
    expect(request?.authorization?.startsWith(`Bearer ${EKS_TOKEN_PREFIX}`)).toBe(true);
  });

  it('ignores a trailing slash on the endpoint', async () => {
    const client = createKubernetesClient({ credentials: CREDENTIALS, now: CLOCK });

    await client.listNodegroupNodes(target({ endpoint: `${endpoint}/` }), NODEGROUP);

    expect(server.requests[0]?.path).toBe('/api/v1/nodes');
  });

  it('reuses one token while it is fresh and signs a new one when it is near expiry', async () => {
    let now = CLOCK();
    const client = new KubernetesClient({ credentials: CREDENTIALS, now: () => now });

    await client.listNodegroupNodes(target(), NODEGROUP);
    await client.listNodegroupNodes(target(), NODEGROUP);
    now = new Date(now.getTime() + 13 * 60_000 + 1);
    server.clock = () => now;
    server.respond = () => ({ status: 200, body: { kind: 'NodeList', metadata: {}, items: [] } });
    await client.listNodegroupNodes(target(), NODEGROUP);

    const tokens = server.requests.map((r) => r.authorization);
    expect(tokens[0]).toBe(tokens[1]);
    expect(tokens[2]).not.toBe(tokens[0]);
  });

  it('rejects a server whose certificate comes from another CA', async () => {
    const impostorCa = createCertificateAuthority('impostor');
    const impostor = new FakeApiServer(issueServerCertificate(impostorCa, ['127.0.0.1']), nodes);
    const impostorEndpoint = await impostor.start();
    const client = createKubernetesClient({ credentials: CREDENTIALS, now: CLOCK });

    try {
      const error = await captureError(client.listNodegroupNodes(target({ endpoint: impostorEndpoint }), NODEGROUP));

      expect(error.statusCode).toBeUndefined();
      expect((error.cause as NodeJS.ErrnoException).code).toMatch(/CERT|SIGNATURE|SELF_SIGNED/);
      expect(impostor.requests).toHaveLength(0);
    } finally {
      await impostor.stop();
    }
  });

  it('rejects a certificate from the right CA for another host name', async () => {
    const wrongHost = new FakeApiServer(issueServerCertificate(clusterCa, ['api.example.internal']), nodes);
    const wrongHostEndpoint = await wrongHost.start();
    const client = createKubernetesClient({ credentials: CREDENTIALS, now: CLOCK });

    try {
      const error = await captureError(client.listNodegroupNodes(target({ endpoint: wrongHostEndpoint }), NODEGROUP));

      expect((error.cause as NodeJS.ErrnoException).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
      expect(wrongHost.requests).toHaveLength(0);
    } finally {
      await wrongHost.stop();
    }
  });

  it('keeps verifying TLS even when NODE_TLS_REJECT_UNAUTHORIZED=0 is set', async () => {
    const otherCa = createCertificateAuthority('other');
    const client = createKubernetesClient({ credentials: CREDENTIALS, now: CLOCK });
    const previous = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);

    try {
      await captureError(client.listNodegroupNodes(target({ certificateAuthorityData: base64(otherCa.certPem) }), NODEGROUP));
      expect(server.requests).toHaveLength(0);
    } finally {
      warn.mockRestore();
      if (previous === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previous;
    }
  });

  it('maps 401 (token not accepted) to KubernetesApiError 401', async () => {
    const client = createKubernetesClient({ credentials: { ...CREDENTIALS, secretAccessKey: 'wrong' }, now: CLOCK });

    const error = await captureError(client.listNodegroupNodes(target(), NODEGROUP));

    expect(error.statusCode).toBe(401);
    expect(error.message).toMatch(/401/);
  });

  it('maps 403 (RBAC) to KubernetesApiError 403 with the server message', async () => {
    const message = 'nodes is forbidden: User "arn:aws:sts::123456789012:assumed-role/x" cannot list resource "nodes"';
    server.respond = () => ({ status: 403, body: status(403, 'Forbidden', message) });
    const client = createKubernetesClient({ credentials: CREDENTIALS, now: CLOCK });

    const error = await captureError(client.listNodegroupNodes(target(), NODEGROUP));

    expect(error.statusCode).toBe(403);
    expect(error.message).toContain(message);
  });

  it('maps 5xx to KubernetesApiError with the status', async () => {
    server.respond = () => ({ status: 503, body: status(503, 'ServiceUnavailable') });
    const client = createKubernetesClient({ credentials: CREDENTIALS, now: CLOCK });

    const error = await captureError(client.listNodegroupNodes(target(), NODEGROUP));

    expect(error.statusCode).toBe(503);
  });

  it('fails a page that fails half-way through pagination', async () => {
    let calls = 0;
    const paging = server.respond;
    server.respond = (request) => (++calls === 2 ? { status: 500, body: status(500, 'InternalError') } : paging(request));
    const client = createKubernetesClient({ credentials: CREDENTIALS, pageSize: 1, now: CLOCK });

    const error = await captureError(client.listNodegroupNodes(target(), NODEGROUP));

    expect(error.statusCode).toBe(500);
    expect(server.requests).toHaveLength(2);
  });

  it('gives up on a server that does not answer within the timeout', async () => {
    server.respond = () => 'hang';
    const client = createKubernetesClient({ credentials: CREDENTIALS, requestTimeoutMs: 200, now: CLOCK });
    const started = Date.now();

    const error = await captureError(client.listNodegroupNodes(target(), NODEGROUP));

    expect(error.message).toMatch(/within 200 ms/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('stops when the server keeps handing out the same continue token', async () => {
    server.respond = () => ({ status: 200, body: { kind: 'NodeList', metadata: { continue: 'same' }, items: [] } });
    const client = createKubernetesClient({ credentials: CREDENTIALS, now: CLOCK });

    const error = await captureError(client.listNodegroupNodes(target(), NODEGROUP));

    expect(error.message).toMatch(/continue token/);
    expect(server.requests).toHaveLength(2);
  });

  it('reports a refused connection without a status code', async () => {
    await server.stop();
    const client = createKubernetesClient({ credentials: CREDENTIALS, now: CLOCK });

    const error = await captureError(client.listNodegroupNodes(target(), NODEGROUP));

    expect(error.statusCode).toBeUndefined();
    expect(error.message).toMatch(/ECONNREFUSED/);
  });

  it('never sends a token to a plain-http endpoint or without a usable CA', async () => {
    const client = createKubernetesClient({ credentials: CREDENTIALS, now: CLOCK });

    await captureError(client.listNodegroupNodes(target({ endpoint: endpoint.replace('https:', 'http:') }), NODEGROUP));
    await captureError(client.listNodegroupNodes(target({ certificateAuthorityData: base64('not a certificate') }), NODEGROUP));

    expect(server.requests).toHaveLength(0);
  });

  it('turns a credential failure into KubernetesApiError so the engine can fall back', async () => {
    const client = createKubernetesClient({
      credentials: async () => {
        throw new Error('Could not load credentials from any providers');
      },
      now: CLOCK,
    });

    const error = await captureError(client.listNodegroupNodes(target(), NODEGROUP));

    expect(error.message).toMatch(/could not sign an EKS token/);
    expect(server.requests).toHaveLength(0);
  });

  it('validates its options', () => {
    expect(() => createKubernetesClient({ credentials: CREDENTIALS, pageSize: 0 })).toThrow(ValidationError);
  });
});
