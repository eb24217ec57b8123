/**
 * The contention model of the AWS Architecture Blog post "Exponential Backoff
 * And Jitter" (2015) and its simulator (aws-samples/aws-arch-backoff-simulator):
 * N clients each make one optimistic-concurrency write to one shared row. A
 * client reads the row's version, then writes with that version; the server
 * accepts the write only if the version is still current. On a conflict the
 * client backs off (through this engine's own backoffDelay) and starts over.
 * Every message crosses the network with a delay of |Normal(10 ms, 2 ms)|.
 *
 * A discrete-event simulation on a virtual clock: pure, seeded, no timers.
 */
import { type Rng, seededRng } from '../shared/clock.js';
import { type BackoffPolicy, backoffDelay } from './backoff.js';
import {
  BACKOFF_STRATEGIES,
  type BackoffStrategy,
  DEFAULT_RETRY_POLICY,
  JITTER_MODES,
  type JitterMode,
} from './policy.js';

export interface ContentionOptions {
  /** Clients racing for the row. */
  clients: number;
  strategy: BackoffStrategy;
  jitter: JitterMode;
  /** Independent runs averaged. Default 5. */
  runs?: number;
  /** Default 1. */
  seed?: number;
  /** Default 5, as in the post. */
  baseDelayMs?: number;
  /** Default 2000, as in the post. */
  maxDelayMs?: number;
  /** For `range` jitter. Default [0.5, 1.5]. */
  jitterRange?: [number, number];
  /** One-way network delay is |Normal(mean, sd)|, ms. Defaults 10 and 2. */
  networkMeanMs?: number;
  networkSdMs?: number;
}

export interface ContentionResult {
  clients: number;
  strategy: BackoffStrategy;
  jitter: JitterMode;
  runs: number;
  /** Write calls (compare-and-set attempts) per run, averaged: the work the server did, as the post counts it. */
  calls: number;
  /** Writes rejected for a stale version per run, averaged. */
  conflicts: number;
  /** Virtual time until the last client's write was acknowledged, ms, averaged. */
  completionMs: number;
}

// What a client's one message in flight is: each client has exactly one at any time.
const READ_AT_SERVER = 0;
const READ_REPLY = 1;
const WRITE_AT_SERVER = 2;
const WRITE_ACCEPTED = 3;
const WRITE_REJECTED = 4;

/** Simulates `runs` runs of one strategy and jitter; averages calls and completion time. */
export function simulateContention(options: ContentionOptions): ContentionResult {
  const runs = options.runs ?? 5;
  const seed = options.seed ?? 1;
  const policy: BackoffPolicy = {
    strategy: options.strategy,
    jitter: options.jitter,
    jitterRange: options.jitterRange ?? DEFAULT_RETRY_POLICY.jitterRange,
    baseDelayMs: options.baseDelayMs ?? 5,
    maxDelayMs: options.maxDelayMs ?? 2000,
  };
  const network = { meanMs: options.networkMeanMs ?? 10, sdMs: options.networkSdMs ?? 2 };
  let calls = 0;
  let conflicts = 0;
  let completionMs = 0;
  for (let run = 0; run < runs; run++) {
    // The same per-run seed for every strategy, so a comparison meets the same network.
    const one = simulateOnce(options.clients, policy, network, seededRng(mixSeed(seed, run)));
    calls += one.calls;
    conflicts += one.conflicts;
    completionMs += one.completionMs;
  }
  return {
    clients: options.clients,
    strategy: options.strategy,
    jitter: options.jitter,
    runs,
    calls: calls / runs,
    conflicts: conflicts / runs,
    completionMs: completionMs / runs,
  };
}

