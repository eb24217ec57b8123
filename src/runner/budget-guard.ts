/** Money held for one attempt until its real cost is known. */
export interface BudgetReservation {
  readonly amountUsd: number;
  settled: boolean;
}

export interface BudgetGuardOptions {
  /** The most the run may spend, USD; null = no limit (spend is still tracked). */
  budgetUsd: number | null;
  /** Already spent by earlier sessions of this run (resume), USD. Default 0. */
  spentUsd?: number;
}

/**
 * The USD budget of a run. Before each attempt the runner reserves the
 * attempt's worst-case cost; afterwards it settles with the real cost. A
 * reservation that would take spent + reserved over the budget is refused, and
 * the first refusal exhausts the guard for good: the run stops sending rather
 * than trickle cheap prompts in around the edge.
 */
export class BudgetGuard {
  readonly budgetUsd: number | null;
  private spent: number;
  private reserved = 0;
  private refused = false;

  constructor(options: BudgetGuardOptions) {
    this.budgetUsd = options.budgetUsd;
    this.spent = options.spentUsd ?? 0;
  }

  /** Real spend settled so far (this session and earlier ones), USD. */
  get spentUsd(): number {
    return this.spent;
  }

  /** Held for attempts in flight, USD. */
  get reservedUsd(): number {
    return this.reserved;
  }

  /** True once a reservation has been refused. */
  get exhausted(): boolean {
    return this.refused;
  }

  /** Holds `worstCaseUsd` for one attempt; null when that would exceed the budget. */
  reserve(worstCaseUsd: number): BudgetReservation | null {
    if (this.refused) return null;
    const amountUsd = Math.max(0, worstCaseUsd);
    if (this.budgetUsd !== null && this.spent + this.reserved + amountUsd > this.budgetUsd) {
      this.refused = true;
      return null;
    }
    this.reserved += amountUsd;
    return { amountUsd, settled: false };
  }

  /** Releases the reservation and books the attempt's real cost, USD. Idempotent. */
  settle(reservation: BudgetReservation, actualUsd: number): void {
    if (reservation.settled) return;
    reservation.settled = true;
    // Float drift must never leave a phantom reservation below zero.
    this.reserved = Math.max(0, this.reserved - reservation.amountUsd);
    this.spent += actualUsd;
  }
}
