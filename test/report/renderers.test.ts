import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderHtml } from '../../src/report/render-html.js';
import { renderJson } from '../../src/report/render-json.js';
import { escapeMarkdown, renderMarkdown } from '../../src/report/render-markdown.js';
import { buildShadowReport } from '../../src/report/shadow-model.js';
import type { ShadowReport } from '../../src/report/shadow-report.js';
import { fixtureDb, HOSTILE_OUTPUT, RUN_ID } from './fixture-db.js';

function build(): ShadowReport {
  const db = fixtureDb();
  try {
    return buildShadowReport(db, { runId: RUN_ID, generatedAt: '2026-01-06T00:00:00.000Z' });
  } finally {
    db.close();
  }
}

const report = build();

describe('renderJson', () => {
  const json = JSON.parse(renderJson(report));

  test('carries every key of the published contract', () => {
    const paths = [
      'run_id',
      'generated_at',
      'run.label',
      'run.status',
      'run.started_at',
      'run.finished_at',
      'run.scenario',
      'run.seed',
      'comparison.latency.median_delta_ms',
      'comparison.latency.ci',
      'comparison.latency.p_value',
      'comparison.errors.delta',
      'comparison.errors.p_value',
      'comparison.cost.savings_pct',
      'comparison.cost.monthly',
      'comparison.usage.input_token_ratio',
      'comparison.usage.model_mismatch_share',
      'comparison.outputs.similarity_median',
      'comparison.outputs.noise_floor_median',
      'comparison.outputs.drift_share',
      'comparison.outputs.json_agreement',
      'comparison.outputs.finish_reason_agreement',
      'comparison.outputs.tool_call_agreement',
      'comparison.outputs.top_divergent',
      'metrics',
      'verdict.decision',
      'verdict.reasons',
      'verdict.gates',
      'breaker.paused_ms',
      'breaker.openings.baseline.count',
      'breaker.openings.candidate.count',
      'breaker.openings.candidate.open_ms',
    ];
    const armKeys = [
      'requests',
      'ok',
      'error_rate',
      'error_rate_ci',
      'errors_by_class',
      'engine_refusals',
      'success_after_retry',
      'retried_share',
      'mean_attempts',
      'latency_ms.mean',
      'latency_ms.p50',
      'latency_ms.p90',
      'latency_ms.p95',
      'latency_ms.p99',
      'service_ms.p95',
      'ttft_ms.p50',
      'ttft_ms.p95',
      'tpot_ms.p95',
      'tokens.input',
      'tokens.cached',
      'tokens.output',
      'tokens.reasoning',
      'usage_estimated_share',
      'cost_usd',
      'cost_per_1k_requests',
      'cost_per_1m_tokens',
      'response_models',
    ];
    for (const arm of ['baseline', 'candidate', 'baseline_replica']) {
      for (const key of armKeys) paths.push(`arms.${arm}.${key}`);
    }
    for (const path of paths) {
      const value = path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown>)?.[k], json);
      assert.notEqual(value, undefined, `missing ${path}`);
    }
    for (const key of ['prompt_id', 'similarity', 'baseline_excerpt', 'candidate_excerpt']) {
      assert.ok(key in json.comparison.outputs.top_divergent[0], `top_divergent lacks ${key}`);
    }
    for (const key of ['name', 'observed', 'threshold', 'n', 'pass']) {
      assert.ok(key in json.verdict.gates[0], `gate lacks ${key}`);
    }
    assert.deepEqual(Object.keys(json.metrics).sort(), Object.keys(report.metrics).sort());
  });

  test('spend on failures per arm is an added key', () => {
    assert.deepEqual(json.arms.candidate.failure_spend, { usd: 0.004, attempts: 2 });
    assert.deepEqual(json.arms.baseline.failure_spend, { usd: 0, attempts: 0 });
  });

  test('metric and error-class names stay verbatim; no camelCase leaks', () => {
    assert.ok('candidate.error_rate' in json.metrics);
    assert.deepEqual(json.arms.baseline.errors_by_class, { http_503: 1 });
    const text = renderJson(report);
    const camel = [...text.matchAll(/"([a-z]+[A-Z][A-Za-z]*)":/g)].map((m) => m[1]);
    assert.deepEqual(camel, []);
  });

  test('null, not NaN, where nothing could be computed; numbers rounded', () => {
    assert.equal(json.arms.candidate.tpot_ms.p95, null);
    assert.equal(json.arms.baseline.error_rate, 0.166667);
    assert.ok(!renderJson(report).includes('NaN'));
  });
});

