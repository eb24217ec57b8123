import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newRunId } from '../../src/runner/run-id.js';
import { seededRng } from '../../src/shared/clock.js';

describe('newRunId', () => {
  it('is short, carries the UTC start time, and sorts by time', () => {
    const rng = seededRng(1);
    const a = newRunId(Date.UTC(2026, 10, 27, 8, 39, 12), rng);
    const b = newRunId(Date.UTC(2026, 10, 27, 8, 39, 13), rng);
    assert.match(a, /^r-20261127-083912-[0-9a-f]{4}$/);
    assert.ok(a < b);
  });

  it('differs for runs started in the same second', () => {
    const rng = seededRng(2);
    const ids = new Set(Array.from({ length: 50 }, () => newRunId(0, rng)));
    assert.ok(ids.size > 45);
  });
});
