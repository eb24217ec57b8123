import type { Clock } from '../shared/clock.js';
import type { LimiterFault } from './faults.js';
import type { LimitsProfile } from './profiles.js';

/** What the limiter says about one request, and what to put in `x-ratelimit-*` headers. */
export type LimitDecision =
  | { ok: true }
  | {
      ok: false;
      fault: LimiterFault;
      /** When a request of this size would next be admitted, ms. */
      retryAfterMs: number;
    };

export interface LimitSnapshot {
  limitRequests: number;
  remainingRequests: number;
  /** Time until the request bucket is full again, ms. */
  resetRequestsMs: number;
  limitTokens: number;
  remainingTokens: number;
  resetTokensMs: number;
}

const MS_PER_MINUTE = 60_000;

/**
 * A continuously refilled bucket: holds up to `capacity`, refills at
 * capacity per minute. A bucket (not a window) so each check is O(1).
 */
class Bucket {
  level: number;
  private last: number;
  private readonly perMs: number;

  constructor(
    readonly capacity: number,
    now: number,
  ) {
    this.level = capacity;
    this.last = now;
    this.perMs = capacity / MS_PER_MINUTE;
  }

  refill(now: number): void {
    this.level = Math.min(this.capacity, this.level + (now - this.last) * this.perMs);
    this.last = now;
  }

  /** ms until `amount` is available (0 when it is now). */
  waitFor(amount: number): number {
    return this.level >= amount ? 0 : (amount - this.level) / this.perMs;
  }

  msUntilFull(): number {
    return (this.capacity - this.level) / this.perMs;
  }
}

/**
 * A real requests-per-minute and tokens-per-minute limiter on the given
 * clock. A request costs one request and its prompt plus requested output
 * tokens (as OpenAI counts it); a refused request costs nothing.
 */
export class RateLimiter {
  private readonly requests: Bucket | null;
  private readonly tokens: Bucket | null;

  constructor(
    limits: LimitsProfile,
    private readonly clock: Pick<Clock, 'monotonic'>,
  ) {
    const now = clock.monotonic();
    this.requests = limits.requestsPerMinute > 0 ? new Bucket(limits.requestsPerMinute, now) : null;
    this.tokens = limits.tokensPerMinute > 0 ? new Bucket(limits.tokensPerMinute, now) : null;
  }

  get enabled(): boolean {
    return this.requests !== null || this.tokens !== null;
  }

  take(tokenCost: number): LimitDecision {
    const now = this.clock.monotonic();
    this.requests?.refill(now);
    this.tokens?.refill(now);
    if (this.requests && this.requests.level < 1) {
      return { ok: false, fault: 'limit-rpm', retryAfterMs: this.requests.waitFor(1) };
    }
    // A request larger than the whole budget is charged the whole budget, so it can pass once the bucket is full.
    const cost = this.tokens ? Math.min(tokenCost, this.tokens.capacity) : 0;
    if (this.tokens && this.tokens.level < cost) {
      return { ok: false, fault: 'limit-tpm', retryAfterMs: this.tokens.waitFor(cost) };
    }
    if (this.requests) this.requests.level -= 1;
    if (this.tokens) this.tokens.level -= cost;
    return { ok: true };
  }

  snapshot(): LimitSnapshot {
    const now = this.clock.monotonic();
    this.requests?.refill(now);
    this.tokens?.refill(now);
    return {
      limitRequests: this.requests?.capacity ?? 0,
      remainingRequests: Math.floor(this.requests?.level ?? 0),
      resetRequestsMs: this.requests?.msUntilFull() ?? 0,
      limitTokens: this.tokens?.capacity ?? 0,
      remainingTokens: Math.floor(this.tokens?.level ?? 0),
      resetTokensMs: this.tokens?.msUntilFull() ?? 0,
    };
  }
}
