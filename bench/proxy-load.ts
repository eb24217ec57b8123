/**
 * The load driver of the proxy bench: `--requests` streaming (or whole)
 * chat requests, `--concurrency` in flight, against one base URL, each timed
 * from send to its first body byte (TTFT) and to its end. Prints one JSON
 * line (ProxyLoadResult). Run by bench/sections/proxy.ts, not by users.
 */
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

export interface ProxyLoadResult {
  requests: number;
  errors: number;
  wallMs: number;
  rps: number;
  /** Per request, ms, in completion order. */
  latencyMs: number[];
  ttftMs: number[];
  /** `x-shadowgate-overhead-ms` when the answer carried one. */
  overheadMs: number[];
}

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    requests: { type: 'string' },
    concurrency: { type: 'string' },
    stream: { type: 'string', default: '1' },
  },
});
const base = new URL(values.url!);
const total = Number(values.requests);
const concurrency = Number(values.concurrency);
const stream = values.stream === '1';
const pool = new Pool(base.origin, { connections: concurrency, pipelining: 1 });
const path = `${base.pathname.replace(/\/$/, '')}/chat/completions`;

const latencyMs: number[] = [];
const ttftMs: number[] = [];
const overheadMs: number[] = [];
let errors = 0;
let next = 0;

async function one(i: number): Promise<void> {
  const body = JSON.stringify({
    model: 'gpt-4.1',
    messages: [{ role: 'user', content: `Bench question ${i}: how do I reset my password?` }],
    max_tokens: 32,
    ...(stream ? { stream: true } : {}),
  });
  const t0 = performance.now();
  try {
    const res = await pool.request({
      path,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    let first: number | null = null;
    for await (const _chunk of res.body) first ??= performance.now();
    const end = performance.now();
    if (res.statusCode !== 200) errors++;
    latencyMs.push(end - t0);
    ttftMs.push((first ?? end) - t0);
    const o = res.headers['x-shadowgate-overhead-ms'];
    if (typeof o === 'string') overheadMs.push(Number(o));
  } catch {
    errors++;
  }
}

async function worker(): Promise<void> {
  while (next < total) await one(next++);
}

const started = performance.now();
await Promise.all(Array.from({ length: concurrency }, () => worker()));
const wallMs = performance.now() - started;
await pool.close();
const result: ProxyLoadResult = {
  requests: total,
  errors,
  wallMs,
  rps: (total / wallMs) * 1000,
  latencyMs,
  ttftMs,
  overheadMs,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
