#!/usr/bin/env node
/**
 * Local CLI (contract section 5): the Lambda's engine with the ambient AWS credentials.
 *   npm run --silent remediate -- --cluster C [--nodegroup N] [--dry-run] [--json] ...
 *   npm run --silent remediate -- --all-clusters --dry-run          (the fleet report)
 * stderr: first one line naming the account, region and endpoint it acts on, then a line per
 * wait (what for, elapsed, deadline). stdout: the reports (human story + summary table,
 * `--output json|text|table`, `--json`), and `--html FILE` writes a self-contained page.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createStsAdapter, type CallerIdentity, type IdentityPort } from './aws/sts';
import { parseConfig, type Config } from './config';
import { runTarget, type EngineDeps, type EngineLogger } from './engine';
import { describeError, forPeople, ValidationError } from './errors';
import { CLUSTER_NAME_PATTERN, NODEGROUP_NAME_PATTERN } from './model';
import { forSurface } from './next-steps';
import type { Ports } from './ports';
import { renderReport, renderSummaryTable, renderText } from './render';
import { renderHtmlReport, type TimelineEntry } from './render-html';
import type { Outcome, Report } from './report';
import { KNOB_SETTINGS } from './settings';
import { createPorts } from './wiring';

export const OUTPUT_FORMATS = ['json', 'text', 'table'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const USAGE = `Usage: npm run --silent remediate -- (--cluster NAME | --all-clusters) [options]

Finds instances of an EKS managed node group that never joined the cluster, fixes a
missing or blackhole 0.0.0.0/0 route to a NAT gateway, and recycles the failed instances.
It changes things unless --dry-run is given. The first line on stderr names the account,
region and endpoint it acts on (AWS_ENDPOINT_URL when set, else AWS's own endpoints).

Options:
  --cluster NAME                  the cluster
  --all-clusters                  every cluster of the region instead of --cluster
  --nodegroup NAME                one node group (default: every node group of the cluster)
  --region REGION                 AWS region (default: AWS_REGION / AWS_DEFAULT_REGION)
  --dry-run                       plan only: make no change at all
  --grace-seconds N               age before an instance counts as unregistered (default 300)
  --recycle STRATEGY              replace-unjoined | scale-cycle | none (default replace-unjoined)
  --nat-gateway-id ID             use this NAT gateway (still checked by the safety rules)
  --allow-shared-route-tables     allow changing a shared or the VPC's main route table
  --wait-seconds N                how long to wait for nodes to join after the fix (default 600)
  --allow-internet-egress         allow a NAT route on a subnet that is endpoint-only by design
  --create-node-access-entry      create the node role's missing EC2_LINUX/EC2_WINDOWS access entry
  --recycle-cooldown-seconds N    minimum time between two recycles of one node group (default 3600)
  --read-console-output           attach matched serial-console lines of unregistered instances
  --concurrency N                 node groups examined at once (default 8)
  --output FORMAT                 json (the contract report, as --json) | text (tab-separated,
                                  one REPORT line per node group) | table (the summary table);
                                  default: the human story, with a summary table for several
  --json                          print the report (contract format) as JSON (= --output json)
  --html FILE                     also write a self-contained HTML report of the run to FILE
  --verbose                       log each step to stderr
  -h, --help                      show this help

Exit status: 0 HEALTHY or REMEDIATED; 2 DRY_RUN, UNRESOLVED or SKIPPED; 1 FAILED or bad arguments.`;

export interface CliOptions {
  /** the one cluster; absent with --all-clusters */
  clusterName?: string;
  /** every cluster of the region */
  allClusters: boolean;
  nodegroupName?: string;
  region: string;
  /** 'human' unless --output / --json */
  output: OutputFormat | 'human';
  /** --html FILE */
  htmlFile?: string;
  verbose: boolean;
  config: Config;
}

