/**
 * Writes each opening of a provider's circuit breaker during a shadow run to
 * `breaker_events`: the row at the moment it opens, its `half_open_at` and
 * `open_ms` when the cooldown ends (left NULL when the session ends first).
 */
import type { CircuitBreaker } from '../retry/circuit-breaker.js';
import type { Clock } from '../shared/clock.js';
import type { BreakerEventRow } from '../store/rows.js';
import type { RunStore } from '../store/run-store.js';

type ProviderArm = BreakerEventRow['arm'];

export class BreakerLog {
  private readonly unsubscribe: (() => void)[] = [];
  private readonly timers = new Set<() => void>();
  /** Openings recorded this session, per arm. */
  readonly openings: Record<ProviderArm, number> = { baseline: 0, candidate: 0 };

  constructor(
    runId: string,
    breakers: Record<ProviderArm, CircuitBreaker>,
    store: Pick<RunStore, 'insertBreakerEvent' | 'setBreakerHalfOpen' | 'lastBreakerSeq'>,
    clock: Clock,
  ) {
    for (const arm of ['baseline', 'candidate'] as const) {
      let seq = store.lastBreakerSeq(runId, arm);
      this.unsubscribe.push(
        breakers[arm].subscribe((e) => {
          if (e.kind !== 'open') return;
          const at = ++seq;
          this.openings[arm]++;
          const openedWallMs = clock.now();
          store.insertBreakerEvent({
            run_id: runId,
            arm,
            seq: at,
            opened_at: new Date(openedWallMs).toISOString(),
          });
          // Whole milliseconds: monotonic readings are fractional, so their
          // difference can be 149.99999999999991 for a 150 ms cooldown.
          const openMs = Math.round(e.halfOpenAtMs - e.openedAtMs);
          const cancel = clock.setTimer(openMs, () => {
            this.timers.delete(cancel);
            store.setBreakerHalfOpen(runId, arm, at, new Date(openedWallMs + openMs).toISOString(), openMs);
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
