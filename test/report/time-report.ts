/**
 * Times `shadowgate report shadow` on a large synthetic run (not a test):
 *   node dist/test/report/time-report.js [prompts=500000] [db=/tmp/shadowgate-1m.db]
 * Fills the db once (prompts x 2 arms, plus no replica so the request count is exact), then
 * builds the report model and renders all three formats, printing the timings.
 */
import { existsSync } from 'node:fs';
import { renderHtml } from '../../src/report/render-html.js';
import { renderJson } from '../../src/report/render-json.js';
import { renderMarkdown } from '../../src/report/render-markdown.js';
import { buildShadowReport } from '../../src/report/shadow-model.js';
import { openStore } from '../../src/store/open-store.js';
import { writeSyntheticRun } from './synthetic-run.js';

const prompts = Number(process.argv[2] ?? 500_000);
const path = process.argv[3] ?? '/tmp/shadowgate-1m.db';
const runId = `r-synthetic-${prompts}`;

if (!existsSync(path)) {
  const t = performance.now();
  const db = openStore(path);
  writeSyntheticRun(db, { runId, prompts, replicaShare: 0 });
  db.close();
  console.log(`filled ${prompts * 2} requests in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

const t0 = performance.now();
const db = openStore(path, { readonly: true });
const report = buildShadowReport(db, { runId, generatedAt: new Date().toISOString() });
db.close();
const t1 = performance.now();
const sizes = [renderMarkdown(report).length, renderHtml(report).length, renderJson(report).length];
const t2 = performance.now();
console.log(
  `requests ${report.arms.baseline!.requests + report.arms.candidate!.requests}: model ${((t1 - t0) / 1000).toFixed(2)} s, ` +
    `render ${((t2 - t1) / 1000).toFixed(2)} s (md ${sizes[0]} B, html ${sizes[1]} B, json ${sizes[2]} B), ` +
    `heap ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB, rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`,
);
