/**
 * The human renderings of reports: the seed's troubleshooting story, told by the tool — what
 * was checked, what was found (with each NAT gateway's verdict and the `fix` hints), what was
 * done, whether the nodes joined, and what to do next — plus the fleet views: a summary table
 * (cluster, node group, outcome, one-line reason) and the AWS CLI's `text` / `table` outputs.
 * Internal error class names never reach these texts (`forPeople`).
 */
import { describeAction } from './describe';
import { asEngineAction } from './model';
import { forPeople } from './errors';
import type { Finding, Report } from './report';

const MARK: Record<Finding['severity'], string> = { error: '✗', warning: '!', info: 'i' };

/** Evidence keys listing the NAT gateways considered, each "nat-… (az): usable | why rejected". */
const NAT_CANDIDATE_KEYS = ['candidates', 'natCandidates'] as const;

/** "nat-1 (us-west-2a): usable" strings of a finding's evidence, if it lists NAT gateways. */
export function natVerdicts(finding: Finding): string[] {
  for (const key of NAT_CANDIDATE_KEYS) {
    const value = finding.evidence[key];
    if (Array.isArray(value) && value.length > 0) {
      return value.map((item) => (typeof item === 'string' ? item : describeCandidate(item)));
    }
  }
  return [];
}

function describeCandidate(item: unknown): string {
  const c = (item ?? {}) as { natGatewayId?: string; availabilityZone?: string; usable?: boolean; rejectedBecause?: string };
  return `${c.natGatewayId ?? '?'}${c.availabilityZone ? ` (${c.availabilityZone})` : ''}: ${c.usable ? 'usable' : (c.rejectedBecause ?? 'rejected')}`;
}

/** The `fix` hint of a finding (contract section 2), if it has one. */
export function fixOf(finding: Finding): string | undefined {
  const fix = finding.evidence['fix'];
  return typeof fix === 'string' && fix.trim() !== '' ? fix : undefined;
}

export function renderReport(report: Report): string {
  const lines: string[] = [];
  const title = `${report.clusterName}/${report.nodegroupName} (${report.region})`;
  lines.push(`${report.outcome}  ${title}${report.dryRun ? '  [dry run]' : ''}`);
  lines.push(`  ${forPeople(report.reason)}`);

  if (report.instances.length > 0) {
    const source =
      report.registrationSource === 'kubernetes-api'
        ? 'the Kubernetes API'
        : "the node group's health issues (the Kubernetes API could not be used)";
    lines.push('', `  Checked: instances of the node group against ${source}`);
    for (const instance of report.instances) {
      const node = instance.registered
        ? `node ${instance.nodeName ?? '?'} ${instance.ready === false ? 'NotReady' : 'Ready'}`
        : 'no node';
      lines.push(`    ${instance.instanceId}  ${instance.subnetId}  ${instance.availabilityZone}  launched ${instance.launchTime}  ${node}`);
    }
  }

  if (report.findings.length > 0) {
    lines.push('', '  Found:');
    for (const finding of report.findings) {
      const fixed = finding.remediable ? '' : ' (not fixed automatically)';
      lines.push(`    ${MARK[finding.severity]} ${finding.code} ${finding.resourceId}: ${forPeople(finding.message)}${fixed}`);
      const routes = finding.evidence['routes'];
      if (Array.isArray(routes) && routes.length > 0) {
        lines.push(`        routes: ${routes.map(String).join('; ')}`);
      }
      const nats = natVerdicts(finding);
      if (nats.length > 0) {
        lines.push('        NAT gateways considered:');
        for (const verdict of nats) lines.push(`          ${verdict}`);
      }
      const fix = fixOf(finding);
      if (fix) lines.push(`        fix: ${fix}`);
    }
  }

  if (report.actions.length > 0) {
    lines.push('', report.dryRun ? '  Would do:' : '  Done:');
    for (const action of report.actions) {
      const error = action.detail['error'] as { message?: string } | undefined;
      const tail = action.status === 'failed' && error?.message ? ` — ${forPeople(error.message)}` : '';
      lines.push(`    [${action.status}] ${describeAction(asEngineAction(action))}${tail}`);
      const cooldown = action.detail['cooldown'] as { nextAllowedAt?: string; scope?: string } | undefined;
      if (cooldown?.nextAllowedAt && action.status === 'done') {
        lines.push(`        next recycle for this cause allowed at ${cooldown.nextAllowedAt} (cool-down scope: ${cooldown.scope})`);
      }
      if (typeof action.detail['restoreCommand'] === 'string' && action.detail['restoredTo'] === undefined) {
        lines.push(`        restore with: ${action.detail['restoreCommand']}`);
      }
    }
  }

  const v = report.verification;
  if (v.status !== 'not-attempted') {
    lines.push('', `  Verification: ${v.status} (${v.registered}/${v.expected} registered and Ready)`);
  }

  if (report.nextSteps && report.nextSteps.length > 0) {
    lines.push('', '  Next steps:');
    for (const step of report.nextSteps) lines.push(`    → ${forPeople(step)}`);
  }
  return lines.join('\n');
}

