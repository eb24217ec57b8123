/**
 * The report's one ordered pass over a SQLite run (sqliteRequestStats) gives
 * what the reference reads give (scanRequests and the paired join), and the
 * canonical order makes the report independent of the order rows were
 * written in: the same run written backwards gives the same bytes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pairedStats } from '../../src/report/paired-stats.js';
import { renderJson } from '../../src/report/render-json.js';
import {
  pairedCapacities,
  sqliteRequestStats,
  sqliteRequestStatsInParallel,
} from '../../src/report/request-pass.js';
import { buildShadowReport } from '../../src/report/shadow-model.js';
import { openStore } from '../../src/store/open-store.js';
import { requestsInPromptOrder, scanRequests } from '../../src/store/request-scan.js';
import { writeFixture } from './fixture-db.js';
import { writeSyntheticRun } from './synthetic-run.js';

const OPTIONS = { generatedAt: '2026-01-06T00:00:00.000Z', bootstrapResamples: 200 };

describe('the report pass over a SQLite run', () => {
  let dir: string;
  const inOrder = () => join(dir, 'in-order.db');
  const backwards = () => join(dir, 'backwards.db');

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'shadowgate-request-pass-'));
    const db = openStore(inOrder());
    writeFixture(db, { runId: 'r-fixture' });
    // More pairs than the bootstrap's 4000-pair subsample, so the order reaches the interval bounds.
    writeSyntheticRun(db, { runId: 'r-synthetic', prompts: 5000, seed: 9 });
    db.close();
    // The same runs, every table's rows written in the reverse order: what a resumed or sharded
    // run, or a copy back from PostgreSQL, can look like on disk.
    const copy = openStore(backwards());
    copy.exec(`ATTACH DATABASE '${inOrder()}' AS src`);
    for (const table of ['runs', 'prompts', 'requests', 'attempts', 'breaker_events'])
      copy.exec(`INSERT INTO main.${table} SELECT * FROM src.${table} ORDER BY rowid DESC`);
    copy.exec('DETACH DATABASE src');
    copy.close();
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const runId of ['r-fixture', 'r-synthetic'])
    it(`gives the scan and the paired figures of the reference reads (${runId})`, () => {
      const db = openStore(inOrder(), { readonly: true });
      try {
        const got = sqliteRequestStats(db, runId, 10);
        const scan = scanRequests(db, runId);
        assert.deepEqual(got.scan, scan);
        const { candidate, replica } = pairedCapacities(scan);
        assert.ok(replica !== null && replica > 0, 'the run has replica pairs');
        assert.deepEqual(got.paired, pairedStats(db, runId, 'candidate', candidate, 10));
        assert.deepEqual(got.replica, pairedStats(db, runId, 'baseline_replica', replica, 0));
        assert.ok(got.paired.outcomes.neitherFail > 0);
      } finally {
        db.close();
      }
    });

  for (const runId of ['r-fixture', 'r-synthetic'])
    it(`read by two threads, each half of the prompt ids, gives what one pass gives (${runId})`, async () => {
      const db = openStore(inOrder(), { readonly: true });
      try {
        const one = sqliteRequestStats(db, runId, 10);
        const two = await sqliteRequestStatsInParallel(db, runId, 10, 1);
        assert.deepEqual(two, one);
        // The split is real: the first half alone holds fewer pairs than the whole.
        assert.ok(one.paired.series.latencyMs.baseline.length > 1);
      } finally {
        db.close();
      }
    });

  it('a run under the threshold is read in one pass, and a missing run gives an empty scan either way', async () => {
    const db = openStore(inOrder(), { readonly: true });
    try {
      assert.deepEqual(
        await sqliteRequestStatsInParallel(db, 'r-synthetic', 10),
        sqliteRequestStats(db, 'r-synthetic', 10),
      );
      assert.deepEqual(
        await sqliteRequestStatsInParallel(db, 'r-none', 10, 1),
        sqliteRequestStats(db, 'r-none', 10),
      );
    } finally {
      db.close();
    }
  });

  it('streams a run by prompt_id, then arm', () => {
    const db = openStore(backwards(), { readonly: true });
    try {
      const keys = [...requestsInPromptOrder(db, 'r-synthetic')].map((r) => {
        const [arm] = JSON.parse(r[1]) as [string];
        return `${r[0]} ${arm}`;
      });
      assert.ok(keys.length > 10_000);
      assert.deepEqual(keys, [...keys].sort());
    } finally {
      db.close();
    }
  });

  it('a run written backwards gives the same report, bootstrap bounds included', () => {
    const report = (path: string, runId: string) => {
      const db = openStore(path, { readonly: true });
      try {
        return buildShadowReport(db, { ...OPTIONS, runId });
      } finally {
        db.close();
      }
    };
    for (const runId of ['r-fixture', 'r-synthetic']) {
      const a = report(inOrder(), runId);
      const b = report(backwards(), runId);
      assert.deepEqual(b, a, runId);
      assert.equal(renderJson(b), renderJson(a));
    }
    const synthetic = report(inOrder(), 'r-synthetic');
    assert.ok(synthetic.comparison.latency.p50Ratio.ci!.every(Number.isFinite), 'a real interval');
  });
});
