/**
 * Backoff delays: a strategy gives a delay for retry n, jitter randomises it,
 * and the result is clamped to maxDelayMs. Pure; randomness comes from `rng`.
 */
import type { Rng } from '../shared/clock.js';
import type { BackoffStrategy, JitterMode, RetryPolicy } from './policy.js';

/** The policy fields backoff reads. */
export type BackoffPolicy = Pick<
  RetryPolicy,
  'strategy' | 'jitter' | 'jitterRange' | 'baseDelayMs' | 'maxDelayMs'
>;

export interface BackoffDelay {
  /** The strategy's delay before jitter; `decorrelated` feeds it back as the previous delay. */
  strategyDelayMs: number;
  /** The wait to use: strategy delay, jittered, clamped to [0, maxDelayMs]. */
  delayMs: number;
}

// 2^60 x any sane base is far past any cap; stopping the exponent there keeps
// the arithmetic finite for absurd attempt numbers.
const MAX_EXPONENT = 60;

/**
 * The delay before retry `n` (1-based: n = 1 is the wait after the first
 * attempt, before the second). `prevStrategyDelayMs` is the previous
 * `strategyDelayMs` (null before the first retry); only `decorrelated` reads it.
 */
export function backoffDelay(
  policy: BackoffPolicy,
  n: number,
  prevStrategyDelayMs: number | null,
  rng: Rng,
): BackoffDelay {
  const strategyDelayMs = strategyDelay(policy, n, prevStrategyDelayMs, rng);
  const jittered = applyJitter(policy.jitter, strategyDelayMs, policy.jitterRange, rng);
  return { strategyDelayMs, delayMs: clamp(jittered, policy.maxDelayMs) };
}

function strategyDelay(policy: BackoffPolicy, n: number, prevMs: number | null, rng: Rng): number {
  const base = policy.baseDelayMs;
  switch (policy.strategy) {
    case 'constant':
      return base;
    case 'linear':
      return base * n;
    case 'exponential':
      // Uncapped before jitter on purpose: the final clamp then flattens the
      // jitter once the curve passes the cap (what many hand-written clients do).
      return base * 2 ** Math.min(n - 1, MAX_EXPONENT);
    case 'exponential-capped':
      return Math.min(policy.maxDelayMs, base * 2 ** Math.min(n - 1, MAX_EXPONENT));
    case 'decorrelated': {
      const prev = prevMs ?? base;
      return Math.min(policy.maxDelayMs, uniform(rng, base, Math.max(base, 3 * prev)));
    }
  }
}

function applyJitter(mode: JitterMode, d: number, range: [number, number], rng: Rng): number {
  switch (mode) {
    case 'none':
      return d;
    case 'full':
      return uniform(rng, 0, d);
    case 'equal':
      return d / 2 + uniform(rng, 0, d / 2);
    case 'range':
      return d * uniform(rng, range[0], range[1]);
  }
}

/** Bounds of one backoff delay: before jitter, and the final wait after jitter and the clamp. */
export interface DelayBounds {
  strategyMinMs: number;
  strategyMaxMs: number;
  minMs: number;
  maxMs: number;
}

/**
 * The range delay n can take, over every random draw. For `decorrelated` the
 * upper end assumes every earlier draw hit its top (base x 3^n, capped).
 */
export function delayBounds(policy: BackoffPolicy, n: number): DelayBounds {
  const [strategyMinMs, strategyMaxMs] = strategyBounds(policy, n);
  const [lo] = jitterBounds(policy.jitter, strategyMinMs, policy.jitterRange);
  const [, hi] = jitterBounds(policy.jitter, strategyMaxMs, policy.jitterRange);
  return {
    strategyMinMs,
    strategyMaxMs,
    minMs: clamp(lo, policy.maxDelayMs),
    maxMs: clamp(hi, policy.maxDelayMs),
  };
}

function strategyBounds(policy: BackoffPolicy, n: number): [number, number] {
  if (policy.strategy === 'decorrelated') {
    const base = policy.baseDelayMs;
    return [
      Math.min(policy.maxDelayMs, base),
      Math.min(policy.maxDelayMs, base * 3 ** Math.min(n, MAX_EXPONENT)),
    ];
  }
  // Deterministic strategies ignore the rng.
  const d = strategyDelay(policy, n, null, () => 0);
  return [d, d];
}

function jitterBounds(mode: JitterMode, d: number, range: [number, number]): [number, number] {
  switch (mode) {
    case 'none':
      return [d, d];
    case 'full':
      return [0, d];
    case 'equal':
      return [d / 2, d];
    case 'range':
      return [d * range[0], d * range[1]];
  }
}

/** Whether a strategy or jitter draws random numbers (the schedule shows a sample only then). */
export function isRandomised(strategy: BackoffStrategy, jitter: JitterMode): boolean {
  return strategy === 'decorrelated' || jitter !== 'none';
}

function uniform(rng: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng();
}

function clamp(ms: number, maxMs: number): number {
  return Math.min(Math.max(ms, 0), maxMs);
}
