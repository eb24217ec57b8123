import assert from 'node:assert/strict';
import { test } from 'node:test';
import { csDifference, csHalfWidth, csRho } from '../../src/stats/confidence-sequence.js';

test('rho and half-width match the formula worked by hand (alpha 0.05, N* 5000)', () => {
  // rho^2 = (5.99146 + ln 6.99146) / 5000 = 0.00158724
  assert.ok(Math.abs(csRho(0.05) ** 2 - 0.00158724) < 1e-7);
  // n = 1000, sigma = 1: sqrt(2 * 2.58724 / (1e6 * 0.00158724) * ln(sqrt(2.58724) / 0.05)) = 0.10638
  assert.ok(Math.abs(csHalfWidth(1, 1000, 0.05) - 0.10638) < 2e-4);
  // wider than the fixed-sample interval: the price of looking at every n
  assert.ok(csHalfWidth(1, 1000, 0.05) > 1.96 / Math.sqrt(1000));
});

test('the difference interval is centred on the difference and shrinks with n', () => {
  const [lo, hi] = csDifference(0.1, 0.09, 500, 0.05, 0.0475, 500, 0.1);
  assert.ok(Math.abs((lo + hi) / 2 - 0.05) < 1e-12);
  const [lo2, hi2] = csDifference(0.1, 0.09, 5000, 0.05, 0.0475, 5000, 0.1);
  assert.ok(hi2 - lo2 < hi - lo);
});
