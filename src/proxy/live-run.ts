/**
 * A proxy session's shadow run: one `runs` row of kind `shadow`, and for
 * each mirrored request its `prompts` row, the served baseline answer, the
 * candidate's (and, for the A/A share, the baseline's second) answer, each
 * compared with the baseline's. Rows are written as each request completes,
 * so a proxy killed with `kill -9` loses only the requests in flight.
 * Either store (RunWriter): on PostgreSQL the rows go in batched multi-row
 * inserts, in the background; a failed write is logged and counted, and
 * never reaches a client (mirrors are written off the served path).
 */
import { redactedConfigJson } from '../config/redacted-config.js';
import { resolveModel } from '../config/resolve-model.js';
import type { ExperimentConfig } from '../config/types.js';
import { estimateInputTokens, maxOutputTokens, worstCaseCostUsd } from '../pricing/cost.js';
import { pricesJson } from '../pricing/prices-in-force.js';
import type { ChatRequest } from '../providers/types.js';
import { idempotencyKey } from '../retry/idempotency.js';
import { attemptTimeoutForModel } from '../retry/policy.js';
import { type ArmOutcome, type ArmRunContext, type ArmTarget, executeArm } from '../runner/arm-executor.js';
import { BudgetGuard } from '../runner/budget-guard.js';
import { seededJitter } from '../runner/jitter-rng.js';
import { pairSimilarity } from '../runner/pair-similarity.js';
import { newRunId } from '../runner/run-id.js';
import type { Clock, Rng } from '../shared/clock.js';
import { sha256Hex } from '../shared/sha256-hex.js';
import type { RunWriter } from '../store/async-run-store.js';
import type { RequestRow, RunStatus } from '../store/rows.js';
import { asksForJson, type ServedRows } from './served-row.js';

export interface LiveRunOptions {
  label: string | null;
  redact: boolean;
  seed: number;
  /** USD the mirrors (candidate and replica) may spend this session; null = no limit. */
  mirrorBudgetUsd: number | null;
  /** What the session was started with, stored in `runs.options_json`. */
  optionsJson: string;
  /** A write to the store failed (`op`: what was written); the rows of that write are lost. */
  onStoreError?: (op: string, err: unknown) => void;
  /**
   * A new writer on a new connection, tried after a failed write (at most once per REOPEN_EVERY_MS), so
   * a database that comes back gets the session's later rows. Absent: the writer is kept.
   */
  reopen?: () => Promise<RunWriter>;
}

/** Least time between two tries at a new writer after failed writes, ms. */
export const REOPEN_EVERY_MS = 1000;

/** One mirrored request: its prompt, and where its arms go. */
export interface MirrorSpec {
  promptId: string;
  seq: number;
  request: ChatRequest;
  metadata: Record<string, unknown> | null;
  receivedAtMs: number;
  stream: boolean;
  replica: boolean;
}

export class LiveRun {
  readonly runId: string;
  readonly guard: BudgetGuard;
  private seq = 0;
  private readonly base: Omit<ArmRunContext, 'stream'>;
  private reopening: Promise<void> | null = null;
  private lastReopenMono = Number.NEGATIVE_INFINITY;

  /** Creates the session's `runs` row (committed before the first request is served). */
  static async open(
    store: RunWriter,
    config: ExperimentConfig,
    o: LiveRunOptions,
    clock: Clock,
    idRng: Rng,
    signal: AbortSignal,
  ): Promise<LiveRun> {
    const nowMs = clock.now();
    let runId = newRunId(nowMs, idRng);
    while (await store.getRun(runId)) runId = newRunId(nowMs, idRng);
    await store.createRun({
      id: runId,
      kind: 'shadow',
      label: o.label ?? 'proxy',
      startedAt: new Date(nowMs).toISOString(),
      configJson: redactedConfigJson(config),
      pricesJson: pricesJson(config),
      scenarioPath: null,
      scenarioSha256: null,
      seed: o.seed,
      optionsJson: o.optionsJson,
      budgetUsd: o.mirrorBudgetUsd,
      totalPrompts: null,
    });
    return new LiveRun(store, runId, o, clock, signal);
  }

  private constructor(
    private store: RunWriter,
    runId: string,
    private readonly o: LiveRunOptions,
    private readonly clock: Clock,
    signal: AbortSignal,
  ) {
    this.runId = runId;
    this.guard = new BudgetGuard({ budgetUsd: o.mirrorBudgetUsd });
    this.base = {
      runId,
      clock,
      jitterRngFor: seededJitter(o.seed),
      redact: o.redact,
      // Through the writer in use (a new one after a reopen); a failed buffered write never fails a mirror.
      store: {
        insertAttempt: (row) => this.guarded(() => this.store.insertAttempt(row)),
        addSpend: (id, usd, releasedUsd) => this.guarded(() => this.store.addSpend(id, usd, releasedUsd)),
        reserveSpend: async (id, usd) => {
          try {
            await this.store.reserveSpend(id, usd);
          } catch (err) {
            this.storeFailed(err);
            // A reservation that could not be stored: the attempt is not sent (nothing to reserve: it is).
            if (usd > 0) throw err;
          }
        },
      },
      guard: this.guard,
      signal,
    };
  }

