import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../src/shared/clock.js';
import { RateLimiter } from '../../src/sim/rate-limiter.js';

describe('RateLimiter', () => {
  it('admits a burst up to the per-minute limit, then refuses with the wait until the next request', async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ requestsPerMinute: 3, tokensPerMinute: 0 }, clock);
    for (let i = 0; i < 3; i++) assert.deepEqual(limiter.take(10), { ok: true });
    const refused = limiter.take(10);
    assert.equal(refused.ok, false);
    assert.ok(!refused.ok && refused.fault === 'limit-rpm');
    assert.ok(!refused.ok && Math.abs(refused.retryAfterMs - 20_000) < 1);
    await clock.advance(19_000);
    assert.equal(limiter.take(10).ok, false);
    await clock.advance(1_000);
    assert.equal(limiter.take(10).ok, true);
  });

  it('counts tokens per minute, and refused requests cost nothing', async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ requestsPerMinute: 0, tokensPerMinute: 1000 }, clock);
    assert.equal(limiter.take(700).ok, true);
    const refused = limiter.take(400);
    assert.ok(!refused.ok && refused.fault === 'limit-tpm');
    assert.ok(!refused.ok && Math.abs(refused.retryAfterMs - 6_000) < 1);
    assert.equal(limiter.take(300).ok, true);
    assert.equal(limiter.snapshot().remainingTokens, 0);
    await clock.advance(30_000);
    assert.equal(limiter.snapshot().remainingTokens, 500);
    assert.equal(limiter.snapshot().resetTokensMs, 30_000);
  });

  it('a request bigger than the whole budget passes once the bucket is full', () => {
    const limiter = new RateLimiter({ requestsPerMinute: 0, tokensPerMinute: 100 }, new FakeClock());
    assert.equal(limiter.take(5000).ok, true);
    assert.equal(limiter.take(1).ok, false);
  });

  it('is off with both limits at 0', () => {
    const limiter = new RateLimiter({ requestsPerMinute: 0, tokensPerMinute: 0 }, new FakeClock());
    assert.equal(limiter.enabled, false);
    for (let i = 0; i < 1000; i++) assert.equal(limiter.take(1e6).ok, true);
  });
});