/** Flags → options; throws ValidationError with a message fit for stderr (naming the flag and what it accepts). */
export function parseCli(argv: string[], env: NodeJS.ProcessEnv): CliOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        cluster: { type: 'string' },
        'all-clusters': { type: 'boolean' },
        nodegroup: { type: 'string' },
        region: { type: 'string' },
        'dry-run': { type: 'boolean' },
        'grace-seconds': { type: 'string' },
        recycle: { type: 'string' },
        'nat-gateway-id': { type: 'string' },
        'allow-shared-route-tables': { type: 'boolean' },
        'wait-seconds': { type: 'string' },
        'allow-internet-egress': { type: 'boolean' },
        'create-node-access-entry': { type: 'boolean' },
        'recycle-cooldown-seconds': { type: 'string' },
        'read-console-output': { type: 'boolean' },
        concurrency: { type: 'string' },
        output: { type: 'string' },
        json: { type: 'boolean' },
        html: { type: 'string' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new ValidationError(error instanceof Error ? error.message : String(error), undefined, { cause: error });
  }
  const v = parsed.values;
  if (v.help) return 'help';
  const allClusters = v['all-clusters'] ?? false;
  if (allClusters && v.cluster !== undefined) {
    throw new ValidationError(
      '--cluster and --all-clusters cannot be used together: give one cluster with --cluster NAME, or every cluster of the region with --all-clusters',
      '--all-clusters',
    );
  }
  if (!allClusters && !v.cluster) {
    throw new ValidationError('--cluster NAME (the EKS cluster name) or --all-clusters is required', '--cluster');
  }
  if (allClusters && v.nodegroup !== undefined) {
    throw new ValidationError('--nodegroup needs --cluster NAME (a node group belongs to one cluster), not --all-clusters', '--nodegroup');
  }
  // One cluster only: the config parser would read "a,b" as an allow-list and silently use "a".
  if (v.cluster !== undefined && !CLUSTER_NAME_PATTERN.test(v.cluster)) {
    throw new ValidationError(
      `--cluster must be one EKS cluster name (letters, digits, - and _), got "${v.cluster}"`,
      '--cluster',
    );
  }
  let output: CliOptions['output'] = v.json ? 'json' : 'human';
  if (v.output !== undefined) {
    const format = OUTPUT_FORMATS.find((f) => f === v.output);
    if (!format) throw new ValidationError(`--output must be one of ${OUTPUT_FORMATS.join(', ')}, got "${v.output}"`, '--output');
    if (v.json && format !== 'json') {
      throw new ValidationError(`--json is --output json: it cannot be combined with --output ${format}`, '--output');
    }
    output = format;
  }
  if (v.html !== undefined && v.html.trim() === '') throw new ValidationError('--html needs a file name, e.g. --html report.html', '--html');
  const region = v.region ?? env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'];
  if (!region) throw new ValidationError('--region is required when AWS_REGION is not set', '--region');
  const flag = (key: keyof typeof KNOB_SETTINGS): string => KNOB_SETTINGS[key].flag ?? key;
  const config = parseConfig(
    {
      clusterNames: v.cluster,
      dryRun: v['dry-run'] ? 'true' : undefined,
      graceSeconds: v['grace-seconds'],
      recycle: v.recycle,
      natGatewayId: v['nat-gateway-id'],
      allowSharedRouteTables: v['allow-shared-route-tables'] ? 'true' : undefined,
      waitSeconds: v['wait-seconds'],
      allowInternetEgress: v['allow-internet-egress'] ? 'true' : undefined,
      createNodeAccessEntry: v['create-node-access-entry'] ? 'true' : undefined,
      recycleCooldownSeconds: v['recycle-cooldown-seconds'],
      readConsoleOutput: v['read-console-output'] ? 'true' : undefined,
      concurrency: v.concurrency,
      // Verification polls faster locally than in Lambda: a person is watching.
      pollSeconds: env['POLL_SECONDS'] ?? '2',
    },
    flag,
  );
  if (v.nodegroup !== undefined && !NODEGROUP_NAME_PATTERN.test(v.nodegroup)) {
    throw new ValidationError(`--nodegroup must be a node group name (letters, digits, - and _), got "${v.nodegroup}"`, '--nodegroup');
  }
  return {
    ...(v.cluster !== undefined ? { clusterName: config.clusterNames[0] ?? v.cluster } : {}),
    allClusters,
    nodegroupName: v.nodegroup,
    region,
    output,
    ...(v.html !== undefined ? { htmlFile: v.html } : {}),
    verbose: v.verbose ?? false,
    config,
  };
}

