/**
 * One request to a cluster's Kubernetes API → one answer, independent of the HTTP transport:
 * authenticate (EKS token) → route → authorize (access entries) → serve nodes.
 */
import { authorizeIdentityRead, authorizeNodeRead, groupsFromAwsAuth, type NodeVerb } from './authorizer';
import { identityResourceOf, serveIdentityResource } from './identity-api';
import { admissionRegistrationV1Resources, apiGroupList, apiVersions, coreV1Resources, discoveryV1Resources, EMULATED_SERVER_VERSION } from './discovery';
import { asServedNode, ContinueTokenError, listNodePage, newestResourceVersion, nodeName } from './node-list';
import { nodeTable, type IncludeObject, type TableVersion } from './node-table';
import { SelectorParseError } from './selectors';
import {
  badRequest,
  forbidden,
  methodNotAllowed,
  notFound,
  pathNotFound,
  unauthorized,
  type KubeResponse,
} from './status';
import { verifyEksToken, type TokenVerification } from './token-verifier';
import type { KubeClusterView, KubeNode } from './types';

export interface KubeRequest {
  method: string;
  /** path without query, e.g. /api/v1/nodes */
  path: string;
  query: URLSearchParams;
  authorization?: string;
  accept?: string;
}

/** What survives between requests: list resourceVersions never go backwards. */
export interface ClusterApiState {
  resourceVersion: number;
  /** called with the reason whenever a token is refused (the HTTP answer only says "Unauthorized") */
  onTokenRejected?: (reason: string) => void;
}

/** Reachable without credentials, as EKS's system:public-info-viewer allows. */
const PUBLIC_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz']);

export async function handleKubeRequest(
  request: KubeRequest,
  view: KubeClusterView,
  state: ClusterApiState,
  serverAddress: string,
): Promise<KubeResponse> {
  const path = request.path.length > 1 ? request.path.replace(/\/$/, '') : request.path;
  const now = view.now?.() ?? new Date();
  const isAnonymousPublicRead = request.authorization === undefined && request.method === 'GET' && PUBLIC_PATHS.has(path);
  if (isAnonymousPublicRead) return publicInfo(path);

  const authentication = await authenticate(request.authorization, view, now);
  if (!authentication.accepted) {
    state.onTokenRejected?.(authentication.reason);
    return unauthorized();
  }
  const caller = authentication.principal;

  if (PUBLIC_PATHS.has(path)) return request.method === 'GET' ? publicInfo(path) : methodNotAllowed(request.method);
  const discovery = discoveryDocument(path, serverAddress);
  if (discovery) return request.method === 'GET' ? { statusCode: 200, body: discovery } : methodNotAllowed(request.method);

  const identityResource = view.identity ? identityResourceOf(path) : undefined;
  if (view.identity && identityResource) {
    const decision = authorizeIdentityRead(caller.arn, accessEntriesFor(view), awsAuthGroupsFor(view, caller.arn), identityResource);
    if (!decision.allowed) return forbidden(decision.message, { ...(identityResource.name ? { name: identityResource.name } : {}), kind: identityResource.resource });
    return serveIdentityResource(request.method, identityResource, request.query, view.identity);
  }

  const nodesPath = /^\/api\/v1\/nodes(?:\/([^/]+))?$/.exec(path);
  if (!nodesPath) return pathNotFound();
  const name = nodesPath[1] === undefined ? undefined : decodeURIComponent(nodesPath[1]);
  const verb: NodeVerb = name === undefined ? 'list' : 'get';
  const decision = authorizeNodeRead(caller.arn, accessEntriesFor(view), verb, name, awsAuthGroupsFor(view, caller.arn));
  if (!decision.allowed) return forbidden(decision.message, { ...(name ? { name } : {}), kind: 'nodes' });
  if (request.method !== 'GET') return methodNotAllowed(request.method);
  if (isTrue(request.query.get('watch'))) return badRequest('watch is not supported by the emulated Kubernetes API');

  const nodes = view.nodes();
  state.resourceVersion = Math.max(state.resourceVersion, newestResourceVersion(nodes), 1);
  const representation = negotiateRepresentation(request.accept);
  const includeObject = parseIncludeObject(request.query.get('includeObject'));
  if (!includeObject) return badRequest(`includeObject must be one of None, Metadata, Object`);
  const resourceVersion = String(state.resourceVersion);

  if (name !== undefined) {
    const node = nodes.find((candidate) => nodeName(candidate) === name);
    if (!node) return notFound(`nodes "${name}" not found`, { name, kind: 'nodes' });
    if (representation.kind === 'table') {
      return { statusCode: 200, body: nodeTable([node], { version: representation.version, includeObject, listMeta: { resourceVersion }, now }) };
    }
    return { statusCode: 200, body: asServedNode(node) };
  }
  return listNodes(request.query, nodes, { resourceVersion, representation, includeObject, now });
}

/** Access entries count only in API and API_AND_CONFIG_MAP modes. */
function accessEntriesFor(view: KubeClusterView) {
  return view.identity?.authenticationMode() === 'CONFIG_MAP' ? [] : view.accessEntries();
}

