/**
 * The real app: context → stack → cdk-nag plugins → esbuild bundle, as `npx cdk synth` runs it.
 * The only infra test that bundles (a few seconds); the others use inline code.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { App } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { buildRemediatorApp } from '../../lib/app';
import { arnsIn, literalEnvironmentFields } from './support/arns';
import type { NodeJoinRemediatorStack } from '../../lib/node-join-remediator-stack';

const REPO_ROOT = path.join(__dirname, '..', '..');

describe('buildRemediatorApp', () => {
  // Prepare: synth once into a temporary cloud assembly, with the context of the deploy guide.
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'remediator-synth-'));
  let app: App;
  let stack: ReturnType<typeof buildRemediatorApp>;
  let assembly: ReturnType<App['synth']>;

  beforeAll(() => {
    app = new App({ outdir, context: { clusterNames: 'eks-workshop', dryRun: 'true' } });
    // Act: esbuild runs while the function is built; cdk-nag runs in synth and throws on any unacknowledged finding.
    stack = buildRemediatorApp(app);
    assembly = app.synth();
  });
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  it('synthesizes one environment-agnostic stack named after the default', () => {
    expect(assembly.stacks.map((s) => s.stackName)).toEqual(['EksNodeJoinRemediator']);
    expect(stack.resolve(stack.region)).toEqual({ Ref: 'AWS::Region' });
  });

  it('ran both cdk-nag packs and recorded no violation', () => {
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports).toEqual([]);
  });

  it('applies the context to the template (dry run, allow-list, access entry)', () => {
    const template = assembly.stacks[0].template;
    const resources = Object.values<{ Type: string; Properties: Record<string, any> }>(template.Resources);
    const fn = resources.find((r) => r.Type === 'AWS::Lambda::Function');
    expect(fn?.Properties.Environment.Variables).toMatchObject({ DRY_RUN: 'true', CLUSTER_NAMES: 'eks-workshop' });
    expect(resources.filter((r) => r.Type === 'AWS::EKS::AccessEntry').map((r) => r.Properties.ClusterName)).toEqual(['eks-workshop']);
  });

  it('bundles lambda/handler.ts into one minified ESM file with the SDK inside', () => {
    // Prepare: the function's asset directory in the cloud assembly.
    const template = assembly.stacks[0].template;
    const fn = Object.values<{ Type: string; Properties: Record<string, any> }>(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function');
    const assetHash = String(fn?.Properties.Code.S3Key).replace(/\.zip$/, '');
    const assetDir = path.join(outdir, `asset.${assetHash}`);
    // Act
    const files = fs.readdirSync(assetDir);
    const bundle = fs.readFileSync(path.join(assetDir, 'index.mjs'), 'utf8');
    // Assess: one module, ESM, require shim present, no bare import left for the runtime to resolve.
    expect(files).toEqual(['index.mjs']);
    expect(bundle).toContain('createRequire(import.meta.url)');
    expect(bundle).toMatch(/export\s*\{/);
    const staticImports = [...bundle.matchAll(/(?:^|[;\s])import\s*(?:[\w${}\s,*]+from\s*)?["']([^"']+)["']/g)].map((m) => m[1]);
    const dynamicImports = [...bundle.matchAll(/\bimport\(\s*["']([^"']+)["']/g)].map((m) => m[1]);
    const bareImports = [...staticImports, ...dynamicImports];
    expect(bareImports.filter((specifier) => !specifier.startsWith('node:') && !['module'].includes(specifier) && !isNodeBuiltin(specifier))).toEqual([]);
    // Minified: esbuild's unminified output marks every module with a `// node_modules/...` or `// lambda/...` comment.
    expect(/^\/\/ (node_modules|lambda)\//m.test(bundle)).toBe(false);
    expect(bundle).toContain('RemediationOutcome');
    // Only the environment credential provider (Lambda's credentials): none of the default chain's others.
    expect(bundle).toContain('AWS_SESSION_TOKEN');
    for (const marker of ['sso_start_url', 'credential_process', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_FULL_URI']) {
      expect(bundle.includes(marker)).toBe(false);
    }
    // Loadable as Lambda loads it: an ES module exporting `handler` (index.handler).
    const load = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', `const m = await import(${JSON.stringify(pathToFileURL(path.join(assetDir, 'index.mjs')).href)}); process.stdout.write(typeof m.handler);`],
      { encoding: 'utf8', env: { PATH: process.env.PATH, AWS_REGION: 'us-west-2' }, timeout: 30_000 },
    );
    expect(load.stdout).toBe('function');
  });
});

describe('buildRemediatorApp registers the cdk-nag packs', () => {
  it('fails synthesis on an unacknowledged finding', () => {
    // Prepare: skip bundling (CDK's own switch, as `cdk ls` uses) and add a wildcard grant nobody acknowledged.
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'remediator-nag-'));
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = buildRemediatorApp(app) as NodeJoinRemediatorStack;
    new iam.Policy(stack, 'Unreviewed', {
      roles: [stack.remediator.role],
      statements: [new iam.PolicyStatement({ actions: ['ec2:DescribeImages'], resources: ['*'] })],
    });
    // Act / Assess
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Resource::\*\]/);
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    const violations = report.pluginReports.flatMap((plugin: { violations: { ruleName: string }[] }) => plugin.violations.map((v) => v.ruleName));
    expect(violations).toEqual(['AwsSolutions-IAM5[Resource::*]']);
    fs.rmSync(outdir, { recursive: true, force: true });
  });
});

function isNodeBuiltin(specifier: string): boolean {
  return (require('module') as typeof import('module')).builtinModules.includes(specifier);
}

describe('bin/app.ts', () => {
  it('fails with one clear line and exit status 1 on bad context, before bundling', () => {
    // Act: as the CDK CLI runs it (context in CDK_CONTEXT_JSON).
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'remediator-bin-'));
    const result = spawnSync(process.execPath, [path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(REPO_ROOT, 'bin', 'app.ts')], {
      cwd: REPO_ROOT,
      env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify({ dryRun: 'maybe' }) },
      encoding: 'utf8',
      timeout: 60_000,
    });
    fs.rmSync(outdir, { recursive: true, force: true });
    // Assess
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe('eks-node-join-remediator: invalid configuration: dryRun must be "true" or "false", got "maybe"');
  });
});

describe('npx cdk synth (the CLI a platform team runs)', () => {
  // Prepare: the CLI sets CDK_DEFAULT_REGION / CDK_DEFAULT_ACCOUNT from the caller's configuration
  // (us-east-1 when none); here a configured region and an account the app must not bake in.
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'remediator-cdk-cli-'));
  const cliEnvironment = { AWS_REGION: 'eu-central-1', AWS_DEFAULT_REGION: 'eu-central-1', CDK_DEFAULT_ACCOUNT: '111122223333' };
  let result: ReturnType<typeof spawnSync>;
  let template: { Resources: Record<string, { Type: string }> };

  beforeAll(() => {
    // Act
    result = spawnSync(
      process.execPath,
      [path.join(REPO_ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk'), 'synth', '--quiet', '--output', outdir,
        '-c', 'clusterNames=eks-workshop', '-c', 'dryRun=true', '-c', 'routeTableVpcIds=vpc-0123456789abcdef0'],
      { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...cliEnvironment, CDK_DISABLE_VERSION_CHECK: 'true' } },
    );
    if (result.status === 0) template = JSON.parse(fs.readFileSync(path.join(outdir, 'EksNodeJoinRemediator.template.json'), 'utf8'));
  }, 120_000);
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  it('synthesizes offline from a clean checkout with the deploy guide\'s context', () => {
    expect(String(result.stderr)).not.toMatch(/error/i);
    expect(result.status).toBe(0);
    const types = Object.values(template.Resources).map((r) => r.Type);
    expect(types).toEqual(expect.arrayContaining(['AWS::Lambda::Function', 'AWS::Events::Rule', 'AWS::EKS::AccessEntry', 'AWS::DynamoDB::Table']));
  });

  it('is region-neutral: no literal region or account in any ARN (they are ${AWS::Region} / ${AWS::AccountId})', () => {
    // Act
    const arns = arnsIn(template);
    // Assess: the scan sees the scoped ARNs, and none carries the CLI's region or account.
    expect(arns.some((arn) => arn.includes(':eks:<AWS::Region>:<AWS::AccountId>:cluster/eks-workshop'))).toBe(true);
    expect(arns.flatMap(literalEnvironmentFields)).toEqual([]);
    // Anywhere in resources and outputs (CDK's own CDKMetadataAvailable condition lists every region by name).
    const text = JSON.stringify({ resources: template.Resources, outputs: (template as { Outputs?: unknown }).Outputs });
    expect(text.includes(cliEnvironment.AWS_REGION)).toBe(false);
    expect(text.includes(cliEnvironment.CDK_DEFAULT_ACCOUNT)).toBe(false);
  });

  it('the ARN check can fail: it finds a literal region and account', () => {
    expect(literalEnvironmentFields('arn:<AWS::Partition>:eks:us-east-1:123456789012:cluster/x')).toEqual([
      'region "us-east-1" in arn:<AWS::Partition>:eks:us-east-1:123456789012:cluster/x',
      'account "123456789012" in arn:<AWS::Partition>:eks:us-east-1:123456789012:cluster/x',
    ]);
    expect(literalEnvironmentFields('arn:<AWS::Partition>:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy')).toEqual([]);
  });
});

describe('buildRemediatorApp environment', () => {
  it('pins account and region only from explicit -c account= / -c region=', () => {
    // Prepare / Act: bundling skipped (CDK's own switch); the CLI's variables present but ignored.
    const previous = { region: process.env.CDK_DEFAULT_REGION, account: process.env.CDK_DEFAULT_ACCOUNT };
    process.env.CDK_DEFAULT_REGION = 'us-east-1';
    process.env.CDK_DEFAULT_ACCOUNT = '111122223333';
    try {
      const neutral = buildRemediatorApp(new App({ context: { 'aws:cdk:bundling-stacks': [] } }));
      const pinned = buildRemediatorApp(new App({ context: { 'aws:cdk:bundling-stacks': [], account: '123456789012', region: 'eu-west-1' } }));
      // Assess
      expect(neutral.resolve(neutral.region)).toEqual({ Ref: 'AWS::Region' });
      expect(neutral.resolve(neutral.account)).toEqual({ Ref: 'AWS::AccountId' });
      expect([pinned.account, pinned.region]).toEqual(['123456789012', 'eu-west-1']);
    } finally {
      if (previous.region === undefined) delete process.env.CDK_DEFAULT_REGION;
      else process.env.CDK_DEFAULT_REGION = previous.region;
      if (previous.account === undefined) delete process.env.CDK_DEFAULT_ACCOUNT;
      else process.env.CDK_DEFAULT_ACCOUNT = previous.account;
    }
  });
});
