/**
 * The shadow report read through a ReportSource: from a SQLite source it is
 * buildShadowReport's exactly; from PostgreSQL (the runs copied with db copy)
 * it renders to the same bytes, whatever order the heap
 * keeps: both stores read in the canonical order (by prompt_id). (An arm's
 * cost total may differ in its last bits: PostgreSQL adds a group's costs in
 * its own order.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { renderHtml } from '../../../src/report/render-html.js';
import { renderJson } from '../../../src/report/render-json.js';
import { renderMarkdown } from '../../../src/report/render-markdown.js';
import {
  openReportSource,
  type ReportSource,
  sqliteReportSource,
} from '../../../src/report/report-source.js';
import {
  type BuildShadowReportOptions,
  buildShadowReport,
  readShadowReport,
  resolveShadowRunId,
  resolveShadowRunIdFrom,
} from '../../../src/report/shadow-model.js';
import { parseDbLocation } from '../../../src/store/db-url.js';
import { openStore } from '../../../src/store/open-store.js';
import { copyRuns } from '../../../src/store/pg/copy-runs.js';
import { writeFixture } from '../../report/fixture-db.js';
import { writeSyntheticRun } from '../../report/synthetic-run.js';
import { createScratchDatabase, type ScratchDatabase } from './scratch-db.js';

const OPTIONS = { generatedAt: '2026-01-06T00:00:00.000Z', bootstrapResamples: 200 };

describe('the shadow report through a ReportSource', () => {
  let scratch: ScratchDatabase;
  let dir: string;
  const path = () => join(dir, 'runs.db');

  before(async () => {
    scratch = await createScratchDatabase();
    dir = mkdtempSync(join(tmpdir(), 'shadowgate-pg-report-'));
    const db = openStore(path());
    writeFixture(db, { runId: 'r-fixture' });
    writeSyntheticRun(db, { runId: 'r-synthetic', prompts: 2000, seed: 9 });
    db.close();
    await copyRuns({ from: parseDbLocation(path(), dir), to: parseDbLocation(scratch.url, dir) });
  });

  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await scratch.drop();
  });

  async function withSource<T>(url: string, fn: (s: ReportSource) => Promise<T>): Promise<T> {
    const source = await openReportSource(parseDbLocation(url, dir));
    try {
      return await fn(source);
    } finally {
      await source.close();
    }
  }

  async function bothWays(runId: string) {
    const options: BuildShadowReportOptions = { ...OPTIONS, runId };
    const db = openStore(path(), { readonly: true });
    const sync = buildShadowReport(db, options);
    const viaSqlite = await readShadowReport(sqliteReportSource(db), options);
    db.close();
    const viaPg = await withSource(scratch.url, (s) => readShadowReport(s, options));
    return { sync, viaSqlite, viaPg };
  }

  it('a small run: the SQLite source gives buildShadowReport, PostgreSQL renders the same bytes', async () => {
    const { sync, viaSqlite, viaPg } = await bothWays('r-fixture');
    assert.deepEqual(viaSqlite, sync);
    assert.equal(renderJson(viaPg), renderJson(sync));
    assert.equal(renderMarkdown(viaPg), renderMarkdown(sync));
    assert.equal(renderHtml(viaPg), renderHtml(sync));
    assert.ok(
      (sync.comparison.latency.p50Ratio.ci ?? [Number.NaN]).every(Number.isFinite),
      'a real interval',
    );
  });

  it('a larger run: the same report, bootstrap bounds included, though the heap keeps another order', async () => {
    const { sync, viaSqlite, viaPg } = await bothWays('r-synthetic');
    assert.deepEqual(viaSqlite, sync);
    // The rows of 2000 prompts no longer sit in the heap in the order db copy wrote them (PostgreSQL reuses
    // free space in earlier pages); both stores read in the canonical order (by prompt_id), so the paired
    // series, and the intervals the bootstrap draws from them, are the same (docs/store.md, "The report's reads").
    // Everything paired (the series the bootstrap resamples) is the same to the last bit; only an arm's
    // cost total may differ there, a sum of doubles in PostgreSQL's order, invisible at the report's digits.
    assert.deepEqual(viaPg.comparison, sync.comparison);
    assert.deepEqual(viaPg.metrics, sync.metrics);
    assert.deepEqual(viaPg.verdict, sync.verdict);
    assert.equal(renderJson(viaPg), renderJson(sync));
    assert.equal(renderMarkdown(viaPg), renderMarkdown(sync));
    assert.equal(renderHtml(viaPg), renderHtml(sync));
    assert.ok(sync.comparison.latency.p50Ratio.ci!.every(Number.isFinite), 'a real interval');
  });

  it('resolves --run the same way on both stores', async () => {
    const db = openStore(path(), { readonly: true });
    try {
      await withSource(scratch.url, async (pgSource) => {
        for (const requested of ['latest', 'r-fixture'])
          assert.equal(await resolveShadowRunIdFrom(pgSource, requested), resolveShadowRunId(db, requested));
        for (const requested of [undefined, 'r-nope']) {
          const sqliteError = (() => {
            try {
              resolveShadowRunId(db, requested);
            } catch (err) {
              return (err as Error).message;
            }
            return 'no error';
          })();
          await assert.rejects(resolveShadowRunIdFrom(pgSource, requested), { message: sqliteError });
        }
      });
    } finally {
      db.close();
    }
  });
});