/** aws-auth groups of the caller, in CONFIG_MAP and API_AND_CONFIG_MAP modes. */
function awsAuthGroupsFor(view: KubeClusterView, callerArn: string): string[] | undefined {
  if (!view.identity || view.identity.authenticationMode() === 'API') return undefined;
  return groupsFromAwsAuth(callerArn, view.identity.awsAuthMapRoles());
}

async function authenticate(authorization: string | undefined, view: KubeClusterView, now: Date): Promise<TokenVerification> {
  const token = bearerToken(authorization);
  if (token === undefined) return { accepted: false, reason: 'no bearer token' };
  return verifyEksToken(token, {
    clusterName: view.clusterName,
    principals: view.principals(),
    ...(view.awsEndpointHost !== undefined ? { awsEndpointHost: view.awsEndpointHost } : {}),
    now,
  });
}

/** `Bearer <token>`, scheme case-insensitive, as the API server's bearer token authenticator reads it. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const parts = (authorization ?? '').trim().split(' ');
  if (parts.length !== 2 || parts[0]?.toLowerCase() !== 'bearer' || !parts[1]) return undefined;
  return parts[1];
}

function listNodes(
  query: URLSearchParams,
  nodes: KubeNode[],
  options: { resourceVersion: string; representation: Representation; includeObject: IncludeObject; now: Date },
): KubeResponse {
  const limitText = query.get('limit');
  if (limitText !== null && !/^\d+$/.test(limitText)) return badRequest(`limit: invalid value "${limitText}"`);
  let page;
  try {
    page = listNodePage(
      nodes,
      {
        ...optional('labelSelector', query.get('labelSelector')),
        ...optional('fieldSelector', query.get('fieldSelector')),
        ...optional('continueToken', query.get('continue')),
        ...(limitText !== null ? { limit: Number(limitText) } : {}),
      },
      options.resourceVersion,
    );
  } catch (error) {
    if (error instanceof SelectorParseError || error instanceof ContinueTokenError) return badRequest(error.message);
    throw error;
  }
  const listMeta = {
    resourceVersion: options.resourceVersion,
    ...(page.continueToken !== undefined ? { continue: page.continueToken } : {}),
    ...(page.remainingItemCount !== undefined ? { remainingItemCount: page.remainingItemCount } : {}),
  };
  if (options.representation.kind === 'table') {
    return {
      statusCode: 200,
      body: nodeTable(page.items, { version: options.representation.version, includeObject: options.includeObject, listMeta, now: options.now }),
    };
  }
  return { statusCode: 200, body: { kind: 'NodeList', apiVersion: 'v1', metadata: listMeta, items: page.items.map(asServedNode) } };
}

function optional<K extends string>(key: K, value: string | null): Partial<Record<K, string>> {
  return value === null || value === '' ? {} : ({ [key]: value } as Record<K, string>);
}

function publicInfo(path: string): KubeResponse {
  return path === '/version' ? { statusCode: 200, body: EMULATED_SERVER_VERSION } : { statusCode: 200, body: 'ok', contentType: 'text/plain; charset=utf-8' };
}

function discoveryDocument(path: string, serverAddress: string): Record<string, unknown> | undefined {
  switch (path) {
    case '/api':
      return apiVersions(serverAddress);
    case '/apis':
      return apiGroupList();
    case '/api/v1':
      return coreV1Resources();
    case '/apis/admissionregistration.k8s.io/v1':
      return admissionRegistrationV1Resources();
    case '/apis/discovery.k8s.io/v1':
      return discoveryV1Resources();
    default:
      return undefined;
  }
}

type Representation = { kind: 'json' } | { kind: 'table'; version: TableVersion };

/**
 * The first acceptable media range wins, as in the API server. A Table is served for
 * `application/json;as=Table;g=meta.k8s.io;v=v1|v1beta1`; anything else acceptable (or
 * nothing acceptable at all) gets plain JSON, which every Kubernetes client understands.
 */
export function negotiateRepresentation(accept: string | undefined): Representation {
  for (const range of (accept ?? '').split(',')) {
    const [mediaType = '', ...parameterTexts] = range.split(';').map((part) => part.trim());
    const parameters = new Map(
      parameterTexts.map((text) => {
        const separator = text.indexOf('=');
        return [text.slice(0, separator).trim().toLowerCase(), text.slice(separator + 1).trim()] as const;
      }),
    );
    const isJson = ['application/json', 'application/*', '*/*'].includes(mediaType.toLowerCase());
    if (!isJson) continue;
    const as = parameters.get('as');
    if (as === undefined) return { kind: 'json' };
    const version = parameters.get('v');
    if (as === 'Table' && parameters.get('g') === 'meta.k8s.io' && (version === 'v1' || version === 'v1beta1')) {
      return { kind: 'table', version };
    }
  }
  return { kind: 'json' };
}

function parseIncludeObject(value: string | null): IncludeObject | undefined {
  if (value === null || value === '') return 'Metadata';
  return value === 'None' || value === 'Metadata' || value === 'Object' ? value : undefined;
}

function isTrue(value: string | null): boolean {
  return value === 'true' || value === '1';
}
