/**
 * The KubernetesPort adapter: lists a node group's Nodes over HTTPS with an EKS bearer token,
 * verifying the API server against the cluster's own CA (never the system store, never off).
 * Parsing is pure (nodeInfoFromNode, parseNodeListPage); only listNodegroupNodes does I/O.
 */
import https from 'node:https';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { describeError, KubernetesApiError, ValidationError } from '../errors';
import type { AwsAuthRoleMapping, ServiceEndpoints, WebhookInfo } from '../identity-model';
import type { NodeInfo } from '../model';
import type { KubernetesPort, KubernetesTarget } from '../ports';
import {
  AWS_AUTH_NAME,
  AWS_AUTH_NAMESPACE,
  AWS_AUTH_PATH,
  countReadyEndpoints,
  endpointSlicesPath,
  MUTATING_WEBHOOKS_PATH,
  parseAwsAuthConfigMap,
  parseWebhookConfigurations,
  VALIDATING_WEBHOOKS_PATH,
} from './identity-objects';
import { instanceIdFromProviderId } from './provider-id';
import { createEksToken, type EksToken } from './token';

export const NODEGROUP_LABEL = 'eks.amazonaws.com/nodegroup';

export interface KubernetesClientOptions {
  /** signs the bearer tokens; default: the Node.js default credential chain */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** `limit` of each list call */
  pageSize?: number;
  /** whole-request deadline, connect to last byte */
  requestTimeoutMs?: number;
  /** guard against a server that never stops handing out continue tokens */
  maxPages?: number;
  /** clock for token signing and reuse */
  now?: () => Date;
}

const DEFAULT_PAGE_SIZE = 100;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_PAGES = 1_000;
/** A node list page of 500 nodes is a few MB; anything far bigger is not a node list. */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
/** Node groups of one cluster examined at once share at most this many connections. */
const MAX_SOCKETS_PER_CLUSTER = 8;
/** An idle kept-alive connection is closed after this long. */
const IDLE_SOCKET_MS = 5_000;

/** A kept-alive connection the server had closed: the request is retried once (internal). */
class StaleSocketError extends Error {
  override readonly name = 'StaleSocketError';
}

/** Refresh a cached token this long before its advertised expiry. */
const TOKEN_REFRESH_MARGIN_MS = 60_000;

/** The parts of a Kubernetes Node object we read (see `kubectl get nodes -o json`). */
export interface KubernetesNode {
  metadata?: { name?: string; labels?: Record<string, string> };
  spec?: { providerID?: string };
  status?: { conditions?: { type?: string; status?: string }[] };
}

export interface NodeListPage {
  nodes: NodeInfo[];
  /** metadata.continue; undefined on the last page */
  continueToken?: string;
}

