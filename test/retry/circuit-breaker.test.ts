import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BreakerPermit, CircuitBreaker } from '../../src/retry/circuit-breaker.js';
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

function pass(b: CircuitBreaker): BreakerPermit {
  const permit = b.tryPass();
  assert.ok(permit, 'admitted');
  return permit;
}

function fail(b: CircuitBreaker, times: number): void {
  for (let i = 0; i < times; i++) b.onFailure(pass(b));
}

function succeed(b: CircuitBreaker): void {
  b.onSuccess(pass(b));
}

describe('CircuitBreaker', () => {
  it('says until when it refuses and tells subscribers of every open, close and trial-slot change', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker(policy, clock);
    const events: string[] = [];
    const unsubscribe = b.subscribe((e) =>
      events.push(e.kind === 'open' ? `open@${e.halfOpenAtMs}` : e.kind),
    );
    assert.equal(b.refusesUntilMs(), null);
    await clock.advance(50);
    fail(b, 3);
    assert.equal(b.refusesUntilMs(), 1_050);
    await clock.advance(1_000);
    assert.equal(b.refusesUntilMs(), null, 'half-open with the trial slot free admits now');
    const trial = pass(b);
    assert.equal(b.refusesUntilMs(), Number.POSITIVE_INFINITY);
    b.onAbandon(trial);
    assert.equal(b.refusesUntilMs(), null);
    succeed(b);
    assert.deepEqual(events, ['open@1050', 'trial_taken', 'trial_freed', 'trial_taken', 'close']);
    unsubscribe();
    fail(b, 3);
    assert.equal(events.length, 5);
  });

  it('opens after N consecutive failures, not before', () => {
    const b = new CircuitBreaker(policy, new FakeClock());
    fail(b, 2);
    assert.equal(b.state, 'closed');
    fail(b, 1);
    assert.equal(b.state, 'open');
    assert.equal(b.tryPass(), null);
  });

  it('a success resets the consecutive count', () => {
    const b = new CircuitBreaker(policy, new FakeClock());
    fail(b, 2);
    succeed(b);
    fail(b, 2);
    assert.equal(b.state, 'closed');
  });

  it('after the cooldown lets exactly one trial through; success closes it', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker(policy, clock);
    fail(b, 3);
    await clock.advance(999);
    assert.equal(b.state, 'open');
    assert.equal(b.tryPass(), null);
    await clock.advance(1);
    assert.equal(b.state, 'half_open');
    const trial = pass(b);
    assert.equal(trial.trial, true);
    assert.equal(b.tryPass(), null, 'a second caller waits for the trial');
    b.onSuccess(trial);
    assert.equal(b.state, 'closed');
    assert.equal(pass(b).trial, false);
  });

  it('a failed trial opens it for another full cooldown', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker(policy, clock);
    fail(b, 3);
    await clock.advance(1_000);
    b.onFailure(pass(b));
    assert.equal(b.state, 'open');
    await clock.advance(999);
    assert.equal(b.tryPass(), null);
    await clock.advance(1);
    assert.equal(pass(b).trial, true);
  });

  it('an abandoned trial is no success: it frees the slot and the breaker stays half-open', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker(policy, clock);
    fail(b, 3);
    await clock.advance(1_000);
    const abandoned = pass(b);
    b.onAbandon(abandoned);
    assert.equal(b.state, 'half_open');
    const next = pass(b);
    assert.equal(next.trial, true);
    assert.equal(b.tryPass(), null, 'still one trial at a time');
    b.onSuccess(abandoned);
    assert.equal(b.state, 'half_open', 'the abandoned trial answering late does not close it');
    b.onSuccess(next);
    assert.equal(b.state, 'closed');
  });

  it('half-open admits one trial among concurrent callers; only its own abandon frees the slot', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker(policy, clock);
    const before = pass(b);
    fail(b, 3);
    await clock.advance(1_000);
    const permits = Array.from({ length: 5 }, () => b.tryPass());
    assert.equal(permits.filter((p) => p !== null).length, 1);
    assert.equal(permits[0]?.trial, true);
    b.onAbandon(before);
    assert.equal(b.tryPass(), null, 'an old request ending does not free the trial slot');
  });

  it('a late success from a request sent before the breaker opened does not close it', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker(policy, clock);
    const slow = pass(b);
    fail(b, 3);
    b.onSuccess(slow);
    assert.equal(b.state, 'open', 'while open');
    await clock.advance(1_000);
    const trial = pass(b);
    b.onSuccess(slow);
    assert.equal(b.state, 'half_open', 'while the trial is in flight');
    assert.equal(b.tryPass(), null);
    b.onFailure(trial);
    assert.equal(b.state, 'open', 'the trial alone decides');
  });

  it('a late failure from before the outage neither re-opens a half-open breaker nor counts after it closes', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker(policy, clock);
    const slow = [pass(b), pass(b), pass(b)];
    fail(b, 3);
    await clock.advance(1_000);
    const trial = pass(b);
    b.onFailure(slow[0]!);
    assert.equal(b.state, 'half_open');
    b.onSuccess(trial);
    assert.equal(b.state, 'closed');
    b.onFailure(slow[1]!);
    b.onFailure(slow[2]!);
    fail(b, 2);
    assert.equal(b.state, 'closed', 'only the 2 failures of this generation count');
    fail(b, 1);
    assert.equal(b.state, 'open');
  });

  it('opens on the failure ratio over the window once minRequests is reached', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker(
      { ...policy, consecutiveFailures: 100, failureRatio: 0.5, minRequests: 10 },
      clock,
    );
    // alternate: never 2 failures in a row, ratio 50%
    for (let i = 0; i < 4; i++) {
      b.onFailure(pass(b));
      succeed(b);
    }
    b.onFailure(pass(b));
    assert.equal(b.state, 'closed', '5 of 9: under minRequests');
    succeed(b);
    b.onFailure(pass(b));
    assert.equal(b.state, 'open', '6 failures of 11');
  });

  it('forgets outcomes older than the window', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker(
      { ...policy, consecutiveFailures: 100, failureRatio: 0.5, minRequests: 4 },
      clock,
    );
    b.onFailure(pass(b));
    b.onFailure(pass(b));
    b.onFailure(pass(b));
    succeed(b);
    await clock.advance(10_001);
    succeed(b);
    succeed(b);
    succeed(b);
    b.onFailure(pass(b));
    assert.equal(b.state, 'closed', 'the old failures left the window: 1 of 4');
  });

  it('always passes when disabled', () => {
    const b = new CircuitBreaker({ ...policy, enabled: false }, new FakeClock());
    fail(b, 50);
    assert.equal(b.state, 'closed');
  });
});
