import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CircuitBreaker } from '../../src/retry/circuit-breaker.js';
import type { CircuitBreakerPolicy } from '../../src/retry/policy.js';
import { FakeClock } from '../../src/shared/clock.js';

const policy: CircuitBreakerPolicy = {
  enabled: true,
  consecutiveFailures: 3,
  failureRatio: 0,
  windowMs: 10_000,
  minRequests: 10,
  cooldownMs: 1_000,
};

function fail(b: CircuitBreaker, times: number): void {
  for (let i = 0; i < times; i++) {
    assert.equal(b.tryPass(), true);
    b.onFailure();
  }
}

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures, not before', () => {
    const b = new CircuitBreaker(policy, new FakeClock());
    fail(b, 2);
    assert.equal(b.state, 'closed');
    fail(b, 1);
    assert.equal(b.state, 'open');
    assert.equal(b.tryPass(), false);
  });

  it('a success resets the consecutive count', () => {
    const b = new CircuitBreaker(policy, new FakeClock());
    fail(b, 2);
    b.onSuccess();
    fail(b, 2);
    assert.equal(b.state, 'closed');
  });

  it('after the cooldown lets exactly one trial through; success closes it', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker(policy, clock);
    fail(b, 3);
    await clock.advance(999);
    assert.equal(b.state, 'open');
    assert.equal(b.tryPass(), false);
    await clock.advance(1);
    assert.equal(b.state, 'half_open');
    assert.equal(b.tryPass(), true);
    assert.equal(b.tryPass(), false, 'a second caller waits for the trial');
    b.onSuccess();
    assert.equal(b.state, 'closed');
    assert.equal(b.tryPass(), true);
  });

  it('a failed trial opens it for another full cooldown', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker(policy, clock);
    fail(b, 3);
    await clock.advance(1_000);
    assert.equal(b.tryPass(), true);
    b.onFailure();
    assert.equal(b.state, 'open');
    await clock.advance(999);
    assert.equal(b.tryPass(), false);
    await clock.advance(1);
    assert.equal(b.tryPass(), true);
  });

  it('an abandoned trial frees the slot for the next one', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker(policy, clock);
    fail(b, 3);
    await clock.advance(1_000);
    assert.equal(b.tryPass(), true);
    b.onAbandon();
    assert.equal(b.tryPass(), true);
  });

  it('opens on the failure ratio over the window once minRequests is reached', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker(
      { ...policy, consecutiveFailures: 100, failureRatio: 0.5, minRequests: 10 },
      clock,
    );
    // alternate: never 2 failures in a row, ratio 50%
    for (let i = 0; i < 4; i++) {
      b.onFailure();
      b.onSuccess();
    }
    b.onFailure();
    assert.equal(b.state, 'closed', '5 of 9: under minRequests');
    b.onSuccess();
    b.onFailure();
    assert.equal(b.state, 'open', '6 failures of 11');
  });

  it('forgets outcomes older than the window', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker(
      { ...policy, consecutiveFailures: 100, failureRatio: 0.5, minRequests: 4 },
      clock,
    );
    b.onFailure();
    b.onFailure();
    b.onFailure();
    b.onSuccess();
    await clock.advance(10_001);
    b.onSuccess();
    b.onSuccess();
    b.onSuccess();
    b.onFailure();
    assert.equal(b.state, 'closed', 'the old failures left the window: 1 of 4');
  });

  it('always passes when disabled', () => {
    const b = new CircuitBreaker({ ...policy, enabled: false }, new FakeClock());
    fail(b, 50);
    assert.equal(b.state, 'closed');
  });
});
