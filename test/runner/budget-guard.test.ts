import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BudgetGuard } from '../../src/runner/budget-guard.js';

describe('BudgetGuard', () => {
  it('reserves worst cases and refuses the one that would exceed the budget', () => {
    const guard = new BudgetGuard({ budgetUsd: 1 });
    const a = guard.reserve(0.4);
    const b = guard.reserve(0.4);
    assert.ok(a && b);
    assert.equal(guard.reservedUsd, 0.8);
    assert.equal(guard.reserve(0.3), null);
    assert.equal(guard.exhausted, true);
  });

  it('settles with the real cost, releasing the difference', () => {
    const guard = new BudgetGuard({ budgetUsd: 1 });
    const r = guard.reserve(0.9)!;
    guard.settle(r, 0.1);
    assert.ok(Math.abs(guard.spentUsd - 0.1) < 1e-12);
    assert.equal(guard.reservedUsd, 0);
    // Settling twice books nothing more.
    guard.settle(r, 0.1);
    assert.ok(Math.abs(guard.spentUsd - 0.1) < 1e-12);
    assert.ok(guard.reserve(0.85));
  });

  it('stays exhausted after a refusal, even for a cheap attempt', () => {
    const guard = new BudgetGuard({ budgetUsd: 1 });
    assert.equal(guard.reserve(2), null);
    assert.equal(guard.reserve(0.001), null);
  });

  it('counts what earlier sessions spent (resume) and never exceeds the budget', () => {
    const guard = new BudgetGuard({ budgetUsd: 2, spentUsd: 1.5 });
    assert.equal(guard.reserve(0.6), null);
    const guard2 = new BudgetGuard({ budgetUsd: 2, spentUsd: 1.5 });
    let spent = guard2.spentUsd;
    for (;;) {
      const r = guard2.reserve(0.05);
      if (!r) break;
      guard2.settle(r, 0.04);
      spent = guard2.spentUsd;
    }
    assert.ok(spent <= 2);
    assert.ok(spent > 1.9);
  });

  it('without a budget, tracks spend and never refuses', () => {
    const guard = new BudgetGuard({ budgetUsd: null });
    for (let i = 0; i < 100; i++) guard.settle(guard.reserve(1e6)!, 1);
    assert.equal(guard.spentUsd, 100);
    assert.equal(guard.exhausted, false);
  });
});
