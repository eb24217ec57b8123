/**
 * The tokenizer (~300 ms of synchronous loading) is in memory before a
 * replay's first request leaves: loaded on the first estimate instead, it
 * stalled the event loop with requests in flight (680 ms in the demo, seen by
 * the run's own instrument). This file runs in its own process, so nothing
 * loaded it before.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runShadow } from '../../src/runner/shadow-run.js';
import { systemClock } from '../../src/shared/clock.js';
import { makePrompts, simConfig, tempDir, writeJsonl } from '../helpers/shadow-fixtures.js';

const require = createRequire(import.meta.url);
const tokenizerPath = require.resolve('gpt-tokenizer/encoding/o200k_base');

describe('the replay and the tokenizer', () => {
  it('loads the tokenizer before the first request is sent', async (t) => {
    assert.equal(require.cache[tokenizerPath], undefined, 'not loaded yet in this process');
    const loadedWhenRequested: boolean[] = [];
    // An OpenAI-compatible answer without `usage`: the run estimates it with the tokenizer.
    const server = createServer((req, res) => {
      loadedWhenRequested.push(require.cache[tokenizerPath] !== undefined);
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: 'x',
            object: 'chat.completion',
            model: 'gpt-4.1',
            choices: [{ index: 0, message: { role: 'assistant', content: 'hello' }, finish_reason: 'stop' }],
          }),
        );
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    t.after(() => new Promise<void>((ok) => server.close(() => ok())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    const dir = tempDir(t);
    const summary = await runShadow(
      {
        config: simConfig(url, url, { stream: false }),
        scenarioPath: writeJsonl(join(dir, 'p.jsonl'), makePrompts(3)),
        dbPath: join(dir, 'run.db'),
        concurrency: 1,
      },
      { clock: systemClock, env: {}, instrument: { sampler: null } },
    );
    assert.equal(summary.status, 'completed');
    assert.equal(summary.arms.candidate.ok, 3);
    assert.equal(loadedWhenRequested.length, 6);
    assert.ok(loadedWhenRequested.every(Boolean), JSON.stringify(loadedWhenRequested));
  });
});