/** Every strategy x jitter pair (or the given subset) under the same clients, runs and seed. */
export function compareContention(
  options: Omit<ContentionOptions, 'strategy' | 'jitter'> & {
    strategies?: readonly BackoffStrategy[];
    jitters?: readonly JitterMode[];
  },
): ContentionResult[] {
  const results: ContentionResult[] = [];
  for (const strategy of options.strategies ?? BACKOFF_STRATEGIES) {
    for (const jitter of options.jitters ?? JITTER_MODES) {
      results.push(simulateContention({ ...options, strategy, jitter }));
    }
  }
  return results;
}

function simulateOnce(
  clients: number,
  policy: BackoffPolicy,
  network: { meanMs: number; sdMs: number },
  rng: Rng,
): { calls: number; conflicts: number; completionMs: number } {
  const queue = new ClientQueue(clients);
  const versionRead = new Float64Array(clients);
  const retries = new Int32Array(clients);
  const prevStrategyDelayMs = new Array<number | null>(clients).fill(null);
  const net = () => Math.abs(network.meanMs + network.sdMs * standardNormal(rng));
  let rowVersion = 0;
  let calls = 0;
  let conflicts = 0;
  let completionMs = 0;

  for (let c = 0; c < clients; c++) queue.schedule(c, net(), READ_AT_SERVER);
  while (queue.size > 0) {
    const c = queue.popEarliest();
    const t = queue.timeMs[c]!;
    switch (queue.kind[c]) {
      case READ_AT_SERVER:
        versionRead[c] = rowVersion;
        queue.schedule(c, t + net(), READ_REPLY);
        break;
      case READ_REPLY:
        queue.schedule(c, t + net(), WRITE_AT_SERVER);
        break;
      case WRITE_AT_SERVER: {
        calls += 1;
        const accepted = versionRead[c] === rowVersion;
        if (accepted) rowVersion += 1;
        else conflicts += 1;
        queue.schedule(c, t + net(), accepted ? WRITE_ACCEPTED : WRITE_REJECTED);
        break;
      }
      case WRITE_ACCEPTED:
        completionMs = t;
        break;
      case WRITE_REJECTED: {
        const n = retries[c]! + 1;
        retries[c] = n;
        const backoff = backoffDelay(policy, n, prevStrategyDelayMs[c]!, rng);
        prevStrategyDelayMs[c] = backoff.strategyDelayMs;
        queue.schedule(c, t + backoff.delayMs + net(), READ_AT_SERVER);
        break;
      }
    }
  }
  return { calls, conflicts, completionMs };
}

/** Box-Muller; `1 - rng()` keeps log away from 0. */
function standardNormal(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

function mixSeed(seed: number, run: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(run + 1, 0xc2b2ae35)) >>> 0;
}

/**
 * The event queue: a binary min-heap of client ids on (timeMs, seq). Each
 * client has at most one message in flight, so the heap never outgrows the
 * client count and needs no per-event allocation.
 */
class ClientQueue {
  readonly timeMs: Float64Array;
  readonly kind: Uint8Array;
  /** Scheduling order breaks ties, so a seed always gives the same run. */
  private readonly seq: Float64Array;
  private readonly heap: Int32Array;
  private nextSeq = 0;
  size = 0;

  constructor(clients: number) {
    this.timeMs = new Float64Array(clients);
    this.kind = new Uint8Array(clients);
    this.seq = new Float64Array(clients);
    this.heap = new Int32Array(clients);
  }

  /** Queues client `c`'s next message; `c` must not be in the queue. */
  schedule(c: number, timeMs: number, kind: number): void {
    this.timeMs[c] = timeMs;
    this.kind[c] = kind;
    this.seq[c] = this.nextSeq++;
    const heap = this.heap;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(c, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = c;
  }

  popEarliest(): number {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap[--this.size]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.size) break;
      const r = l + 1;
      const child = r < this.size && this.before(heap[r]!, heap[l]!) ? r : l;
      if (!this.before(heap[child]!, last)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
    return top;
  }

  private before(a: number, b: number): boolean {
    const ta = this.timeMs[a]!;
    const tb = this.timeMs[b]!;
    return ta < tb || (ta === tb && this.seq[a]! < this.seq[b]!);
  }
}
