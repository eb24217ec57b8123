/**
 * Retry budget per provider instance: a token bucket as in Finagle's
 * RetryBudget and gRPC retry throttling. Each request deposits `ratio` tokens,
 * each retry withdraws one, and `minRetriesPerSec x ttl` tokens are always
 * there so a quiet client can still retry. Deposits and withdrawals expire
 * after `ttlMs`, so a dead provider cannot set off a retry storm.
 */
import type { Clock } from '../shared/clock.js';
import type { RetryBudgetPolicy } from './policy.js';

// Token counts are derived from integer counters, so 5 x 0.2 may land a hair under 1.
const EPSILON = 1e-9;

/** Timestamps (monotonic ms) of events inside a sliding window, same-ms events coalesced. */
class SlidingCount {
  private readonly times: number[] = [];
  private readonly counts: number[] = [];
  private head = 0;
  private total = 0;

  add(nowMs: number): void {
    const last = this.times.length - 1;
    if (last >= this.head && this.times[last] === nowMs) this.counts[last]! += 1;
    else {
      this.times.push(nowMs);
      this.counts.push(1);
    }
    this.total += 1;
  }

  /** Count of events after `sinceMs` (an event exactly ttl old has expired). */
  countSince(sinceMs: number): number {
    while (this.head < this.times.length && this.times[this.head]! <= sinceMs) {
      this.total -= this.counts[this.head]!;
      this.head += 1;
    }
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times.splice(0, this.head);
      this.counts.splice(0, this.head);
      this.head = 0;
    }
    return this.total;
  }
}

export class RetryBudget {
  private readonly requests = new SlidingCount();
  private readonly retries = new SlidingCount();

  constructor(
    private readonly policy: RetryBudgetPolicy,
    private readonly clock: Clock,
  ) {}

  /** Call once per logical request (not per attempt). */
  recordRequest(): void {
    this.requests.add(this.clock.monotonic());
  }

  /** Tokens available now (reserve + deposits - withdrawals in the window). */
  get balance(): number {
    const since = this.clock.monotonic() - this.policy.ttlMs;
    const reserve = (this.policy.minRetriesPerSec * this.policy.ttlMs) / 1000;
    return reserve + this.policy.ratio * this.requests.countSince(since) - this.retries.countSince(since);
  }

  /** Withdraws one token for a retry; false (and nothing withdrawn) when the budget is spent. Always true when disabled. */
  tryAcquireRetry(): boolean {
    if (!this.policy.enabled) return true;
    if (this.balance < 1 - EPSILON) return false;
    this.retries.add(this.clock.monotonic());
    return true;
  }
}
