/**
 * The demo's headlines: a few plain lines per part of the story (week 1, the
 * gate, week 2, the rollback drill), so a newcomer reads what happened and
 * why without opening a report.
 */
import type { GateResult } from '../judge/gates.js';
import { formatMs, formatPct, formatShare, formatUsd } from '../report/number-format.js';
import type { ShadowReport } from '../report/shadow-report.js';
import type { RolloutSummary } from '../runner/rollout-run.js';

const PLAIN: Partial<Record<string, string>> = {
  'outputs.drift_share':
    "the candidate's answers differ from the baseline's more than the baseline differs from itself; a person should read the divergent prompts in the report before trusting it",
  'usage.input_token_ratio':
    'the candidate counts input tokens differently, so its bills would not match the estimate',
  'usage.model_mismatch_share': 'the candidate answered with a different model than the one asked for',
  'latency.p95_ratio': "the candidate's slowest requests are slower than the tolerance allows",
  'latency.p50_ratio': 'the candidate is slower than the tolerance allows',
  'errors.delta': 'the candidate fails more often than the baseline',
};

/** One plain sentence for a verdict that is not promote: which gate, and what it means. */
export function holdSentence(gates: readonly GateResult[]): string {
  const failing = gates.filter((g) => g.status !== 'pass');
  if (failing.length === 0) return 'every gate passed.';
  const first = failing[0]!;
  const why =
    first.status === 'insufficient'
      ? `there is not enough data yet for ${first.name}`
      : first.status === 'inconclusive'
        ? first.timingError
          ? `${first.name} cannot be judged: the harness's own timing error was larger than its tolerance`
          : `${first.name} is not settled yet: more traffic would decide it`
        : (PLAIN[first.metric] ?? `${first.name} failed`);
  const more = failing.length > 1 ? ` (${failing.length - 1} more gate(s) not passed; see the report)` : '';
  return `${why}${more}.`;
}

export function weekOneLines(report: ShadowReport): string[] {
  const b = report.arms.baseline;
  const c = report.arms.candidate;
  const cost = report.comparison.cost;
  const per1k = (arm: typeof b) => arm?.costPer1kRequestsUsd ?? null;
  const lines = [
    `Week 1, shadow run ${report.runId}: ${report.arms.candidate?.requests ?? 0} prompts on both providers at once`,
    `  error rate     baseline ${formatShare(b?.errorRate ?? null, 2)}   candidate ${formatShare(c?.errorRate ?? null, 2)}`,
    `  p50 latency    baseline ${formatMs(b?.latencyMs.p50 ?? null)}   candidate ${formatMs(c?.latencyMs.p50 ?? null)}`,
    `  p95 latency    baseline ${formatMs(b?.latencyMs.p95 ?? null)}   candidate ${formatMs(c?.latencyMs.p95 ?? null)}`,
    `  cost / 1,000   baseline ${formatUsd(per1k(b))}   candidate ${formatUsd(per1k(c))}`,
    `  savings        ${formatPct(cost.savingsPct)}, ${formatUsd(cost.monthly.savingsUsd)} a month at ${cost.monthly.volume.toLocaleString('en-US')} ${cost.monthly.basis}`,
    `Gate: ${report.verdict.decision.toUpperCase()}${report.verdict.decision === 'promote' ? ': every gate passed.' : `: ${holdSentence(report.verdict.gates)}`}`,
  ];
  return lines;
}

export function rolloutLines(title: string, s: RolloutSummary): string[] {
  const outcome =
    s.status === 'completed'
      ? 'completed at 100%'
      : s.status === 'rolled_back'
        ? `rolled back to 0% at stage ${s.stages.at(-1)?.stage} (${s.stages.at(-1)?.percentage}%)`
        : `${s.status} at ${s.final_percentage}%`;
  const lines = [`${title}, rollout ${s.rollout_id}: ${outcome}`];
  for (const st of s.stages) {
    lines.push(
      `  stage ${st.stage} at ${String(st.percentage).padStart(3)}%${st.attempt > 0 ? ` (ext. ${st.attempt})` : ''}: ${st.decision.padEnd(8)} ${st.requests} requests, ${st.candidate_requests} on the candidate, ${st.fallbacks} fallbacks`,
    );
  }
  const last = s.stages.at(-1);
  if (last && last.decision !== 'promote') {
    const reason = last.reasons.find((r) => / -> rollback$/.test(r)) ?? last.reasons[0];
    if (reason) lines.push(`  why: ${reason}`);
  }
  return lines;
}
