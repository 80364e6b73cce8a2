#!/usr/bin/env node
/**
 * Local CLI (contract section 5): the Lambda's engine with the ambient AWS credentials.
 *   npm run --silent remediate -- --cluster C [--nodegroup N] [--dry-run] [--json] ...
 */
import { parseArgs } from 'node:util';
import { parseConfig, type Config } from './config';
import { runTarget, type EngineLogger } from './engine';
import { describeError, ValidationError } from './errors';
import { CLUSTER_NAME_PATTERN, NODEGROUP_NAME_PATTERN } from './model';
import { renderReport } from './render';
import type { Outcome, Report } from './report';
import { createPorts } from './wiring';

export const USAGE = `Usage: npm run --silent remediate -- --cluster NAME [options]

Finds instances of an EKS managed node group that never joined the cluster, fixes a
missing or blackhole 0.0.0.0/0 route to a NAT gateway, and recycles the failed instances.

Options:
  --cluster NAME                  the cluster (required)
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
  --json                          print the report (contract format) as JSON
  --verbose                       log each step to stderr
  -h, --help                      show this help

Exit status: 0 HEALTHY or REMEDIATED; 2 DRY_RUN, UNRESOLVED or SKIPPED; 1 FAILED or bad arguments.`;

export interface CliOptions {
  clusterName: string;
  nodegroupName?: string;
  region: string;
  json: boolean;
  verbose: boolean;
  config: Config;
}

/** Flags → options; throws ValidationError with a message fit for stderr. */
export function parseCli(argv: string[], env: NodeJS.ProcessEnv): CliOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        cluster: { type: 'string' },
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
        json: { type: 'boolean' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new ValidationError(error instanceof Error ? error.message : String(error), undefined, { cause: error });
  }
  const v = parsed.values;
  if (v.help) return 'help';
  if (!v.cluster) throw new ValidationError('--cluster is required (the EKS cluster name)', '--cluster');
  // One cluster only: the config parser would read "a,b" as an allow-list and silently use "a".
  if (!CLUSTER_NAME_PATTERN.test(v.cluster)) {
    throw new ValidationError(
      `--cluster must be one EKS cluster name (letters, digits, - and _), got "${v.cluster}"`,
      '--cluster',
    );
  }
  const region = v.region ?? env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'];
  if (!region) throw new ValidationError('--region is required when AWS_REGION is not set', '--region');
  const flag = {
    clusterNames: '--cluster',
    graceSeconds: '--grace-seconds',
    recycle: '--recycle',
    natGatewayId: '--nat-gateway-id',
    waitSeconds: '--wait-seconds',
    dryRun: '--dry-run',
    allowSharedRouteTables: '--allow-shared-route-tables',
    allowInternetEgress: '--allow-internet-egress',
    createNodeAccessEntry: '--create-node-access-entry',
    recycleCooldownSeconds: '--recycle-cooldown-seconds',
    readConsoleOutput: '--read-console-output',
    concurrency: '--concurrency',
  } as Record<string, string>;
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
    (key) => flag[key] ?? key,
  );
  if (v.nodegroup !== undefined && !NODEGROUP_NAME_PATTERN.test(v.nodegroup)) {
    throw new ValidationError(`--nodegroup must be a node group name (letters, digits, - and _), got "${v.nodegroup}"`, '--nodegroup');
  }
  return {
    clusterName: config.clusterNames[0] ?? v.cluster,
    nodegroupName: v.nodegroup,
    region,
    json: v.json ?? false,
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

function stderrLogger(verbose: boolean): EngineLogger {
  const write = (level: string) => (message: string, ...extra: Record<string, unknown>[]) => {
    if (verbose) process.stderr.write(`${level} ${message} ${extra.map((e) => JSON.stringify(e)).join(' ')}\n`);
  };
  return { info: write('INFO'), warn: write('WARN'), error: write('ERROR') };
}

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let options: CliOptions | 'help';
  try {
    options = parseCli(argv, env);
  } catch (error) {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
    return 1;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    const reports = await runTarget(
      { clusterName: options.clusterName, nodegroupName: options.nodegroupName, trigger: 'cli' },
      {
        ports: createPorts(options.region),
        config: options.config,
        region: options.region,
        logger: stderrLogger(options.verbose),
      },
    );
    if (options.json) {
      const body = reports.length === 1 && options.nodegroupName ? reports[0] : { reports };
      process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    } else {
      process.stdout.write(`${reports.map(renderReport).join('\n\n')}\n`);
    }
    return exitCodeFor(reports);
  } catch (error) {
    process.stderr.write(`error: ${describeError(error)}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`error: ${describeError(error)}\n`);
      process.exitCode = 1;
    },
  );
}
