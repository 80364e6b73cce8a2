/**
 * Measures the Lambda bundle: bytes (raw and gzip) and cold module load time, for the deployed
 * settings (ESM, minified, tree-shaken, AWS SDK bundled) against a CommonJS, unminified build of
 * the same entry. Each load is a fresh `node` process, so every import is a cold start of the module.
 *
 *   npx tsx scripts/measure-bundle.ts [--entry lambda/handler.ts] [--runs 15] [--json]
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { gzipSync } from 'zlib';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { BUNDLE_ALIASES, BUNDLING_TARGET, ESM_REQUIRE_SHIM, HANDLER_ENTRY, MAIN_FIELDS, REPO_ROOT } from '../lib/bundling';

interface Options {
  entry: string;
  runs: number;
  json: boolean;
}

interface VariantResult {
  variant: string;
  bytes: number;
  gzipBytes: number;
  loadMs: { median: number; p90: number; min: number };
  largestPackages: { name: string; bytes: number }[];
}

class UsageError extends Error {
  override readonly name = 'UsageError';
}

const VARIANTS: { name: string; file: string; options: BuildOptions }[] = [
  {
    name: 'deployed: esm + minify + tree-shaking',
    file: 'index.mjs',
    options: { format: 'esm', minify: true, mainFields: MAIN_FIELDS, banner: { js: ESM_REQUIRE_SHIM }, alias: { ...BUNDLE_ALIASES } },
  },
  {
    name: 'deployed, with the full default credential chain (before the alias)',
    file: 'index-full-chain.mjs',
    options: { format: 'esm', minify: true, mainFields: MAIN_FIELDS, banner: { js: ESM_REQUIRE_SHIM } },
  },
  {
    name: 'baseline: cjs, not minified',
    file: 'index.cjs',
    options: { format: 'cjs', minify: false },
  },
];

function parseArgs(argv: string[]): Options {
  const options: Options = { entry: HANDLER_ENTRY, runs: 15, json: false };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    if (flag === '--json') options.json = true;
    else if (flag === '--entry' && argv[i + 1]) options.entry = path.resolve(argv[++i]);
    else if (flag === '--runs' && /^\d+$/.test(argv[i + 1] ?? '') && Number(argv[i + 1]) > 0) options.runs = Number(argv[++i]);
    else throw new UsageError(`unknown or incomplete argument "${flag}"; usage: measure-bundle [--entry FILE] [--runs N] [--json]`);
  }
  if (!fs.existsSync(options.entry)) throw new UsageError(`entry not found: ${options.entry}`);
  return options;
}

/** Percentile of sorted numbers (nearest rank). */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Output bytes per npm package (the part of the path after the last node_modules/). */
function largestPackages(metafile: Metafile, top: number): { name: string; bytes: number }[] {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input.slice(input.lastIndexOf('node_modules/')));
      const name = match ? match[1] : '(project source)';
      totals.set(name, (totals.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...totals.entries()]
    .map(([name, bytes]) => ({ name, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, top);
}

/** Time of `await import(file)` in a fresh node process, in ms. */
function loadOnce(file: string): number {
  const script = `const t=performance.now();await import(${JSON.stringify(pathToFileURL(file).href)});process.stdout.write(String(performance.now()-t));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    // A Lambda-like environment; no credentials are needed to load the module.
    env: { PATH: process.env.PATH, AWS_REGION: 'us-west-2', AWS_LAMBDA_FUNCTION_NAME: 'measure-bundle', NODE_ENV: 'production' },
  });
  if (result.status !== 0) throw new Error(`loading ${file} failed: ${result.stderr.trim()}`);
  return Number(result.stdout);
}

async function measureVariant(entry: string, outdir: string, variant: (typeof VARIANTS)[number], runs: number): Promise<VariantResult> {
  const outfile = path.join(outdir, variant.file);
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: BUNDLING_TARGET,
    external: [],
    metafile: true,
    logLevel: 'warning',
    absWorkingDir: REPO_ROOT,
    // Lets an --entry outside the repository resolve the repository's packages.
    nodePaths: [path.join(REPO_ROOT, 'node_modules')],
    ...variant.options,
  });
  const code = fs.readFileSync(outfile);
  const samples = Array.from({ length: runs }, () => loadOnce(outfile)).sort((a, b) => a - b);
  return {
    variant: variant.name,
    bytes: code.length,
    gzipBytes: gzipSync(code, { level: 9 }).length,
    loadMs: { median: percentile(samples, 50), p90: percentile(samples, 90), min: samples[0] },
    largestPackages: result.metafile ? largestPackages(result.metafile, 5) : [],
  };
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
const ms = (value: number): string => `${value.toFixed(1)} ms`;

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'measure-bundle-'));
  try {
    const results: VariantResult[] = [];
    for (const variant of VARIANTS) results.push(await measureVariant(options.entry, outdir, variant, options.runs));
    if (options.json) {
      console.log(JSON.stringify({ entry: path.relative(REPO_ROOT, options.entry), node: process.version, runs: options.runs, results }, null, 2));
      return;
    }
    console.log(`entry ${path.relative(REPO_ROOT, options.entry)}, node ${process.version}, ${options.runs} cold loads per variant`);
    for (const r of results) {
      console.log(`\n${r.variant}`);
      console.log(`  size  ${kib(r.bytes)} (gzip ${kib(r.gzipBytes)})`);
      console.log(`  load  median ${ms(r.loadMs.median)}, p90 ${ms(r.loadMs.p90)}, min ${ms(r.loadMs.min)}`);
      console.log(`  top   ${r.largestPackages.map((p) => `${p.name} ${kib(p.bytes)}`).join(', ')}`);
    }
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`measure-bundle: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
