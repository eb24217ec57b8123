/**
 * The shadow report as one self-contained HTML page: inline CSS and SVG, no
 * script, no external URL, so it opens from a file, an artifact store or an
 * air-gapped laptop, and prints cleanly. Pure: report in, string out.
 */
import {
  formatCount,
  formatDeltaMs,
  formatInterval,
  formatMetricValue,
  formatMs,
  formatNumber,
  formatPct,
  formatPValue,
  formatShare,
  formatShareDelta,
  formatUsd,
} from './number-format.js';
import {
  accuracySentence,
  breakerSentence,
  decisionSummary,
  errorClassTitle,
  failureSpendText,
  intervalTitle,
  saturationWarning,
  sortedArms,
} from './report-text.js';
import type {
  AgreementReport,
  ArmName,
  ArmReport,
  DistributionSummary,
  ShadowReport,
} from './shadow-report.js';
import { barChart, escapeHtml, histogramChart, lineChart, type Series } from './svg-charts.js';

/** Colour-blind-safe arm colours (Tableau 10 blue and orange; grey for the replica). */
export const ARM_COLORS: Record<ArmName, string> = {
  baseline: '#4e79a7',
  candidate: '#f28e2b',
  baseline_replica: '#8c8c8c',
};

const SHORT_ARM: Record<ArmName, string> = {
  baseline: 'baseline',
  candidate: 'candidate',
  baseline_replica: 'replica',
};

const esc = escapeHtml;

function armSeries(arm: ArmName): Series {
  return { name: SHORT_ARM[arm], color: ARM_COLORS[arm], dashed: arm === 'baseline_replica' };
}

/**
 * One self-contained page around `body`: inline CSS, a Content-Security-Policy
 * that allows no script and no external URL. Shared by both reports.
 */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

export function renderHtml(report: ShadowReport): string {
  const title = `Shadow report: ${report.run.label ?? report.runId}`;
  return htmlPage(
    title,
    `${header(report, title)}
${accuracyNote(report)}${cards(report)}
${latencySection(report)}
${errorsSection(report)}
${costSection(report)}
${outputsSection(report)}
${verdictSection(report)}
<footer>Generated ${esc(report.generatedAt)} by shadowgate from run <code>${esc(report.runId)}</code>.
Percentiles interpolate linearly between closest ranks (numpy's default). Intervals are two-sided ${esc(intervalTitle(report))}s: each end is a one-sided ${esc(String(report.confidence * 100))}% bound.</footer>`,
  );
}

function header(report: ShadowReport, title: string): string {
  const r = report.run;
  const meta = [
    `run <code>${esc(report.runId)}</code>`,
    `status <b>${esc(r.status)}</b>`,
    `${esc(r.startedAt)} → ${r.finishedAt ? esc(r.finishedAt) : 'not finished'}`,
    r.scenario ? `scenario <code>${esc(r.scenario)}</code>` : null,
    `seed ${esc(String(r.seed))}`,
  ].filter(Boolean);
  return `<header><h1>${esc(title)}</h1><p class="meta">${meta.join(' · ')}</p></header>`;
}

/** The saturation warning and the accuracy line, under the header; empty for a run without an instrument. */
function accuracyNote(report: ShadowReport): string {
  const warning = saturationWarning(report);
  const accuracy = accuracySentence(report);
  return (
    (warning === null ? '' : `<p class="warning" role="alert">${esc(warning)}</p>\n`) +
    (accuracy === null ? '' : `<p class="accuracy muted">${esc(accuracy)}</p>\n`)
  );
}

