import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isReplicaPick, isSampled, unitHash } from '../../src/runner/sampling.js';

const ids = Array.from({ length: 20_000 }, (_, i) => `prompt-${i}`);

describe('sampling', () => {
  it('maps into [0, 1) and depends on both the id and the seed', () => {
    for (const id of ids.slice(0, 1000)) {
      const u = unitHash(id, 7);
      assert.ok(u >= 0 && u < 1);
    }
    assert.equal(unitHash('a', 1), unitHash('a', 1));
    assert.notEqual(unitHash('a', 1), unitHash('a', 2));
    assert.notEqual(unitHash('a', 1), unitHash('b', 1));
  });

  it('keeps about the requested fraction, the same prompts every time', () => {
    const first = ids.filter((id) => isSampled(id, 42, 0.25));
    const second = ids.filter((id) => isSampled(id, 42, 0.25));
    assert.deepEqual(first, second);
    assert.ok(Math.abs(first.length / ids.length - 0.25) < 0.02, `${first.length}`);
    const otherSeed = ids.filter((id) => isSampled(id, 43, 0.25));
    assert.notDeepEqual(otherSeed, first);
  });

  it('does not depend on order: a subset of the file selects the same prompts', () => {
    const reversed = [...ids].reverse().filter((id) => isSampled(id, 1, 0.1));
    const forward = ids.filter((id) => isSampled(id, 1, 0.1));
    assert.deepEqual(reversed.reverse(), forward);
  });

  it('a larger fraction keeps a superset', () => {
    const small = new Set(ids.filter((id) => isSampled(id, 5, 0.1)));
    const large = new Set(ids.filter((id) => isSampled(id, 5, 0.5)));
    for (const id of small) assert.ok(large.has(id));
  });

  it('picks replicas independently of sampling', () => {
    const sampled = ids.filter((id) => isSampled(id, 9, 0.5));
    const replicas = sampled.filter((id) => isReplicaPick(id, 9, 0.5));
    // Independent choices: about half of the sampled half.
    assert.ok(
      Math.abs(replicas.length / sampled.length - 0.5) < 0.03,
      `${replicas.length}/${sampled.length}`,
    );
  });

  it('treats 0 and 1 as none and all', () => {
    assert.equal(
      ids.every((id) => isSampled(id, 3, 1)),
      true,
    );
    assert.equal(
      ids.some((id) => isReplicaPick(id, 3, 0)),
      false,
    );
    assert.equal(
      ids.every((id) => isReplicaPick(id, 3, 1)),
      true,
    );
  });
});
