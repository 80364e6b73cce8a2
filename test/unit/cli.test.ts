import { bannerLine, exitCodeFor, formatReports, main, parseCli, progressLine, type CliIo } from '../../lambda/cli';
import type { IdentityPort } from '../../lambda/aws/sts';
import { AwsCallError, NotFoundError, ValidationError } from '../../lambda/errors';
import type { Ports } from '../../lambda/ports';
import type { Outcome, Report } from '../../lambda/report';

function reportWith(outcome: Outcome): Report {
  return {
    clusterName: 'eks-workshop',
    nodegroupName: 'new_nodegroup_2',
    region: 'us-west-2',
    outcome,
    reason: 'test',
    trigger: { kind: 'cli' },
    dryRun: false,
    registrationSource: 'kubernetes-api',
    instances: [],
    findings: [],
    actions: [],
    verification: { status: 'not-attempted', registered: 0, expected: 0 },
  };
}

describe('parseCli', () => {
  it('maps every contract flag onto the configuration', () => {
    // Act
    const options = parseCli(
      [
        '--cluster', 'eks-workshop', '--nodegroup', 'new_nodegroup_2', '--dry-run', '--grace-seconds', '60',
        '--recycle', 'none', '--nat-gateway-id', 'nat-0123456789abcdef0', '--allow-shared-route-tables',
        '--wait-seconds', '30', '--json', '--region', 'eu-west-1',
      ],
      {},
    );

    // Assess
    expect(options).not.toBe('help');
    if (options === 'help') return;
    expect(options).toMatchObject({ clusterName: 'eks-workshop', nodegroupName: 'new_nodegroup_2', region: 'eu-west-1', output: 'json', allClusters: false });
    expect(options.config).toMatchObject({
      dryRun: true,
      clusterNames: ['eks-workshop'],
      graceSeconds: 60,
      recycle: 'none',
      natGatewayId: 'nat-0123456789abcdef0',
      allowSharedRouteTables: true,
      waitSeconds: 30,
    });
  });

  it('takes the region from AWS_REGION when --region is absent', () => {
    const options = parseCli(['--cluster', 'c1'], { AWS_REGION: 'us-west-2' });
    expect(options !== 'help' && options.region).toBe('us-west-2');
  });

  it.each([
    [['--nodegroup', 'x'], /--cluster NAME \(the EKS cluster name\) or --all-clusters is required/],
    [['--cluster', 'c1', '--all-clusters'], /--cluster and --all-clusters cannot be used together/],
    [['--all-clusters', '--nodegroup', 'x'], /--nodegroup needs --cluster NAME/],
    [['--cluster', 'c1', '--output', 'yaml'], /--output must be one of json, text, table, got "yaml"/],
    [['--cluster', 'c1', '--json', '--output', 'table'], /--json is --output json: it cannot be combined with --output table/],
    [['--cluster', 'c1', '--html', ''], /--html needs a file name/],
    [['--cluster', 'c1', '--concurrency', '0'], /--concurrency must be a whole number from 1 to 64, got "0"/],
    [['--cluster', 'c1', '--bogus'], /Unknown option '--bogus'/],
    [['--cluster', 'c1', '--recycle', 'reboot'], /--recycle must be one of replace-unjoined, scale-cycle, none/],
    [['--cluster', 'c1', '--grace-seconds', 'soon'], /--grace-seconds must be a whole number/],
    [['--cluster', 'c1', '--nodegroup', 'bad name'], /--nodegroup must be a node group name/],
    [['--cluster', 'c1,c2'], /--cluster must be one EKS cluster name/],
    [['--cluster', ' '], /--cluster must be one EKS cluster name/],
  ])('rejects %j with a clear message', (argv, message) => {
    const act = () => parseCli(argv, { AWS_REGION: 'us-west-2' });
    expect(act).toThrow(ValidationError);
    expect(act).toThrow(message);
  });

  it('--all-clusters examines every cluster of the region (no allow-list)', () => {
    // Act
    const options = parseCli(['--all-clusters', '--dry-run', '--output', 'table'], { AWS_REGION: 'us-west-2' });

    // Assess
    expect(options).toMatchObject({ allClusters: true, output: 'table', config: { clusterNames: [], dryRun: true } });
    expect(options !== 'help' && options.clusterName).toBeUndefined();
  });

  it('names the flag in the error of its bad value', () => {
    // Act
    const error = (() => {
      try {
        parseCli(['--cluster', 'c1', '--output', 'yaml'], { AWS_REGION: 'us-west-2' });
      } catch (e) {
        return e as ValidationError;
      }
      return undefined;
    })();

    // Assess
    expect(error?.field).toBe('--output');
  });

  it('asks for a region when none is known', () => {
    expect(() => parseCli(['--cluster', 'c1'], {})).toThrow(/--region is required/);
  });
});

