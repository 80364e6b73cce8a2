import fc from 'fast-check';
import {
  matchesFieldSelector,
  matchesLabelSelector,
  parseLabelSelector,
  parseNodeFieldSelector,
  SelectorParseError,
} from '../../../../emulator/kubernetes/selectors';

const LABELS = {
  'eks.amazonaws.com/nodegroup': 'new_nodegroup_2',
  'topology.kubernetes.io/zone': 'us-west-2a',
  'node.kubernetes.io/instance-type': 'm5.large',
  'pods-capacity': '29',
  'empty-value': '',
};

describe('parseLabelSelector + matchesLabelSelector', () => {
  it.each([
    ['', true],
    ['eks.amazonaws.com/nodegroup=new_nodegroup_2', true],
    ['eks.amazonaws.com/nodegroup==new_nodegroup_2', true],
    ['eks.amazonaws.com/nodegroup=default', false],
    ['eks.amazonaws.com/nodegroup!=default', true],
    ['eks.amazonaws.com/nodegroup!=new_nodegroup_2', false],
    ['missing-label!=anything', true],
    ['topology.kubernetes.io/zone in (us-west-2a, us-west-2b)', true],
    ['topology.kubernetes.io/zone in (us-west-2b,us-west-2c)', false],
    ['topology.kubernetes.io/zone notin (us-west-2b)', true],
    ['topology.kubernetes.io/zone notin (us-west-2a)', false],
    ['missing-label notin (x)', true],
    ['missing-label in (x)', false],
    ['eks.amazonaws.com/nodegroup', true],
    ['missing-label', false],
    ['!missing-label', true],
    ['!eks.amazonaws.com/nodegroup', false],
    ['empty-value=', true],
    ['pods-capacity>20', true],
    ['pods-capacity<20', false],
    [' eks.amazonaws.com/nodegroup = new_nodegroup_2 , topology.kubernetes.io/zone in (us-west-2a),!missing-label ', true],
    ['eks.amazonaws.com/nodegroup=new_nodegroup_2,node.kubernetes.io/instance-type=t3.small', false],
  ])('%j matches the labels: %s', (selector, expected) => {
    // Act
    const matches = matchesLabelSelector(parseLabelSelector(selector), LABELS);

    // Assess
    expect(matches).toBe(expected);
  });

  it('parses a comma inside a value set as a value separator, not a requirement separator', () => {
    // Act
    const requirements = parseLabelSelector('a in (x,y),b');

    // Assess
    expect(requirements).toEqual([
      { key: 'a', operator: 'in', values: ['x', 'y'] },
      { key: 'b', operator: 'exists', values: [] },
    ]);
  });

  it.each(['a in ()', 'a in (x', '=x', 'a=b c', 'a b', 'bad key=x', 'a=(x)', 'a>x', 'Under_Score/a=x', 'a=' + 'v'.repeat(64)])(
    'refuses the malformed selector %j',
    (selector) => {
      // Act + Assess
      expect(() => parseLabelSelector(selector)).toThrow(SelectorParseError);
    },
  );

  it('an equality requirement holds exactly when the label has that value (property)', () => {
    const labelValue = fc.stringMatching(/^[a-z0-9]([a-z0-9._-]{0,10}[a-z0-9])?$/);
    fc.assert(
      fc.property(fc.option(labelValue, { nil: undefined }), labelValue, (actual, wanted) => {
        // Prepare
        const labels: Record<string, string> = actual === undefined ? {} : { 'eks.amazonaws.com/nodegroup': actual };

        // Act
        const equal = matchesLabelSelector(parseLabelSelector(`eks.amazonaws.com/nodegroup=${wanted}`), labels);
        const notEqual = matchesLabelSelector(parseLabelSelector(`eks.amazonaws.com/nodegroup!=${wanted}`), labels);

        // Assess
        expect(equal).toBe(actual === wanted);
        expect(notEqual).toBe(!equal);
      }),
    );
  });
});

describe('parseNodeFieldSelector + matchesFieldSelector', () => {
  const node = { metadata: { name: 'ip-10-42-1-1.us-west-2.compute.internal' }, spec: { unschedulable: true } };

  it.each([
    ['metadata.name=ip-10-42-1-1.us-west-2.compute.internal', true],
    ['metadata.name==ip-10-42-1-1.us-west-2.compute.internal', true],
    ['metadata.name!=ip-10-42-1-1.us-west-2.compute.internal', false],
    ['metadata.name=other', false],
    ['spec.unschedulable=true', true],
    ['spec.unschedulable!=true,metadata.name=other', false],
    ['', true],
  ])('%j matches the node: %s', (selector, expected) => {
    // Act
    const matches = matchesFieldSelector(parseNodeFieldSelector(selector), node);

    // Assess
    expect(matches).toBe(expected);
  });

  it('reads a missing spec.unschedulable as false', () => {
    // Act
    const matches = matchesFieldSelector(parseNodeFieldSelector('spec.unschedulable=false'), { metadata: { name: 'n' } });

    // Assess
    expect(matches).toBe(true);
  });

  it('unescapes backslash-escaped separators in values', () => {
    // Act
    const requirements = parseNodeFieldSelector('metadata.name=a\\,b\\=c');

    // Assess
    expect(requirements).toEqual([{ field: 'metadata.name', operator: '=', value: 'a,b=c' }]);
  });

  it.each([
    ['status.phase=Running', '"status.phase" is not a known field selector'],
    ['metadata.name', "can't understand 'metadata.name'"],
  ])('refuses %j', (selector, message) => {
    // Act + Assess
    expect(() => parseNodeFieldSelector(selector)).toThrow(message);
  });
});