/** The first sentence of a reason, at most `max` characters: one line of a fleet view. */
export function oneLineReason(reason: string, max = 100): string {
  const flat = forPeople(reason).replace(/\s+/g, ' ').trim();
  // The first sentence: up to a full stop or semicolon followed by a space ("0.0.0.0/0" is no full stop).
  const sentence = /^(.+?[.;])(\s|$)/.exec(flat)?.[1] ?? flat;
  const text = sentence.replace(/[.;]$/, '');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const SUMMARY_COLUMNS = ['CLUSTER', 'NODE GROUP', 'OUTCOME', 'REASON'] as const;

function summaryRows(reports: readonly Report[], reasonWidth: number): string[][] {
  return reports.map((r) => [r.clusterName || '-', r.nodegroupName || '-', r.outcome, oneLineReason(r.reason, reasonWidth)]);
}

/**
 * The fleet at a glance, one row per node group, in the AWS CLI's table style:
 *   +-------------+-----------------+----------+-----------------------------+
 *   |   CLUSTER   |   NODE GROUP    | OUTCOME  |          REASON             |
 */
export function renderSummaryTable(reports: readonly Report[], options: { title?: string; reasonWidth?: number } = {}): string {
  const rows = summaryRows(reports, options.reasonWidth ?? 90);
  const widths = SUMMARY_COLUMNS.map((header, i) => Math.max(header.length, ...rows.map((row) => row[i]!.length)));
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const line = (cells: readonly string[]) => `|${cells.map((cell, i) => ` ${cell.padEnd(widths[i]!)} `).join('|')}|`;
  const counts = new Map<string, number>();
  for (const r of reports) counts.set(r.outcome, (counts.get(r.outcome) ?? 0) + 1);
  const tally = [...counts].map(([outcome, n]) => `${n} ${outcome}`).join(', ');
  const title = `${options.title ?? 'Summary'}: ${reports.length} node group(s)${tally ? ` — ${tally}` : ''}`;
  return [title, rule, line(SUMMARY_COLUMNS), rule, ...rows.map(line), rule].join('\n');
}

/**
 * `--output text` (AWS CLI convention: tab-separated, one record per line, for grep/cut/awk):
 *   REPORT  cluster  nodegroup  region  outcome  reason
 *   NEXT    cluster  nodegroup  step
 */
export function renderText(reports: readonly Report[]): string {
  const clean = (value: string) => forPeople(value).replace(/[\t\n]+/g, ' ');
  const lines: string[] = [];
  for (const r of reports) {
    lines.push(['REPORT', r.clusterName, r.nodegroupName, r.region, r.outcome, clean(r.reason)].join('\t'));
    for (const step of r.nextSteps ?? []) lines.push(['NEXT', r.clusterName, r.nodegroupName, clean(step)].join('\t'));
  }
  return lines.join('\n');
}
