/**
 * Writes each opening of a provider's circuit breaker during a shadow run to
 * `breaker_events`: the row at the moment it opens, its `half_open_at` and
 * `open_ms` when the cooldown ends (left NULL when the session ends first).
 */
import type { CircuitBreaker } from '../retry/circuit-breaker.js';
import type { Clock } from '../shared/clock.js';
import type { RunWriter } from '../store/async-run-store.js';
import type { BreakerEventRow } from '../store/rows.js';

type ProviderArm = BreakerEventRow['arm'];

/** The writes the log makes; a promise's rejection goes to the log's onError. */
export interface BreakerEventSink {
  insertBreakerEvent(row: BreakerEventRow): void | Promise<void>;
  setBreakerHalfOpen(
    runId: string,
    arm: ProviderArm,
    seq: number,
    halfOpenAt: string,
    openMs: number,
  ): void | Promise<void>;
}

export class BreakerLog {
  private readonly unsubscribe: (() => void)[] = [];
  private readonly timers = new Set<() => void>();
  /** Openings recorded this session, per arm. */
  readonly openings: Record<ProviderArm, number> = { baseline: 0, candidate: 0 };

  /** Numbers the openings on from the last seq stored for each arm (a resumed run's earlier sessions). */
  static async open(
    runId: string,
    breakers: Record<ProviderArm, CircuitBreaker>,
    store: BreakerEventSink & Pick<RunWriter, 'lastBreakerSeq'>,
    clock: Clock,
    onError: (err: unknown) => void,
    stride?: { every: number; at: number },
  ): Promise<BreakerLog> {
    const lastSeq = {
      baseline: await store.lastBreakerSeq(runId, 'baseline'),
      candidate: await store.lastBreakerSeq(runId, 'candidate'),
    };
    return new BreakerLog(runId, breakers, store, clock, lastSeq, onError, stride);
  }

  /** `lastSeq`: the highest seq already stored per arm (0 for a new run). */
  constructor(
    runId: string,
    breakers: Record<ProviderArm, CircuitBreaker>,
    store: BreakerEventSink,
    clock: Clock,
    lastSeq: Record<ProviderArm, number>,
    onError: (err: unknown) => void = () => {},
    /** A shard I of N numbers its openings I, I+N, ...: shards of one run never take the same seq. */
    stride: { every: number; at: number } = { every: 1, at: 0 },
  ) {
    const write = (op: () => void | Promise<void>) => {
      try {
        const p = op();
        if (p) p.catch(onError);
      } catch (err) {
        onError(err);
      }
    };
    for (const arm of ['baseline', 'candidate'] as const) {
      let seq = lastSeq[arm];
      this.unsubscribe.push(
        breakers[arm].subscribe((e) => {
          if (e.kind !== 'open') return;
          seq++;
          while (seq % stride.every !== stride.at % stride.every) seq++;
          const at = seq;
          this.openings[arm]++;
          const openedWallMs = clock.now();
          write(() =>
            store.insertBreakerEvent({
              run_id: runId,
              arm,
              seq: at,
              opened_at: new Date(openedWallMs).toISOString(),
            }),
          );
          // Whole milliseconds: monotonic readings are fractional, so their
          // difference can be 149.99999999999991 for a 150 ms cooldown.
          const openMs = Math.round(e.halfOpenAtMs - e.openedAtMs);
          const cancel = clock.setTimer(openMs, () => {
            this.timers.delete(cancel);
            write(() =>
              store.setBreakerHalfOpen(runId, arm, at, new Date(openedWallMs + openMs).toISOString(), openMs),
            );
          });
          this.timers.add(cancel);
        }),
      );
    }
  }

  /** Stops listening; openings whose cooldown has not ended keep half_open_at NULL. */
  dispose(): void {
    for (const u of this.unsubscribe) u();
    for (const cancel of this.timers) cancel();
    this.timers.clear();
  }
}
