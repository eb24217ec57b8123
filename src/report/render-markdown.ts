/**
 * The shadow report as GitHub-flavoured Markdown, sized for a pull-request
 * comment or a wiki page. Pure: report in, string out.
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
  ARM_TITLES,
  accuracySentence,
  breakerSentence,
  decisionSummary,
  errorClassTitle,
  failureSpendText,
  intervalTitle,
  saturationWarning,
  sortedArms,
} from './report-text.js';
import type { ArmReport, DistributionSummary, IntervalEstimate, ShadowReport } from './shadow-report.js';

/**
 * Text from the database (labels, model names, outputs, error classes) made
 * inert in Markdown: no HTML, no emphasis, links or code spans, no table
 * breaks. Every line this lands in starts with our own text, so block-level
 * markers (`#`, `-`, `1.`) need no escaping.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|])/g, '\\$1');
}

function code(text: string): string {
  // A code span cannot hold its own fence reliably; fall back to escaped text.
  return text.includes('`') || /[\r\n|]/.test(text) ? escapeMarkdown(text) : `\`${text}\``;
}

function table(header: string[], rows: string[][], align?: ('l' | 'r')[]): string {
  const sep = header.map((_, i) => ((align?.[i] ?? (i === 0 ? 'l' : 'r')) === 'r' ? '---:' : '---'));
  return [header, sep, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

export function renderMarkdown(report: ShadowReport): string {
  const out: string[] = [];
  const arms = sortedArms(report);
  const baseline = report.arms.baseline;
  const candidate = report.arms.candidate;
  const c = report.comparison;
  const title = report.run.label ? escapeMarkdown(report.run.label) : code(report.runId);

  out.push(`# Shadow report: ${title}`);
  out.push('');
  out.push(
    `**Verdict: ${report.verdict.decision.toUpperCase()}** — ${escapeMarkdown(decisionSummary(report))}`,
  );
  out.push('');
  out.push(
    [
      `Run ${code(report.runId)}`,
      `status ${escapeMarkdown(report.run.status)}`,
      `started ${escapeMarkdown(report.run.startedAt)}`,
      `finished ${report.run.finishedAt ? escapeMarkdown(report.run.finishedAt) : 'n/a'}`,
      report.run.scenario ? `scenario ${code(report.run.scenario)}` : null,
      `seed ${report.run.seed}`,
      `generated ${escapeMarkdown(report.generatedAt)}`,
    ]
      .filter(Boolean)
      .join(' · '),
  );
  out.push('');
  const warning = saturationWarning(report);
  if (warning !== null) out.push(`> **${escapeMarkdown(warning)}**`, '');
  const accuracy = accuracySentence(report);
  if (accuracy !== null) out.push(escapeMarkdown(accuracy), '');

  out.push('## Headline');
  out.push('');
  out.push(
    table(
      ['', 'baseline', 'candidate'],
      [
        [
          'Error rate',
          formatShare(baseline?.errorRate ?? null, 2),
          formatShare(candidate?.errorRate ?? null, 2),
        ],
        [
          'p95 latency',
          formatMs(baseline?.latencyMs.p95 ?? null),
          formatMs(candidate?.latencyMs.p95 ?? null),
        ],
        [
          'Cost per 1k requests',
          formatUsd(baseline?.costPer1kRequestsUsd ?? null),
          formatUsd(candidate?.costPer1kRequestsUsd ?? null),
        ],
        [
          `Monthly cost (${monthlyVolumeText(report)})`,
          formatUsd(c.cost.monthly.baselineUsd),
          formatUsd(c.cost.monthly.candidateUsd),
        ],
      ],
    ),
  );
  out.push('');
  out.push(
    `Monthly savings: **${formatUsd(c.cost.monthly.savingsUsd)}** (${formatPct(c.cost.monthly.savingsPct)}), ` +
      `from ${formatCount(c.cost.n)} prompts both arms answered.`,
  );
  out.push('');

  out.push('## Per arm');
  for (const arm of arms) out.push('', ...armSection(arm));
  out.push('');

  out.push('### Prices (USD per 1M tokens)', '', ...priceSection(report), '');

  out.push('## Comparison, paired by prompt');
  out.push('');
  const lvl = intervalTitle(report);
  const ratio = (v: number | null) => formatNumber(v, 3);
  const share2 = (v: number) => formatShare(v, 2);
  out.push(
    table(
      ['Measure', 'Value', lvl, 'p-value', 'n'],
      [
        [
          'Latency, median of candidate − baseline',
          formatDeltaMs(c.latency.medianDeltaMs),
          formatInterval(c.latency.ci, formatDeltaMs),
          `${formatPValue(c.latency.pValue)} (Wilcoxon)`,
          formatCount(c.latency.n),
        ],
        estimateRow('Latency p50, candidate / baseline', c.latency.p50Ratio, ratio),
        estimateRow('Latency p95, candidate / baseline', c.latency.p95Ratio, ratio),
        estimateRow('TTFT p95, candidate / baseline', c.latency.ttftP95Ratio, ratio),
        [
          'Error rate, candidate − baseline',
          formatShareDelta(c.errors.delta),
          formatInterval(c.errors.ci, formatShareDelta),
          `${formatPValue(c.errors.pValue)} (McNemar)`,
          formatCount(c.errors.n),
        ],
        [
          'First attempts failed, candidate − baseline',
          formatShareDelta(c.attempts.firstFailureDelta),
          formatInterval(c.attempts.firstFailureCi, formatShareDelta),
          '',
          formatCount(c.attempts.n),
        ],
        estimateRow('Attempts per request, candidate − baseline', c.attempts.amplificationDelta, (v) =>
          formatNumber(v, 3),
        ),
        [
          'Cost savings',
          formatPct(c.cost.savingsPct),
          formatInterval(c.cost.savingsCi, (v) => formatPct(v)),
          '',
          formatCount(c.cost.n),
        ],
        [
          'Input tokens, candidate / baseline (median)',
          formatNumber(c.usage.inputTokenRatio, 4),
          formatInterval(c.usage.inputTokenRatioCi, (v) => formatNumber(v, 4)),
          '',
          formatCount(c.usage.inputTokenRatioN),
        ],
        [
          'Candidate responses from another model',
          formatShare(c.usage.modelMismatchShare, 2),
          formatInterval(c.usage.modelMismatchCi, share2),
          '',
          formatCount(c.usage.modelMismatchN),
        ],
      ],
    ),
  );
  out.push('');
  out.push(
    `First attempts failed: baseline ${formatShare(c.attempts.baselineFirstFailureRate, 2)}, ` +
      `candidate ${formatShare(c.attempts.candidateFirstFailureRate, 2)}; ` +
      `attempts per request: baseline ${formatNumber(c.attempts.baselineMeanAttempts, 3)}, ` +
      `candidate ${formatNumber(c.attempts.candidateMeanAttempts, 3)}. ` +
      'Retries can hide a failing provider from the final error rate; they still cost latency, money and rate-limit headroom.',
  );
  out.push('');
  const breakers = breakerSentence(report);
  if (breakers !== null) {
    out.push(breakers);
    out.push('');
  }
  if (c.refusedPairs > 0) {
    out.push(
      `${formatCount(c.refusedPairs)} prompts are left out of every paired figure: our own engine refused one side ` +
        '(circuit breaker open or retry budget spent), so the provider never answered them.',
    );
    out.push('');
  }
  out.push(
    `Errors on the same prompts: both failed ${formatCount(c.errors.table.bothFail)}, ` +
      `only baseline ${formatCount(c.errors.table.onlyBaselineFail)}, ` +
      `only candidate ${formatCount(c.errors.table.onlyCandidateFail)}, ` +
      `neither ${formatCount(c.errors.table.neitherFail)}.`,
  );
  out.push('');

  const o = c.outputs;
  out.push('### Outputs against the noise floor');
  out.push('');
  out.push(
    table(
      ['Measure', 'Candidate vs baseline', 'Replica vs baseline (noise floor)'],
      [
        [
          'Similarity, median',
          `${formatNumber(o.similarityMedian, 3)} (n ${formatCount(o.similarityN)})`,
          `${formatNumber(o.noiseFloorMedian, 3)} (n ${formatCount(o.noiseFloorN)})`,
        ],
        agreementRow('JSON validity agrees', o.jsonAgreement),
        agreementRow('Finish reason agrees', o.finishReasonAgreement),
        [
          'Tool-call names agree',
          `${formatShare(o.toolCallAgreement.namesShare)} (n ${formatCount(o.toolCallAgreement.n)})`,
          `${formatShare(o.toolCallAgreement.noiseFloorNamesShare)} (n ${formatCount(o.toolCallAgreement.noiseFloorN)})`,
        ],
        [
          'Tool-call arguments agree',
          `${formatShare(o.toolCallAgreement.argumentsShare)} (n ${formatCount(o.toolCallAgreement.n)})`,
          `${formatShare(o.toolCallAgreement.noiseFloorArgumentsShare)} (n ${formatCount(o.toolCallAgreement.noiseFloorN)})`,
        ],
      ],
      ['l', 'r', 'r'],
    ),
  );
  out.push('');
  out.push(
    `Drift: **${formatShare(o.driftShare)}** ${lvl.toLowerCase()} ${formatInterval(o.driftShareCi, (v) => formatShare(v))} ` +
      `of paired prompts (${formatCount(o.driftCount)} of ${formatCount(o.similarityN)}) ` +
      `have a similarity below ${formatNumber(o.driftThreshold, 3)}, ` +
      (o.driftThresholdSource === 'replica'
        ? 'the threshold drawn from the replica noise floor.'
        : 'the default threshold (no baseline replica in this run to measure the noise floor).'),
  );
  out.push('');

  if (o.topDivergent.length > 0) {
    out.push('### Most divergent prompts');
    out.push('');
    out.push(
      table(
        ['Prompt', 'Similarity', 'Prompt text', 'Baseline', 'Candidate'],
        o.topDivergent.map((d) => [
          `${escapeMarkdown(d.promptId)}${d.drift ? ' (drift)' : ''}`,
          formatNumber(d.similarity, 3),
          escapeMarkdown(shorten(d.promptExcerpt, 120)),
          escapeMarkdown(shorten(d.baselineExcerpt, 160)),
          escapeMarkdown(shorten(d.candidateExcerpt, 160)),
        ]),
        ['l', 'r', 'l', 'l', 'l'],
      ),
    );
    out.push('');
  }

  out.push(`## Verdict: ${report.verdict.decision.toUpperCase()}`);
  out.push('');
  for (const reason of report.verdict.reasons) out.push(`- ${escapeMarkdown(reason)}`);
  if (report.verdict.reasons.length > 0) out.push('');
  out.push(
    table(
      ['Gate', 'Metric', 'Observed', lvl, 'Threshold', 'n', 'Status', 'On fail'],
      report.verdict.gates.map((g) => [
        escapeMarkdown(g.name),
        code(g.metric),
        formatMetricValue(g.metric, g.observed),
        g.interval === null
          ? 'point only'
          : formatInterval(g.interval, (v) => formatMetricValue(g.metric, v)),
        `${escapeMarkdown(g.op)} ${formatMetricValue(g.metric, g.threshold)}`,
        `${formatCount(g.n)} / ${formatCount(g.minSamples)}`,
        g.status === 'pass' ? 'pass' : `**${g.status}**`,
        escapeMarkdown(g.onFail),
      ]),
      ['l', 'l', 'r', 'r', 'r', 'r', 'l', 'l'],
    ),
  );
  out.push('');
  return `${out.join('\n')}\n`;
}

function priceSection(report: ShadowReport): string[] {
  if (report.prices.length === 0) return ['No requests were sent.'];
  const money = (v: number | null) => (v === null ? 'n/a' : `$${formatNumber(v, 4)}`);
  const lines = [
    table(
      ['Provider', 'Model', 'input', 'cached input', 'cache write', 'output', 'reasoning', 'source'],
      report.prices.map((p) => [
        p.provider,
        code(p.model),
        money(p.inputPerMTok),
        money(p.cachedInputPerMTok),
        money(p.cacheWritePerMTok),
        money(p.outputPerMTok),
        money(p.reasoningPerMTok),
        p.source === null
          ? 'none: cost unknown'
          : `${p.source === 'config' ? 'config' : code(p.source)}${p.applied ? '' : ' (not applied)'}`,
      ]),
      ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'l'],
    ),
  ];
  if (report.prices.some((p) => !p.applied)) {
    lines.push(
      '',
      '_Not applied_: the run had no price for this model, so its requests have no cost; ' +
        '`shadowgate run --prices FILE` records them.',
    );
  }
  return lines;
}

function estimateRow(name: string, e: IntervalEstimate, format: (v: number | null) => string): string[] {
  return [name, format(e.value), formatInterval(e.ci, (v) => format(v)), '', formatCount(e.n)];
}

function armSection(a: ArmReport): string[] {
  const lines: string[] = [`### ${ARM_TITLES[a.arm]}`, ''];
  lines.push(
    table(
      ['Requests', 'Ok', 'Error rate', 'interval', 'Retried', 'Mean attempts', 'Success after retry'],
      [
        [
          formatCount(a.requests),
          formatCount(a.ok),
          formatShare(a.errorRate, 2),
          formatInterval(a.errorRateCi, (v) => formatShare(v, 2)),
          formatShare(a.retriedShare),
          formatNumber(a.meanAttempts, 3),
          formatShare(a.successAfterRetry),
        ],
      ],
      ['r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
  );
  lines.push('');
  lines.push(
    table(
      ['Latency (ok requests)', 'n', 'mean', 'p50', 'p90', 'p95', 'p99'],
      [
        latencyRow('End to end (waits included)', a.latencyMs),
        latencyRow('Service (last attempt)', a.serviceMs),
        latencyRow('Time to first token', a.ttftMs),
        latencyRow('Time per output token', a.tpotMs),
      ],
    ),
  );
  lines.push('');
  const errors = Object.entries(a.errorsByClass);
  const refusals = Object.entries(a.engineRefusals);
  lines.push(
    `Errors by class: ${errors.length ? errors.map(([k, n]) => `${escapeMarkdown(errorClassTitle(k))} ${formatCount(n)}`).join(', ') : 'none'}. ` +
      `Engine refusals: ${refusals.length ? refusals.map(([k, n]) => `${escapeMarkdown(errorClassTitle(k))} ${formatCount(n)}`).join(', ') : 'none'}.`,
  );
  lines.push('');
  lines.push(
    table(
      [
        'Input tokens',
        'Cached',
        'Output',
        'Reasoning',
        'Estimated usage',
        'Cost',
        'Per request',
        'Per 1k requests',
        'Per 1M tokens',
      ],
      [
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
        ],
      ],
      ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
  );
  lines.push('');
  lines.push(`${failureSpendText(a)}.`);
  lines.push('');
  const models = a.responseModels.slice(0, 8);
  lines.push(
    `Response models: ${
      models.length
        ? models
            .map(
              (m) => `${m.response === null ? 'none reported' : code(m.response)} ×${formatCount(m.count)}`,
            )
            .join(', ')
        : 'none'
    }${a.responseModels.length > models.length ? ', …' : ''}` +
      (a.modelMismatchShare !== null
        ? ` (not the requested model: ${formatShare(a.modelMismatchShare, 2)})`
        : ''),
  );
  return lines;
}

function latencyRow(name: string, s: DistributionSummary): string[] {
  return [
    name,
    formatCount(s.n),
    formatMs(s.mean),
    formatMs(s.p50),
    formatMs(s.p90),
    formatMs(s.p95),
    formatMs(s.p99),
  ];
}

function agreementRow(
  name: string,
  a: { share: number | null; n: number; noiseFloorShare: number | null; noiseFloorN: number },
) {
  return [
    name,
    `${formatShare(a.share)} (n ${formatCount(a.n)})`,
    `${formatShare(a.noiseFloorShare)} (n ${formatCount(a.noiseFloorN)})`,
  ];
}

function shorten(text: string | null, chars: number): string {
  if (text === null) return '';
  return text.length > chars ? `${text.slice(0, chars - 1)}…` : text;
}

function monthlyVolumeText(report: ShadowReport): string {
  const m = report.comparison.cost.monthly;
  return m.basis === 'requests'
    ? `${formatCount(m.volume)} requests/month`
    : `${formatCount(m.volume)} tokens/month`;
}
