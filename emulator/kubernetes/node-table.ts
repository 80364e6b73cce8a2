/**
 * Server-side printing of nodes (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`):
 * the columns and cell rules of the API server's node printer, which `kubectl get nodes`
 * (and `-o wide`, which shows the priority-1 columns) renders as is.
 */
import { asServedNode } from './node-list';
import type { KubeNode } from './types';

export type TableVersion = 'v1' | 'v1beta1';
export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface TableListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

export const NODE_COLUMNS: readonly TableColumnDefinition[] = [
  { name: 'Name', type: 'string', format: 'name', priority: 0, description: 'Name must be unique within a namespace.' },
  { name: 'Status', type: 'string', format: '', priority: 0, description: 'The status of the node' },
  { name: 'Roles', type: 'string', format: '', priority: 0, description: 'The roles of the node' },
  { name: 'Age', type: 'string', format: '', priority: 0, description: 'CreationTimestamp is a timestamp representing the server time when this object was created.' },
  { name: 'Version', type: 'string', format: '', priority: 0, description: 'Kubelet Version reported by the node.' },
  { name: 'Internal-IP', type: 'string', format: '', priority: 1, description: 'List of addresses reachable to the node.' },
  { name: 'External-IP', type: 'string', format: '', priority: 1, description: 'List of addresses reachable to the node.' },
  { name: 'OS-Image', type: 'string', format: '', priority: 1, description: 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).' },
  { name: 'Kernel-Version', type: 'string', format: '', priority: 1, description: "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)." },
  { name: 'Container-Runtime', type: 'string', format: '', priority: 1, description: 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).' },
];

interface NodeShape {
  metadata?: { name?: string; creationTimestamp?: string; labels?: Record<string, string> };
  spec?: { unschedulable?: boolean };
  status?: {
    conditions?: { type?: string; status?: string }[];
    addresses?: { type?: string; address?: string }[];
    nodeInfo?: { kubeletVersion?: string; osImage?: string; kernelVersion?: string; containerRuntimeVersion?: string };
  };
}

export function nodeTable(
  nodes: KubeNode[],
  options: { version: TableVersion; includeObject: IncludeObject; listMeta: TableListMeta; now: Date },
): Record<string, unknown> {
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${options.version}`,
    metadata: options.listMeta,
    columnDefinitions: NODE_COLUMNS,
    rows: nodes.map((node) => ({
      cells: nodeCells(node, options.now),
      ...rowObject(node, options.includeObject, options.version),
    })),
  };
}

function rowObject(node: KubeNode, includeObject: IncludeObject, version: TableVersion): { object?: unknown } {
  switch (includeObject) {
    case 'None':
      return {};
    case 'Object':
      return { object: asServedNode(node) };
    case 'Metadata':
      return { object: { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: node.metadata ?? {} } };
  }
}

export function nodeCells(node: KubeNode, now: Date): string[] {
  const { metadata = {}, spec = {}, status = {} } = node as NodeShape;
  const nodeInfo = status.nodeInfo ?? {};
  return [
    metadata.name ?? '',
    nodeStatus(status.conditions ?? [], spec.unschedulable === true),
    nodeRoles(metadata.labels ?? {}),
    metadata.creationTimestamp ? humanDuration(now.getTime() - Date.parse(metadata.creationTimestamp)) : '<unknown>',
    nodeInfo.kubeletVersion ?? '',
    firstAddress(status.addresses ?? [], 'InternalIP'),
    firstAddress(status.addresses ?? [], 'ExternalIP'),
    nodeInfo.osImage || '<unknown>',
    nodeInfo.kernelVersion || '<unknown>',
    nodeInfo.containerRuntimeVersion || '<unknown>',
  ];
}

/** "Ready" / "NotReady" / "Unknown", then ",SchedulingDisabled" for a cordoned node. */
function nodeStatus(conditions: { type?: string; status?: string }[], unschedulable: boolean): string {
  const ready = [...conditions].reverse().find((condition) => condition.type === 'Ready');
  const parts = [ready === undefined ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady'];
  if (unschedulable) parts.push('SchedulingDisabled');
  return parts.join(',');
}

/** Roles from `node-role.kubernetes.io/<role>` labels and the legacy `kubernetes.io/role` label. */
function nodeRoles(labels: Record<string, string>): string {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(labels)) {
    if (key.startsWith('node-role.kubernetes.io/') && key.length > 'node-role.kubernetes.io/'.length) {
      roles.add(key.slice('node-role.kubernetes.io/'.length));
    } else if (key === 'kubernetes.io/role' && value !== '') {
      roles.add(value);
    }
  }
  return roles.size === 0 ? '<none>' : [...roles].sort().join(',');
}

function firstAddress(addresses: { type?: string; address?: string }[], type: string): string {
  return addresses.find((address) => address.type === type)?.address ?? '<none>';
}

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration: "45s", "3m20s", "5h12m", "3d4h", "2y10d". */
export function humanDuration(milliseconds: number): string {
  if (Number.isNaN(milliseconds)) return '<unknown>';
  const seconds = Math.trunc(milliseconds / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${Math.trunc(days / 365)}y` : `${Math.trunc(days / 365)}y${days % 365}d`;
  return `${Math.trunc(days / 365)}y`;
}
