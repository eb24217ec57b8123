/**
 * Keys: the client's Authorization never reaches the candidate (nor the
 * baseline, unless --pass-through-auth); each provider gets the key its
 * apiKeyEnv names; --auth-env guards the proxy itself.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { simConfig } from '../helpers/shadow-fixtures.js';
import { startScriptedServer } from '../providers/scripted-server.js';
import { CHAT, completionBody, openaiClient, startTestProxy } from './proxy-fixtures.js';

const CLIENT_KEY = 'sk-client-secret-0123456789';
const ENV = {
  BASE_KEY: 'sk-baseline-key-aaaaaaaa',
  CAND_KEY: 'sk-candidate-key-bbbbbbbb',
  PROXY_TOKEN: 'proxy-token-1',
};

async function scripted(t: import('node:test').TestContext) {
  const server = await startScriptedServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(completionBody('fine'));
  });
  t.after(() => server.close());
  return server;
}

function allHeaderText(headers: Record<string, unknown>): string {
  return JSON.stringify(headers);
}

describe('proxy keys', () => {
  it("never forwards the client's Authorization; each provider gets its own key", async (t) => {
    const baseline = await scripted(t);
    const candidate = await scripted(t);
    const config = simConfig(baseline.baseUrl, candidate.baseUrl, {
      baselineKeyEnv: 'BASE_KEY',
      candidateKeyEnv: 'CAND_KEY',
    });
    const proxy = await startTestProxy(t, config, { mirror: 1, replica: 1 }, ENV);
    const client = openaiClient(`${proxy.url}/v1`, CLIENT_KEY);
    await client.chat.completions.create(CHAT);
    for await (const _ of await client.chat.completions.create({ ...CHAT, stream: true })) void _;
    await proxy.close();
    assert.equal(candidate.requests.length, 2);
    for (const r of candidate.requests) {
      assert.ok(!allHeaderText(r.headers).includes(CLIENT_KEY), 'client key reached the candidate');
      assert.equal(r.headers.authorization, `Bearer ${ENV.CAND_KEY}`);
    }
    assert.equal(baseline.requests.length, 4, 'two served, two replicas');
    for (const r of baseline.requests) {
      assert.ok(!allHeaderText(r.headers).includes(CLIENT_KEY), 'client key reached the baseline');
      assert.equal(r.headers.authorization, `Bearer ${ENV.BASE_KEY}`);
    }
  });

  it('--pass-through-auth sends the client key to the baseline only', async (t) => {
    const baseline = await scripted(t);
    const candidate = await scripted(t);
    const config = simConfig(baseline.baseUrl, candidate.baseUrl, { candidateKeyEnv: 'CAND_KEY' });
    const proxy = await startTestProxy(t, config, { mirror: 1, passThroughAuth: true }, ENV);
    await openaiClient(`${proxy.url}/v1`, CLIENT_KEY).chat.completions.create(CHAT);
    await proxy.close();
    assert.equal(baseline.requests[0]!.headers.authorization, `Bearer ${CLIENT_KEY}`);
    assert.equal(candidate.requests[0]!.headers.authorization, `Bearer ${ENV.CAND_KEY}`);
    assert.ok(!allHeaderText(candidate.requests[0]!.headers).includes(CLIENT_KEY));
  });

  it('--auth-env refuses a request without the token (401) and does not forward the token', async (t) => {
    const baseline = await scripted(t);
    const proxy = await startTestProxy(
      t,
      simConfig(baseline.baseUrl, baseline.baseUrl),
      { authEnv: 'PROXY_TOKEN' },
      ENV,
    );
    const wrong = await fetch(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer nope', 'content-type': 'application/json' },
      body: JSON.stringify(CHAT),
    });
    assert.equal(wrong.status, 401);
    await wrong.text();
    const none = await fetch(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify(CHAT),
    });
    assert.equal(none.status, 401);
    await none.text();
    const ok = await openaiClient(`${proxy.url}/v1`, ENV.PROXY_TOKEN).chat.completions.create(CHAT);
    assert.equal(ok.choices[0]?.message.content, 'fine');
    assert.equal(baseline.requests.length, 1);
    assert.ok(!allHeaderText(baseline.requests[0]!.headers).includes(ENV.PROXY_TOKEN));
  });
});
