import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILTIN_PROFILES } from '../../src/sim/profiles.js';
import { startSimServer } from '../../src/sim/server.js';
import { startSimThread } from '../../src/sim/sim-thread.js';
import { rawCall } from './sim-http.js';

const body = { model: 'gpt-4.1', messages: [{ role: 'user', content: 'How do I reset my password?' }] };

/** The answer without what differs between two servers of the same seed: its id and the wall-clock second. */
function comparable(raw: string) {
  const { id: _id, created: _created, ...rest } = JSON.parse(raw) as Record<string, unknown>;
  return rest;
}

describe('startSimThread', () => {
  it('serves each simulator from a worker thread, answering as an in-thread simulator of the same seed', async (t) => {
    const thread = await startSimThread([
      { profile: BUILTIN_PROFILES.steady, seed: 5 },
      { profile: BUILTIN_PROFILES['relay-fast'], seed: 5 },
    ]);
    t.after(() => thread.close());
    const local = await startSimServer({ profile: BUILTIN_PROFILES.steady, seed: 5 });
    t.after(() => local.close());

    assert.equal(thread.sims.length, 2);
    assert.notEqual(thread.sims[0]!.port, thread.sims[1]!.port);
    const [threaded, direct] = await Promise.all([
      rawCall(thread.sims[0]!.url, '/v1/chat/completions', { body }),
      rawCall(local.url, '/v1/chat/completions', { body }),
    ]);
    assert.equal(threaded.status, 200);
    assert.deepEqual(comparable(threaded.body), comparable(direct.body));
    assert.equal((await rawCall(thread.sims[1]!.url, '/v1/chat/completions', { body })).status, 200);
  });

  it('close stops every simulator: the ports refuse connections afterwards', async () => {
    const thread = await startSimThread([{ profile: BUILTIN_PROFILES.steady, seed: 1 }]);
    const { url } = thread.sims[0]!;
    assert.equal((await rawCall(url, '/v1/chat/completions', { body })).status, 200);
    await thread.close();
    await thread.close(); // idempotent
    const after = await rawCall(url, '/v1/chat/completions', { body, timeoutMs: 2000 });
    assert.equal(after.status, null);
    assert.ok(after.error, 'connection refused');
  });
});
