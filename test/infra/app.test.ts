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
    stack = buildRemediatorApp(app, {});
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
    const stack = buildRemediatorApp(app, {});
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
  it('synthesizes offline from a clean checkout with the deploy guide\'s context', () => {
    // Prepare
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'remediator-cdk-cli-'));
    try {
      // Act
      const result = spawnSync(
        process.execPath,
        [path.join(REPO_ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk'), 'synth', '--quiet', '--output', outdir,
          '-c', 'clusterNames=eks-workshop', '-c', 'dryRun=true'],
        { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, CDK_DISABLE_VERSION_CHECK: 'true' } },
      );

      // Assess
      expect(result.stderr).not.toMatch(/error/i);
      expect(result.status).toBe(0);
      const template = JSON.parse(fs.readFileSync(path.join(outdir, 'EksNodeJoinRemediator.template.json'), 'utf8'));
      const types = Object.values<{ Type: string }>(template.Resources).map((r) => r.Type);
      expect(types).toEqual(expect.arrayContaining(['AWS::Lambda::Function', 'AWS::Events::Rule', 'AWS::EKS::AccessEntry']));
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  }, 120_000);
});
