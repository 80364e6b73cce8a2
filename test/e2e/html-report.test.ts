/**
 * `--html FILE` as a person sees it: the CLI runs against the emulator (seed scenario, dry run,
 * every cluster), and the page it writes is opened in a real headless Chromium (Debian's
 * /usr/bin/chromium, installed by .ci/run) through playwright-core. The page must stand alone:
 * no request leaves it, no script error, and it shows the node groups, their outcomes, the
 * findings with evidence and the actions on a timeline.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { startHarness, type Harness } from '../../emulator/harness';
import { PROJECT_ROOT, run } from './support/processes';

const CHROMIUM = '/usr/bin/chromium';
const chromiumPresent = existsSync(CHROMIUM);
if (!chromiumPresent) {
  // eslint-disable-next-line no-console
  console.log(`HTML report browser test skipped: ${CHROMIUM} is not installed (.ci/run installs Debian's chromium)`);
}

(chromiumPresent ? describe : describe.skip)('the --html report in headless Chromium', () => {
  let harness: Harness;
  let workdir: string;
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    harness = await startHarness({ scenario: 'seed' });
    workdir = mkdtempSync(path.join(tmpdir(), 'html-report-'));
  });
  afterAll(async () => {
    await context?.close();
    await harness?.close();
    rmSync(workdir, { recursive: true, force: true });
  });

  it('shows node groups, outcomes, findings with evidence, and a timeline, with nothing loaded from elsewhere', async () => {
    // Prepare: the fleet run, dry run, with the page written beside it.
    const file = path.join(workdir, 'report.html');
    const cli = await run(
      'npm',
      ['run', '--silent', '--prefix', PROJECT_ROOT, 'remediate', '--', '--all-clusters', '--dry-run', '--html', file],
      { ...harness.cliEnv('remediator'), POLL_SECONDS: '1' },
      90_000,
    );
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain(`HTML report written to ${file}`);

    context = await chromium.launchPersistentContext(path.join(workdir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const page = await context.newPage();
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });

    // Act
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    const title = await page.title();
    const rows = await page.$$eval('#summary tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim() ?? '')));
    const identity = await page.textContent('#identity');
    const finding = page.locator('section[data-outcome="DRY_RUN"] li.finding[data-code="NO_DEFAULT_ROUTE"]');
    const findingText = await finding.innerText();
    const evidenceKeys = await finding.locator('dl.evidence dt').allInnerTexts();
    const actions = await page.locator('section[data-outcome="DRY_RUN"] ol.actions li').allInnerTexts();
    const timeline = await page.locator('#timeline li').allInnerTexts();
    const badgeColour = await page.locator('#summary .badge[data-outcome="HEALTHY"]').evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(el).backgroundColor);
    const visible = await page.locator('section[data-outcome="DRY_RUN"] h2').isVisible();

    // Assess
    expect(title).toMatch(/^eks-node-join-remediator report — us-west-2 — /);
    expect(identity).toContain('account 123456789012');
    expect(identity).toMatch(/endpoint http:\/\/127\.0\.0\.1:\d+/);
    expect(identity).toContain('dry run');
    expect(rows.map(([cluster, nodegroup, outcome]) => [cluster, nodegroup, outcome]).sort()).toEqual([
      ['eks-workshop', 'default', 'HEALTHY'],
      ['eks-workshop', 'new_nodegroup_2', 'DRY_RUN'],
    ]);
    expect(findingText).toContain('has no 0.0.0.0/0 route');
    expect(findingText).toMatch(/NAT gateways considered:\s+nat-[0-9a-f]+ \(us-west-2a\): usable/);
    expect(evidenceKeys).toEqual(expect.arrayContaining(['routeTableId', 'routes']));
    expect(actions[0]).toMatch(/^planned add route 0\.0\.0\.0\/0 -> nat-[0-9a-f]+ to rtb-/);
    expect(timeline[0]).toMatch(/run started \(dry run\)$/);
    expect(timeline.some((line) => /eks-workshop\/new_nodegroup_2 CREATE_ROUTE rtb-[0-9a-f]+: planned/.test(line))).toBe(true);
    expect(timeline.at(-1)).toMatch(/eks-workshop\/new_nodegroup_2 DRY_RUN: Dry run: would add route/);
    expect(badgeColour).toBe('rgb(27, 127, 59)');
    expect(visible).toBe(true);
    expect(requests.filter((url) => !url.startsWith('file://'))).toEqual([]);
    expect(errors).toEqual([]);
  }, 120_000);
});
