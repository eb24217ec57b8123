/** What the runner reports as prompts finish, and the counts behind it. */
import type { Arm, ArmCounts } from './arms.js';

/** What the runner reports as prompts finish. */
export interface ProgressSnapshot {
  /** Prompts whose arms have all finished, earlier sessions of a resumed run included. */
  done: number;
  /** Prompts selected for the run; null while unknown. */
  total: number | null;
  /** Prompts finished in this session (the rate is computed from these). */
  doneThisSession: number;
  /** Since this session started, ms. */
  elapsedMs: number;
  /** Finished requests per arm, this session. */
  arms: Partial<Record<Arm, ArmCounts>>;
  spentUsd: number;
  budgetUsd: number | null;
}

/** This session's counts: prompts done (before it and in it) and final rows per arm. */
export class ProgressTally {
  readonly arms: Partial<Record<Arm, ArmCounts>> = {
    baseline: { ok: 0, error: 0 },
    candidate: { ok: 0, error: 0 },
  };
  /** Prompts a resumed run had already finished. */
  doneBefore = 0;
  doneThisSession = 0;

  constructor(withReplica: boolean) {
    if (withReplica) this.arms.baseline_replica = { ok: 0, error: 0 };
  }

  countRow(arm: Arm, ok: boolean): void {
    const counts = this.arms[arm]!;
    if (ok) counts.ok++;
    else counts.error++;
  }

  snapshot(
    total: number | null,
    elapsedMs: number,
    spentUsd: number,
    budgetUsd: number | null,
  ): ProgressSnapshot {
    return {
      done: this.doneBefore + this.doneThisSession,
      total,
      doneThisSession: this.doneThisSession,
      elapsedMs,
      arms: this.arms,
      spentUsd,
      budgetUsd,
    };
  }
}
