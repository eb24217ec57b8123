/**
 * The judge's calibration: seeded synthetic shadow runs with a known truth,
 * written into the store and judged by the real report and default gates.
 * The full table (200 seeds a case) is in the README, made by
 * operating-characteristics.ts; this suite pins the claims at n = 400 on
 * fewer seeds so that it stays fast. Deterministic: the same seeds every run.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CASES, operatingCharacteristics } from './known-truth.js';

const N = 400;
const byName = (prefix: string) => {
  const c = CASES.find((x) => x.name.startsWith(prefix));
  assert.ok(c, prefix);
  return c.truth;
};

describe('judge calibration at n = 400 (known truth)', () => {
  test('A/A is never rolled back and is promoted at least 90% of the time', () => {
    const oc = operatingCharacteristics(byName('A/A'), N, 100);
    assert.equal(oc.rollback, 0);
    assert.ok(oc.promote >= 0.9, JSON.stringify(oc));
  });

  test('10% vs 1% errors, 2x latency and 35% first-attempt failures are rolled back at least 95% of the time', () => {
    for (const name of ['10% vs 1% errors', '2x latency', 'first attempts failing 35%']) {
      const oc = operatingCharacteristics(byName(name), N, 40, 1000);
      assert.ok(oc.rollback >= 0.95, `${name}: ${JSON.stringify(oc)}`);
    }
  });

  test('no degraded case is ever promoted; a case at the tolerance is mostly held', () => {
    for (const name of ['drift on 40%', 'input tokens inflated']) {
      const oc = operatingCharacteristics(byName(name), N, 30, 2000);
      assert.equal(oc.promote, 0, `${name}: ${JSON.stringify(oc)}`);
    }
    const atTolerance = operatingCharacteristics(byName('latency at the tolerance'), N, 30, 3000);
    assert.ok(atTolerance.hold > 0.5, JSON.stringify(atTolerance));
  });

  test('a faster, cheaper, equally reliable candidate is promoted at least 90% of the time', () => {
    const oc = operatingCharacteristics(byName('faster, cheaper'), N, 60, 4000);
    assert.equal(oc.rollback, 0);
    assert.ok(oc.promote >= 0.9, JSON.stringify(oc));
  });
});
