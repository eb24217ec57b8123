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
}

export type MirrorJob = () => Promise<void>;

export class MirrorQueue {
  private readonly waiting: MirrorJob[] = [];
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

  /** Starts `job` now, queues it, or sheds it (false) when the queue is full. */
  offer(job: MirrorJob): boolean {
    if (this.running < this.o.concurrency) {
      this.accepted++;
      this.start(job);
      return true;
    }
    if (this.depth >= this.o.capacity) {
      this.shed.queue_full++;
      return false;
    }
    this.accepted++;
    this.waiting.push(job);
    return true;
  }

  /** Drops every waiting job (shutdown); returns how many. */
  clear(): number {
    const n = this.depth;
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

  private start(job: MirrorJob): void {
    this.running++;
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
      this.next();
    });
  }

  private next(): void {
    if (this.running < this.o.concurrency && this.depth > 0) {
      const job = this.waiting[this.head]!;
      this.waiting[this.head] = undefined as unknown as MirrorJob;
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting.splice(0, this.head);
        this.head = 0;
      }
      this.start(job);
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
