import { exitCodeFor, main, parseCli } from '../../lambda/cli';
import { ValidationError } from '../../lambda/errors';
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
    expect(options).toMatchObject({ clusterName: 'eks-workshop', nodegroupName: 'new_nodegroup_2', region: 'eu-west-1', json: true });
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
    [['--nodegroup', 'x'], /--cluster is required/],
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
  });
});
