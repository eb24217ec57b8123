import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BUCKETS, bucketFor, HASH_VERSION, routeFor } from '../../src/rollout/route-for.js';

// Golden vectors (hashVersion 1): a router in any language must reproduce these buckets.
const GOLDEN: [string, string, number][] = [
  ['user-1', 'salt', 74417],
  ['user-2', 'salt', 43566],
  ['alice', 's3cr3t', 85930],
  ['', 'x', 31987],
  ['conv-42', '2026-12-02', 7756],
];

test('golden vectors hold for hashVersion 1', () => {
  assert.equal(HASH_VERSION, 1);
  for (const [key, salt, bucket] of GOLDEN) assert.equal(bucketFor(key, salt), bucket, `${salt}:${key}`);
  assert.equal(routeFor('conv-42', 7.757, '2026-12-02'), 'candidate');
  assert.equal(routeFor('conv-42', 7.756, '2026-12-02'), 'baseline');
});

test('over 100,000 keys and increasing percentages no key moves back to baseline', () => {
  const stages = [0, 1, 5, 25, 50, 75, 100];
  let onCandidate = 0;
  for (let i = 0; i < 100_000; i++) {
    const key = `k${i}`;
    const b = bucketFor(key, 'stick');
    assert.ok(b >= 0 && b < BUCKETS);
    let seen = false;
    for (const p of stages) {
      const arm = routeFor(key, p, 'stick');
      if (seen) assert.equal(arm, 'candidate', `${key} went back at ${p}%`);
      if (arm === 'candidate') seen = true;
    }
    if (routeFor(key, 25, 'stick') === 'candidate') onCandidate++;
  }
  assert.ok(Math.abs(onCandidate / 100_000 - 0.25) < 0.01, `share at 25%: ${onCandidate}`);
});

test('the README and docs/rollout.md publish hashVersion 1 and golden vectors that bucketFor reproduces', () => {
  const readme = readFileSync(join(process.cwd(), 'README.md'), 'utf8');
  const docs = readFileSync(join(process.cwd(), 'docs/rollout.md'), 'utf8');
  for (const [name, text] of [
    ['README.md', readme],
    ['docs/rollout.md', docs],
  ] as const)
    assert.match(text, /hashVersion 1/, `${name} names the hash version`);
  // README: (`key`, `salt`) -> bucket; docs: a table row | `key` | `salt` | bucket |.
  const inReadme = [...readme.matchAll(/\(`([^`]*)`, `([^`]+)`\) -> (\d+)/g)].map((m) => [
    m[1],
    m[2],
    Number(m[3]),
  ]);
  const inDocs = [...docs.matchAll(/^\| (?:`([^`]*)`|\(empty\)) \| `([^`]+)` \| (\d+) \|$/gm)].map((m) => [
    m[1] ?? '',
    m[2],
    Number(m[3]),
  ]);
  assert.ok(inReadme.length >= 3, `README vectors: ${JSON.stringify(inReadme)}`);
  assert.deepEqual(inDocs, GOLDEN);
  for (const [key, salt, bucket] of inReadme) {
    assert.equal(bucketFor(key as string, salt as string), bucket, `README: ${salt}:${key}`);
    assert.ok(
      GOLDEN.some((g) => g[0] === key && g[1] === salt && g[2] === bucket),
      `${key} is a test vector`,
    );
  }
});