function cards(report: ShadowReport): string {
  const b = report.arms.baseline;
  const c = report.arms.candidate;
  const cost = report.comparison.cost;
  const decision = report.verdict.decision;
  const errDelta = report.comparison.errors.delta;
  const p95b = b?.latencyMs.p95 ?? null;
  const p95c = c?.latencyMs.p95 ?? null;
  return `<section class="cards">
<div class="card decision decision-${esc(decision)}" data-decision="${esc(decision)}">
  <div class="card-label">Verdict</div><div class="card-value">${esc(decision)}</div>
  <div class="card-note">${esc(decisionSummary(report))}</div>
</div>
<div class="card">
  <div class="card-label">Candidate error rate</div>
  <div class="card-value">${esc(formatShare(c?.errorRate ?? null, 2))}</div>
  <div class="card-note">baseline ${esc(formatShare(b?.errorRate ?? null, 2))} · paired Δ ${esc(formatShareDelta(errDelta))}</div>
</div>
<div class="card">
  <div class="card-label">Candidate p95 latency</div>
  <div class="card-value">${esc(formatMs(p95c))}</div>
  <div class="card-note">baseline ${esc(formatMs(p95b))}${p95b && p95c ? ` · ×${esc(formatNumber(p95c / p95b, 3))}` : ''}</div>
</div>
<div class="card">
  <div class="card-label">Monthly savings</div>
  <div class="card-value">${esc(formatUsd(cost.monthly.savingsUsd))}</div>
  <div class="card-note">${esc(formatPct(cost.savingsPct))} at ${esc(monthlyVolume(report))}</div>
</div>
</section>`;
}

function monthlyVolume(report: ShadowReport): string {
  const m = report.comparison.cost.monthly;
  return `${formatCount(m.volume)} ${m.basis}/month`;
}

function figure(chart: string, caption: string): string {
  return `<figure>${chart}<figcaption>${esc(caption)}</figcaption></figure>`;
}

function latencySection(report: ShadowReport): string {
  const cdf = report.charts.latencyCdf;
  // Cut the axis at the highest p99.5 so one slow outlier does not squash the curves.
  const p995 = cdf.map((s) => s.points[199]?.[0] ?? 0);
  const cdfChart = lineChart({
    chart: 'latency-cdf',
    title: 'End-to-end latency, cumulative share of ok requests',
    series: cdf.map((s) => ({ ...armSeries(s.arm), points: s.points })),
    xLabel: 'end-to-end latency',
    yLabel: 'share of requests ≤ x',
    formatX: (v) => formatMs(v),
    formatY: (v) => `${Math.round(v * 100)}%`,
    xMax: Math.max(1, ...p995),
    yMax: 1,
    guidesY: [
      { at: 0.5, label: 'p50' },
      { at: 0.95, label: 'p95' },
    ],
  });
  const h = report.charts.latencyHistogram;
  const histogram = histogramChart({
    chart: 'latency-histogram',
    title: 'End-to-end latency distribution',
    edges: h?.edgesMs ?? [],
    series: (h?.arms ?? []).map((a) => ({ ...armSeries(a.arm), counts: a.counts })),
    xLabel: 'end-to-end latency',
    formatX: (v) => formatMs(v),
  });
  const c = report.comparison.latency;
  return `<section><h2>Latency</h2>
<p class="lead">Median per-prompt difference (candidate − baseline): <b>${esc(formatDeltaMs(c.medianDeltaMs))}</b>,
${esc(intervalTitle(report))} ${esc(formatInterval(c.ci, formatDeltaMs))}, Wilcoxon p ${esc(formatPValue(c.pValue))},
over ${esc(formatCount(c.n))} prompts both arms answered.</p>
<div class="charts">
${figure(cdfChart, 'Cumulative share of ok requests by end-to-end latency (waits between attempts included). Axis cut at the highest p99.5.')}
${figure(histogram, 'Share of ok requests per latency bin. Values below the lowest p1 or above the highest p99 are folded into the edge bins.')}
</div>
${latencyTable(report)}
</section>`;
}

