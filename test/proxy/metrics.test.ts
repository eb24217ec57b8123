import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Histogram } from '../../src/proxy/metrics.js';
import { profile, simConfig, startSim } from '../helpers/shadow-fixtures.js';
import { parsePrometheusText, sampleValue } from './prometheus-text.js';
import { CHAT, openaiClient, startTestProxy } from './proxy-fixtures.js';

describe('proxy metrics', () => {
  it('renders cumulative histograms and escaped labels', () => {
    const h = new Histogram('t_seconds', 'test', [0.1, 1]);
    h.observe({ arm: 'a' }, 0.05);
    h.observe({ arm: 'a' }, 0.5);
    h.observe({ arm: 'a' }, 5);
    const c = new Counter('t_total', 'test');
    c.inc({ why: 'quote " and \\ and\nnewline' }, 2);
    const out: string[] = [];
    h.render(out);
    c.render(out);
    const e = parsePrometheusText(`${out.join('\n')}\n`);
    assert.equal(sampleValue(e, 't_seconds_bucket', { arm: 'a', le: '0.1' }), 1);
    assert.equal(sampleValue(e, 't_seconds_bucket', { arm: 'a', le: '1' }), 2);
    assert.equal(sampleValue(e, 't_seconds_bucket', { arm: 'a', le: '+Inf' }), 3);
    assert.equal(sampleValue(e, 't_seconds_count', { arm: 'a' }), 3);
    assert.equal(sampleValue(e, 't_seconds_sum', { arm: 'a' }), 5.55);
    assert.equal(sampleValue(e, 't_total', { why: 'quote " and \\ and\nnewline' }), 2);
  });

  it('GET /metrics parses as Prometheus text and counts what happened', async (t) => {
    const baseline = await startSim(t, profile('steady'), 9);
    const candidate = await startSim(t, profile('steady'), 9);
    const proxy = await startTestProxy(t, simConfig(baseline.url, candidate.url), {
      mirror: 1,
      mirrorMaxBytes: 10_000,
    });
    const client = openaiClient(`${proxy.url}/v1`);
    for (let i = 0; i < 3; i++)
      for await (const _ of await client.chat.completions.create({ ...CHAT, stream: true })) void _;
    await client.chat.completions.create(CHAT);
    await client.chat.completions.create({
      ...CHAT,
      messages: [{ role: 'user', content: 'z'.repeat(20_000) }],
    });
    // Mirrors finish in the background: wait until none runs or waits (up to 10 s).
    const idle = () => /^shadowgate_proxy_mirror_in_flight 0$/m.test(proxy.metrics.render());
    for (let i = 0; i < 500 && !idle(); i++) await new Promise((r) => setTimeout(r, 20));
    const res = await fetch(`${proxy.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const e = parsePrometheusText(await res.text());
    assert.equal(sampleValue(e, 'shadowgate_proxy_requests_total', { arm: 'baseline', path: 'served' }), 5);
    assert.equal(sampleValue(e, 'shadowgate_proxy_requests_total', { arm: 'candidate', path: 'mirror' }), 4);
    assert.equal(
      sampleValue(e, 'shadowgate_proxy_ttft_seconds_count', { arm: 'baseline', path: 'served' }),
      3,
    );
    assert.equal(
      sampleValue(e, 'shadowgate_proxy_latency_seconds_count', { arm: 'baseline', path: 'served' }),
      5,
    );
    assert.equal(sampleValue(e, 'shadowgate_proxy_overhead_seconds_count'), 5);
    assert.equal(sampleValue(e, 'shadowgate_proxy_mirror_shed_total', { reason: 'body_too_large' }), 1);
    assert.equal(sampleValue(e, 'shadowgate_proxy_mirror_shed_total', { reason: 'queue_full' }), 0);
    assert.equal(sampleValue(e, 'shadowgate_proxy_mirror_queue_depth'), 0);
    assert.equal(
      sampleValue(e, 'shadowgate_proxy_inbound_requests_total', {
        route: '/v1/chat/completions',
        status: '200',
      }),
      5,
    );
    assert.equal(e.types.get('shadowgate_proxy_latency_seconds'), 'histogram');
    assert.equal(e.types.get('shadowgate_proxy_fallbacks_total'), 'counter');

    const health = await fetch(`${proxy.url}/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok', mode: 'shadow', run_id: proxy.runId });
  });
});
