/**
 * `--html FILE`: one self-contained HTML page for a run (no script, no external resource; the
 * styles are inline), for a person who would rather look than read: the run's identity (account,
 * region, endpoint), a table of node groups and outcomes, each node group's findings with their
 * evidence, NAT gateway verdicts and `fix` hints, its actions and next steps, and a timeline of
 * what happened when (waits, actions, final reports). Every value is HTML-escaped.
 */
import { describeAction } from './describe';
import { asEngineAction } from './model';
import { forPeople } from './errors';
import { fixOf, natVerdicts } from './render';
import type { Outcome, Report } from './report';

export interface TimelineEntry {
  /** ISO-8601 */
  time: string;
  /** "cluster/nodegroup" the entry concerns, if one */
  subject?: string;
  text: string;
}

export interface RunInfo {
  account?: string;
  principalArn?: string;
  region: string;
  /** AWS_ENDPOINT_URL, or a phrase for AWS's own endpoints */
  endpoint: string;
  /** ISO-8601 */
  startedAt: string;
  finishedAt: string;
  dryRun: boolean;
  /** the command line, for the record */
  command?: string;
  timeline: TimelineEntry[];
}

const OUTCOME_COLOUR: Record<Outcome, string> = {
  HEALTHY: '#1b7f3b',
  REMEDIATED: '#1b5e9f',
  DRY_RUN: '#7a5c00',
  UNRESOLVED: '#b35900',
  SKIPPED: '#5f6368',
  FAILED: '#b3261e',
};