export function isNodeReady(node: KubernetesNode): boolean {
  return (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

export function nodeInfoFromNode(node: KubernetesNode): NodeInfo {
  const providerID = node.spec?.providerID || undefined;
  const info: NodeInfo = { name: node.metadata?.name ?? '', ready: isNodeReady(node) };
  if (providerID !== undefined) {
    info.providerID = providerID;
    const instanceId = instanceIdFromProviderId(providerID);
    if (instanceId !== undefined) info.instanceId = instanceId;
  }
  return info;
}

/** One decoded `GET /api/v1/nodes` body; throws KubernetesApiError when it is not a NodeList. */
export function parseNodeListPage(body: unknown): NodeListPage {
  if (!isRecord(body) || !Array.isArray(body.items)) {
    throw new KubernetesApiError('the API server answered with something that is not a NodeList');
  }
  const metadata = isRecord(body.metadata) ? body.metadata : {};
  const continueToken = typeof metadata.continue === 'string' && metadata.continue !== '' ? metadata.continue : undefined;
  return { nodes: (body.items as KubernetesNode[]).map(nodeInfoFromNode), continueToken };
}

/** Path and query of one page: `/api/v1/nodes?labelSelector=…&limit=…[&continue=…]`. */
export function nodeListPath(nodegroupName: string, pageSize: number, continueToken?: string): string {
  const query = [
    `labelSelector=${encodeURIComponent(`${NODEGROUP_LABEL}=${nodegroupName}`)}`,
    `limit=${pageSize}`,
    ...(continueToken === undefined ? [] : [`continue=${encodeURIComponent(continueToken)}`]),
  ];
  return `/api/v1/nodes?${query.join('&')}`;
}

export function createKubernetesClient(options: KubernetesClientOptions = {}): KubernetesPort {
  return new KubernetesClient(options);
}

export class KubernetesClient implements KubernetesPort {
  private readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  private readonly pageSize: number;
  private readonly requestTimeoutMs: number;
  private readonly maxPages: number;
  private readonly now: () => Date;
  private readonly tokens = new Map<string, EksToken>();
  /** one keep-alive agent per cluster (endpoint and CA): a sweep's listings share TLS sessions */
  private readonly agents = new Map<string, https.Agent>();

  constructor(options: KubernetesClientOptions = {}) {
    this.credentials = options.credentials ?? defaultProvider();
    this.pageSize = positiveInteger(options.pageSize ?? DEFAULT_PAGE_SIZE, 'pageSize');
    this.requestTimeoutMs = positiveInteger(options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, 'requestTimeoutMs');
    this.maxPages = positiveInteger(options.maxPages ?? DEFAULT_MAX_PAGES, 'maxPages');
    this.now = options.now ?? (() => new Date());
  }

  async listNodegroupNodes(target: KubernetesTarget, nodegroupName: string): Promise<NodeInfo[]> {
    const baseUrl = apiBaseUrl(target.endpoint);
    const ca = caBundle(target.certificateAuthorityData);
    const token = await this.bearerToken(target);
    const agent = this.agentFor(target, ca);
    const nodes: NodeInfo[] = [];
    const seenTokens = new Set<string>();
    let continueToken: string | undefined;
    for (let page = 0; page < this.maxPages; page += 1) {
      const url = baseUrl + nodeListPath(nodegroupName, this.pageSize, continueToken);
      const result = parseNodeListPage(await this.getJson(url, token, agent));
      nodes.push(...result.nodes);
      if (result.continueToken === undefined) return nodes;
      if (seenTokens.has(result.continueToken)) {
        throw new KubernetesApiError('the API server repeated a continue token: pagination would never end');
      }
      seenTokens.add(result.continueToken);
      continueToken = result.continueToken;
    }
    throw new KubernetesApiError(`node list still unfinished after ${this.maxPages} pages`);
  }

  /**
   * The cluster's keep-alive agent: listings of its node groups (a sweep examines many) reuse
   * TLS connections instead of a handshake each. Idle sockets close after IDLE_SOCKET_MS.
   */
  private agentFor(target: KubernetesTarget, ca: string): https.Agent {
    const key = `${target.endpoint}\n${target.certificateAuthorityData}`;
    let agent = this.agents.get(key);
    if (!agent) {
      agent = new https.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS_PER_CLUSTER, timeout: IDLE_SOCKET_MS, ca, rejectUnauthorized: true });
      this.agents.set(key, agent);
    }
    return agent;
  }

  /** Closes every kept-alive connection (tests, and a CLI that wants to exit at once). */
  close(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }

  async readAwsAuthRoleMappings(target: KubernetesTarget): Promise<AwsAuthRoleMapping[] | null> {
    const configMap = await this.getObject(target, AWS_AUTH_PATH);
    if (configMap === null) return null;
    try {
      return parseAwsAuthConfigMap(configMap);
    } catch (error) {
      throw new KubernetesApiError(`${AWS_AUTH_NAMESPACE}/${AWS_AUTH_NAME}: ${describeError(error)}`, undefined, { cause: error });
    }
  }

  async listAdmissionWebhooks(target: KubernetesTarget): Promise<WebhookInfo[]> {
    const [validating, mutating] = await Promise.all([
      this.getObject(target, VALIDATING_WEBHOOKS_PATH),
      this.getObject(target, MUTATING_WEBHOOKS_PATH),
    ]);
    return [
      ...(validating === null ? [] : parseWebhookConfigurations(validating, 'ValidatingWebhookConfiguration')),
      ...(mutating === null ? [] : parseWebhookConfigurations(mutating, 'MutatingWebhookConfiguration')),
    ];
  }

  async serviceEndpoints(target: KubernetesTarget, namespace: string, serviceName: string): Promise<ServiceEndpoints> {
    const list = await this.getObject(target, endpointSlicesPath(namespace, serviceName));
    return list === null ? { namespace, name: serviceName, readyEndpoints: 0 } : countReadyEndpoints(list, namespace, serviceName);
  }

  /** One GET of a Kubernetes object or list; null when the API answers 404. */
  private async getObject(target: KubernetesTarget, path: string): Promise<unknown> {
    const baseUrl = apiBaseUrl(target.endpoint);
    const ca = caBundle(target.certificateAuthorityData);
    const token = await this.bearerToken(target);
    const agent = new https.Agent({ keepAlive: false, ca, rejectUnauthorized: true });
    try {
      return await this.getJson(baseUrl + path, token, agent);
    } catch (error) {
      if (error instanceof KubernetesApiError && error.statusCode === 404) return null;
      throw error;
    } finally {
      agent.destroy();
    }
  }

  /** Tokens are reused per cluster until shortly before they expire. */
  private async bearerToken(target: KubernetesTarget): Promise<string> {
    const key = `${target.region}/${target.clusterName}`;
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt.getTime() - TOKEN_REFRESH_MARGIN_MS > this.now().getTime()) return cached.token;
    try {
      const fresh = await createEksToken({
        clusterName: target.clusterName,
        region: target.region,
        credentials: this.credentials,
        now: this.now,
      });
      this.tokens.set(key, fresh);
      return fresh.token;
    } catch (error) {
      // No credentials means no Kubernetes API either: the engine falls back the same way.
      throw new KubernetesApiError(`could not sign an EKS token: ${describeError(error)}`, undefined, { cause: error });
    }
  }

  /**
   * One GET. A kept-alive socket the server closed meanwhile (a frozen Lambda thawing) fails with
   * ECONNRESET before any answer: that request is sent once more on a fresh connection, as the
   * Node.js documentation advises for `request.reusedSocket`.
   */
  private async getJson(url: string, token: string, agent: https.Agent): Promise<unknown> {
    try {
      return await this.getJsonOnce(url, token, agent);
    } catch (error) {
      if (error instanceof StaleSocketError) return this.getJsonOnce(url, token, agent);
      throw error;
    }
  }

  private getJsonOnce(url: string, token: string, agent: https.Agent): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const fail = (error: KubernetesApiError) => {
        clearTimeout(deadline);
        reject(error);
      };
      const request = https.request(
        url,
        {
          method: 'GET',
          agent,
          headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_RESPONSE_BYTES) {
              fail(new KubernetesApiError(`GET ${redact(url)}: answer larger than ${MAX_RESPONSE_BYTES} bytes`));
              request.destroy();
              return;
            }
            chunks.push(chunk);
          });
          response.on('error', (error) => fail(connectionError(url, error)));
          response.on('end', () => {
            clearTimeout(deadline);
            const status = response.statusCode ?? 0;
            const text = Buffer.concat(chunks).toString('utf8');
            if (status !== 200) {
              reject(statusError(url, status, text));
              return;
            }
            try {
              resolve(JSON.parse(text));
            } catch (error) {
              reject(new KubernetesApiError(`GET ${redact(url)}: the answer is not JSON`, status, { cause: error }));
            }
          });
        },
      );
      const deadline = setTimeout(() => {
        fail(new KubernetesApiError(`GET ${redact(url)}: no complete answer within ${this.requestTimeoutMs} ms`));
        request.destroy();
      }, this.requestTimeoutMs);
      request.on('error', (error) => {
        if (request.reusedSocket && (error as NodeJS.ErrnoException).code === 'ECONNRESET') {
          clearTimeout(deadline);
          reject(new StaleSocketError());
          return;
        }
        fail(connectionError(url, error));
      });
      request.end();
    });
  }
}