describe('exitCodeFor', () => {
  it.each<[Outcome[], number]>([
    [['HEALTHY'], 0],
    [['REMEDIATED', 'HEALTHY'], 0],
    [['DRY_RUN'], 2],
    [['UNRESOLVED', 'HEALTHY'], 2],
    [['SKIPPED'], 2],
    [['FAILED', 'DRY_RUN'], 1],
    [['REMEDIATED', 'FAILED'], 1],
  ])('%j exits %i', (outcomes, code) => {
    expect(exitCodeFor(outcomes.map(reportWith))).toBe(code);
  });
});

describe('main', () => {
  let stderr: jest.SpyInstance;
  let stdout: jest.SpyInstance;
  beforeEach(() => {
    stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => jest.restoreAllMocks());

  it('exits 1 with the reason and the usage on stderr for bad arguments', async () => {
    // Act
    const code = await main(['--cluster', 'c1', '--wait-seconds', 'forever'], { AWS_REGION: 'us-west-2' });

    // Assess
    expect(code).toBe(1);
    const written = stderr.mock.calls.map((c) => String(c[0])).join('');
    expect(written).toMatch(/^error: --wait-seconds must be a whole number/);
    expect(written).toContain('Usage: npm run --silent remediate');
    expect(stdout).not.toHaveBeenCalled();
  });

  it('prints the usage on stdout and exits 0 for --help', async () => {
    const code = await main(['--help'], {});
    expect(code).toBe(0);
    expect(String(stdout.mock.calls[0]?.[0])).toContain('--nat-gateway-id');
    expect(String(stdout.mock.calls[0]?.[0])).toContain('--all-clusters');
  });
});

/** Fake ports whose EKS knows no cluster (every read is NotFound), and no other port is reached. */
function portsWithoutClusters(): Ports {
  const unreachable = new Proxy({}, { get: () => () => Promise.reject(new Error('not expected in this test')) });
  return {
    eks: {
      listClusters: async () => [],
      describeCluster: async (name: string) => Promise.reject(new NotFoundError(`cluster ${name} was not found`, name)),
      listNodegroups: async (name: string) => Promise.reject(new NotFoundError(`cluster ${name} was not found`, name)),
      describeNodegroup: async (_cluster: string, nodegroup: string) =>
        Promise.reject(new NotFoundError(`node group ${nodegroup} was not found`, nodegroup)),
      updateNodegroupScaling: async () => Promise.reject(new Error('not expected')),
    },
    ec2: unreachable,
    autoscaling: unreachable,
    kubernetes: unreachable,
  } as unknown as Ports;
}

function fakeIo(identity: IdentityPort, ports: Ports = portsWithoutClusters()) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Partial<CliIo> = {
    stdout: (text) => void out.push(text),
    stderr: (text) => void err.push(text),
    stderrIsTTY: false,
    ports: () => ports,
    identity: () => identity,
    now: () => new Date('2026-11-30T12:00:00.000Z'),
  };
  return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}

const operatorIdentity: IdentityPort = {
  callerIdentity: async () => ({ account: '123456789012', arn: 'arn:aws:sts::123456789012:assumed-role/platform-admin/alice' }),
};

