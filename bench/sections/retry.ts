/**
 * Retry engine: decisions/s of the pure `decide` over a mix of outcomes, and
 * the time of the contention simulation at 100 clients.
 */

import { compareContention } from '../../src/retry/contention-sim.js';
import { decide } from '../../src/retry/decide.js';
import { DEFAULT_RETRY_POLICY } from '../../src/retry/policy.js';
import type { ProviderFailure } from '../../src/shared/attempt-error.js';
import { seededRng } from '../../src/shared/clock.js';
import { type BenchContext, fmt, type SectionOutcome } from '../bench-context.js';
import { median, round } from '../summary-stats.js';

export interface RetryJson {
  decisions_per_s: number;
  decisions: number;
  /** Share of the mix that was retried (the rest gave up). */
  retried_share: number;
  simulate_100_clients_ms: number | null;
  simulate_detail: string | null;
}

function failure(partial: Partial<ProviderFailure> & Pick<ProviderFailure, 'errorClass'>): ProviderFailure {
  return { status: null, headers: {}, message: partial.errorClass, ...partial };
}

/** A mix like a bad day at a provider: throttling with hints, 5xx, timeouts, resets, a few client errors. */
export const OUTCOME_MIX: readonly ProviderFailure[] = [
  failure({ errorClass: 'http_429', status: 429, headers: { 'retry-after': '2' } }),
  failure({ errorClass: 'http_429', status: 429, headers: { 'retry-after-ms': '350' } }),
  failure({
    errorClass: 'http_429',
    status: 429,
    headers: { 'retry-after': 'Fri, 27 Nov 2026 09:00:05 GMT' },
  }),
  failure({ errorClass: 'http_429', status: 429 }),
  failure({ errorClass: 'http_5xx', status: 500 }),
  failure({ errorClass: 'http_5xx', status: 503, headers: { 'x-should-retry': 'true' } }),
  failure({ errorClass: 'http_5xx', status: 502, headers: { 'x-should-retry': 'false' } }),
  failure({ errorClass: 'http_5xx', status: 529 }),
  failure({ errorClass: 'timeout_headers' }),
  failure({ errorClass: 'timeout_body' }),
  failure({ errorClass: 'network' }),
  failure({ errorClass: 'stream_interrupted' }),
  failure({ errorClass: 'http_4xx', status: 400 }),
  failure({ errorClass: 'http_4xx', status: 409 }),
  failure({ errorClass: 'protocol', status: 200 }),
];

export async function benchRetry(ctx: BenchContext): Promise<SectionOutcome<RetryJson>> {
  const n = ctx.options.sizes.retryDecisions;
  const rng = seededRng(7);
  const policy = { ...DEFAULT_RETRY_POLICY, strategy: 'decorrelated' as const };
  const nowMs = Date.parse('2026-11-27T09:00:00Z');
  let retried = 0;
  // Warm-up, so the timed loop measures optimised code.
  for (let i = 0; i < 20_000; i++) {
    decide(
      policy,
      { attempt: 1 + (i % 4), prevStrategyDelayMs: 100, remainingMs: 60_000 },
      OUTCOME_MIX[i % OUTCOME_MIX.length]!,
      nowMs,
      rng,
    );
  }
  const started = performance.now();
  let prev: number | null = null;
  for (let i = 0; i < n; i++) {
    const d = decide(
      policy,
      {
        attempt: 1 + (i % policy.maxAttempts),
        prevStrategyDelayMs: prev,
        remainingMs: 30_000 + (i % 90_000),
      },
      OUTCOME_MIX[i % OUTCOME_MIX.length]!,
      nowMs,
      rng,
    );
    if (d.action === 'retry') {
      retried++;
      prev = d.strategyDelayMs;
    } else {
      prev = null;
    }
  }
  const decisionsPerS = n / ((performance.now() - started) / 1000);
  ctx.log(`retry: ${fmt(decisionsPerS)} decisions/s`);

  const simulate = await timeContentionSimulation(ctx);
  const json: RetryJson = {
    decisions_per_s: round(decisionsPerS, 0)!,
    decisions: n,
    retried_share: round(retried / n, 3)!,
    simulate_100_clients_ms: simulate.ms,
    simulate_detail: simulate.detail,
  };
  return {
    json,
    rows: [
      { section: 'retry', metric: 'decide() decisions/s', value: fmt(decisionsPerS) },
      { section: 'retry', metric: 'retry simulate, 100 clients (ms)', value: fmt(simulate.ms, 1) },
    ],
  };
}

/**
 * `retry simulate` at 100 clients compares every strategy x jitter pair; the
 * library call is timed (the command adds only printing and node's startup).
 */
async function timeContentionSimulation(
  ctx: BenchContext,
): Promise<{ ms: number | null; detail: string | null }> {
  const times: number[] = [];
  let pairs = 0;
  for (let i = 0; i < ctx.options.sizes.retrySimulateRepetitions; i++) {
    const t0 = performance.now();
    pairs = compareContention({ clients: 100, seed: 1 + i }).length;
    times.push(performance.now() - t0);
  }
  const ms = round(median(times), 1);
  ctx.log(`retry: simulate 100 clients x ${pairs} pairs: ${fmt(ms, 1)} ms (median of ${times.length})`);
  return { ms, detail: `${pairs} strategy x jitter pairs, default runs per pair, median of ${times.length}` };
}
