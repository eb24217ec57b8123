import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RetryBudget } from '../../src/retry/budget.js';
import type { RetryBudgetPolicy } from '../../src/retry/policy.js';
import { FakeClock } from '../../src/shared/clock.js';

const policy: RetryBudgetPolicy = { enabled: true, ratio: 0.2, minRetriesPerSec: 0, ttlMs: 10_000 };

function drain(budget: RetryBudget): number {
  let granted = 0;
  while (budget.tryAcquireRetry()) granted += 1;
  return granted;
}

describe('RetryBudget', () => {
  it('allows retries up to ratio x requests', () => {
    const budget = new RetryBudget(policy, new FakeClock());
    for (let i = 0; i < 50; i++) budget.recordRequest();
    assert.equal(drain(budget), 10);
  });

  it('adds a reserve of minRetriesPerSec x ttl seconds', () => {
    const budget = new RetryBudget({ ...policy, minRetriesPerSec: 2 }, new FakeClock());
    assert.equal(drain(budget), 20);
    budget.recordRequest();
    budget.recordRequest();
    budget.recordRequest();
    budget.recordRequest();
    budget.recordRequest();
    assert.equal(drain(budget), 1);
  });

  it('a dead provider cannot start a retry storm: a denial withdraws nothing', () => {
    const budget = new RetryBudget(policy, new FakeClock());
    for (let i = 0; i < 10; i++) budget.recordRequest();
    assert.equal(drain(budget), 2);
    assert.equal(budget.tryAcquireRetry(), false);
    budget.recordRequest();
    budget.recordRequest();
    budget.recordRequest();
    budget.recordRequest();
    budget.recordRequest();
    assert.equal(budget.tryAcquireRetry(), true, 'five more requests earn exactly one more retry');
  });

  it('deposits and withdrawals expire after ttlMs', async () => {
    const clock = new FakeClock();
    const budget = new RetryBudget(policy, clock);
    for (let i = 0; i < 10; i++) budget.recordRequest();
    await clock.advance(5_000);
    assert.equal(drain(budget), 2);
    await clock.advance(5_000); // the deposits (t=0) leave the window at t=10000; the withdrawals (t=5000) stay
    assert.ok(budget.balance < 0);
    assert.equal(budget.tryAcquireRetry(), false);
    await clock.advance(5_001);
    assert.equal(budget.balance, 0);
    for (let i = 0; i < 5; i++) budget.recordRequest();
    assert.equal(drain(budget), 1);
  });

  it('is unlimited when disabled', () => {
    const budget = new RetryBudget({ ...policy, enabled: false }, new FakeClock());
    for (let i = 0; i < 1000; i++) assert.equal(budget.tryAcquireRetry(), true);
  });
});
