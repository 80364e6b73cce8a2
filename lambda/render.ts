/**
 * The human rendering of a report: the seed's troubleshooting story, told by the tool —
 * what was checked, what was found, what was done, and whether the nodes joined.
 */
import { describeAction } from './describe';
import type { Finding, Report } from './report';

const MARK: Record<Finding['severity'], string> = { error: '✗', warning: '!', info: 'i' };

export function renderReport(report: Report): string {
  const lines: string[] = [];
  const title = `${report.clusterName}/${report.nodegroupName} (${report.region})`;
  lines.push(`${report.outcome}  ${title}${report.dryRun ? '  [dry run]' : ''}`);
  lines.push(`  ${report.reason}`);

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
      const fix = finding.remediable ? '' : ' (not fixed automatically)';
      lines.push(`    ${MARK[finding.severity]} ${finding.code} ${finding.resourceId}: ${finding.message}${fix}`);
      const routes = finding.evidence['routes'];
      if (Array.isArray(routes) && routes.length > 0) {
        lines.push(`        routes: ${routes.map(String).join('; ')}`);
      }
    }
  }

  if (report.actions.length > 0) {
    lines.push('', report.dryRun ? '  Would do:' : '  Done:');
    for (const action of report.actions) {
      const error = action.detail['error'] as { message?: string } | undefined;
      const tail = action.status === 'failed' && error?.message ? ` — ${error.message}` : '';
      lines.push(`    [${action.status}] ${describeAction(action)}${tail}`);
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
  return lines.join('\n');
}