export function escapeHtml(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const e = escapeHtml;

function badge(outcome: Outcome): string {
  return `<span class="badge" data-outcome="${e(outcome)}" style="background:${OUTCOME_COLOUR[outcome]}">${e(outcome)}</span>`;
}

function anchor(report: Report, index: number): string {
  return `ng-${index}-${report.clusterName}-${report.nodegroupName}`.replace(/[^A-Za-z0-9_-]/g, '_');
}

function evidenceList(evidence: Record<string, unknown>): string {
  const rows = Object.entries(evidence)
    .filter(([key]) => key !== 'fix')
    .map(([key, value]) => {
      const shown = Array.isArray(value) && value.length === 0
        ? 'none'
        : Array.isArray(value)
        ? `<ul>${value.map((item) => `<li>${e(typeof item === 'string' ? item : JSON.stringify(item))}</li>`).join('')}</ul>`
        : `<code>${e(typeof value === 'string' ? value : JSON.stringify(value))}</code>`;
      return `<dt>${e(key)}</dt><dd>${shown}</dd>`;
    });
  return rows.length > 0 ? `<dl class="evidence">${rows.join('')}</dl>` : '';
}

function nodegroupSection(report: Report, index: number): string {
  const parts: string[] = [];
  parts.push(`<h2>${badge(report.outcome)} ${e(report.clusterName)}/${e(report.nodegroupName)}</h2>`);
  parts.push(`<p class="reason">${e(forPeople(report.reason))}</p>`);
  if (report.instances.length > 0) {
    parts.push('<h3>Instances</h3><table class="instances"><thead><tr><th>instance</th><th>subnet</th><th>AZ</th><th>launched</th><th>node</th></tr></thead><tbody>');
    for (const i of report.instances) {
      const node = i.registered ? `${i.nodeName ?? '?'} ${i.ready === false ? 'NotReady' : 'Ready'}` : 'not registered';
      parts.push(`<tr><td>${e(i.instanceId)}</td><td>${e(i.subnetId)}</td><td>${e(i.availabilityZone)}</td><td>${e(i.launchTime)}</td><td>${e(node)}</td></tr>`);
    }
    parts.push('</tbody></table>');
  }
  if (report.findings.length > 0) {
    parts.push('<h3>Findings</h3><ul class="findings">');
    for (const f of report.findings) {
      const nats = natVerdicts(f);
      const fix = fixOf(f);
      parts.push(
        `<li class="finding ${e(f.severity)}" data-code="${e(f.code)}"><strong>${e(f.code)}</strong> <span class="severity">${e(f.severity)}</span> ` +
          `<code>${e(f.resourceId)}</code>${f.remediable ? ' <em>(fixed by the remediator)</em>' : ' <em>(not fixed automatically)</em>'}` +
          `<p>${e(forPeople(f.message))}</p>` +
          (nats.length > 0 ? `<p>NAT gateways considered:</p><ul class="nat">${nats.map((n) => `<li>${e(n)}</li>`).join('')}</ul>` : '') +
          (fix ? `<p class="fix">Fix: <code>${e(fix)}</code></p>` : '') +
          evidenceList(f.evidence) +
          '</li>',
      );
    }
    parts.push('</ul>');
  }
  if (report.actions.length > 0) {
    parts.push(`<h3>${report.dryRun ? 'Would do' : 'Actions'}</h3><ol class="actions">`);
    for (const a of report.actions) {
      const error = a.detail['error'] as { message?: string } | undefined;
      const tail = a.status === 'failed' && error?.message ? ` — ${forPeople(error.message)}` : '';
      parts.push(`<li data-status="${e(a.status)}"><span class="status">${e(a.status)}</span> ${e(describeAction(asEngineAction(a)) + tail)}</li>`);
    }
    parts.push('</ol>');
  }
  const v = report.verification;
  if (v.status !== 'not-attempted') parts.push(`<p class="verification">Verification: ${e(v.status)} (${v.registered}/${v.expected} registered and Ready)</p>`);
  if (report.nextSteps && report.nextSteps.length > 0) {
    parts.push(`<h3>Next steps</h3><ul class="next">${report.nextSteps.map((s) => `<li>${e(forPeople(s))}</li>`).join('')}</ul>`);
  }
  return `<section class="nodegroup" id="${anchor(report, index)}" data-outcome="${e(report.outcome)}">${parts.join('\n')}</section>`;
}

/** The page. `reports` in the order they were produced; `run.timeline` in time order. */
export function renderHtmlReport(reports: readonly Report[], run: RunInfo): string {
  const summary = reports
    .map(
      (r, i) =>
        `<tr data-outcome="${e(r.outcome)}"><td>${e(r.clusterName)}</td><td><a href="#${anchor(r, i)}">${e(r.nodegroupName)}</a></td>` +
        `<td>${badge(r.outcome)}</td><td>${e(forPeople(r.reason))}</td></tr>`,
    )
    .join('\n');
  const timeline = run.timeline
    .map((t) => `<li><time datetime="${e(t.time)}">${e(t.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))}</time> ${t.subject ? `<b>${e(t.subject)}</b> ` : ''}${e(forPeople(t.text))}</li>`)
    .join('\n');
  const identity = [
    `account <b>${e(run.account ?? 'unknown')}</b>${run.principalArn ? ` as <code>${e(run.principalArn)}</code>` : ''}`,
    `region <b>${e(run.region)}</b>`,
    `endpoint <b>${e(run.endpoint)}</b>`,
    run.dryRun ? '<b>dry run</b> (no change made)' : 'changes allowed',
  ].join(' · ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>eks-node-join-remediator report — ${e(run.region)} — ${e(run.startedAt)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem; color: #202124; max-width: 75rem; }
h1 { font-size: 1.4rem; margin-bottom: .2rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; border-top: 1px solid #dadce0; padding-top: 1rem; }
h3 { font-size: 1rem; margin-bottom: .3rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #e8eaed; vertical-align: top; }
th { background: #f1f3f4; }
.badge { color: #fff; border-radius: .3rem; padding: .05rem .45rem; font-size: .8rem; font-weight: 600; }
.meta { color: #5f6368; }
.finding { margin-bottom: .8rem; }
.finding.error strong { color: #b3261e; }
.finding.warning strong { color: #b35900; }
.fix code, .next li { background: #fef7e0; }
code { font: 12px ui-monospace, monospace; background: #f1f3f4; padding: 0 .2rem; word-break: break-all; }
dl.evidence { display: grid; grid-template-columns: max-content 1fr; gap: .1rem .8rem; margin: .3rem 0 0 1rem; }
dl.evidence dt { color: #5f6368; }
dl.evidence dd { margin: 0; }
dl.evidence ul { margin: 0; padding-left: 1rem; }
ol.timeline { list-style: none; padding-left: 0; }
ol.timeline time { color: #5f6368; font-family: ui-monospace, monospace; margin-right: .5rem; }
</style>
</head>
<body>
<header>
<h1>eks-node-join-remediator — ${reports.length} node group(s)</h1>
<p class="meta" id="identity">${identity}</p>
<p class="meta">from ${e(run.startedAt)} to ${e(run.finishedAt)}${run.command ? ` · <code>${e(run.command)}</code>` : ''}</p>
</header>
<main>
<table id="summary">
<thead><tr><th>cluster</th><th>node group</th><th>outcome</th><th>reason</th></tr></thead>
<tbody>
${summary}
</tbody>
</table>
${reports.map(nodegroupSection).join('\n')}
<h2>Timeline</h2>
<ol class="timeline" id="timeline">
${timeline}
</ol>
</main>
</body>
</html>
`;
}
