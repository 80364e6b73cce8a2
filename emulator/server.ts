/**
 * The emulator's one loopback HTTP endpoint. AWS requests are routed by the service in their
 * SigV4 credential scope (ec2, autoscaling, eks, sts; dynamodb, scheduler, sns from
 * deployed-shape.ts), authenticated against the scenario's
 * principals, passed through injected faults, executed on the world and logged. Paths under
 * /_emulator/ are the control endpoints (state, calls, events, faults, clock).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsApiError } from './errors';
import { apiCallEvent, callerIdentity, type CallerIdentity } from './events';
import type { FaultRegistry } from './faults';
import { parseFault, type ScenarioPrincipal, ScenarioError } from './scenario';
import { autoscaling } from './services/autoscaling';
import { cloudtrail, isCloudTrailRequest, isReadOnlyOperation, recordServedCall } from './services/cloudtrail';
import { ec2 } from './services/ec2';
import { eks } from './services/eks';
import { iam } from './services/iam';
import { sts } from './services/sts';
import type { HttpReply, ParsedCall, ServiceProtocol, ServiceRequest } from './services/types';
import { MalformedAuthorizationError, readSigV4, signatureMatches } from './sigv4';
import type { World } from './world/world';

export interface CallRecord {
  service: string;
  operation: string;
  params: Record<string, unknown>;
  /** the scenario principal's ARN; null when the caller could not be identified */
  principalArn: string | null;
  /** ISO-8601, simulation clock */
  time: string;
  requestId: string;
  httpStatus: number;
  /** the AWS error code when the call failed */
  errorCode?: string;
  /** ids of the injected faults that applied */
  faults?: string[];
}

export interface AwsServerOptions {
  world: World;
  principals: ScenarioPrincipal[];
  faults: FaultRegistry;
  verifySignatures: boolean;
  /** one line per call (main.ts --verbose) */
  log?: (line: string) => void;
  /** more services by signing name (the deployed shape's DynamoDB, Scheduler, SNS: deployed-shape.ts) */
  services?: Record<string, ServiceProtocol>;
  /** more control endpoints: a reply, or undefined when the route is not theirs */
  controls?: ((method: string, url: URL, body: string) => HttpReply | undefined)[];
}

const SERVICES: Record<string, ServiceProtocol> = { ec2, autoscaling, eks, sts, cloudtrail, iam };
const MAX_BODY_BYTES = 5 * 1024 * 1024;

/** Which service an unauthenticated request meant, so its error comes back in that protocol. */
function guessService(request: ServiceRequest, extra: Record<string, ServiceProtocol> = {}): ServiceProtocol {
  const recognized = Object.values(extra).find((service) => service.recognizes?.(request));
  if (recognized) return recognized;
  if (request.path.startsWith('/clusters')) return eks;
  if (isCloudTrailRequest(request)) return cloudtrail;
  const version = new URLSearchParams(request.body).get('Version') ?? request.query.get('Version');
  if (version === '2011-01-01') return autoscaling;
  if (version === '2011-06-15') return sts;
  if (version === '2010-05-08') return iam;
  return ec2;
}

export class AwsEndpoint {
  private readonly calls: CallRecord[] = [];
  private readonly services: Record<string, ServiceProtocol>;
  private readonly byAccessKey: Map<string, ScenarioPrincipal>;
  private readonly identities = new Map<string, CallerIdentity>();
  private readonly sleeping = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private server: Server | undefined;
  private closed = false;

  constructor(private readonly options: AwsServerOptions) {
    this.byAccessKey = new Map(options.principals.map((p) => [p.accessKeyId, p]));
    this.services = { ...SERVICES, ...options.services };
    for (const p of options.principals) this.identities.set(p.accessKeyId, callerIdentity(p, options.world.startedAt));
  }

  callLog(): CallRecord[] {
    return this.calls.map((c) => ({ ...c }));
  }

  clearCalls(): void {
    this.calls.length = 0;
  }

