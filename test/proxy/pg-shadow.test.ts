/**
 * Shadow mode on PostgreSQL: the live run is written through RunWriter, the
 * rows a replay writes, and a cut database connection fails no request (the
 * writer is opened again on a new connection).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { BufferSink } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/run-cli.js';
import { openPgStore } from '../../src/store/pg/open-pg-store.js';
import { profile, simConfig, startSim, tempDir } from '../helpers/shadow-fixtures.js';
import { createScratchDatabase, type ScratchDatabase } from '../store/pg/scratch-db.js';
import { parsePrometheusText, sampleValue } from './prometheus-text.js';
import { CHAT, startTestProxy, waitUntil } from './proxy-fixtures.js';

describe('proxy shadow mode on PostgreSQL', () => {
  let scratch: ScratchDatabase;
  let client: pg.Client;

  before(async () => {
    scratch = await createScratchDatabase();
    client = await openPgStore(scratch.url);
  });
  after(async () => {
    await client.end();
    await scratch.drop();
  });

  it('a cut database connection fails no request, and later rows go to a new connection', async (t) => {
    const baseline = await startSim(t, profile('steady'));
    const candidate = await startSim(t, profile('steady'), 2);
    const proxy = await startTestProxy(t, simConfig(baseline.url, candidate.url), {
      dbPath: scratch.url,
      mirror: 1,
    });
    const runId = proxy.runId!;
    const ask = async () => {
      const res = await fetch(`${proxy.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(CHAT),
      });
      await res.arrayBuffer();
      assert.equal(res.status, 200);
    };
    const stored = async () =>
      (
        await client.query<{ prompt_id: string }>(
          "SELECT prompt_id FROM requests WHERE run_id = $1 AND arm = 'baseline' ORDER BY prompt_id",
          [runId],
        )
      ).rows.map((r) => r.prompt_id);
    for (let i = 0; i < 3; i++) await ask();
    await waitUntil(async () => (await stored()).length === 3, 'the first 3 mirrored requests written');
    await client.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    // Spaced out so the dead connection's failed flush surfaces, and the new writer gets the rest.
    for (let i = 0; i < 8; i++) {
      await ask();
      await new Promise((r) => setTimeout(r, 150));
    }
    await waitUntil(async () => (await stored()).includes('live-000010'), 'the last request written');
    const metrics = parsePrometheusText(proxy.metrics.render());
    assert.ok((sampleValue(metrics, 'shadowgate_proxy_store_errors_total', { op: 'write_rows' }) ?? 0) >= 1);
    await proxy.close();
    const run = await client.query<{ status: string }>('SELECT status FROM runs WHERE id = $1', [runId]);
    assert.equal(run.rows[0]?.status, 'completed', 'the run is finished through the new connection');
  });

  it('records the live run in PostgreSQL: the rows a replay writes, which report shadow reads', async (t) => {
    const dir = tempDir(t);
    const baseline = await startSim(t, profile('steady'));
    const candidate = await startSim(t, profile('steady'), 2);
    const proxy = await startTestProxy(t, simConfig(baseline.url, candidate.url), {
      dbPath: scratch.url,
      mirror: 1,
    });
    const runId = proxy.runId!;
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${proxy.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...CHAT, stream: i % 2 === 0 }),
      });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    }
    const end = await proxy.close();
    assert.equal(end.drained, true);
    const counts = await client.query<{ arm: string; n: number }>(
      'SELECT arm, COUNT(*) AS n FROM requests WHERE run_id = $1 GROUP BY arm ORDER BY arm',
      [runId],
    );
    assert.deepEqual(
      counts.rows.map((r) => [r.arm, Number(r.n)]),
      [
        ['baseline', 6],
        ['candidate', 6],
      ],
    );
    const run = await client.query<{ status: string; kind: string }>(
      'SELECT status, kind FROM runs WHERE id = $1',
      [runId],
    );
    assert.deepEqual(run.rows[0], { status: 'completed', kind: 'shadow' });
    const io = { stdout: new BufferSink(), stderr: new BufferSink(), env: {}, cwd: dir };
    const code = await runCli(
      ['report', 'shadow', '--db', scratch.url, '--run', runId, '--format', 'json', '--out', 'r'],
      io,
    );
    assert.equal(code, 0, io.stderr.text);
    const report = JSON.parse(readFileSync(join(dir, io.stdout.text.trim()), 'utf8'));
    assert.equal(report.run_id, runId);
  });
});
