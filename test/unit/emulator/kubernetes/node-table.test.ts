import { humanDuration, nodeCells, nodeTable, NODE_COLUMNS } from '../../../../emulator/kubernetes/node-table';
import { loadFixtureNodes, type FixtureNode } from './support/cluster-fixtures';

const NOW = new Date('2024-06-01T12:00:00Z');
const nodes = loadFixtureNodes();

function node(overrides: { labels?: Record<string, string>; unschedulable?: boolean; conditions?: unknown[]; addresses?: unknown[] }): Record<string, unknown> {
  return {
    metadata: { name: 'n1', creationTimestamp: '2024-06-01T11:00:00Z', labels: overrides.labels ?? {} },
    spec: overrides.unschedulable ? { unschedulable: true } : {},
    status: {
      conditions: overrides.conditions ?? [{ type: 'Ready', status: 'True' }],
      addresses: overrides.addresses ?? [{ type: 'InternalIP', address: '10.42.0.5' }],
      nodeInfo: { kubeletVersion: 'v1.30.4-eks-a737599', osImage: 'Amazon Linux 2023', kernelVersion: '6.1.94', containerRuntimeVersion: 'containerd://1.7.11' },
    },
  };
}

describe('nodeCells', () => {
  it('prints the columns of the API server node printer', () => {
    // Act
    const cells = nodeCells(node({ addresses: [{ type: 'InternalIP', address: '10.42.0.5' }, { type: 'ExternalIP', address: '34.1.2.3' }] }), NOW);

    // Assess
    expect(Object.fromEntries(NODE_COLUMNS.map((column, index) => [column.name, cells[index]]))).toEqual({
      Name: 'n1',
      Status: 'Ready',
      Roles: '<none>',
      Age: '60m',
      Version: 'v1.30.4-eks-a737599',
      'Internal-IP': '10.42.0.5',
      'External-IP': '34.1.2.3',
      'OS-Image': 'Amazon Linux 2023',
      'Kernel-Version': '6.1.94',
      'Container-Runtime': 'containerd://1.7.11',
    });
  });

  it.each([
    ['a Ready=True node', { conditions: [{ type: 'Ready', status: 'True' }] }, 'Ready'],
    ['a Ready=Unknown node', { conditions: [{ type: 'Ready', status: 'Unknown' }] }, 'NotReady'],
    ['a node without conditions', { conditions: [] }, 'Unknown'],
    ['a cordoned Ready node', { unschedulable: true }, 'Ready,SchedulingDisabled'],
  ])('STATUS of %s is %s', (_name, overrides, expected) => {
    // Act + Assess
    expect(nodeCells(node(overrides), NOW)[1]).toBe(expected);
  });

  it('derives ROLES from node-role labels and the legacy role label, sorted', () => {
    // Act
    const roles = nodeCells(node({ labels: { 'node-role.kubernetes.io/worker': '', 'node-role.kubernetes.io/infra': '', 'kubernetes.io/role': 'master' } }), NOW)[2];

    // Assess
    expect(roles).toBe('infra,master,worker');
  });

  it('prints <none> for a missing external address', () => {
    // Act + Assess
    expect(nodeCells(node({}), NOW)[6]).toBe('<none>');
  });
});

describe('nodeTable', () => {
  it.each([
    ['Metadata', (fixture: FixtureNode) => ({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: fixture.metadata })],
    ['Object', (fixture: FixtureNode) => ({ kind: 'Node', apiVersion: 'v1', ...fixture })],
    ['None', () => undefined],
  ] as const)('sets each row object as includeObject=%s asks', (includeObject, expectedObject) => {
    // Act
    const table = nodeTable(nodes, { version: 'v1', includeObject, listMeta: { resourceVersion: '7' }, now: NOW }) as {
      rows: { cells: string[]; object?: unknown }[];
    };

    // Assess
    expect(table).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: '7' } });
    expect(table.rows.map((row) => row.object)).toEqual(nodes.map((fixture) => expectedObject(fixture)));
    expect(table.rows.map((row) => row.cells[0])).toEqual(nodes.map((fixture) => fixture.metadata.name));
  });
});

describe('humanDuration (apimachinery HumanDuration)', () => {
  const second = 1000;
  const minute = 60 * second;
  const hour = 60 * minute;
  const day = 24 * hour;
  it.each([
    [-2 * second, '<invalid>'],
    [-1 * second, '0s'],
    [0, '0s'],
    [119 * second, '119s'],
    [2 * minute, '2m'],
    [5 * minute + 30 * second, '5m30s'],
    [10 * minute, '10m'],
    [179 * minute, '179m'],
    [3 * hour, '3h'],
    [7 * hour + 59 * minute, '7h59m'],
    [8 * hour, '8h'],
    [47 * hour, '47h'],
    [2 * day, '2d'],
    [3 * day + 4 * hour, '3d4h'],
    [8 * day, '8d'],
    [729 * day, '729d'],
    [2 * 365 * day, '2y'],
    [2 * 365 * day + 10 * day, '2y10d'],
    [8 * 365 * day, '8y'],
  ])('%d ms → %s', (milliseconds, expected) => {
    // Act + Assess
    expect(humanDuration(milliseconds)).toBe(expected);
  });
});