  async listen(port: number): Promise<number> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ message: `emulator error: ${(error as Error).message}` }));
        }
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const sleeper of this.sleeping) {
      clearTimeout(sleeper.timer);
      sleeper.resolve();
    }
    this.sleeping.clear();
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const sleeper = {
        timer: setTimeout(() => {
          this.sleeping.delete(sleeper);
          resolve();
        }, ms),
        resolve,
      };
      this.sleeping.add(sleeper);
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const rawUrl = req.url ?? '/';
    const queryIndex = rawUrl.indexOf('?');
    const rawPath = queryIndex < 0 ? rawUrl : rawUrl.slice(0, queryIndex);
    const rawQuery = queryIndex < 0 ? '' : rawUrl.slice(queryIndex + 1);
    if (url.pathname === '/_emulator' || url.pathname.startsWith('/_emulator/')) {
      send(res, this.control(req.method ?? 'GET', url, body.toString('utf8')));
      return;
    }
    const request: ServiceRequest = {
      method: req.method ?? 'GET',
      path: rawPath,
      query: url.searchParams,
      headers: req.headers,
      body: body.toString('utf8'),
    };
    const requestId = randomUUID();
    send(res, await this.serve(request, { rawPath, rawQuery, body }, requestId, req.socket.remoteAddress ?? '127.0.0.1'));
  }

  private async serve(
    request: ServiceRequest,
    raw: { rawPath: string; rawQuery: string; body: Buffer },
    requestId: string,
    sourceIp: string,
  ): Promise<HttpReply> {
    let service = guessService(request, this.options.services);
    let principal: ScenarioPrincipal | undefined;
    let parsed: ParsedCall | undefined;
    const record = (reply: HttpReply, error?: AwsApiError, faults?: string[]): HttpReply => {
      const entry: CallRecord = {
        service: service.name,
        operation: parsed?.operation ?? safeOperationName(service, request),
        params: parsed?.params ?? {},
        principalArn: principal?.arn ?? null,
        time: new Date(this.options.world.clock.now()).toISOString(),
        requestId,
        httpStatus: reply.status,
        ...(error ? { errorCode: error.code } : {}),
        ...(faults && faults.length ? { faults } : {}),
      };
      this.calls.push(entry);
      this.options.log?.(`${entry.time} ${entry.service}:${entry.operation} ${entry.principalArn ?? '-'} -> ${reply.status}${error ? ` ${error.code}` : ''}`);
      return reply;
    };
    const fail = (error: AwsApiError, faults?: string[]): HttpReply => record(service.errorReply(error, requestId), error, faults);

    // 1. who is calling, for which service
    let auth;
    try {
      auth = readSigV4(request.headers, request.query);
    } catch (error) {
      if (error instanceof MalformedAuthorizationError) return fail(new AwsApiError('IncompleteSignature', error.message, 400));
      throw error;
    }
    if (!auth) return fail(service.errors.missingAuthentication());
    const scoped = this.services[auth.credential.service];
    if (!scoped) {
      return record({
        status: 400,
        headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'UnknownServiceException' },
        body: JSON.stringify({ message: `The emulator does not serve the ${auth.credential.service} service` }),
      });
    }
    service = scoped;
    principal = this.byAccessKey.get(auth.credential.accessKeyId);
    if (!principal) return fail(service.errors.unknownAccessKey());
    if (this.options.verifySignatures && !signatureMatches(auth, { method: request.method, ...raw, headers: request.headers }, principal.secretAccessKey)) {
      return fail(service.errors.signatureMismatch());
    }
    const identity = this.identities.get(principal.accessKeyId) as CallerIdentity;

    // 2. which operation
    try {
      parsed = service.parse(request);
    } catch (error) {
      if (error instanceof AwsApiError) return fail(error);
      throw error;
    }

    // 3. injected faults, then the operation itself
    const decision = this.options.faults.decide({ service: service.name, operation: parsed.operation, principalArn: principal.arn });
    await this.sleep(decision.latencyMs);
    const emit = (outcome: { error?: AwsApiError; responseElements?: Record<string, unknown> }): void => {
      if (!parsed || isReadOnlyOperation(parsed.operation)) return;
      const world = this.options.world;
      const timeMs = world.clock.now();
      const event = apiCallEvent({
        id: world.ids.uuid(),
        eventId: world.ids.uuid(),
        requestId,
        timeMs,
        account: world.accountId,
        region: world.region,
        service: service.name,
        eventName: parsed.operation,
        identity,
        userAgent: String(request.headers['user-agent'] ?? ''),
        sourceIpAddress: sourceIp,
        readOnly: false,
        requestParameters: parsed.params,
        responseElements: outcome.responseElements ?? null,
        error: outcome.error ? { code: outcome.error.code, message: outcome.error.message } : undefined,
      });
      // Every mutating call lands in the account's CloudTrail event history (LookupEvents) ...
      recordServedCall(world, {
        service: service.name,
        operation: parsed.operation,
        params: parsed.params,
        detail: event.detail,
        accessKeyId: principal?.accessKeyId ?? '',
        timeMs,
        responseElements: outcome.responseElements ?? null,
      });
      // ... and those EventBridge rules match on are also delivered as events.
      if (parsed.emitsCloudTrailEvent) world.events.emit(event);
    };
    if (decision.error) {
      const error =
        decision.error === 'throttle'
          ? service.errors.throttle()
          : decision.error === '5xx'
            ? service.errors.serverError()
            : service.errors.accessDenied(parsed.operation, identity.arn);
      emit({ error });
      return fail(error, decision.faultIds);
    }
    try {
      const result = await parsed.execute({ world: this.options.world, principal, identity, requestId });
      emit({ responseElements: result.responseElements });
      return record(result.reply, undefined, decision.faultIds);
    } catch (error) {
      if (!(error instanceof AwsApiError)) throw error;
      emit({ error });
      return fail(error, decision.faultIds);
    }
  }

  private control(method: string, url: URL, body: string): HttpReply {
    const world = this.options.world;
    const path = url.pathname.replace(/\/+$/, '');
    const json = (status: number, value: unknown): HttpReply => ({
      status,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(value, null, 2),
    });
    const route = `${method} ${path}`;
    try {
      switch (route) {
        case 'GET /_emulator':
        case 'GET /_emulator/health':
          return json(200, { ok: true, region: world.region, time: new Date(world.clock.now()).toISOString() });
        case 'GET /_emulator/state':
          return json(200, world.snapshot());
        case 'GET /_emulator/calls': {
          const service = url.searchParams.get('service');
          const operation = url.searchParams.get('operation');
          return json(200, this.callLog().filter((c) => (!service || c.service === service) && (!operation || c.operation === operation)));
        }
        case 'DELETE /_emulator/calls':
          this.clearCalls();
          return json(200, { cleared: true });
        case 'GET /_emulator/events':
          return json(200, world.events.all());
        case 'GET /_emulator/faults':
          return json(200, this.options.faults.list());
        case 'POST /_emulator/faults': {
          const document = parseControlBody(body);
          const faults = Array.isArray(document) ? document : [document];
          return json(201, faults.map((f, i) => this.options.faults.add(parseFault(f, Array.isArray(document) ? `faults[${i}]` : 'fault'))));
        }
        case 'DELETE /_emulator/faults':
          this.options.faults.clear();
          return json(200, { cleared: true });
        case 'POST /_emulator/advance': {
          const seconds = (parseControlBody(body) as { seconds?: unknown }).seconds;
          if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
            return json(400, { message: 'body must be {"seconds": <number >= 0>}' });
          }
          world.clock.advance(seconds);
          return json(200, { time: new Date(world.clock.now()).toISOString() });
        }
        default:
          break;
      }
      for (const extra of this.options.controls ?? []) {
        const reply = extra(method, url, body);
        if (reply) return reply;
      }
      const faultId = /^DELETE \/_emulator\/faults\/(.+)$/.exec(route)?.[1];
      if (faultId) {
        return this.options.faults.remove(decodeURIComponent(faultId)) ? json(200, { removed: faultId }) : json(404, { message: `no fault ${faultId}` });
      }
      const nodesOf = /^GET \/_emulator\/clusters\/([^/]+)\/nodes$/.exec(route)?.[1];
      if (nodesOf) {
        const clusterName = decodeURIComponent(nodesOf);
        if (!world.clusters.has(clusterName)) return json(404, { message: `no cluster ${clusterName}` });
        return json(200, { kind: 'NodeList', apiVersion: 'v1', items: world.nodesOf(clusterName) });
      }
      return json(404, {
        message: `unknown control endpoint ${route}`,
        endpoints: [
          'GET /_emulator/state',
          'GET /_emulator/calls[?service=&operation=]',
          'DELETE /_emulator/calls',
          'GET /_emulator/events',
          'GET|POST|DELETE /_emulator/faults',
          'DELETE /_emulator/faults/{id}',
          'POST /_emulator/advance {"seconds": n}',
          'GET /_emulator/clusters/{name}/nodes',
          'GET /_emulator/schedules',
          'POST /_emulator/schedules/{group}/{name}/fire',
          'DELETE /_emulator/schedules/{group}/{name}',
          'GET|DELETE /_emulator/notifications',
        ],
      });
    } catch (error) {
      if (error instanceof ScenarioError || error instanceof ControlBodyError) return json(400, { message: error.message });
      throw error;
    }
  }
}

class ControlBodyError extends Error {
  override readonly name = 'ControlBodyError';
}

function parseControlBody(body: string): unknown {
  try {
    return JSON.parse(body === '' ? '{}' : body);
  } catch (error) {
    throw new ControlBodyError(`body is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

function safeOperationName(service: ServiceProtocol, request: ServiceRequest): string {
  try {
    return service.operationName(request);
  } catch {
    return 'Unknown';
  }
}

function send(res: ServerResponse, reply: HttpReply): void {
  const payload = Buffer.from(reply.body, 'utf8');
  res.writeHead(reply.status, { ...reply.headers, 'content-length': String(payload.length) });
  res.end(payload);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
