/**
 * The week-2 report in three formats: Markdown for a pull request, one
 * self-contained HTML page (inline CSS and SVG, no script), and JSON with
 * snake_case keys. Pure: report in, string out; every text from the store is
 * escaped for its format.
 */
import type { GateResult } from '../judge/gates.js';
import {
  formatCount,
  formatInterval,
  formatMetricValue,
  formatMs,
  formatPct,
  formatShare,
  formatUsd,
} from './number-format.js';
import { ARM_COLORS, htmlPage } from './render-html.js';
import { escapeMarkdown } from './render-markdown.js';
import type { RolloutArmStats, RolloutReport, RolloutStageReport } from './rollout-model.js';
import { escapeHtml as esc } from './svg-charts.js';

const DECISION_COLORS: Record<string, string> = { promote: '#1a7f37', hold: '#9a6700', rollback: '#cf222e' };

function stageName(s: RolloutStageReport): string {
  return `${s.stage}: ${s.percentage}%${s.attempt > 0 ? ` (ext. ${s.attempt})` : ''}`;
}

function gateInterval(g: GateResult): string {
  return g.interval === null
    ? 'point only'
    : formatInterval(g.interval, (v) => formatMetricValue(g.metric, v));
}

// ---- Markdown ----

function mdTable(header: string[], rows: string[][]): string {
  const sep = header.map((_, i) => (i === 0 ? '---' : '---:'));
  return [header, sep, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

function armCells(a: RolloutArmStats): string[] {
  return [
    formatCount(a.requests),
    `${formatShare(a.errorRate, 2)} ${formatInterval(a.errorRateCi, (v) => formatShare(v, 2))}`,
    formatCount(a.fallbacks),
    formatMs(a.latencyMs.p50),
    formatMs(a.latencyMs.p95),
    formatUsd(a.costUsd),
  ];
}

export function renderRolloutMarkdown(r: RolloutReport): string {
  const m = escapeMarkdown;
  const out: string[] = [];
  out.push(`# Rollout report: ${m(r.rollout.label ?? r.rolloutId)}`, '');
  out.push(`**Final state: ${m(r.final.headline)}.** ${m(r.final.reason)}`, '');
  out.push(
    `Rollout \`${r.rolloutId}\` · stages ${r.plan.stages.join(' → ')} · ${r.stages.length} stage attempt(s) · scenario cycled ${r.rollout.cycles} time(s) · salt \`${m(r.rollout.salt)}\` · hashVersion ${r.rollout.hashVersion}`,
  );
  out.push(
    r.rollout.shadowRunId
      ? `Week-1 evidence: run \`${m(r.rollout.shadowRunId)}\`, verdict ${m(r.rollout.shadowDecision ?? 'n/a')}${r.rollout.forced ? ' (**started with --force**)' : ''}.`
      : 'Week-1 evidence: none given (no --shadow-run).',
    '',
  );
  out.push('## Stages', '');
  out.push(
    mdTable(
      ['stage', 'decision', 'arm', 'requests', 'error rate', 'fallbacks', 'p50', 'p95', 'cost'],
      r.stages.flatMap((s) => [
        [m(stageName(s)), s.decision ?? 'running', 'baseline', ...armCells(s.arms.baseline)],
        ['', '', 'candidate', ...armCells(s.arms.candidate)],
      ]),
    ),
    '',
  );
  for (const s of r.stages) {
    out.push(`### Stage ${m(stageName(s))}: ${s.decision ?? 'running'}`, '');
    for (const reason of s.reasons) out.push(`- ${m(reason)}`);
    if (s.srm)
      out.push(
        `- sample ratio: ${s.srm.candidate} of ${s.srm.candidate + s.srm.baseline} keys on the candidate (expected ${formatShare(s.srm.expectedShare, 1)}), p = ${s.srm.pValue === null ? 'n/a' : s.srm.pValue.toPrecision(3)}${s.srm.mismatch ? ' **MISMATCH**' : ''}`,
      );
    out.push('');
    if (s.gates.length > 0) {
      out.push(
        mdTable(
          ['gate', 'metric', 'observed', 'interval', 'threshold', 'n / min', 'status'],
          s.gates.map((g) => [
            m(g.name),
            `\`${g.metric}\``,
            formatMetricValue(g.metric, g.observed),
            gateInterval(g),
            `${m(g.op)} ${formatMetricValue(g.metric, g.threshold)}`,
            `${formatCount(g.n)} / ${formatCount(g.minSamples)}`,
            `${g.status}${g.status === 'fail' ? ` → ${g.onFail}` : ''}`,
          ]),
        ),
        '',
      );
    }
  }
  const c = r.cost;
  out.push('## Cost', '');
  out.push(
    mdTable(
      ['', 'USD'],
      [
        ['realised (fallbacks included)', formatUsd(c.realisedUsd)],
        ['all-baseline counterfactual', formatUsd(c.allBaselineUsd)],
        ['saved', `${formatUsd(c.savingsUsd)} (${formatPct(c.savingsPct)})`],
        ['extra spend of fallbacks', formatUsd(c.fallbackExtraUsd)],
      ],
    ),
    '',
  );
  out.push('## Audit trail', '');
  out.push(
    mdTable(
      ['when', 'actor', 'move', 'reason'],
      r.events.map((e) => [
        m(e.at),
        `${m(e.actor)}${e.automatic ? ' (gates)' : ''}`,
        `${e.fromPercentage ?? '–'}% ${m(e.fromStatus ?? '')} → ${e.toPercentage ?? '–'}% ${m(e.toStatus ?? '')}`,
        m(e.reason),
      ]),
    ),
    '',
  );
  out.push('## Notes', '', ...r.notes.map((n) => `- ${m(n)}`), '');
  out.push(`_Generated ${m(r.generatedAt)} by shadowgate._`, '');
  return out.join('\n');
}

// ---- JSON ----

export function renderRolloutJson(r: RolloutReport): string {
  return `${JSON.stringify(snake(r), null, 2)}\n`;
}

function snake(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? Number(value.toPrecision(6)) : null;
  if (value === undefined) return null;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(snake);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = snake(v);
  return out;
}

// ---- HTML ----

/** The candidate's share over the rehearsal's requests, a step per stage attempt, each decision marked. */
export function timelineChart(r: RolloutReport): string {
  const W = 720;
  const H = 260;
  const L = 56;
  const R = 44;
  const T = 34;
  const B = 44;
  const end = Math.max(1, ...r.stages.map((s) => s.endSeq ?? s.startSeq));
  const x = (seq: number) => L + (seq / end) * (W - L - R);
  const y = (pct: number) => H - B - (pct / 100) * (H - T - B);
  const parts = [
    `<svg class="chart" data-chart="rollout-timeline" role="img" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg">`,
    `<title>Candidate share of traffic by stage</title>`,
    `<text x="${L}" y="20" class="chart-title">Candidate share of traffic by stage</text>`,
  ];
  for (const pct of [0, 25, 50, 75, 100]) {
    parts.push(
      `<line class="grid" x1="${L}" x2="${W - R}" y1="${y(pct)}" y2="${y(pct)}" stroke="#d0d7de"/>`,
      `<text x="${L - 6}" y="${y(pct) + 4}" text-anchor="end" class="tick">${pct}%</text>`,
    );
  }
  parts.push(
    `<text x="${(L + W - R) / 2}" y="${H - 8}" text-anchor="middle" class="axis-label">requests (rehearsal order)</text>`,
  );
  let d = '';
  for (const s of r.stages) {
    const x0 = x(s.startSeq);
    const x1 = x(s.endSeq ?? s.startSeq);
    d += `${d ? 'L' : 'M'}${x0.toFixed(1)} ${y(s.percentage).toFixed(1)}L${x1.toFixed(1)} ${y(s.percentage).toFixed(1)}`;
  }
  if (r.rollout.status === 'rolled_back' && r.stages.length > 0)
    d += `L${x(end).toFixed(1)} ${y(0).toFixed(1)}`;
  if (d)
    parts.push(
      `<path class="series" d="${d}" fill="none" stroke="${ARM_COLORS.candidate}" stroke-width="2.5"/>`,
    );
  for (const s of r.stages) {
    if (s.decision === null) continue;
    const cx = x(s.endSeq ?? s.startSeq);
    const cy = y(s.percentage);
    parts.push(
      `<circle class="decision-mark" data-decision="${esc(s.decision)}" cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="6" fill="${DECISION_COLORS[s.decision] ?? '#666'}"><title>${esc(`stage ${stageName(s)}: ${s.decision}`)}</title></circle>`,
      `<text x="${cx.toFixed(1)}" y="${(cy - 10).toFixed(1)}" text-anchor="middle" class="tick">${esc(s.decision)}</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}

function armRow(name: string, a: RolloutArmStats): string {
  return `<tr><th scope="row">${esc(name)}</th>${armCells(a)
    .map((c) => `<td class="num">${esc(c)}</td>`)
    .join('')}</tr>`;
}

function gateTable(gates: GateResult[]): string {
  if (gates.length === 0) return '';
  const rows = gates
    .map(
      (g) =>
        `<tr class="gate gate-${esc(g.status)}"><th scope="row">${esc(g.name)}</th><td><code>${esc(g.metric)}</code></td><td class="num">${esc(formatMetricValue(g.metric, g.observed))}</td><td class="num">${esc(gateInterval(g))}</td><td class="num">${esc(g.op)} ${esc(formatMetricValue(g.metric, g.threshold))}</td><td class="num">${esc(formatCount(g.n))} / ${esc(formatCount(g.minSamples))}</td><td><span class="status status-${esc(g.status)}">${esc(g.status)}</span></td></tr>`,
    )
    .join('');
  return `<table class="data gates"><thead><tr><th>Gate</th><th>Metric</th><th class="num">observed</th><th class="num">interval</th><th class="num">threshold</th><th class="num">n / min</th><th>status</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function renderRolloutHtml(r: RolloutReport): string {
  const title = `Rollout report: ${r.rollout.label ?? r.rolloutId}`;
  const decisionClass =
    r.rollout.status === 'completed' ? 'promote' : r.rollout.status === 'rolled_back' ? 'rollback' : 'hold';
  const stages = r.stages
    .map(
      (
        s,
      ) => `<section class="stage" data-stage="${s.stage}"><h3>Stage ${esc(stageName(s))}: <span class="decision-text decision-${esc(s.decision ?? 'hold')}">${esc(s.decision ?? 'running')}</span></h3>
<ul>${s.reasons.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>
<table class="data"><thead><tr><th>arm</th><th class="num">requests</th><th class="num">error rate</th><th class="num">fallbacks</th><th class="num">p50</th><th class="num">p95</th><th class="num">cost</th></tr></thead>
<tbody>${armRow('baseline', s.arms.baseline)}${armRow('candidate', s.arms.candidate)}</tbody></table>
${gateTable(s.gates)}</section>`,
    )
    .join('\n');
  const c = r.cost;
  const events = r.events
    .map(
      (e) =>
        `<tr><td>${esc(e.at)}</td><td>${esc(e.actor)}${e.automatic ? ' (gates)' : ''}</td><td>${esc(`${e.fromPercentage ?? '–'}% ${e.fromStatus ?? ''} → ${e.toPercentage ?? '–'}% ${e.toStatus ?? ''}`)}</td><td>${esc(e.reason)}</td></tr>`,
    )
    .join('');
  return htmlPage(
    title,
    `<header><h1>${esc(title)}</h1><p class="meta">rollout <code>${esc(r.rolloutId)}</code> · stages ${esc(r.plan.stages.join(' → '))} · salt <code>${esc(r.rollout.salt)}</code> · hashVersion ${r.rollout.hashVersion} · scenario cycled ${r.rollout.cycles}×</p></header>
<section class="cards">
<div class="card decision decision-${decisionClass}" data-final-status="${esc(r.rollout.status)}"><div class="card-label">Final state</div><div class="card-value">${esc(r.final.headline)}</div><div class="card-note">${esc(r.final.reason)}</div></div>
<div class="card"><div class="card-label">Saved against all-baseline</div><div class="card-value">${esc(formatUsd(c.savingsUsd))}</div><div class="card-note">${esc(formatPct(c.savingsPct))} · fallbacks cost ${esc(formatUsd(c.fallbackExtraUsd))}</div></div>
<div class="card"><div class="card-label">Week-1 evidence</div><div class="card-value">${esc(r.rollout.shadowDecision ?? 'none')}</div><div class="card-note">${esc(r.rollout.shadowRunId ?? 'no --shadow-run')}${r.rollout.forced ? ' · started with --force' : ''}</div></div>
</section>
<section><h2>Timeline</h2>${timelineChart(r)}</section>
<section><h2>Stages</h2>${stages}</section>
<section><h2>Cost</h2><table class="data"><tbody>
<tr><th scope="row">realised (fallbacks included)</th><td class="num">${esc(formatUsd(c.realisedUsd))}</td></tr>
<tr><th scope="row">all-baseline counterfactual</th><td class="num">${esc(formatUsd(c.allBaselineUsd))}</td></tr>
<tr><th scope="row">saved</th><td class="num">${esc(formatUsd(c.savingsUsd))} (${esc(formatPct(c.savingsPct))})</td></tr>
<tr><th scope="row">extra spend of fallbacks</th><td class="num">${esc(formatUsd(c.fallbackExtraUsd))}</td></tr>
</tbody></table></section>
<section><h2>Audit trail</h2><table class="data"><thead><tr><th>when</th><th>actor</th><th>move</th><th>reason</th></tr></thead><tbody>${events}</tbody></table></section>
<section><h2>Notes</h2><ul>${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul></section>
<footer>Generated ${esc(r.generatedAt)} by shadowgate.</footer>`,
  );
}
