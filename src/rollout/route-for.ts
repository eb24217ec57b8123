import { createHash } from 'node:crypto';

/** Version of the assignment function below; a router in another language must match it. */
export const HASH_VERSION = 1;

/** Buckets per 100%: a bucket is an integer in [0, BUCKETS). */
export const BUCKETS = 100_000;

/**
 * The sticky bucket of a key (hashVersion 1): the first 4 bytes of
 * SHA-256(`${salt}:${key}`) (UTF-8) as a big-endian uint32, times 100000,
 * divided by 2^32, floored.
 */
export function bucketFor(key: string, salt: string): number {
  const digest = createHash('sha256').update(`${salt}:${key}`, 'utf8').digest();
  return Math.floor((digest.readUInt32BE(0) * BUCKETS) / 2 ** 32);
}

/**
 * Where a request goes at `percentage` (0..100) of traffic on the candidate:
 * the candidate when bucket < percentage x 1000. Raising the percentage only
 * raises the threshold, so a key moves from baseline to candidate at most once.
 */
export function routeFor(key: string, percentage: number, salt: string): 'baseline' | 'candidate' {
  return bucketFor(key, salt) < percentage * 1000 ? 'candidate' : 'baseline';
}
