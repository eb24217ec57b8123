import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { renderHtml } from '../../src/report/render-html.js';
import { buildShadowReport } from '../../src/report/shadow-model.js';
import { chromiumMissing, launchChromium } from '../helpers/chromium.js';
import { fixtureDb, RUN_ID } from './fixture-db.js';

const CHARTS = [
  'latency-cdf',
  'latency-histogram',
  'errors-by-class',
  'cost-per-arm',
  'monthly-projection',
  'similarity',
];

describe('the HTML report in headless Chromium', { skip: chromiumMissing() }, () => {
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const requests: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'shadowgate-html-'));

  before(async () => {
    const db = fixtureDb();
    const report = buildShadowReport(db, { runId: RUN_ID, generatedAt: '2026-01-06T00:00:00.000Z' });
    db.close();
    const file = join(dir, 'report.html');
    writeFileSync(file, renderHtml(report));
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning')
        problems.push(`console ${msg.type()}: ${msg.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('request', (req) => {
      if (!req.url().startsWith('file:')) requests.push(req.url());
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  });

  after(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every chart draws marks of non-zero size', async () => {
    for (const chart of CHARTS) {
      const svg = page.locator(`svg[data-chart="${chart}"]`);
      assert.equal(await svg.count(), 1, `one ${chart} chart`);
      const box = await svg.boundingBox();
      assert.ok(box && box.width > 100 && box.height > 50, `${chart} has a size`);
      const marks = await svg.locator('path.series, rect.bar').evaluateAll((els) =>
        els.map((el) => {
          const r = (el as unknown as { getBBox(): { width: number; height: number } }).getBBox();
          return { width: r.width, height: r.height };
        }),
      );
      assert.ok(marks.length > 0, `${chart} has marks`);
      assert.ok(
        marks.some((m) => m.width > 0 && m.height > 0),
        `${chart} has a mark with area: ${JSON.stringify(marks.slice(0, 3))}`,
      );
    }
  });

  test('the hostile output did not run and reads as text', async () => {
    assert.equal(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned), undefined);
    assert.equal(await page.locator('img').count(), 0);
    // biome-ignore lint/performance/useDomNodeTextContent: the text as a reader sees it is what counts
    const text = await page.locator('table.divergent').innerText();
    assert.ok(text.includes('<script>window.__pwned=1</script>'), text);
    assert.ok(text.includes('<img src=x onerror="window.__pwned=2">'));
  });

  test('no console errors, no page errors, no network', () => {
    assert.deepEqual(problems, []);
    assert.deepEqual(requests, []);
  });
});