const EXIT_CODE: Record<Outcome, number> = {
  HEALTHY: 0,
  REMEDIATED: 0,
  DRY_RUN: 2,
  UNRESOLVED: 2,
  SKIPPED: 2,
  FAILED: 1,
};

/** The worst outcome decides: FAILED (1) over DRY_RUN/UNRESOLVED/SKIPPED (2) over success (0). */
export function exitCodeFor(reports: Report[]): number {
  const codes = reports.map((r) => EXIT_CODE[r.outcome]);
  if (codes.includes(1)) return 1;
  if (codes.includes(2)) return 2;
  return 0;
}

function stderrLogger(verbose: boolean, write: (text: string) => void): EngineLogger {
  const line = (level: string) => (message: string, ...extra: Record<string, unknown>[]) => {
    if (verbose) write(`${level} ${message} ${extra.map((e) => JSON.stringify(e)).join(' ')}\n`);
  };
  return { info: line('INFO'), warn: line('WARN'), error: line('ERROR') };
}

/** What `main` talks to; tests replace parts of it. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** whether stderr is a terminal: progress lines are dimmed there, plain text otherwise */
  stderrIsTTY: boolean;
  ports: (region: string) => Ports;
  identity: (region: string) => IdentityPort;
  now: () => Date;
  writeFile: (file: string, text: string) => void;
}

function defaultIo(): CliIo {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    stderrIsTTY: process.stderr.isTTY === true,
    ports: (region) => createPorts(region),
    identity: (region) => createStsAdapter({ region }),
    now: () => new Date(),
    writeFile: (file, text) => writeFileSync(file, text, 'utf8'),
  };
}

/** The endpoint the SDK will use, as the banner names it. */
export function endpointOf(env: NodeJS.ProcessEnv): string {
  return env['AWS_ENDPOINT_URL'] ? env['AWS_ENDPOINT_URL'] : 'AWS (default endpoints)';
}

/**
 * The first stderr line: where the run acts, before anything else happens.
 *   remediate: account 123456789012 (arn:aws:sts::…:assumed-role/…), region us-west-2, endpoint AWS (default endpoints); dry run: no change will be made
 */
export function bannerLine(identity: CallerIdentity | Error, region: string, endpoint: string, dryRun: boolean): string {
  const who =
    identity instanceof Error
      ? `account unknown (${forPeople(identity.message)})`
      : `account ${identity.account}${identity.arn ? ` (${identity.arn})` : ''}`;
  const mode = dryRun ? 'dry run: no change will be made' : 'changes allowed (route writes, instance recycling); --dry-run to only plan';
  return `remediate: ${who}, region ${region}, endpoint ${endpoint}; ${mode}`;
}

/** One progress line: plain and timestamped when stderr is a file or pipe, dimmed on a terminal. */
export function progressLine(message: string, at: Date, tty: boolean): string {
  return tty ? `\x1b[2m… ${message}\x1b[0m\n` : `[${at.toISOString().replace(/\.\d+Z$/, 'Z')}] ${message}\n`;
}

/** stdout for the chosen output. JSON: one report with --nodegroup, else `{ "reports": [...] }` (contract section 2). */
export function formatReports(reports: Report[], options: Pick<CliOptions, 'output' | 'nodegroupName' | 'allClusters' | 'region'>): string {
  switch (options.output) {
    case 'json': {
      const body = reports.length === 1 && options.nodegroupName ? reports[0] : { reports };
      return `${JSON.stringify(body, null, 2)}\n`;
    }
    case 'text':
      return reports.length > 0 ? `${renderText(reports)}\n` : '';
    case 'table':
      return `${renderSummaryTable(reports)}\n`;
    case 'human': {
      if (reports.length === 0) return `No EKS clusters in region ${options.region}: nothing to examine.\n`;
      const stories = reports.map(renderReport).join('\n\n');
      const several = reports.length > 1 || options.allClusters;
      return several ? `${stories}\n\n${renderSummaryTable(reports)}\n` : `${stories}\n`;
    }
  }
}

