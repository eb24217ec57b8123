/**
 * Shadow mode against real loopback servers: the official OpenAI client
 * through the proxy gets what it would get directly, mirrors land in the store
 * as a shadow run, a hanging candidate changes nothing for the client, and
 * shedding is bounded and counted.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BufferSink } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/run-cli.js';
import { OVERHEAD_HEADER } from '../../src/proxy/serve.js';
import { openDb, profile, simConfig, startSim, tempDir } from '../helpers/shadow-fixtures.js';
import { startScriptedServer } from '../providers/scripted-server.js';
import { CHAT, completionBody, openaiClient, startTestProxy, withoutCreated } from './proxy-fixtures.js';

describe('proxy shadow mode', () => {
  it('answers byte for byte as a direct call to the same simulator seed, streaming and not', async (t) => {
    const direct = await startSim(t, profile('steady'), 42);
    const behind = await startSim(t, profile('steady'), 42);
    const candidate = await startSim(t, profile('steady'), 42);
    const proxy = await startTestProxy(t, simConfig(behind.url, candidate.url));
    const viaProxy = openaiClient(`${proxy.url}/v1`);
    const straight = openaiClient(direct.url);

    for (const stream of [false, true]) {
      const body = { ...CHAT, stream };
      const a = await straight.chat.completions.create(body).asResponse();
      const b = await viaProxy.chat.completions.create(body).asResponse();
      assert.equal(b.status, a.status);
      assert.equal(b.headers.get('content-type'), a.headers.get('content-type'));
      for (const h of ['x-request-id', 'x-sim-fault', 'x-sim-output-tokens', 'x-sim-latency-ms'])
        assert.equal(b.headers.get(h), a.headers.get(h), h);
      const overhead = Number(b.headers.get(OVERHEAD_HEADER));
      assert.ok(
        Number.isFinite(overhead) && overhead >= 0,
        `overhead header ${b.headers.get(OVERHEAD_HEADER)}`,
      );
      const textA = await a.text();
      const textB = await b.text();
      assert.ok(textA.length > 50);
      assert.equal(withoutCreated(textB), withoutCreated(textA), `stream=${stream}`);
    }
    // And parsed by the client, streaming: the same content deltas.
    const deltas = async (c: ReturnType<typeof openaiClient>) => {
      let text = '';
      for await (const chunk of await c.chat.completions.create({ ...CHAT, stream: true }))
        text += chunk.choices[0]?.delta?.content ?? '';
      return text;
    };
    assert.equal(await deltas(viaProxy), await deltas(straight));
  });

  it('passes a baseline error answer through as it was, after the retry engine gave up', async (t) => {
    let n = 0;
    const baseline = await startScriptedServer((_req, res) => {
      n++;
      const body = JSON.stringify({ error: { message: 'bad model', type: 'invalid_request_error' } });
      res.writeHead(400, { 'content-type': 'application/json', 'x-upstream': 'yes' });
      res.end(body);
    });
    t.after(() => baseline.close());
    const proxy = await startTestProxy(t, simConfig(baseline.baseUrl, baseline.baseUrl));
    const res = await fetch(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(CHAT),
    });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('x-upstream'), 'yes');
    assert.deepEqual(await res.json(), { error: { message: 'bad model', type: 'invalid_request_error' } });
    assert.equal(n, 1, 'a 400 is not retried');
  });

  it('records mirrored requests as a shadow run that report shadow and gate read', async (t) => {
    const dir = tempDir(t);
    const dbPath = join(dir, 'live.db');
    const baseline = await startSim(t, profile('steady'), 3);
    const candidate = await startSim(t, profile('steady'), 3);
    const proxy = await startTestProxy(t, simConfig(baseline.url, candidate.url), {
      dbPath,
      mirror: 1,
      replica: 1,
    });
    const client = openaiClient(`${proxy.url}/v1`);
    for (let i = 0; i < 6; i++) {
      const stream = i % 2 === 0;
      const messages = [{ role: 'user' as const, content: `Question ${i}: where is my order?` }];
      if (stream)
        for await (const _ of await client.chat.completions.create({ ...CHAT, messages, stream })) void _;
      else await client.chat.completions.create({ ...CHAT, messages });
    }
    const runId = proxy.runId;
    assert.ok(runId);
    const end = await proxy.close();
    assert.equal(end.drained, true);
    const db = openDb(t, dbPath);
    const run = db.prepare('SELECT kind, status FROM runs WHERE id = ?').get(runId) as {
      kind: string;
      status: string;
    };
    assert.deepEqual(run, { kind: 'shadow', status: 'completed' });
    const arms = db
      .prepare(
        "SELECT arm, COUNT(*) AS n, SUM(outcome = 'ok') AS ok FROM requests WHERE run_id = ? GROUP BY arm ORDER BY arm",
      )
      .all(runId);
    assert.deepEqual(arms, [
      { arm: 'baseline', n: 6, ok: 6 },
      { arm: 'baseline_replica', n: 6, ok: 6 },
      { arm: 'candidate', n: 6, ok: 6 },
    ]);
    assert.equal(
      (db.prepare('SELECT COUNT(*) AS n FROM prompts WHERE run_id = ?').get(runId) as { n: number }).n,
      6,
    );
    const sims = db
      .prepare("SELECT similarity FROM requests WHERE run_id = ? AND arm = 'candidate'")
      .pluck()
      .all(runId) as number[];
    assert.ok(sims.every((s) => typeof s === 'number' && s >= 0 && s <= 1));
    const baselineRow = db
      .prepare(
        "SELECT output_text, ttft_ms, input_tokens, output_tokens, cost_usd FROM requests WHERE run_id = ? AND arm = 'baseline' AND prompt_id = 'live-000000'",
      )
      .get(runId) as Record<string, number | string>;
    assert.ok(String(baselineRow.output_text).length > 0);
    assert.ok((baselineRow.output_tokens as number) > 0 && (baselineRow.cost_usd as number) > 0);
    const attempts = db.prepare('SELECT COUNT(*) AS n FROM attempts WHERE run_id = ?').get(runId) as {
      n: number;
    };
    assert.ok(attempts.n >= 18);

    const io = { stdout: new BufferSink(), stderr: new BufferSink(), env: {}, cwd: dir };
    const code = await runCli(
      ['report', 'shadow', '--db', dbPath, '--run', runId, '--format', 'json', '--out', join(dir, 'r')],
      io,
    );
    assert.equal(code, 0, io.stderr.text);
    const gateIo = { stdout: new BufferSink(), stderr: new BufferSink(), env: {}, cwd: dir };
    const gate = await runCli(['gate', '--db', dbPath, '--run', runId, '--json'], gateIo);
    assert.ok([0, 3, 4].includes(gate), `gate exit ${gate}: ${gateIo.stderr.text}`);
    assert.ok(JSON.parse(gateIo.stdout.text).decision);
    const runsIo = { stdout: new BufferSink(), stderr: new BufferSink(), env: {}, cwd: dir };
    assert.equal(await runCli(['runs', '--db', dbPath], runsIo), 0, runsIo.stderr.text);
    assert.match(runsIo.stdout.text, new RegExp(runId));
  });

  it('a candidate that hangs does not hold up the answers; the queue sheds beyond its bound and counts it', async (t) => {
    const baseline = await startSim(t, profile('steady'), 5);
    const hanging = await startScriptedServer(() => {
      // never answers
    });
    t.after(() => hanging.close());
    const config = simConfig(baseline.url, hanging.baseUrl, {
      retry: { attemptTimeoutMs: 60_000, maxAttempts: 1 },
    });
    config.providers.candidate.models['gpt-4.1']!.timeoutMs = 60_000;
    const proxy = await startTestProxy(t, config, {
      mirror: 1,
      mirrorConcurrency: 2,
      mirrorQueue: 3,
      graceMs: 100,
    });
    const client = openaiClient(`${proxy.url}/v1`);
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        client.chat.completions.create({ ...CHAT, messages: [{ role: 'user', content: `q${i}` }] }),
      ),
    );
    assert.equal(answers.length, 10);
    for (const a of answers) assert.ok(a.choices[0]?.message.content);
    // Every answer came back while the candidate still holds both mirror slots.
    const metrics = await (await fetch(`${proxy.url}/metrics`)).text();
    assert.match(metrics, /^shadowgate_proxy_mirror_in_flight 2$/m);
    assert.match(metrics, /^shadowgate_proxy_mirror_queue_depth 3$/m);
    assert.match(metrics, /^shadowgate_proxy_mirror_shed_total\{reason="queue_full"\} 5$/m);
    assert.equal(hanging.requests.length, 2);
    const end = await proxy.close();
    assert.equal(end.drained, false, 'the hung mirrors outlived the grace period');
  });

  it('sheds a body over the mirror cap and mirrors one under it, however large', async (t) => {
    const baseline = await startSim(t, profile('steady'), 5);
    const candidate = await startScriptedServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(completionBody('ok'));
    });
    t.after(() => candidate.close());
    const proxy = await startTestProxy(t, simConfig(baseline.url, candidate.baseUrl), {
      mirror: 1,
      mirrorMaxBytes: 3 * 1024 * 1024,
    });
    const client = openaiClient(`${proxy.url}/v1`);
    const big = 'x'.repeat(2 * 1024 * 1024);
    const huge = 'y'.repeat(4 * 1024 * 1024);
    await client.chat.completions.create({ ...CHAT, messages: [{ role: 'user', content: big }] });
    await client.chat.completions.create({ ...CHAT, messages: [{ role: 'user', content: huge }] });
    await proxy.close();
    assert.equal(candidate.requests.length, 1, 'the 2 MiB body was mirrored, the 4 MiB one shed');
    assert.ok(candidate.requests[0]!.body.includes(big));
    assert.match(proxy.metrics.render(), /shadowgate_proxy_mirror_shed_total\{reason="body_too_large"\} 1/);
  });

  it('sheds with reason budget once the mirror budget is spent', async (t) => {
    const baseline = await startSim(t, profile('steady'), 5);
    const candidate = await startSim(t, profile('steady'), 5);
    const proxy = await startTestProxy(t, simConfig(baseline.url, candidate.url), {
      mirror: 1,
      mirrorBudgetUsd: 0,
    });
    const client = openaiClient(`${proxy.url}/v1`);
    await client.chat.completions.create(CHAT);
    await client.chat.completions.create(CHAT);
    assert.equal(candidate.stats().requests, 0);
    assert.match(proxy.metrics.render(), /shadowgate_proxy_mirror_shed_total\{reason="budget"\} 2/);
  });
});