  /** The next live prompt's id and position. */
  nextPrompt(): { promptId: string; seq: number } {
    const seq = this.seq++;
    return { promptId: `live-${String(seq).padStart(6, '0')}`, seq };
  }

  /** The mirror budget is spent: mirrors are shed with reason `budget`. */
  get budgetSpent(): boolean {
    return (
      this.guard.exhausted ||
      (this.o.mirrorBudgetUsd !== null && this.guard.spentUsd >= this.o.mirrorBudgetUsd)
    );
  }

  /**
   * Sends the mirrors of one request (candidate, and the replica when picked),
   * waits for the served baseline's rows, and writes the prompt and every row.
   */
  async mirror(
    spec: MirrorSpec,
    targets: { candidate: ArmTarget; replica: ArmTarget },
    served: Promise<ServedRows | null>,
    onOutcome: (out: ArmOutcome | null, arm: 'candidate' | 'baseline_replica') => void,
  ): Promise<void> {
    const ctx: ArmRunContext = { ...this.base, stream: spec.stream };
    const send = async (target: ArmTarget) => {
      const out = await executeArm(ctx, target, this.armRequest(spec, target));
      onOutcome(out, target.arm === 'candidate' ? 'candidate' : 'baseline_replica');
      return out;
    };
    const mirrors = await Promise.all([
      send(targets.candidate),
      spec.replica ? send(targets.replica) : Promise.resolve(null),
    ]);
    const baseline = await served;
    this.guarded(() => this.write(spec, baseline, mirrors));
  }

  /** A background flush that failed surfaces at the next buffered row: its batch is lost, the caller goes on. */
  private guarded(write: () => void): void {
    try {
      write();
    } catch (err) {
      this.storeFailed(err);
    }
  }

  private storeFailed(err: unknown): void {
    this.o.onStoreError?.('write_rows', err);
    this.reopenSoon();
  }

  private reopenSoon(): void {
    const reopen = this.o.reopen;
    if (!reopen || this.reopening || this.clock.monotonic() - this.lastReopenMono < REOPEN_EVERY_MS) return;
    this.lastReopenMono = this.clock.monotonic();
    this.reopening = (async () => {
      try {
        this.store = await reopen();
      } catch (err) {
        this.o.onStoreError?.('reopen', err);
      } finally {
        this.reopening = null;
      }
    })();
  }

  private armRequest(spec: MirrorSpec, target: ArmTarget) {
    const { model, prices } = resolveModel(target.provider, spec.request.model);
    const budgeted = this.o.mirrorBudgetUsd !== null && prices !== null;
    return {
      promptId: spec.promptId,
      request: spec.request,
      model,
      prices,
      attemptTimeoutMs: attemptTimeoutForModel(target.policy, prices),
      worstCaseUsd: budgeted
        ? worstCaseCostUsd(estimateInputTokens(spec.request), maxOutputTokens(spec.request), prices)
        : 0,
      idempotencyKey: idempotencyKey(this.runId, spec.promptId, target.arm),
      wantsJson: asksForJson(spec.request),
    };
  }

  private write(spec: MirrorSpec, baseline: ServedRows | null, mirrors: (ArmOutcome | null)[]): void {
    const { store } = this;
    const requestJson = JSON.stringify(spec.request);
    store.insertPrompt({
      run_id: this.runId,
      prompt_id: spec.promptId,
      seq: spec.seq,
      model: spec.request.model,
      prompt_hash: sha256Hex(requestJson),
      request_json: this.o.redact ? null : requestJson,
      metadata_json: spec.metadata && !this.o.redact ? JSON.stringify(spec.metadata) : null,
      recorded_at: new Date(spec.receivedAtMs).toISOString(),
    });
    const rows: RequestRow[] = [];
    if (baseline) {
      for (const a of baseline.attempts) store.insertAttempt(a);
      rows.push(baseline.row);
      if (baseline.spentUsd) store.addSpend(this.runId, baseline.spentUsd);
    }
    for (const m of mirrors) {
      if (!m) continue;
      if (baseline?.answer != null && m.answer !== null)
        m.row.similarity = pairSimilarity(baseline.answer, m.answer);
      rows.push(m.row);
    }
    for (const row of rows) store.insertRequest(row);
  }

  /** Marks the session's run finished (its rows flushed first). */
  async finish(status: RunStatus): Promise<void> {
    await this.reopening;
    await this.store.setRunStatus(this.runId, status, new Date(this.clock.now()).toISOString());
  }
}