describe('renderMarkdown', () => {
  const md = renderMarkdown(report);

  test('headline, a table per arm, the comparison and the gate table', () => {
    assert.match(md, /^# Shadow report: /);
    assert.match(md, /\*\*Verdict: HOLD\*\*/);
    for (const heading of [
      '### Baseline',
      '### Candidate',
      '### Baseline replica',
      '## Comparison',
      '## Verdict: HOLD',
    ]) {
      assert.ok(md.includes(heading), heading);
    }
    assert.match(md, /\| error-rate \| `candidate\.error_rate` \|/);
  });

  test('each arm says what its failures may have cost', () => {
    assert.match(
      md,
      /Spend on failures: \$0\.004\d* estimated over 2 failed attempts \(timeouts, broken streams, abandoned attempts\)/,
    );
    assert.match(md, /Spend on failures: none/);
  });

  test('the breaker openings and the pause sit with the engine refusals', () => {
    const line =
      "Circuit breakers: the candidate's opened 2 times (open 10.0 s in all). The replay paused dispatch to both arms for 12.5 s";
    assert.ok(md.includes(line), md);
    assert.ok(renderHtml(report).includes(line.replace("'", '&#39;')), 'html');
  });

  test('hostile text cannot open HTML or break a table row', () => {
    assert.ok(!md.includes('<script>'));
    assert.ok(!md.includes('<img'));
    assert.ok(md.includes('&lt;script&gt;'));
    assert.ok(md.includes('a \\| b'));
    // Every table row still has the column count of its header.
    const divergent = md.split('\n').filter((l) => l.includes('baseline answer'));
    for (const row of divergent) {
      const cells = row.replace(/\\\|/g, '').split('|').length - 2;
      assert.equal(cells, 5, row);
    }
    assert.equal(escapeMarkdown('a|b\n*c*'), 'a\\|b \\*c\\*');
  });
});

describe('renderHtml', () => {
  const html = renderHtml(report);

  test('is self-contained: no URL, no script', () => {
    assert.ok(!/https?:\/\//.test(html), 'no URL');
    assert.ok(!/<script/i.test(html.replace(/&lt;script/g, '')), 'no script element');
    assert.ok(!/\bsrc=/.test(html.replace(/src=x/g, '')), 'no src attribute');
  });

  test('escapes every text from the db, in tables and in SVG', () => {
    assert.ok(!html.includes(HOSTILE_OUTPUT));
    assert.ok(html.includes('&lt;script&gt;window.__pwned=1&lt;/script&gt;'));
    assert.ok(html.includes('&lt;img src=x onerror=&quot;window.__pwned=2&quot;&gt;'));
    assert.ok(html.includes('&lt;/svg&gt;'));
    assert.ok(html.includes('week 1 &lt;i&gt;label&lt;/i&gt; | pipe'));
    assert.equal(html.match(/<svg /g)?.length, html.match(/<\/svg>/g)?.length);
  });

  test('shows the spend on failures with the cost table', () => {
    assert.match(html, /Spend on failures: \$0\.004\d* estimated over 2 failed attempts/);
  });

  test('draws each chart', () => {
    for (const chart of [
      'latency-cdf',
      'latency-histogram',
      'errors-by-class',
      'cost-per-arm',
      'monthly-projection',
      'similarity',
    ]) {
      const svg = new RegExp(`<svg class="chart" data-chart="${chart}"[^]*?</svg>`).exec(html)?.[0];
      assert.ok(svg, `chart ${chart}`);
      assert.match(svg, /<(path|rect) class="(series|bar)"/, `chart ${chart} draws marks`);
    }
    assert.match(html, /data-decision="hold"/);
  });
});
