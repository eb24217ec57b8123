/** One arm's counts, rates, costs and timing summaries, from the request groups of one pass. */
import { ENGINE_REFUSALS } from '../shared/outcome-class.js';
import { summarize } from '../stats/percentile.js';
import { wilsonInterval } from '../stats/wilson-interval.js';
import type { ArmName, ArmTimings, RequestGroup } from '../store/report-queries.js';
import type { ArmReport, DistributionSummary } from './shadow-report.js';

export function isEngineRefusal(errorClass: string | null): boolean {
  return errorClass !== null && (ENGINE_REFUSALS as readonly string[]).includes(errorClass);
}

/** Error key shown per class: HTTP 4xx/5xx keep their status (`http_503`), the rest their class. */
function errorKey(errorClass: string, httpStatus: number | null): string {
  if ((errorClass === 'http_5xx' || errorClass === 'http_4xx') && httpStatus !== null)
    return `http_${httpStatus}`;
  return errorClass;
}

/**
 * Summarises one arm. Engine refusals (our breaker or retry budget said no,
 * nothing reached the provider) are counted apart and leave the error rate:
 * it is provider errors over the requests the provider was asked.
 *
 * @param level two-sided level of the error rate's Wilson interval
 * @param timings sorted in place
 */
export function armSummary(
  arm: ArmName,
  groups: RequestGroup[],
  timings: ArmTimings,
  level: number,
): ArmReport {
  const errorsByClass: Record<string, number> = {};
  const engineRefusals: Record<string, number> = {};
  const models = new Map<string, { requested: string | null; response: string | null; count: number }>();
  const t = {
    requests: 0,
    ok: 0,
    retried: 0,
    okAfterRetry: 0,
    attempts: 0,
    input: 0,
    cached: 0,
    cacheWrite: 0,
    output: 0,
    reasoning: 0,
    usageEstimated: 0,
    usageKnown: 0,
    costUsd: 0,
    costed: 0,
    modelChecked: 0,
    modelMismatched: 0,
  };
  for (const g of groups) {
    t.requests += g.requests;
    t.retried += g.retried;
    t.attempts += g.attempts;
    t.input += g.inputTokens;
    t.cached += g.cachedTokens;
    t.cacheWrite += g.cacheWriteTokens;
    t.output += g.outputTokens;
    t.reasoning += g.reasoningTokens;
    t.usageEstimated += g.usageEstimated;
    t.usageKnown += g.usageKnown;
    t.costUsd += g.costUsd;
    t.costed += g.costed;
    if (g.outcome === 'ok') {
      t.ok += g.requests;
      t.okAfterRetry += g.retried;
      if (g.responseModel !== null && g.requestedModel !== null) {
        t.modelChecked += g.requests;
        if (g.modelMismatch) t.modelMismatched += g.requests;
      }
      const key = JSON.stringify([g.requestedModel, g.responseModel]);
      const m = models.get(key) ?? { requested: g.requestedModel, response: g.responseModel, count: 0 };
      m.count += g.requests;
      models.set(key, m);
    } else {
      const errorClass = g.errorClass ?? 'unknown';
      const bucket = isEngineRefusal(errorClass) ? engineRefusals : errorsByClass;
      const key = errorKey(errorClass, g.httpStatus);
      bucket[key] = (bucket[key] ?? 0) + g.requests;
    }
  }
  const errorCount = t.requests - t.ok;
  const refused = Object.values(engineRefusals).reduce((a, b) => a + b, 0);
  const providerErrors = errorCount - refused;
  const asked = t.requests - refused;
  const tokens = t.input + t.output;
  for (const series of Object.values(timings)) series.sort();
  return {
    arm,
    requests: t.requests,
    ok: t.ok,
    errors: errorCount,
    refused,
    errorRate: ratio(providerErrors, asked),
    errorRateCi: asked > 0 ? wilsonInterval(providerErrors, asked, level) : null,
    providerErrors,
    errorsByClass: sortedCounts(errorsByClass),
    engineRefusals: sortedCounts(engineRefusals),
    retried: t.retried,
    retriedShare: ratio(t.retried, t.requests),
    meanAttempts: ratio(t.attempts, asked),
    attemptFailureRate: ratio(t.attempts - t.ok, t.attempts),
    successAfterRetry: ratio(t.okAfterRetry, t.retried),
    latencyMs: summary(timings.latencyMs),
    serviceMs: summary(timings.serviceMs),
    ttftMs: summary(timings.ttftMs),
    tpotMs: summary(timings.tpotMs),
    tokens: {
      input: t.input,
      cached: t.cached,
      cacheWrite: t.cacheWrite,
      output: t.output,
      reasoning: t.reasoning,
    },
    usageEstimatedShare: ratio(t.usageEstimated, t.usageKnown),
    costUsd: t.costed > 0 ? t.costUsd : null,
    costedRequests: t.costed,
    costPerRequestUsd: ratio(t.costUsd, t.costed),
    costPer1kRequestsUsd: t.costed > 0 ? (t.costUsd / t.costed) * 1000 : null,
    costPer1mTokensUsd: t.costed > 0 && tokens > 0 ? (t.costUsd / tokens) * 1e6 : null,
    // From the attempts table; shadow-model fills it in.
    failureSpend: { usd: 0, attempts: 0 },
    responseModels: [...models.values()].sort(
      (a, b) => b.count - a.count || String(a.response).localeCompare(String(b.response)),
    ),
    modelChecked: t.modelChecked,
    modelMismatched: t.modelMismatched,
    modelMismatchShare: ratio(t.modelMismatched, t.modelChecked),
  };
}

/** Most frequent first, then by name, so reports of the same data read the same. */
function sortedCounts(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([ka, a], [kb, b]) => b - a || ka.localeCompare(kb)));
}

export function ratio(num: number, den: number): number | null {
  return den > 0 ? num / den : null;
}

function summary(sorted: Float64Array): DistributionSummary {
  if (sorted.length === 0) {
    return { n: 0, mean: null, min: null, max: null, p50: null, p90: null, p95: null, p99: null };
  }
  return summarize(sorted);
}
