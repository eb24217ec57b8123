import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { openStore } from '../../../src/store/open-store.js';
import { copyRuns } from '../../../src/store/pg/copy-runs.js';
import { openPgStore } from '../../../src/store/pg/open-pg-store.js';
import {
  pgBreakerOpenings,
  pgDivergentTexts,
  pgFindRun,
  pgListRunIds,
  pgPairedRows,
  pgScanRequests,
} from '../../../src/store/pg/pg-report-queries.js';
import { pgListRuns } from '../../../src/store/pg/pg-run-queries.js';
import {
  breakerOpenings,
  divergentTexts,
  findRun,
  listRunIds,
  type PairedRow,
  pairedRows,
  type RequestGroup,
  type RequestScan,
} from '../../../src/store/report-queries.js';
import { scanRequests } from '../../../src/store/request-scan.js';
import { listRuns } from '../../../src/store/run-queries.js';
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
    // Requests the last-user-message pick must handle: content parts, no user message, not JSON, no messages.
    const prompt = db.prepare(
      `INSERT INTO prompts (run_id, prompt_id, seq, model, prompt_hash, request_json) VALUES ('r-fixture', ?, ?, 'm', 'h', ?)`,
    );
    const parts = [
      { type: 'text', text: 'what is in "this" image?' },
      { type: 'image_url', image_url: { url: 'x' } },
    ];
    prompt.run(
      'x-parts',
      100,
      JSON.stringify({
        messages: [
          { role: 'system', content: 's' },
          { role: 'user', content: parts },
        ],
      }),
    );
    prompt.run(
      'x-nouser',
      101,
      JSON.stringify({ messages: [{ role: 'system', content: 'only a system prompt' }] }),
    );
    prompt.run('x-notjson', 102, '{"messages": [');
    prompt.run('x-nomessages', 103, JSON.stringify({ input: 'hello' }));
    prompt.run(
      'x-lastuser',
      104,
      JSON.stringify({
        messages: [
          { role: 'user', content: 'first' },
          { role: 'assistant', content: 'a' },
          { role: 'user', content: 'second' },
          { role: 'assistant', content: 'b' },
        ],
      }),
    );
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
      // The groups in the same canonical order; costs are sums of doubles in another order: equal to the
      // last bits, everything else exactly.
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

  /** Runs `fn` on the SQLite file, read-only. */
  function onSqlite<T>(fn: (db: ReturnType<typeof openStore>) => T): T {
    const db = openStore(sqlitePath(), { readonly: true });
    try {
      return fn(db);
    } finally {
      db.close();
    }
  }

  it('finds runs, lists them and their ids, and counts breaker openings as SQLite does', async () => {
    for (const runId of ['r-fixture', 'r-synthetic', 'r-none']) {
      assert.deepEqual(
        await pgFindRun(client, runId),
        onSqlite((db) => findRun(db, runId)),
        runId,
      );
      assert.deepEqual(
        await pgBreakerOpenings(client, runId),
        onSqlite((db) => breakerOpenings(db, runId)),
        runId,
      );
    }
    assert.deepEqual((await pgBreakerOpenings(client, 'r-fixture')).length, 1);
    assert.deepEqual(
      await pgListRunIds(client, 'shadow'),
      onSqlite((db) => listRunIds(db, 'shadow')),
    );
    assert.deepEqual(
      await pgListRuns(client),
      onSqlite((db) => listRuns(db)),
    );
  });

  it('streams the paired rows SQLite streams, in the same order, in batches; an iteration stopped early leaves the client usable', async () => {
    for (const runId of ['r-fixture', 'r-synthetic'])
      for (const other of ['candidate', 'baseline_replica'] as const) {
        const expected = onSqlite((db) => [...pairedRows(db, runId, other)]);
        const got: PairedRow[] = [];
        for await (const batch of pgPairedRows(client, runId, other, 700)) got.push(...batch);
        assert.ok(expected.length > 0);
        assert.deepEqual(got, expected, `${runId} ${other}`);
        const ids = got.map((r) => r[0]);
        assert.deepEqual(ids, [...ids].sort(), 'by prompt_id');
      }
    for await (const batch of pgPairedRows(client, 'r-synthetic', 'candidate', 10)) {
      assert.equal(batch.length, 10);
      break;
    }
    assert.equal((await pgFindRun(client, 'r-fixture'))?.id, 'r-fixture');
  });

  it('gives the texts of divergent prompts that SQLite gives: last user message, excerpts cut, missing prompts empty', async () => {
    const ids = [
      'p1',
      'p3',
      'p4',
      'x-parts',
      'x-nouser',
      'x-notjson',
      'x-nomessages',
      'x-lastuser',
      'p-missing',
    ];
    for (const chars of [5, 200]) {
      const expected = onSqlite((db) => divergentTexts(db, 'r-fixture', ids, chars));
      assert.deepEqual(await pgDivergentTexts(client, 'r-fixture', ids, chars), expected);
    }
    const [parts] = await pgDivergentTexts(client, 'r-fixture', ['x-parts'], 10);
    assert.match(parts!.lastUserContent!, /^\[\{"type":"text"/);
  });
});
