import {
  asServedNode,
  ContinueTokenError,
  decodeContinueToken,
  listNodePage,
  newestResourceVersion,
  nodeName,
} from '../../../../emulator/kubernetes/node-list';
import { SelectorParseError } from '../../../../emulator/kubernetes/selectors';
import { loadFixtureNodes } from './support/cluster-fixtures';

const nodes = loadFixtureNodes();
const namesOf = (items: Record<string, unknown>[]): string[] => items.map(nodeName);
const sortedNames = (items: Record<string, unknown>[]): string[] => namesOf(items).sort();

describe('listNodePage', () => {
  it('selects the nodes of one node group by label, in name order', () => {
    // Prepare
    const expected = sortedNames(nodes.filter((node) => node.metadata.labels['eks.amazonaws.com/nodegroup'] === 'default'));

    // Act
    const page = listNodePage(nodes, { labelSelector: 'eks.amazonaws.com/nodegroup=default' }, '1');

    // Assess
    expect(expected.length).toBeGreaterThan(1);
    expect(namesOf(page.items)).toEqual(expected);
    expect(page.continueToken).toBeUndefined();
  });

  it('combines label and field selectors', () => {
    // Prepare
    const target = nodes.find((node) => node.metadata.labels['eks.amazonaws.com/nodegroup'] === 'default') ?? nodes[0];

    // Act
    const hit = listNodePage(nodes, { labelSelector: 'eks.amazonaws.com/nodegroup=default', fieldSelector: `metadata.name=${target?.metadata.name}` }, '1');
    const miss = listNodePage(nodes, { labelSelector: 'eks.amazonaws.com/nodegroup=system', fieldSelector: `metadata.name=${target?.metadata.name}` }, '1');

    // Assess
    expect(namesOf(hit.items)).toEqual([target?.metadata.name]);
    expect(miss.items).toEqual([]);
  });

  it('pages with limit and continue, visiting every matching node exactly once', () => {
    // Prepare
    const seen: string[] = [];
    const remainingCounts: (number | undefined)[] = [];
    let continueToken: string | undefined;

    // Act
    do {
      const page = listNodePage(nodes, { limit: 2, ...(continueToken ? { continueToken } : {}) }, '1250');
      seen.push(...namesOf(page.items));
      remainingCounts.push(page.remainingItemCount);
      continueToken = page.continueToken;
    } while (continueToken);

    // Assess
    expect(seen).toEqual(sortedNames(nodes));
    expect(remainingCounts).toEqual([nodes.length - 2, nodes.length - 4, undefined]);
  });

  it('keeps the selector applied on later pages', () => {
    // Prepare
    const selector = 'eks.amazonaws.com/nodegroup!=system';
    const first = listNodePage(nodes, { labelSelector: selector, limit: 1 }, '1');

    // Act
    const rest = listNodePage(nodes, { labelSelector: selector, continueToken: first.continueToken as string }, '1');

    // Assess
    expect([...namesOf(first.items), ...namesOf(rest.items)]).toEqual(
      sortedNames(nodes.filter((node) => node.metadata.labels['eks.amazonaws.com/nodegroup'] !== 'system')),
    );
  });

  it('carries the list resourceVersion inside the opaque continue token', () => {
    // Act
    const page = listNodePage(nodes, { limit: 1 }, '4242');

    // Assess
    expect(decodeContinueToken(page.continueToken as string)).toEqual({ v: 'meta.k8s.io/v1', rv: '4242', start: namesOf(page.items)[0] });
  });

  it.each(['not-a-token', Buffer.from('{"v":"other"}').toString('base64url')])('refuses the continue token %j', (continueToken) => {
    // Act + Assess
    expect(() => listNodePage(nodes, { continueToken }, '1')).toThrow(ContinueTokenError);
  });

  it('refuses a malformed label selector', () => {
    // Act + Assess
    expect(() => listNodePage(nodes, { labelSelector: 'a in (' }, '1')).toThrow(SelectorParseError);
  });
});

describe('node helpers', () => {
  it('reports the newest numeric resourceVersion', () => {
    // Prepare
    const expected = Math.max(...nodes.map((node) => Number((node.metadata as { resourceVersion?: string }).resourceVersion)));

    // Act + Assess
    expect(newestResourceVersion(nodes)).toBe(expected);
    expect(newestResourceVersion([])).toBe(0);
  });

  it('serves nodes with kind and apiVersion, keeping every other field', () => {
    // Act
    const served = asServedNode(nodes[0] as Record<string, unknown>);

    // Assess
    expect(served).toEqual({ kind: 'Node', apiVersion: 'v1', ...nodes[0] });
  });
});