export async function main(argv: string[], env: NodeJS.ProcessEnv, io: Partial<CliIo> = {}): Promise<number> {
  const { stdout, stderr, stderrIsTTY, ports: portsFor, identity: identityFor, now, writeFile } = { ...defaultIo(), ...io };
  let options: CliOptions | 'help';
  try {
    options = parseCli(argv, env);
  } catch (error) {
    stderr(`error: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
    return 1;
  }
  if (options === 'help') {
    stdout(`${USAGE}\n`);
    return 0;
  }
  const startedAt = now();
  const endpoint = endpointOf(env);
  const identity = await identityFor(options.region)
    .callerIdentity()
    .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
  stderr(`${bannerLine(identity, options.region, endpoint, options.config.dryRun)}\n`);

  const timeline: TimelineEntry[] = [{ time: startedAt.toISOString(), text: `run started (${options.config.dryRun ? 'dry run' : 'changes allowed'})` }];
  const progress = (message: string): void => {
    const at = now();
    timeline.push({ time: at.toISOString(), text: message });
    stderr(progressLine(message, at, stderrIsTTY));
  };
  const deps: EngineDeps = {
    ports: portsFor(options.region),
    config: options.config,
    region: options.region,
    logger: stderrLogger(options.verbose, stderr),
    progress,
    now,
    ...(identity instanceof Error || !identity.account ? {} : { accountId: identity.account }),
  };

  const reports: Report[] = [];
  const record = (found: Report[]): void => {
    const at = now().toISOString();
    for (const raw of found) {
      const report = forSurface(raw, 'cli');
      reports.push(report);
      const subject = `${report.clusterName}/${report.nodegroupName}`;
      for (const action of report.actions) {
        timeline.push({ time: at, subject, text: `${action.type} ${action.resourceId}: ${action.status}` });
      }
      timeline.push({ time: at, subject, text: `${report.outcome}: ${report.reason}` });
    }
  };
  try {
    let clusterNames: string[];
    if (options.allClusters) {
      clusterNames = await deps.ports.eks.listClusters();
      progress(`region ${options.region}: ${clusterNames.length} cluster(s) to examine${clusterNames.length > 0 ? ` (${clusterNames.join(', ')})` : ''}`);
    } else {
      clusterNames = [options.clusterName!];
    }
    for (const clusterName of clusterNames) {
      record(
        await runTarget({ clusterName, ...(options.nodegroupName ? { nodegroupName: options.nodegroupName } : {}), trigger: 'cli' }, deps),
      );
    }
  } catch (error) {
    stderr(`error: ${forPeople(describeError(error))}\n`);
    return 1;
  }
  stdout(formatReports(reports, options));
  if (options.htmlFile) {
    const html = renderHtmlReport(reports, {
      ...(identity instanceof Error ? {} : { account: identity.account, principalArn: identity.arn }),
      region: options.region,
      endpoint,
      startedAt: startedAt.toISOString(),
      finishedAt: now().toISOString(),
      dryRun: options.config.dryRun,
      command: `npm run --silent remediate -- ${argv.join(' ')}`,
      timeline,
    });
    try {
      writeFile(options.htmlFile, html);
      stderr(`HTML report written to ${options.htmlFile}\n`);
    } catch (error) {
      stderr(`error: writing the HTML report to ${options.htmlFile} failed: ${error instanceof Error ? error.message : String(error)}\n`);
      return 1;
    }
  }
  return exitCodeFor(reports);
}

if (require.main === module) {
  // The AWS SDK's "Node.js 20 support ends" notice is noise on every run of a command (the tests
  // silence it the same way, test/setup-env.ts); it is set before any SDK client is created.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  main(process.argv.slice(2), process.env).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`error: ${forPeople(describeError(error))}\n`);
      process.exitCode = 1;
    },
  );
}
