import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HashedIdSet, hash64 } from '../../src/scenario/hashed-id-set.js';

describe('HashedIdSet', () => {
  it('remembers ids across growth and reports the first line of a duplicate', () => {
    const set = new HashedIdSet(4);
    for (let i = 1; i <= 50_000; i++) assert.equal(set.addOrGetLine(`id-${i}`, i), null);
    assert.equal(set.size, 50_000);
    assert.equal(set.addOrGetLine('id-1', 60_000), 1);
    assert.equal(set.addOrGetLine('id-49999', 60_001), 49_999);
    assert.equal(set.addOrGetLine('id-50001', 60_002), null);
  });

  it('hashes similar strings apart', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(hash64(`line-${i}`).join(':'));
    assert.equal(seen.size, 100_000);
    assert.notDeepEqual(hash64('ab'), hash64('ba'));
  });
});
