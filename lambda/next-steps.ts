/**
 * What a person does next about a report that needs one (UNRESOLVED, FAILED, or a SKIPPED
 * "not found"): the step in words and, where one exists, the exact command — the findings'
 * `fix` hints (contract section 2), a knob that would let the tool act, or the command that
 * runs it again. Settings are named the way the reader sets them (lambda/settings.ts).
 * Pure: `forSurface` is applied by the CLI and the handler to every final report.
 */
import type { Finding, Report } from './report';
import { localizeSettings, settingName, type Knob, type Surface } from './settings';

/** Findings a knob can clear, and what turning it on means. */
const KNOB_FOR_FINDING: Partial<Record<Finding['code'], { knob: Knob; words: string }>> = {
  SHARED_ROUTE_TABLE: {
    knob: 'allowSharedRouteTables',
    words: 'if a default route to a NAT gateway is right for every subnet this route table serves, let the remediator write it',
  },
  MISSING_VPC_ENDPOINTS: {
    knob: 'allowInternetEgress',
    words: 'or, if the subnet may have internet egress after all, let the remediator add the NAT route',
  },
  NODE_ROLE_NOT_AUTHORIZED: {
    knob: 'createNodeAccessEntry',
    words: "or let the remediator create the node role's access entry",
  },
  NAT_GATEWAY_OVERRIDE_REJECTED: {
    knob: 'natGatewayId',
    words: 'name a NAT gateway that passes the safety rules, or drop the override to let the remediator choose',
  },
};

/** Words for findings without a `fix` hint of their own. */
const WORDS_FOR_FINDING: Partial<Record<Finding['code'], string>> = {
  NO_USABLE_NAT_GATEWAY:
    'create a public NAT gateway in a public subnet of the VPC (one whose route table sends 0.0.0.0/0 to the attached ' +
    'internet gateway): aws ec2 create-nat-gateway --subnet-id <public subnet> --allocation-id <Elastic IP allocation id>',
  EGRESS_VIA_UNVERIFIED_TARGET:
    'check the egress path behind the route target yourself (transit gateway, firewall, peering): the remediator never changes it',
  KUBERNETES_API_UNAVAILABLE:
    "give the remediator read access to the cluster's nodes (an access entry for its role), so registration can be proven",
};

/** The command that runs the remediator again on this node group (or cluster), where the reader runs. */
export function rerunCommand(report: Pick<Report, 'clusterName' | 'nodegroupName' | 'region'>, surface: Surface): string {
  const nodegroup = report.nodegroupName && report.nodegroupName !== '*' ? report.nodegroupName : undefined;
  if (surface === 'cli') {
    const cluster = report.clusterName ? `--cluster ${report.clusterName}` : '--all-clusters';
    return `npm run --silent remediate -- ${cluster}${nodegroup ? ` --nodegroup ${nodegroup}` : ''} --region ${report.region}`;
  }
  const payload = JSON.stringify({ ...(report.clusterName ? { clusterName: report.clusterName } : {}), ...(nodegroup ? { nodegroupName: nodegroup } : {}) });
  return `aws lambda invoke --region ${report.region} --function-name <FunctionName output> --cli-binary-format raw-in-base64-out --payload '${payload}' report.json`;
}

function fixOf(finding: Finding): string | undefined {
  const fix = finding.evidence['fix'];
  return typeof fix === 'string' && fix.trim() !== '' ? fix.trim() : undefined;
}

/** A scale cycle that failed after scaling down and was not restored: the command execute recorded to restore it. */
function restoreScaling(report: Report): string[] {
  return report.actions.flatMap((action) => {
    const command = action.detail['restoreCommand'];
    if (action.type !== 'SCALE_CYCLE' || action.status !== 'failed' || typeof command !== 'string' || action.detail['restoredTo'] !== undefined) {
      return [];
    }
    return [`Restore the node group's scaling first (it was left scaled down): ${command}`];
  });
}

/**
 * The next steps for a report, most specific first, each one line: empty for outcomes that
 * need none (HEALTHY, REMEDIATED, DRY_RUN, an ordinary SKIPPED).
 */
export function nextSteps(report: Report, surface: Surface): string[] {
  if (report.outcome !== 'UNRESOLVED' && report.outcome !== 'FAILED') return [];
  const steps: string[] = [];
  if (report.outcome === 'FAILED') {
    steps.push(...restoreScaling(report));
    if (/AccessDenied|UnauthorizedOperation|not authorized/i.test(report.reason)) {
      steps.push(
        surface === 'cli'
          ? 'Your AWS credentials lack the permission named in the reason: use a role that has it (aws sts get-caller-identity shows which one is used).'
          : "The function's role lacks the permission named in the reason: deploy the stack again from this version (npx cdk deploy) so the role has every grant the function uses.",
      );
    }
  }
  const actionable = report.findings.filter((f) => f.severity !== 'info' && !f.remediable);
  for (const finding of actionable) {
    const fix = fixOf(finding);
    if (fix) steps.push(`${finding.code} on ${finding.resourceId}: ${fix}`);
    else if (WORDS_FOR_FINDING[finding.code]) steps.push(`${finding.code}: ${WORDS_FOR_FINDING[finding.code]!}`);
    const knob = KNOB_FOR_FINDING[finding.code];
    if (knob) {
      const value = finding.code === 'NAT_GATEWAY_OVERRIDE_REJECTED' ? 'nat-<id>' : undefined;
      steps.push(`${finding.code}: ${knob.words}: ${settingName(knob.knob, surface, value)}.`);
    }
  }
  const unregistered = actionable.find((f) => f.code === 'NODES_NOT_REGISTERED');
  if (unregistered && steps.length === 0) {
    // No cause named: the instance's own bootstrap log is where to look next.
    const ids = unregistered.evidence['instanceIds'];
    const instance = Array.isArray(ids) && typeof ids[0] === 'string' ? ids[0] : '<instance id>';
    steps.push(
      `NODES_NOT_REGISTERED: read the bootstrap log of an unregistered instance: aws ec2 get-console-output --region ${report.region} --instance-id ${instance} --latest --output text`,
    );
  }
  const again = rerunCommand(report, surface);
  steps.push(
    report.outcome === 'FAILED'
      ? `Fix what stopped the run (named in the reason), then run it again: ${again}`
      : steps.length > 0
        ? `Then run it again to recycle the instances that never joined: ${again}`
        : `Clear the cause the reason names (the remediator will not change it), then run it again: ${again}`,
  );
  return [...new Set(steps)];
}

/**
 * The report as the reader sees it where it runs: knob flags named as that surface's setting in
 * the reason, finding messages and `fix` hints, and `nextSteps` filled in when one is due.
 */
export function forSurface(report: Report, surface: Surface): Report {
  const localize = (text: string): string => localizeSettings(text, surface);
  const findings = report.findings.map((finding) => {
    const fix = finding.evidence['fix'];
    return {
      ...finding,
      message: localize(finding.message),
      ...(typeof fix === 'string' ? { evidence: { ...finding.evidence, fix: localize(fix) } } : {}),
    };
  });
  const localized: Report = { ...report, reason: localize(report.reason), findings };
  const steps = [...(report.nextSteps ?? []), ...nextSteps(localized, surface)].map(localize);
  return steps.length > 0 ? { ...localized, nextSteps: [...new Set(steps)] } : localized;
}