function latencyTable(report: ShadowReport): string {
  const rows: string[] = [];
  for (const a of sortedArms(report)) {
    const kinds: [string, DistributionSummary][] = [
      ['end to end', a.latencyMs],
      ['service', a.serviceMs],
      ['time to first token', a.ttftMs],
      ['time per output token', a.tpotMs],
    ];
    kinds.forEach(([kind, s], i) => {
      rows.push(
        `<tr>${i === 0 ? `<th rowspan="4" scope="rowgroup">${armLabel(a.arm)}</th>` : ''}<td>${esc(kind)}</td>` +
          [
            formatCount(s.n),
            formatMs(s.mean),
            formatMs(s.p50),
            formatMs(s.p90),
            formatMs(s.p95),
            formatMs(s.p99),
          ]
            .map((v) => `<td class="num">${esc(v)}</td>`)
            .join('') +
          '</tr>',
      );
    });
  }
  return `<table class="data"><thead><tr><th>Arm</th><th>Latency (ok requests)</th><th class="num">n</th><th class="num">mean</th>
<th class="num">p50</th><th class="num">p90</th><th class="num">p95</th><th class="num">p99</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function armLabel(arm: ArmName): string {
  return `<span class="swatch" style="background:${ARM_COLORS[arm]}"></span>${esc(SHORT_ARM[arm])}`;
}

function errorsSection(report: ShadowReport): string {
  const arms = sortedArms(report);
  const keys = [
    ...new Set(arms.flatMap((a) => [...Object.keys(a.errorsByClass), ...Object.keys(a.engineRefusals)])),
  ].sort((x, y) => total(arms, y) - total(arms, x) || x.localeCompare(y));
  const chart = barChart({
    chart: 'errors-by-class',
    title: 'Errors by class per arm',
    categories: keys.map(errorClassTitle),
    series: arms.map((a) => ({
      ...armSeries(a.arm),
      values: keys.map((k) => a.errorsByClass[k] ?? a.engineRefusals[k] ?? 0),
    })),
    yLabel: 'requests',
    formatY: (v) => formatCount(v),
  });
  const e = report.comparison.errors;
  const breakers = breakerSentence(report);
  const rows = arms
    .map(
      (a) =>
        `<tr><th scope="row">${armLabel(a.arm)}</th>` +
        [
          formatCount(a.requests),
          formatCount(a.ok),
          formatShare(a.errorRate, 2),
          formatInterval(a.errorRateCi, (v) => formatShare(v, 2)),
          formatCount(a.providerErrors),
          formatCount(a.errors - a.providerErrors),
          formatShare(a.retriedShare),
          formatNumber(a.meanAttempts, 3),
          formatShare(a.successAfterRetry),
        ]
          .map((v) => `<td class="num">${esc(v)}</td>`)
          .join('') +
        `<td>${classList(a.errorsByClass)}${Object.keys(a.engineRefusals).length ? `<div class="refusals">engine: ${classList(a.engineRefusals)}</div>` : ''}</td></tr>`,
    )
    .join('');
  return `<section><h2>Errors</h2>
<p class="lead">Paired error-rate difference (candidate − baseline): <b>${esc(formatShareDelta(e.delta))}</b>,
${esc(intervalTitle(report))} ${esc(formatInterval(e.ci, formatShareDelta))}, McNemar p ${esc(formatPValue(e.pValue))}
over ${esc(formatCount(e.n))} prompts (both failed ${esc(formatCount(e.table.bothFail))},
only baseline ${esc(formatCount(e.table.onlyBaselineFail))}, only candidate ${esc(formatCount(e.table.onlyCandidateFail))}).</p>
${breakers === null ? '' : `<p>${esc(breakers)}</p>`}
<div class="charts">${figure(chart, 'Failed requests per error class. Engine refusals (circuit open, retry budget) are our own engine declining to send, not provider failures.')}</div>
<table class="data"><thead><tr><th>Arm</th><th class="num">requests</th><th class="num">ok</th><th class="num">error rate</th>
<th class="num">interval</th><th class="num">provider errors</th><th class="num">engine refusals</th><th class="num">retried</th>
<th class="num">mean attempts</th><th class="num">success after retry</th><th>by class</th></tr></thead><tbody>${rows}</tbody></table>
</section>`;
}

function total(arms: ArmReport[], key: string): number {
  return arms.reduce((sum, a) => sum + (a.errorsByClass[key] ?? a.engineRefusals[key] ?? 0), 0);
}

function classList(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  if (entries.length === 0) return '<span class="muted">none</span>';
  return entries.map(([k, v]) => `${esc(errorClassTitle(k))} ${esc(formatCount(v))}`).join(', ');
}

function costSection(report: ShadowReport): string {
  const arms = sortedArms(report);
  const cost = report.comparison.cost;
  const perArm = barChart({
    chart: 'cost-per-arm',
    title: 'Cost per 1,000 requests per arm',
    categories: ['per 1k requests'],
    series: arms.map((a) => ({ ...armSeries(a.arm), values: [a.costPer1kRequestsUsd] })),
    yLabel: 'USD',
    formatY: (v) => formatUsd(v),
  });
  const monthly = barChart({
    chart: 'monthly-projection',
    title: `Monthly cost at ${monthlyVolume(report)}`,
    categories: ['monthly cost'],
    series: [
      { ...armSeries('baseline'), values: [cost.monthly.baselineUsd] },
      { ...armSeries('candidate'), values: [cost.monthly.candidateUsd] },
    ],
    yLabel: 'USD per month',
    formatY: (v) => formatUsd(v),
  });
  const rows = arms
    .map(
      (a) =>
        `<tr><th scope="row">${armLabel(a.arm)}</th>` +
        [
          formatCount(a.tokens.input),
          formatCount(a.tokens.cached),
          formatCount(a.tokens.output),
          formatCount(a.tokens.reasoning),
          formatShare(a.usageEstimatedShare),
          formatUsd(a.costUsd),
          formatUsd(a.costPerRequestUsd),
          formatUsd(a.costPer1kRequestsUsd),
          formatUsd(a.costPer1mTokensUsd),
        ]
          .map((v) => `<td class="num">${esc(v)}</td>`)
          .join('') +
        '</tr>',
    )
    .join('');
  const u = report.comparison.usage;
  const models = arms
    .map(
      (a) =>
        `<tr><th scope="row">${armLabel(a.arm)}</th><td>${
          a.responseModels.length
            ? a.responseModels
                .slice(0, 8)
                .map(
                  (m) =>
                    `<code>${esc(m.response ?? 'none reported')}</code> ×${esc(formatCount(m.count))}` +
                    (m.requested !== null && m.requested !== m.response
                      ? ` <span class="muted">(asked ${esc(m.requested)})</span>`
                      : ''),
                )
                .join('<br>')
            : '<span class="muted">none</span>'
        }</td><td class="num">${esc(formatShare(a.modelMismatchShare, 2))}</td></tr>`,
    )
    .join('');
  return `<section><h2>Tokens and cost</h2>
<p class="lead">On ${esc(formatCount(cost.n))} prompts both arms answered, the candidate costs
<b>${esc(formatPct(cost.savingsPct))}</b> less (${esc(formatUsd(cost.candidateCostUsd))} vs ${esc(formatUsd(cost.baselineCostUsd))}).
At ${esc(monthlyVolume(report))}: ${esc(formatUsd(cost.monthly.baselineUsd))} → ${esc(formatUsd(cost.monthly.candidateUsd))},
saving <b>${esc(formatUsd(cost.monthly.savingsUsd))}</b> a month.</p>
<div class="charts">
${figure(perArm, 'Cost per 1,000 requests, all requests with a known price (errors included).')}
${figure(monthly, 'Projected monthly cost from the per-request cost on prompts both arms answered.')}
</div>
<table class="data"><thead><tr><th>Arm</th><th class="num">input tokens</th><th class="num">cached</th><th class="num">output</th>
<th class="num">reasoning</th><th class="num">estimated usage</th><th class="num">cost</th><th class="num">per request</th>
<th class="num">per 1k requests</th><th class="num">per 1M tokens</th></tr></thead><tbody>${rows}</tbody></table>
${arms.map((a) => `<p>${armLabel(a.arm)}: ${esc(failureSpendText(a))}.</p>`).join('\n')}
${priceTableHtml(report)}
<h3>Usage parity</h3>
<p>Candidate reported input tokens relative to the baseline's on the same prompts (median):
<b>${esc(formatNumber(u.inputTokenRatio, 4))}</b> over ${esc(formatCount(u.inputTokenRatioN))} prompts.
A relay that inflates prompt tokens shows here; a different tokenizer moves it a few percent.</p>
<table class="data"><thead><tr><th>Arm</th><th>response <code>model</code> values (ok requests)</th><th class="num">not the requested model</th></tr></thead>
<tbody>${models}</tbody></table>
</section>`;
}

function priceTableHtml(report: ShadowReport): string {
  const money = (v: number | null) => (v === null ? 'n/a' : `$${formatNumber(v, 4)}`);
  const rows = report.prices
    .map(
      (p) =>
        `<tr><th scope="row">${esc(p.provider)}</th><td><code>${esc(p.model)}</code></td>` +
        [p.inputPerMTok, p.cachedInputPerMTok, p.cacheWritePerMTok, p.outputPerMTok, p.reasoningPerMTok]
          .map((v) => `<td class="num">${esc(money(v))}</td>`)
          .join('') +
        `<td>${
          p.source === null
            ? '<span class="muted">none: cost unknown</span>'
            : `${p.source === 'config' ? 'config' : `<code>${esc(p.source)}</code>`}${p.applied ? '' : ' <span class="muted">(not applied: the run recorded no cost for it)</span>'}`
        }</td></tr>`,
    )
    .join('');
  return `<h3>Prices (USD per 1M tokens)</h3>
<table class="data"><thead><tr><th>Provider</th><th>model</th><th class="num">input</th><th class="num">cached input</th>
<th class="num">cache write</th><th class="num">output</th><th class="num">reasoning</th><th>source</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

function outputsSection(report: ShadowReport): string {
  const o = report.comparison.outputs;
  const s = report.charts.similarity;
  const similarity = histogramChart({
    chart: 'similarity',
    title: 'Similarity to the baseline answer',
    edges: s?.edges ?? [],
    series: [
      { ...armSeries('candidate'), counts: s?.candidate ?? [] },
      ...(s?.replica ? [{ ...armSeries('baseline_replica'), counts: s.replica }] : []),
    ],
    xLabel: 'similarity to the baseline answer (1 = identical)',
    formatX: (v) => formatNumber(v, 2),
    marker: s ? { at: s.threshold, label: `drift below ${formatNumber(s.threshold, 3)}` } : undefined,
  });
  const divergent = o.topDivergent
    .map(
      (
        d,
      ) => `<tr${d.drift ? ' class="drift"' : ''}><td><code>${esc(d.promptId)}</code>${d.drift ? '<div class="tag">drift</div>' : ''}</td>
<td class="num">${esc(formatNumber(d.similarity, 3))}</td><td class="text">${esc(d.promptExcerpt ?? '')}</td>
<td class="text">${esc(d.baselineExcerpt ?? '')}</td><td class="text">${esc(d.candidateExcerpt ?? '')}</td></tr>`,
    )
    .join('');
  const t = o.toolCallAgreement;
  return `<section><h2>Outputs against the noise floor</h2>
<p class="lead"><b>${esc(formatShare(o.driftShare))}</b> of paired prompts drift (${esc(formatCount(o.driftCount))} of ${esc(formatCount(o.similarityN))}):
the candidate's answer is less similar to the baseline's than ${esc(formatNumber(o.driftThreshold, 3))}, ${
    o.driftThresholdSource === 'replica'
      ? 'a threshold drawn from how much the baseline differs from itself (its replica).'
      : 'the default threshold: this run had no baseline replica to measure the noise floor.'
  }</p>
<div class="charts">${figure(similarity, 'Share of paired prompts per similarity bin; the replica shows how far the baseline drifts from itself.')}
<table class="data compact"><thead><tr><th>Measure</th><th class="num">candidate vs baseline</th><th class="num">replica vs baseline</th></tr></thead><tbody>
<tr><th scope="row">similarity, median</th><td class="num">${esc(formatNumber(o.similarityMedian, 3))}</td><td class="num">${esc(formatNumber(o.noiseFloorMedian, 3))}</td></tr>
${agreementRow('JSON validity agrees', o.jsonAgreement)}
${agreementRow('finish reason agrees', o.finishReasonAgreement)}
<tr><th scope="row">tool-call names agree</th><td class="num">${esc(formatShare(t.namesShare))} <span class="muted">n ${esc(formatCount(t.n))}</span></td>
<td class="num">${esc(formatShare(t.noiseFloorNamesShare))} <span class="muted">n ${esc(formatCount(t.noiseFloorN))}</span></td></tr>
<tr><th scope="row">tool-call arguments agree</th><td class="num">${esc(formatShare(t.argumentsShare))} <span class="muted">n ${esc(formatCount(t.n))}</span></td>
<td class="num">${esc(formatShare(t.noiseFloorArgumentsShare))} <span class="muted">n ${esc(formatCount(t.noiseFloorN))}</span></td></tr>
</tbody></table></div>
${
  divergent
    ? `<h3>Most divergent prompts</h3><table class="data divergent"><thead><tr><th>Prompt</th><th class="num">similarity</th><th>prompt</th><th>baseline</th><th>candidate</th></tr></thead><tbody>${divergent}</tbody></table>`
    : ''
}
</section>`;
}

function agreementRow(name: string, a: AgreementReport): string {
  return `<tr><th scope="row">${esc(name)}</th><td class="num">${esc(formatShare(a.share))} <span class="muted">n ${esc(formatCount(a.n))}</span></td>
<td class="num">${esc(formatShare(a.noiseFloorShare))} <span class="muted">n ${esc(formatCount(a.noiseFloorN))}</span></td></tr>`;
}

function verdictSection(report: ShadowReport): string {
  const v = report.verdict;
  const rows = v.gates
    .map(
      (
        g,
      ) => `<tr class="gate gate-${esc(g.status)}"><th scope="row">${esc(g.name)}</th><td><code>${esc(g.metric)}</code></td>
<td class="num">${esc(formatMetricValue(g.metric, g.observed))}</td><td class="num">${esc(g.interval === null ? 'point only' : formatInterval(g.interval, (v) => formatMetricValue(g.metric, v)))}</td><td class="num">${esc(g.op)} ${esc(formatMetricValue(g.metric, g.threshold))}</td>
<td class="num">${esc(formatCount(g.n))} / ${esc(formatCount(g.minSamples))}</td><td><span class="status status-${esc(g.status)}">${esc(g.status)}</span></td>
<td>${esc(g.onFail)}</td></tr>`,
    )
    .join('');
  const reasons = v.reasons.length ? `<ul>${v.reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>` : '';
  return `<section><h2>Verdict: <span class="decision-text decision-${esc(v.decision)}">${esc(v.decision)}</span></h2>
${reasons}
<table class="data gates"><thead><tr><th>Gate</th><th>Metric</th><th class="num">observed</th><th class="num">${esc(intervalTitle(report))}</th><th class="num">threshold</th>
<th class="num">n / min</th><th>status</th><th>on fail</th></tr></thead><tbody>${rows}</tbody></table>
<p class="muted">A gate passes when its interval lies inside the threshold, fails when the interval lies entirely beyond it (proven harm), and is <i>inconclusive</i> (hold) when it straddles it; with too few samples it is <i>insufficient</i> and holds. It never passes silently.</p>
</section>`;
}

const REPORT_CSS = `
:root { --ink: #1f2328; --muted: #656d76; --line: #d0d7de; --soft: #f6f8fa;
  --promote: #1a7f37; --hold: #9a6700; --rollback: #cf222e; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 20px 0 6px; }
code { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--soft);
  padding: 1px 4px; border-radius: 4px; }
.meta, .muted, figcaption, footer { color: var(--muted); }
.warning { border: 1px solid #d97706; background: #fffbeb; color: #78350f; border-radius: 8px; padding: 10px 14px; font-weight: 600; }
.lead { max-width: 900px; }
.cards { display: grid; grid-template-columns: 1.4fr 1fr 1fr 1fr; gap: 12px; margin: 20px 0 8px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; background: #fff; }
.card-label { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.card-value { font-size: 26px; font-weight: 650; margin: 2px 0; font-variant-numeric: tabular-nums; }
.card-note { font-size: 12.5px; color: var(--muted); }
.decision .card-value { text-transform: uppercase; }
.decision-promote { border-color: var(--promote); background: #dafbe1; }
.decision-hold { border-color: var(--hold); background: #fff8c5; }
.decision-rollback { border-color: var(--rollback); background: #ffebe9; }
.decision-promote .card-value, span.decision-promote { color: var(--promote); }
.decision-hold .card-value, span.decision-hold { color: var(--hold); }
.decision-rollback .card-value, span.decision-rollback { color: var(--rollback); }
span.decision-text { text-transform: uppercase; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); gap: 16px; align-items: start; }
figure { margin: 8px 0; border: 1px solid var(--line); border-radius: 8px; padding: 8px 10px 6px; }
figcaption { font-size: 12px; margin-top: 2px; }
svg.chart { width: 100%; height: auto; display: block; font-size: 11px; }
svg.chart text { fill: var(--ink); }
svg.chart .tick, svg.chart .axis-label, svg.chart .guide-label { fill: var(--muted); }
svg.chart .grid { stroke: #eaeef2; }
svg.chart .axis, svg.chart .tick-mark { stroke: #8c959f; }
svg.chart .guide { stroke: #afb8c1; stroke-dasharray: 3 3; }
svg.chart .marker { stroke: var(--rollback); stroke-width: 1.5; stroke-dasharray: 4 3; }
svg.chart .marker-label { fill: var(--rollback); }
svg.chart .bar-label { font-size: 10.5px; fill: var(--ink); }
svg.chart .empty-frame { fill: var(--soft); stroke: var(--line); }
svg.chart .empty-text { fill: var(--muted); font-size: 13px; }
svg.chart .bar:hover, svg.chart .series:hover { opacity: .8; }
table.data { border-collapse: collapse; width: 100%; margin: 10px 0; font-variant-numeric: tabular-nums; }
table.data th, table.data td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
table.data thead th { font-size: 12px; color: var(--muted); font-weight: 600; background: var(--soft); }
table.data .num { text-align: right; white-space: nowrap; }
table.compact { align-self: start; }
td.text { max-width: 320px; font-size: 12.5px; overflow-wrap: anywhere; white-space: pre-wrap; }
tr.drift td:first-child { border-left: 3px solid var(--rollback); }
.tag { display: inline-block; font-size: 11px; color: var(--rollback); }
.refusals { font-size: 12px; color: var(--muted); }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: baseline; }
.status { font-weight: 600; padding: 1px 8px; border-radius: 10px; font-size: 12px; }
.status-pass { color: var(--promote); background: #dafbe1; }
.status-fail { color: var(--rollback); background: #ffebe9; }
.status-insufficient { color: var(--hold); background: #fff8c5; }
.status-inconclusive { color: var(--hold); background: #fff8c5; }
footer { margin-top: 36px; font-size: 12px; border-top: 1px solid var(--line); padding-top: 8px; }
@media (max-width: 820px) { .cards { grid-template-columns: 1fr 1fr; } }
@media print {
  main { max-width: none; padding: 0; }
  section, figure, .card, table { break-inside: avoid; }
  .charts { grid-template-columns: 1fr 1fr; }
  body { font-size: 11px; }
}
`;
