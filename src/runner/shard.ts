/**
 * Which shard of a sharded replay (`run --shard I/N`) a prompt belongs to:
 * the first 4 bytes of sha256(prompt id), read as a big-endian unsigned
 * integer, mod N, plus 1. Stable across machines, versions and scenario
 * order; the same function as `shardOf` everywhere (golden vectors in
 * test/runner/shard.test.ts).
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../shared/errors.js';

export interface ShardSpec {
  /** 1..count. */
  index: number;
  count: number;
}

/** 1..count. */
export function shardOf(promptId: string, count: number): number {
  return (createHash('sha256').update(promptId, 'utf8').digest().readUInt32BE(0) % count) + 1;
}

export function inShard(promptId: string, shard: ShardSpec): boolean {
  return shard.count === 1 || shardOf(promptId, shard.count) === shard.index;
}

/** `I/N` with 1 <= I <= N; a UsageError names the flag otherwise. */
export function parseShard(text: string): ShardSpec {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!m || count < 1 || index < 1 || index > count)
    throw new UsageError(`--shard ${text}: give I/N with I from 1 to N (e.g. --shard 1/2)`);
  return { index, count };
}
