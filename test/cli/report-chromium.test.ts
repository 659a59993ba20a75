import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main.js';

/**
 * The HTML report in a real browser: the system's Chromium (Debian package `chromium`), driven by
 * playwright-core through executablePath. Offline: any request but the file itself fails the test.
 * Saves a screenshot to test-artifacts/report.png. Skipped, saying why, where Chromium is absent.
 */
const CHROMIUM = '/usr/bin/chromium';
const present = existsSync(CHROMIUM);
if (!present) console.log(`report-chromium: skipped, ${CHROMIUM} not found (apt-get install -y chromium)`);

describe.skipIf(!present)('the HTML report in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'apf-lab-chromium-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads offline with no console error and no request, shows every chart, and is screenshotted', async () => {
    const file = join(dir, 'report.html');
    const { chromium } = await import('playwright-core');
    // The browser starts while the report is generated (in-process: the binary is end-to-end tested in report.test.ts).
    const launched = chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    let err = '';
    const code = await runCli(['report', 'x86', '-s', 'test/fixtures/report-short.yaml', '--out', file], { out: () => {}, err: (t) => void (err += t) });
    const browser = await launched;
    expect(code, err).toBe(0);
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      const url = pathToFileURL(file).href;
      page.on('request', (req) => {
        if (req.url() !== url) problems.push(`request: ${req.url()}`);
      });
      await page.goto(url);
      for (const id of ['chart-time', 'chart-latency', 'chart-work']) {
        const chart = page.locator(`svg#${id}`);
        await expect(chart.isVisible()).resolves.toBe(true);
        const box = await chart.boundingBox();
        expect(box!.width).toBeGreaterThan(300);
        const marks = await chart.locator(id === 'chart-time' ? 'rect' : 'path').count();
        expect(marks, id).toBeGreaterThan(0);
        const labels = await chart.locator('text.axis-label').allTextContents();
        expect(labels.filter((t) => t.trim().length > 0)).toHaveLength(2);
      }
      expect(await page.locator('svg.sequence').count()).toBe(2); // x86 and its baseline
      mkdirSync('test-artifacts', { recursive: true });
      await page.screenshot({ path: 'test-artifacts/report.png', fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
