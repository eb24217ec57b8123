/**
 * The bounded queue between live traffic and the candidate: at most
 * `concurrency` mirrors run at once and at most `capacity` wait; anything
 * beyond is shed and counted by reason, so an overloaded or hanging candidate
 * costs a fixed amount of memory and never slows the answers users get.
 */

/** Why a mirror was not sent. */
export type ShedReason = 'queue_full' | 'body_too_large' | 'budget';
export const SHED_REASONS: readonly ShedReason[] = ['queue_full', 'body_too_large', 'budget'];

export interface MirrorQueueOptions {
  /** Mirrors running at once. */
  concurrency: number;
  /** Mirrors waiting for a slot; 0 = none wait (a mirror runs now or is shed). */
  capacity: number;
  /** Request bytes held by waiting and running mirrors together; beyond, new ones are shed. Default: no limit. */
  maxBytes?: number;
}

export type MirrorJob = () => Promise<void>;

export class MirrorQueue {
  private readonly waiting: { job: MirrorJob; bytes: number }[] = [];
  /** Request bytes of the mirrors waiting or running. */
  heldBytes = 0;
  private head = 0;
  private running = 0;
  private readonly idleWaiters: (() => void)[] = [];
  readonly shed: Record<ShedReason, number> = { queue_full: 0, body_too_large: 0, budget: 0 };
  /** Mirrors accepted (run or waiting). */
  accepted = 0;
  /** A job that threw: a bug, not a provider failure (those are outcomes). */
  failures = 0;

  constructor(
    private readonly o: MirrorQueueOptions,
    private readonly onJobError: (err: unknown) => void = () => {},
  ) {}

  /** Waiting, not yet running. */
  get depth(): number {
    return this.waiting.length - this.head;
  }

  get inFlight(): number {
    return this.running;
  }

  /** Counts a mirror skipped before it reached the queue. */
  skip(reason: ShedReason): void {
    this.shed[reason]++;
  }

  /** Whether a mirror of `bytes` would be taken now (a free slot or queue room, and within maxBytes). */
  hasRoom(bytes = 0): boolean {
    if (this.o.maxBytes !== undefined && this.heldBytes + bytes > this.o.maxBytes) return false;
    return this.running < this.o.concurrency || this.depth < this.o.capacity;
  }

  /**
   * Starts `job` now, queues it, or sheds it (false, counted as queue_full)
   * when the slots and the queue are full or `bytes` more would pass maxBytes.
   */
  offer(job: MirrorJob, bytes = 0): boolean {
    if (this.o.maxBytes !== undefined && this.heldBytes + bytes > this.o.maxBytes) {
      this.shed.queue_full++;
      return false;
    }
    if (this.running < this.o.concurrency) {
      this.accepted++;
      this.start(job, bytes);
      return true;
    }
    if (this.depth >= this.o.capacity) {
      this.shed.queue_full++;
      return false;
    }
    this.accepted++;
    this.heldBytes += bytes;
    this.waiting.push({ job, bytes });
    return true;
  }

  /** Drops every waiting job (shutdown); returns how many. */
  clear(): number {
    const n = this.depth;
    for (let i = this.head; i < this.waiting.length; i++) this.heldBytes -= this.waiting[i]!.bytes;
    this.waiting.length = 0;
    this.head = 0;
    this.notifyIfIdle();
    return n;
  }

  /** Resolves when nothing runs or waits. */
  idle(): Promise<void> {
    if (this.running === 0 && this.depth === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** `bytes` are already counted in heldBytes for a job taken from the queue. */
  private start(job: MirrorJob, newBytes: number, queuedBytes = 0): void {
    this.running++;
    this.heldBytes += newBytes;
    let p: Promise<void>;
    try {
      p = job();
    } catch (err) {
      p = Promise.reject(err);
    }
    p.catch((err) => {
      this.failures++;
      this.onJobError(err);
    }).finally(() => {
      this.running--;
      this.heldBytes -= newBytes + queuedBytes;
      this.next();
    });
  }

  private next(): void {
    if (this.running < this.o.concurrency && this.depth > 0) {
      const entry = this.waiting[this.head]!;
      this.waiting[this.head] = undefined as unknown as { job: MirrorJob; bytes: number };
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting.splice(0, this.head);
        this.head = 0;
      }
      this.start(entry.job, 0, entry.bytes);
      return;
    }
    this.notifyIfIdle();
  }

  private notifyIfIdle(): void {
    if (this.running === 0 && this.depth === 0) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }
}
