/**
 * `npm run invoke`'s arguments and exit status (contract section 5): the payload from a file or
 * as JSON text, clear messages naming the flag, and the exit status of `remediate` taken from
 * the last report of each node group.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Invocation } from '../../../emulator/local-function';
import type { Outcome, Report } from '../../../lambda/report';
import { exitCodeOf, parseInvokeArguments } from '../../../scripts/invoke';

const report = (nodegroupName: string, outcome: Outcome): Report => ({ clusterName: 'eks-workshop', nodegroupName, outcome }) as Report;
const invocation = (...reports: Report[]): Invocation => ({ requestId: 'r', reports, event: {} });

describe('parseInvokeArguments', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'invoke-args-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the payload from a file, or as JSON text', () => {
    // Prepare
    const file = path.join(dir, 'manual.json');
    writeFileSync(file, '{"clusterName": "eks-workshop"}');

    // Act / Assess
    expect(parseInvokeArguments(['--payload', file])).toEqual({ payload: { clusterName: 'eks-workshop' }, follow: false, realTime: false });
    expect(parseInvokeArguments(['--payload', '{"recheck": {}}', '--follow'])).toEqual({ payload: { recheck: {} }, follow: true, realTime: false });
  });

  it('names the flag at fault', () => {
    // Prepare
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '{"clusterName": ');

    // Act / Assess
    expect(() => parseInvokeArguments([])).toThrow('--payload is required');
    expect(() => parseInvokeArguments(['--payload', broken])).toThrow(`--payload file "${broken}" is not valid JSON`);
    expect(() => parseInvokeArguments(['--payload', '{"a":'])).toThrow('--payload text is not valid JSON');
    expect(() => parseInvokeArguments(['--payload', '{}', '--real-time'])).toThrow('--real-time only applies with --follow');
    expect(() => parseInvokeArguments(['--payload', '{}', '--folow'])).toThrow("Unknown option '--folow'");
  });
});

describe('exitCodeOf', () => {
  it('takes the last report of each node group: a SKIPPED run whose re-check remediated exits 0', () => {
    // Act / Assess
    expect(exitCodeOf([invocation(report('a', 'SKIPPED')), invocation(report('a', 'REMEDIATED'))])).toBe(0);
    expect(exitCodeOf([invocation(report('a', 'REMEDIATED'), report('b', 'UNRESOLVED'))])).toBe(2);
    expect(exitCodeOf([invocation(report('a', 'HEALTHY'), report('b', 'FAILED'))])).toBe(1);
  });

  it('exits 1 when the handler threw or reported nothing', () => {
    // Act / Assess
    expect(exitCodeOf([{ requestId: 'r', reports: [], event: {}, error: new Error('ValidationError') }])).toBe(1);
    expect(exitCodeOf([invocation()])).toBe(1);
  });
});