function apiBaseUrl(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch (error) {
    throw new KubernetesApiError(`cluster endpoint "${endpoint}" is not a URL`, undefined, { cause: error });
  }
  // A bearer token must never travel in clear text.
  if (url.protocol !== 'https:') throw new KubernetesApiError(`cluster endpoint "${endpoint}" is not https`);
  return endpoint.replace(/\/+$/, '');
}

/** DescribeCluster's certificateAuthority.data is base64 of a PEM bundle. */
function caBundle(certificateAuthorityData: string): string {
  const pem = Buffer.from(certificateAuthorityData, 'base64').toString('utf8');
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new KubernetesApiError('the cluster certificate authority data is not a base64 PEM certificate bundle');
  }
  return pem;
}

function statusError(url: string, status: number, body: string): KubernetesApiError {
  const hint =
    status === 401
      ? ' (token rejected: is the IAM principal mapped by an access entry or aws-auth?)'
      : status === 403
        ? ' (principal may not read this: missing RBAC/access policy, see deploy/kubernetes/node-reader-rbac.yaml)'
        : '';
  return new KubernetesApiError(`GET ${redact(url)} answered ${status}${hint}${statusMessage(body)}`, status);
}

/** The `message` of a Kubernetes Status body, when the server sent one. */
function statusMessage(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (isRecord(parsed) && typeof parsed.message === 'string') return `: ${parsed.message}`;
  } catch {
    // not a Status object: the status code says enough
  }
  return '';
}

function connectionError(url: string, error: Error & { code?: string }): KubernetesApiError {
  const code = error.code ? ` [${error.code}]` : '';
  return new KubernetesApiError(`GET ${redact(url)} failed${code}: ${error.message}`, undefined, { cause: error });
}

/** Continue tokens are opaque and long; the path and selector are what a reader needs. */
function redact(url: string): string {
  return url.replace(/&continue=[^&]*/, '&continue=…');
}

function positiveInteger(value: number, field: string): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new ValidationError(`${field} must be a positive integer, got ${value}`, field);
  }
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
