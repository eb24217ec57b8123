import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { idempotencyKey } from '../../src/retry/idempotency.js';

describe('idempotencyKey', () => {
  it('is stable for the same (run, prompt, arm), so a resumed run sends the same key', () => {
    assert.equal(idempotencyKey('run-1', 'p-7', 'candidate'), idempotencyKey('run-1', 'p-7', 'candidate'));
  });

  it('differs when any part differs, including how the parts are split', () => {
    const keys = new Set([
      idempotencyKey('run-1', 'p-7', 'candidate'),
      idempotencyKey('run-1', 'p-7', 'baseline'),
      idempotencyKey('run-2', 'p-7', 'candidate'),
      idempotencyKey('run-1', 'p-8', 'candidate'),
      idempotencyKey('a:b', 'c', 'baseline'),
      idempotencyKey('a', 'b:c', 'baseline'),
    ]);
    assert.equal(keys.size, 6);
  });

  it('looks like a version-8 UUID', () => {
    assert.match(
      idempotencyKey('r', 'p', 'baseline'),
      /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});
