/**
 * One prompt of a run: its `prompts` row, its arms sent at the same moment,
 * and their final rows written together, each non-baseline answer compared
 * with the baseline's while both are in memory.
 */
import { estimateInputTokens, maxOutputTokens, worstCaseCostUsd } from '../pricing/cost.js';
import type { ChatRequest } from '../providers/types.js';
import { idempotencyKey } from '../retry/idempotency.js';
import type { ScenarioPrompt } from '../scenario/scenario-line.js';
import { sha256Hex } from '../shared/sha256-hex.js';
import type { RunWriter } from '../store/async-run-store.js';
import {
  type ArmOutcome,
  type ArmRequest,
  type ArmRunContext,
  type ArmTarget,
  executeArm,
} from './arm-executor.js';
import type { ArmTargets } from './arm-targets.js';
import { pairSimilarity } from './pair-similarity.js';
import type { RunInterrupts } from './run-interrupts.js';
import type { ProgressTally } from './run-progress.js';

export interface PromptExecutionSetup {
  /** What every arm shares; its signal is replaced per prompt. */
  /** The shadow run's arms write prompts and final rows too: the whole run store. */
  arms: ArmRunContext & { store: RunWriter };
  targets: ArmTargets;
  interrupts: RunInterrupts;
  tally: ProgressTally;
  /** null = no USD budget: no worst-case reservation is computed. */
  budgetUsd: number | null;
}

export class PromptExecution {
  constructor(private readonly s: PromptExecutionSetup) {}

  /** Sends `prompt` to `targets` (the arms it still lacks) and writes their final rows. */
  async run(prompt: ScenarioPrompt, seq: number, targets: ArmTarget[]): Promise<void> {
    const { arms, interrupts, budgetUsd } = this.s;
    const { store, runId } = arms;
    const request = prompt.request;
    const requestJson = JSON.stringify(request);
    store.insertPrompt({
      run_id: runId,
      prompt_id: prompt.id,
      seq,
      model: request.model,
      prompt_hash: sha256Hex(requestJson),
      request_json: arms.redact ? null : requestJson,
      // Metadata may quote the prompt: not stored under --redact.
      metadata_json: prompt.metadata && !arms.redact ? JSON.stringify(prompt.metadata) : null,
      recorded_at: prompt.timestampMs === null ? null : new Date(prompt.timestampMs).toISOString(),
    });
    const estInputTokens = budgetUsd === null ? undefined : estimateInputTokens(request);
    const maxOutTokens = maxOutputTokens(request);
    const wantsJson = asksForJson(request);
    const promptAbort = interrupts.acquirePromptController();
    const promptCtx: ArmRunContext = { ...arms, signal: promptAbort.signal };
    const outcomes = await Promise.all(
      targets.map((target) => {
        const r = this.s.targets.resolve(target, request.model);
        const armRequest: ArmRequest = {
          promptId: prompt.id,
          request,
          model: r.model,
          prices: r.prices,
          attemptTimeoutMs: r.attemptTimeoutMs,
          worstCaseUsd:
            budgetUsd === null || r.prices === null
              ? 0
              : worstCaseCostUsd(estInputTokens ?? 0, maxOutTokens, r.prices),
          estimatedInputTokens: estInputTokens,
          maxOutputTokens: maxOutTokens,
          idempotencyKey: idempotencyKey(runId, prompt.id, target.arm),
          wantsJson,
        };
        return executeArm(promptCtx, target, armRequest);
      }),
    );
    interrupts.releasePromptController(promptAbort);
    writeOutcomes(store, this.s.tally, outcomes);
  }
}

/** Fills each non-baseline row's similarity when the baseline answered in the same session, then writes the rows. */
function writeOutcomes(store: RunWriter, tally: ProgressTally, outcomes: (ArmOutcome | null)[]): void {
  let baselineAnswer: string | null = null;
  for (const out of outcomes) if (out && out.row.arm === 'baseline') baselineAnswer = out.answer;
  for (const out of outcomes) {
    if (!out) continue;
    const row = out.row;
    if (row.arm !== 'baseline' && baselineAnswer !== null && out.answer !== null) {
      row.similarity = pairSimilarity(baselineAnswer, out.answer);
    }
    store.insertRequest(row);
    tally.countRow(row.arm, row.outcome === 'ok');
  }
}

function asksForJson(request: ChatRequest): boolean {
  const format = request.response_format as { type?: unknown } | undefined;
  return format?.type === 'json_object' || format?.type === 'json_schema';
}
