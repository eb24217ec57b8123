/**
 * The wait before each attempt under a policy, with its range over every
 * random draw and one seeded sample: what `shadowgate retry schedule` shows.
 * Pure; the sample comes from the same backoffDelay the engine uses.
 */
import { seededRng } from '../shared/clock.js';
import { backoffDelay, delayBounds, isRandomised } from './backoff.js';
import type { RetryPolicy } from './policy.js';

export interface ScheduleRow {
  /** The attempt this row is about (1 = the first try, which has no wait). */
  attempt: number;
  /** The wait's number n (the wait before attempt n + 1); null for the first attempt. */
  wait: number | null;
  /** The strategy's delay before jitter, ms: a single value unless the strategy is `decorrelated`. */
  strategyMinMs: number;
  strategyMaxMs: number;
  /** The wait after jitter and the maxDelayMs clamp, over every random draw, ms. */
  minMs: number;
  maxMs: number;
  /** The wait drawn with the seeded rng, ms. */
  sampleMs: number;
  /** Sum of `maxMs` up to and including this row, ms. */
  cumulativeWorstMs: number;
  /** Sum of `sampleMs` up to and including this row, ms. */
  cumulativeSampleMs: number;
}

export interface RetrySchedule {
  policy: RetryPolicy;
  seed: number;
  /** True when a random draw is involved (jitter, or the decorrelated strategy). */
  randomised: boolean;
  rows: ScheduleRow[];
  /** Every wait at its longest, ms. */
  worstCaseWaitMs: number;
  /** Every attempt running to its timeout plus every wait at its longest, ms, before the deadline. */
  worstCaseUncappedMs: number;
  /** worstCaseUncappedMs capped by totalDeadlineMs: the longest one logical request can take. */
  worstCaseTotalMs: number;
  /** Attempts that would start after the total deadline even if every earlier attempt failed fast at its longest wait. */
  unreachableAttempts: number;
}

/**
 * Builds the schedule of `policy` for a run of failures with no server hints.
 * `attemptTimeoutMs` overrides the policy's (a model's override).
 */
export function buildRetrySchedule(
  policy: RetryPolicy,
  options: { seed?: number; attemptTimeoutMs?: number } = {},
): RetrySchedule {
  const seed = options.seed ?? 1;
  const rng = seededRng(seed);
  const rows: ScheduleRow[] = [
    {
      attempt: 1,
      wait: null,
      strategyMinMs: 0,
      strategyMaxMs: 0,
      minMs: 0,
      maxMs: 0,
      sampleMs: 0,
      cumulativeWorstMs: 0,
      cumulativeSampleMs: 0,
    },
  ];
  let prevStrategyDelayMs: number | null = null;
  let cumulativeWorstMs = 0;
  let cumulativeSampleMs = 0;
  let cumulativeBestMs = 0;
  let unreachableAttempts = 0;
  for (let n = 1; n < policy.maxAttempts; n++) {
    const bounds = delayBounds(policy, n);
    const sample = backoffDelay(policy, n, prevStrategyDelayMs, rng);
    prevStrategyDelayMs = sample.strategyDelayMs;
    cumulativeWorstMs += bounds.maxMs;
    cumulativeSampleMs += sample.delayMs;
    cumulativeBestMs += bounds.minMs;
    // Once even the shortest waits alone reach the deadline, no attempt can follow them.
    if (cumulativeBestMs >= policy.totalDeadlineMs) unreachableAttempts += 1;
    rows.push({
      attempt: n + 1,
      wait: n,
      ...bounds,
      sampleMs: sample.delayMs,
      cumulativeWorstMs,
      cumulativeSampleMs,
    });
  }
  const attemptTimeoutMs = options.attemptTimeoutMs ?? policy.attemptTimeoutMs;
  const worstCaseUncappedMs = cumulativeWorstMs + policy.maxAttempts * attemptTimeoutMs;
  return {
    policy,
    seed,
    randomised: isRandomised(policy.strategy, policy.jitter),
    rows,
    worstCaseWaitMs: cumulativeWorstMs,
    worstCaseUncappedMs,
    worstCaseTotalMs: Math.min(worstCaseUncappedMs, policy.totalDeadlineMs),
    unreachableAttempts,
  };
}
