import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { openStore } from '../../../src/store/open-store.js';
import { copyRuns } from '../../../src/store/pg/copy-runs.js';
import { openPgStore } from '../../../src/store/pg/open-pg-store.js';
import { pgScanRequests } from '../../../src/store/pg/pg-report-queries.js';
import { type RequestGroup, type RequestScan, scanRequests } from '../../../src/store/report-queries.js';
import { writeFixture } from '../../report/fixture-db.js';
import { writeSyntheticRun } from '../../report/synthetic-run.js';
import { createScratchDatabase, type ScratchDatabase } from './scratch-db.js';

const key = (g: RequestGroup) =>
  [g.arm, g.outcome, g.errorClass, g.httpStatus, g.requestedModel, g.responseModel].map(String).join('|');

/** The scan with its groups in key order and its timings sorted: what both stores must agree on exactly. */
function canonical(scan: RequestScan) {
  const groups = [...scan.groups].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const timings = [...scan.timings.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([arm, t]) => ({
      arm,
      latencyMs: [...t.latencyMs].sort((x, y) => x - y),
      serviceMs: [...t.serviceMs].sort((x, y) => x - y),
      ttftMs: [...t.ttftMs].sort((x, y) => x - y),
      tpotMs: [...t.tpotMs].sort((x, y) => x - y),
    }));
  return { groups, timings };
}

describe('the report scan on PostgreSQL', () => {
  let scratch: ScratchDatabase;
  let dir: string;
  let client: pg.Client;
  const sqlitePath = () => join(dir, 'runs.db');

  before(async () => {
    scratch = await createScratchDatabase();
    dir = mkdtempSync(join(tmpdir(), 'shadowgate-pg-scan-'));
    const db = openStore(sqlitePath());
    writeFixture(db, { runId: 'r-fixture' });
    writeSyntheticRun(db, { runId: 'r-synthetic', prompts: 3000, seed: 5 });
    db.close();
    await copyRuns({
      from: { kind: 'sqlite', path: sqlitePath() },
      to: { kind: 'postgres', url: scratch.url },
    });
    client = await openPgStore(scratch.url, { readonly: true });
  });
  after(async () => {
    await client.end();
    rmSync(dir, { recursive: true, force: true });
    await scratch.drop();
  });

  for (const runId of ['r-fixture', 'r-synthetic'])
    it(`gives the groups and timings the SQLite scan gives (${runId})`, async () => {
      const db = openStore(sqlitePath(), { readonly: true });
      let fromSqlite: ReturnType<typeof canonical>;
      try {
        fromSqlite = canonical(scanRequests(db, runId));
      } finally {
        db.close();
      }
      const fromPg = canonical(await pgScanRequests(client, runId));
      assert.ok(fromSqlite.groups.length >= 4, `${fromSqlite.groups.length} groups`);
      assert.deepEqual(fromPg.timings, fromSqlite.timings);
      // Sums of doubles in another order: equal to the last bits, everything else exactly.
      assert.deepEqual(
        fromPg.groups.map((g) => ({ ...g, costUsd: 0 })),
        fromSqlite.groups.map((g) => ({ ...g, costUsd: 0 })),
      );
      for (const [i, g] of fromPg.groups.entries()) {
        const expected = fromSqlite.groups[i]!.costUsd;
        assert.ok(
          Math.abs(g.costUsd - expected) <= 1e-12 * Math.max(1, Math.abs(expected)),
          `${key(g)}: ${g.costUsd} vs ${expected}`,
        );
      }
    });

  it('a run with no requests scans to nothing', async () => {
    assert.deepEqual(await pgScanRequests(client, 'r-none'), { groups: [], timings: new Map() });
  });
});