describe('main: where it acts, and the not-found answer', () => {
  it('names the account, region and endpoint on the first stderr line, before anything else', async () => {
    // Prepare
    const { io, stderr } = fakeIo(operatorIdentity);

    // Act
    await main(['--cluster', 'eks-workshop', '--dry-run'], { AWS_REGION: 'us-west-2' }, io);

    // Assess
    expect(stderr().split('\n')[0]).toBe(
      'remediate: account 123456789012 (arn:aws:sts::123456789012:assumed-role/platform-admin/alice), region us-west-2, ' +
        'endpoint AWS (default endpoints); dry run: no change will be made',
    );
  });

  it('names AWS_ENDPOINT_URL when set, and says when it may change things', async () => {
    // Prepare
    const { io, stderr } = fakeIo(operatorIdentity);

    // Act
    await main(['--cluster', 'eks-workshop'], { AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' }, io);

    // Assess
    expect(stderr().split('\n')[0]).toMatch(/region eu-west-1, endpoint http:\/\/127\.0\.0\.1:4566; changes allowed .*--dry-run to only plan$/);
  });

  it('still names region and endpoint when the credentials cannot be identified', async () => {
    // Prepare
    const broken: IdentityPort = {
      callerIdentity: async () => Promise.reject(new AwsCallError('GetCallerIdentity', 'InvalidClientTokenId', 'The security token included in the request is invalid.')),
    };
    const { io, stderr } = fakeIo(broken);

    // Act
    await main(['--cluster', 'eks-workshop'], { AWS_REGION: 'us-west-2' }, io);

    // Assess
    expect(stderr().split('\n')[0]).toMatch(/^remediate: account unknown \(GetCallerIdentity failed: InvalidClientTokenId: .*\), region us-west-2, endpoint AWS/);
    expect(stderr()).not.toContain('AwsCallError');
  });

  it.each([
    [['--cluster', 'nope'], 'nope', '*', /^Cluster nope was not found in region us-west-2 \(account 123456789012\); nothing was examined/],
    [['--cluster', 'nope', '--nodegroup', 'ng'], 'nope', 'ng', /^Cluster nope was not found in region us-west-2 \(account 123456789012\); nothing was examined/],
  ])('answers %j with SKIPPED naming what was not found and the region (exit 2)', async (argv, clusterName, nodegroupName, reason) => {
    // Prepare
    const { io, stdout } = fakeIo(operatorIdentity);

    // Act
    const code = await main([...argv, '--json'], { AWS_REGION: 'us-west-2' }, io);

    // Assess
    expect(code).toBe(2);
    const body = JSON.parse(stdout()) as Report | { reports: Report[] };
    const report = 'reports' in body ? body.reports[0]! : body;
    expect(report).toMatchObject({ clusterName, nodegroupName, outcome: 'SKIPPED' });
    expect(report.reason).toMatch(reason);
    expect(report.nextSteps).toEqual(['List the clusters of us-west-2: aws eks list-clusters --region us-west-2']);
  });

  it('tells a missing node group of an existing cluster apart, with no internal class name in human output', async () => {
    // Prepare: the cluster exists, the node group does not.
    const ports = portsWithoutClusters();
    ports.eks.describeCluster = async () => ({ name: 'eks-workshop' }) as Awaited<ReturnType<Ports['eks']['describeCluster']>>;
    const { io, stdout } = fakeIo(operatorIdentity, ports);

    // Act
    const code = await main(['--cluster', 'eks-workshop', '--nodegroup', 'ng'], { AWS_REGION: 'us-west-2' }, io);

    // Assess
    expect(code).toBe(2);
    expect(stdout()).toMatch(/^SKIPPED {2}eks-workshop\/ng \(us-west-2\)\n {2}Node group ng was not found in cluster eks-workshop in region us-west-2/);
    expect(stdout()).toContain('→ List the node groups of eks-workshop: aws eks list-nodegroups --cluster-name eks-workshop --region us-west-2');
    expect(stdout()).not.toMatch(/NotFoundError|Error:/);
  });

  it('--all-clusters with no cluster in the region says so and exits 0', async () => {
    // Prepare
    const { io, stdout, stderr } = fakeIo(operatorIdentity);

    // Act
    const code = await main(['--all-clusters'], { AWS_REGION: 'us-west-2' }, io);

    // Assess
    expect(code).toBe(0);
    expect(stdout()).toBe('No EKS clusters in region us-west-2: nothing to examine.\n');
    expect(stderr()).toContain('[2026-11-30T12:00:00Z] region us-west-2: 0 cluster(s) to examine');
  });
});

describe('progressLine', () => {
  it('is plain text with a UTC timestamp when stderr is not a terminal', () => {
    expect(progressLine('waiting for nodes to join (0/1 Ready, 4 s elapsed, deadline 2026-11-30T12:10:00.000Z)', new Date('2026-11-30T12:00:04.123Z'), false))
      .toBe('[2026-11-30T12:00:04Z] waiting for nodes to join (0/1 Ready, 4 s elapsed, deadline 2026-11-30T12:10:00.000Z)\n');
  });

  it('is dimmed, without a timestamp, on a terminal', () => {
    expect(progressLine('waiting', new Date(), true)).toBe('\x1b[2m… waiting\x1b[0m\n');
  });
});

describe('bannerLine', () => {
  it('names the principal ARN with the account', () => {
    expect(bannerLine({ account: '111122223333', arn: 'arn:aws:iam::111122223333:user/ops' }, 'ap-south-1', 'AWS (default endpoints)', true))
      .toBe('remediate: account 111122223333 (arn:aws:iam::111122223333:user/ops), region ap-south-1, endpoint AWS (default endpoints); dry run: no change will be made');
  });
});

function fleetReport(clusterName: string, nodegroupName: string, outcome: Outcome, reason: string, nextSteps?: string[]): Report {
  return { ...reportWith(outcome), clusterName, nodegroupName, reason, ...(nextSteps ? { nextSteps } : {}) };
}

describe('formatReports', () => {
  const fleet = [
    fleetReport('eks-workshop', 'default', 'HEALTHY', 'Every judged instance of the node group is registered as a node.'),
    fleetReport('eks-workshop', 'new_nodegroup_2', 'DRY_RUN', 'Dry run: would add route 0.0.0.0/0 -> nat-1 to rtb-1, then replace instance(s) i-1.'),
    fleetReport('payments', 'spot', 'UNRESOLVED', 'Nothing is changed while these blockers stand: SHARED_ROUTE_TABLE on rtb-9. More words.', [
      'SHARED_ROUTE_TABLE: let the remediator write it: --allow-shared-route-tables.',
    ]),
  ];
  const multi = { output: 'human' as const, allClusters: true, region: 'us-west-2' };

  it('ends a multi-node-group human run with a summary table: cluster, node group, outcome, one-line reason', () => {
    // Act
    const text = formatReports(fleet, multi);

    // Assess
    const table = text.slice(text.indexOf('Summary:'));
    expect(table.split('\n').slice(0, 4)).toEqual([
      'Summary: 3 node group(s) — 1 HEALTHY, 1 DRY_RUN, 1 UNRESOLVED',
      expect.stringMatching(/^\+-+\+-+\+-+\+-+\+$/),
      expect.stringMatching(/^\| CLUSTER +\| NODE GROUP +\| OUTCOME +\| REASON +\|$/),
      expect.stringMatching(/^\+-+/),
    ]);
    expect(table).toMatch(/\| eks-workshop +\| new_nodegroup_2 +\| DRY_RUN +\| Dry run: would add route 0\.0\.0\.0\/0 -> nat-1 to rtb-1, then replace instance\(s\) i-1 +\|/);
    expect(table).toMatch(/\| payments +\| spot +\| UNRESOLVED +\| Nothing is changed while these blockers stand: SHARED_ROUTE_TABLE on rtb-9 +\|/);
    expect(text).toContain('  Next steps:\n    → SHARED_ROUTE_TABLE: let the remediator write it: --allow-shared-route-tables.');
  });

  it('prints no summary table for a single node group', () => {
    expect(formatReports([fleet[0]!], { ...multi, allClusters: false, nodegroupName: 'default' })).not.toContain('Summary:');
  });

  it('--output text: one tab-separated REPORT line per node group, NEXT lines for its next steps', () => {
    // Act
    const lines = formatReports(fleet, { ...multi, output: 'text' }).trimEnd().split('\n');

    // Assess
    expect(lines).toEqual([
      'REPORT\teks-workshop\tdefault\tus-west-2\tHEALTHY\tEvery judged instance of the node group is registered as a node.',
      expect.stringMatching(/^REPORT\teks-workshop\tnew_nodegroup_2\tus-west-2\tDRY_RUN\tDry run: /),
      expect.stringMatching(/^REPORT\tpayments\tspot\tus-west-2\tUNRESOLVED\t/),
      'NEXT\tpayments\tspot\tSHARED_ROUTE_TABLE: let the remediator write it: --allow-shared-route-tables.',
    ]);
  });

  it('--output table: only the summary table', () => {
    expect(formatReports(fleet, { ...multi, output: 'table' })).toMatch(/^Summary: 3 node group\(s\)/);
  });

  it('--output json: { reports } for several, the report itself for one --nodegroup', () => {
    expect(JSON.parse(formatReports(fleet, { ...multi, output: 'json' }))).toEqual({ reports: fleet });
    expect(JSON.parse(formatReports([fleet[0]!], { ...multi, output: 'json', nodegroupName: 'default' }))).toEqual(fleet[0]);
  });
});
