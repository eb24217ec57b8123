/**
 * The judge's calibration: seeded synthetic shadow runs with a known truth,
 * written into the store and judged by the real report and default gates,
 * 200 seeds a case at n = 400 (seeds 1-200, the ones docs/statistics.md's
 * table is made from), on one worker thread per core. Deterministic: the same
 * seeds every run, so the shares below are the published ones, and the last
 * test holds the published table to them.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, test } from 'node:test';
import { CASES, type Case, type OperatingCharacteristics } from './known-truth.js';
import { operatingCharacteristicsOnWorkers } from './known-truth-pool.js';
import { ocRowPrefix } from './oc-table.js';

const N = 400;
const SEEDS = 200;

describe(`judge calibration at n = ${N}, ${SEEDS} seeds a case (known truth)`, () => {
  const oc = new Map<string, OperatingCharacteristics>();
  const of = (prefix: string) => {
    const c = CASES.find((x) => x.name.startsWith(prefix));
    assert.ok(c, prefix);
    const r = oc.get(c.name);
    assert.ok(r, c.name);
    return r;
  };
  const show = (name: string, r: OperatingCharacteristics) => `${name}: ${JSON.stringify(r)}`;

  before(async () => {
    const results = await operatingCharacteristicsOnWorkers(
      CASES.map((c) => ({ truth: c.truth, prompts: N, seeds: SEEDS })),
    );
    for (const [i, c] of CASES.entries()) oc.set(c.name, results[i]!);
  });

  test('A/A is never rolled back and is promoted at least 90% of the time', () => {
    const r = of('A/A');
    assert.equal(r.seeds, SEEDS);
    assert.equal(r.rollback, 0, show('A/A', r));
    assert.ok(r.promote >= 0.9, show('A/A', r));
  });

  test('no degraded case is ever promoted', () => {
    for (const name of [
      '10% vs 1% errors',
      '2x latency',
      'drift on 40%',
      'input tokens inflated',
      'first attempts failing 35%',
    ]) {
      assert.equal(of(name).promote, 0, show(name, of(name)));
    }
  });

  test('10% vs 1% errors, 2x latency and 35% first-attempt failures are rolled back at least 95% of the time', () => {
    for (const name of ['10% vs 1% errors', '2x latency', 'first attempts failing 35%']) {
      assert.ok(of(name).rollback >= 0.95, show(name, of(name)));
    }
  });

  test('a faster, cheaper, equally reliable candidate is promoted at least 90% of the time', () => {
    const r = of('faster, cheaper');
    assert.equal(r.rollback, 0, show('faster, cheaper', r));
    assert.ok(r.promote >= 0.9, show('faster, cheaper', r));
  });

  test('the case at the tolerance is mostly held, and +10% inside it is never rolled back', () => {
    assert.ok(
      of('latency at the tolerance').hold > 0.5,
      show('at the tolerance', of('latency at the tolerance')),
    );
    assert.equal(of('+10% latency').rollback, 0, show('+10%', of('+10% latency')));
  });

  test("docs/statistics.md publishes these shares at n = 400: its table is this suite's output", () => {
    const doc = readFileSync(new URL('../../../docs/statistics.md', import.meta.url), 'utf8').split('\n');
    for (const c of CASES as Case[]) {
      const want = ocRowPrefix(c, N, of(c.name));
      assert.ok(
        doc.some((line) => line.startsWith(want)),
        `docs/statistics.md lacks "${want}": re-run node dist/test/judge/operating-characteristics.js`,
      );
    }
  });
});
