/**
 * The spawned CLI: the first stdout line names the address; SIGTERM lets a
 * stream in flight finish, then the process exits 0. A `kill -9` loses no
 * recorded row but those in flight.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { runChild, waitFor } from '../helpers/child-process.js';
import { profile, simConfigInput, startSim, tempDir, writeConfig } from '../helpers/shadow-fixtures.js';
import { CHAT } from './proxy-fixtures.js';

/** Sends a streaming request; resolves at the first body chunk with a promise of the whole body. */
function startStream(url: string): Promise<{ status: number; rest: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/v1/chat/completions`,
      { method: 'POST', headers: { 'content-type': 'application/json' } },
      (res) => {
        let body = '';
        let first = true;
        const rest = new Promise<string>((done, fail) => {
          res.on('end', () => done(body));
          res.on('error', fail);
          res.on('aborted', () => fail(new Error('aborted')));
        });
        // A stream cut by kill -9 rejects before the test looks at it: not an unhandled rejection.
        rest.catch(() => {});
        res.on('data', (c: Buffer) => {
          body += c.toString();
          if (first) {
            first = false;
            resolve({ status: res.statusCode ?? 0, rest });
          }
        });
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ ...CHAT, stream: true }));
  });
}

describe('shadowgate proxy, spawned', () => {
  it('prints `listening http://127.0.0.1:PORT` first; SIGTERM drains a stream in flight, then exits 0', async (t) => {
    const dir = tempDir(t);
    const slow = profile('steady', { latencyScale: 1, ttft: { fixedMs: 50 }, tpot: { fixedMs: 40 } });
    const baseline = await startSim(t, slow);
    const candidate = await startSim(t, slow);
    writeConfig(join(dir, 'exp.json'), simConfigInput(baseline.url, candidate.url));
    const proxy = runChild(
      ['proxy', '--config', 'exp.json', '--port', '0', '--db', 'live.db', '--mirror', '1'],
      dir,
    );
    t.after(() => proxy.child.kill('SIGKILL'));
    const url = await waitFor(
      () => {
        const first = proxy.out().stdout.split('\n')[0]!;
        return /^listening http:\/\/127\.0\.0\.1:\d+$/.test(first) ? first.slice('listening '.length) : null;
      },
      10_000,
      proxy.child,
    );
    const stream = await startStream(url);
    assert.equal(stream.status, 200);
    proxy.child.kill('SIGTERM');
    const body = await stream.rest;
    assert.ok(body.trimEnd().endsWith('data: [DONE]'), 'the stream was finished, not cut');
    const exit = await proxy.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, proxy.out().stderr);
    assert.match(proxy.out().stderr, /drained/);
    assert.ok(!proxy.out().stderr.includes(CHAT.messages[1]!.content), 'no prompt text in the logs');
    const db = new Database(join(dir, 'live.db'), { readonly: true });
    t.after(() => db.close());
    assert.equal(db.prepare("SELECT status FROM runs WHERE kind = 'shadow'").pluck().get(), 'completed');
    assert.equal(
      db.prepare("SELECT COUNT(*) FROM requests WHERE arm = 'baseline' AND outcome = 'ok'").pluck().get(),
      1,
    );
  });

  it('kill -9 with streams in flight loses only those: every answered request keeps its rows', async (t) => {
    const dir = tempDir(t);
    const paced = profile('steady', { latencyScale: 1, ttft: { fixedMs: 20 }, tpot: { fixedMs: 15 } });
    const baseline = await startSim(t, paced);
    const candidate = await startSim(t, paced);
    writeConfig(join(dir, 'exp.json'), simConfigInput(baseline.url, candidate.url));
    const proxy = runChild(
      ['proxy', '--config', 'exp.json', '--port', '0', '--db', 'live.db', '--mirror', '1'],
      dir,
    );
    t.after(() => proxy.child.kill('SIGKILL'));
    const url = await waitFor(
      () => {
        const m = /^listening (\S+)$/m.exec(proxy.out().stdout);
        return m ? m[1]! : null;
      },
      10_000,
      proxy.child,
    );
    const answered = 6;
    for (let i = 0; i < answered; i++) {
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...CHAT, messages: [{ role: 'user', content: `q ${i}` }] }),
      });
      assert.equal(res.status, 200);
      await res.text();
    }
    const db = new Database(join(dir, 'live.db'), { readonly: true });
    t.after(() => db.close());
    // The answered requests' mirrors finish in the background.
    await waitFor(() => {
      const n = db.prepare("SELECT COUNT(*) FROM requests WHERE arm = 'candidate'").pluck().get() as number;
      return n === answered ? n : null;
    }, 10_000);
    // Three streams in flight, each past its first chunk, then kill -9.
    const inFlight = await Promise.all([0, 1, 2].map(() => startStream(url)));
    proxy.child.kill('SIGKILL');
    await proxy.exited;
    for (const s of inFlight) await s.rest.catch(() => 'cut');
    const rows = db.prepare('SELECT arm, COUNT(*) AS n FROM requests GROUP BY arm ORDER BY arm').all();
    assert.deepEqual(rows, [
      { arm: 'baseline', n: answered },
      { arm: 'candidate', n: answered },
    ]);
    assert.equal(db.prepare('SELECT COUNT(*) FROM prompts').pluck().get(), answered);
    assert.equal(db.prepare('SELECT status FROM runs').pluck().get(), 'running');
  });
});
