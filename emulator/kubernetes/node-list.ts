/**
 * Listing nodes: selectors, name order, and `limit`/`continue` paging with an opaque token,
 * as the API server does for `GET /api/v1/nodes`.
 */
import {
  matchesFieldSelector,
  matchesLabelSelector,
  parseLabelSelector,
  parseNodeFieldSelector,
} from './selectors';
import type { KubeNode } from './types';

export class ContinueTokenError extends Error {
  override readonly name = 'ContinueTokenError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface NodeListQuery {
  labelSelector?: string;
  fieldSelector?: string;
  /** 0 or absent: everything */
  limit?: number;
  continueToken?: string;
}

export interface NodePage {
  items: KubeNode[];
  continueToken?: string;
  remainingItemCount?: number;
}

interface ContinuePosition {
  v: 'meta.k8s.io/v1';
  rv: string;
  /** the last name already returned; the next page starts after it */
  start: string;
}

export function nodeName(node: KubeNode): string {
  return String((node.metadata as { name?: unknown } | undefined)?.name ?? '');
}

export function nodeLabels(node: KubeNode): Record<string, string> {
  return ((node.metadata as { labels?: Record<string, string> } | undefined)?.labels ?? {});
}

/** The Node as the API serves it: typed JSON always carries kind and apiVersion. */
export function asServedNode(node: KubeNode): KubeNode {
  return { kind: 'Node', apiVersion: 'v1', ...node };
}

/** The newest resourceVersion among the nodes (numeric, as etcd revisions are). */
export function newestResourceVersion(nodes: KubeNode[]): number {
  return nodes.reduce((newest, node) => {
    const version = Number((node.metadata as { resourceVersion?: unknown } | undefined)?.resourceVersion);
    return Number.isSafeInteger(version) && version > newest ? version : newest;
  }, 0);
}

export function encodeContinueToken(position: { resourceVersion: string; lastName: string }): string {
  const token: ContinuePosition = { v: 'meta.k8s.io/v1', rv: position.resourceVersion, start: position.lastName };
  return Buffer.from(JSON.stringify(token), 'utf8').toString('base64url');
}

export function decodeContinueToken(token: string): ContinuePosition {
  try {
    const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<ContinuePosition>;
    if (decoded.v === 'meta.k8s.io/v1' && typeof decoded.rv === 'string' && typeof decoded.start === 'string') {
      return decoded as ContinuePosition;
    }
  } catch (error) {
    throw new ContinueTokenError('continue key is not valid: not a continue token of this server', { cause: error });
  }
  throw new ContinueTokenError('continue key is not valid: not a continue token of this server');
}

/**
 * One page of the nodes that match the selectors, in name order (the API server's etcd key
 * order). Throws SelectorParseError or ContinueTokenError for a bad request.
 */
export function listNodePage(nodes: KubeNode[], query: NodeListQuery, resourceVersion: string): NodePage {
  const labelRequirements = parseLabelSelector(query.labelSelector ?? '');
  const fieldRequirements = parseNodeFieldSelector(query.fieldSelector ?? '');
  const resumeAfter = query.continueToken ? decodeContinueToken(query.continueToken).start : undefined;
  const matching = nodes
    .filter((node) => matchesLabelSelector(labelRequirements, nodeLabels(node)))
    .filter((node) => matchesFieldSelector(fieldRequirements, node))
    .filter((node) => resumeAfter === undefined || nodeName(node) > resumeAfter)
    .sort((left, right) => (nodeName(left) < nodeName(right) ? -1 : nodeName(left) > nodeName(right) ? 1 : 0));
  const limit = query.limit ?? 0;
  if (limit <= 0 || matching.length <= limit) return { items: matching };
  const items = matching.slice(0, limit);
  return {
    items,
    continueToken: encodeContinueToken({ resourceVersion, lastName: nodeName(items[items.length - 1] as KubeNode) }),
    remainingItemCount: matching.length - limit,
  };
}
