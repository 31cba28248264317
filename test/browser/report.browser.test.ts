/**
 * The HTML report in a real browser: Debian's Chromium driven by playwright-core (a test tool's own
 * browser download does not work here; `.ci/run` installs Chromium with apt when it is absent).
 * Opens the report of a legacy lesson and checks what a learner needs: the violation shown and
 * highlighted, the replicas' high watermark and ISR changing under the slider, no console errors,
 * and that a hostile record value stays text. Saves a screenshot and the page's opening time to
 * test/browser/output/ (gitignored): timings are measured and reported, never asserted.
 *
 * Without /usr/bin/chromium these tests are skipped, and say so.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { renderHtmlReport } from '../../sim/report/html/document.js';
import { recordRun } from '../../sim/report/html/recorder.js';
import type { RecordedRun } from '../../sim/report/html/recordedRun.js';
import { loadScenario } from '../../sim/scenario/load.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];
const OUTPUT = join(import.meta.dirname, 'output');
const LESSON = 'kafka-legacy-truncate-to-hw';
const HOSTILE = '<img src=x onerror="window.pwned=1">';

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(`browser tests skipped: no Chromium at ${CHROMIUM} (install it with \`apt-get install -y chromium\`; .ci/run does).`);
}

describe.skipIf(!haveChromium)('the HTML report in Chromium', () => {
  let browser: Browser;
  let run: RecordedRun;
  /** The lesson's report, opened once for the tests that only look and move the slider. */
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    mkdirSync(OUTPUT, { recursive: true });
    run = recordRun(loadScenario(LESSON, process.cwd()).scenario, 1, `npx ksim run ${LESSON} --seed 1`).recording;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await open(run, 'lesson');
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function open(recording: RecordedRun, name: string): Promise<Page> {
    const file = join(OUTPUT, `${name}.html`);
    writeFileSync(file, renderHtmlReport(recording));
    const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') errors.push(`${name}: ${message.text()}`);
    });
    page.on('pageerror', (error) => errors.push(`${name}: ${error.message}`));
    page.on('request', (request) => {
      if (!request.url().startsWith('file:')) errors.push(`${name}: the page asked for ${request.url()}`);
    });
    await page.goto(`file://${file}`);
    await page.waitForSelector('body[data-ready="1"]');
    return page;
  }

  test('shows the violation, highlighted, at its moment, with its contract row', async () => {
    const violation = page.getByTestId('violation').first();
    await expect(violation.textContent()).resolves.toContain('LeaderHoldsCommitted/committed-data-lost');
    await expect(violation.getAttribute('class')).resolves.toContain('selected');
    await expect(page.getByTestId('contract-row').first().textContent()).resolves.toContain('committed-data-lost is never allowed');
    await expect(page.getByTestId('violation-line').count()).resolves.toBe(1);
    // The record the verdict names is marked where a replica lacks it.
    await expect(page.locator('[data-partition="events-0"] tr[data-replica="b3"] .record.missing').count()).resolves.toBe(1);
    await expect(page.getByTestId('time').textContent()).resolves.toBe(`${(run.focus.violationAtMs! / 1000).toFixed(3)} s`);
    const readyMs = await page.evaluate(() => (globalThis as unknown as { ksimReadyMs: number }).ksimReadyMs);
    writeFileSync(join(OUTPUT, 'timings.json'), `${JSON.stringify({ report: LESSON, readyMs }, null, 2)}\n`);
    console.log(`the ${LESSON} report was ready ${readyMs} ms after navigation began`);
    await page.screenshot({ path: join(OUTPUT, 'lesson.png') });
  });

  test('moving the slider changes the replicas\' high watermark and ISR', async () => {
    const facts = page.locator('[data-partition="events-0"] [data-testid="isr"]');
    const highWatermarks = page.locator('[data-partition="events-0"] [data-testid="hw"]');
    const atViolation = { isr: await facts.textContent(), hw: await highWatermarks.allTextContents() };
    await page.getByTestId('slider').evaluate((slider: { value: string; dispatchEvent(event: Event): boolean }) => {
      slider.value = '6000';
      slider.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await expect(page.getByTestId('time').textContent()).resolves.toBe('6.000 s');
    const early = { isr: await facts.textContent(), hw: await highWatermarks.allTextContents() };
    expect(early.isr).not.toBe(atViolation.isr);
    expect(early.hw).not.toEqual(atViolation.hw);
    expect(early.isr).toMatch(/ISR \[b\d, b\d, b\d\]/);
  });

  test('zooms, and opens the whole run', async () => {
    const label = page.locator('.window-label');
    const around = await label.textContent();
    await page.getByTestId('zoom-all').click();
    await expect(label.textContent()).resolves.toContain(`showing 0.000 s – ${(run.endMs / 1000).toFixed(3)} s`);
    await page.getByTestId('zoom-violation').click();
    await expect(label.textContent()).resolves.toBe(around);
  });

  test('shows a hostile record value as text, and runs nothing from it', async () => {
    const hostile: RecordedRun = structuredClone(run);
    hostile.scenario.description = HOSTILE;
    hostile.narration.unshift([0, 'info', HOSTILE]);
    hostile.outcome.violations[0]!.message = HOSTILE;
    for (const partition of hostile.partitions) {
      for (const event of partition.events) if (event[2] === 'a' && Array.isArray(event[6])) event[6] = (event[6] as string[]).map(() => HOSTILE);
    }
    const hostilePage = await open(hostile, 'hostile');
    await expect(hostilePage.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned)).resolves.toBeUndefined();
    await expect(hostilePage.locator('img').count()).resolves.toBe(0);
    await expect(hostilePage.getByTestId('violation').first().textContent()).resolves.toContain(HOSTILE);
    await hostilePage.close();
  });

  // Minutes of simulation: run on demand (KSIM_BROWSER_LARGE=1), for the figures in docs/decisions.md.
  test.skipIf(process.env['KSIM_BROWSER_LARGE'] !== '1')('a 10-minute kafka-swarm report stays under 5 MB, and its opening time is recorded', async () => {
    const scenario = loadScenario('kafka-swarm', process.cwd()).scenario;
    const large = recordRun({ ...scenario, durationMs: 600_000 }, 3, 'npx ksim run kafka-swarm --seed 3').recording;
    const bytes = Buffer.byteLength(renderHtmlReport(large));
    const largePage = await open(large, 'kafka-swarm-10min');
    const readyMs = await largePage.evaluate(() => (globalThis as unknown as { ksimReadyMs: number }).ksimReadyMs);
    writeFileSync(join(OUTPUT, 'timings-kafka-swarm-10min.json'), `${JSON.stringify({ report: 'kafka-swarm 10 min, seed 3', bytes, readyMs }, null, 2)}\n`);
    console.log(`the 10-minute kafka-swarm report is ${(bytes / 1_000_000).toFixed(2)} MB, ready ${readyMs} ms after navigation began`);
    expect(bytes).toBeLessThan(5_000_000);
    await largePage.close();
  });

  test('logs no console error or warning, and asks for nothing over the network', () => {
    expect(errors).toEqual([]);
  });
});
