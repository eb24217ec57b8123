/**
 * Similarity of an arm's answer to the baseline's answer for the same prompt.
 * Computed in memory when both arms of a prompt finish in one session (so it
 * exists even under --redact), and, for pairs split across the sessions of a
 * resumed run, from the stored text at the end of the resumed session.
 */
import { textSimilarity } from '../stats/text-similarity.js';
import type { RunWriter } from '../store/async-run-store.js';

/** The answer compared across arms: the text, then the tool calls' JSON on a line of its own. */
export function comparedAnswer(text: string, toolCallsJson: string | null): string {
  return toolCallsJson === null ? text : `${text}\n${toolCallsJson}`;
}

/** 0 to 1; exactly 1 for identical answers. */
export function pairSimilarity(baselineAnswer: string, answer: string): number {
  return answer === baselineAnswer ? 1 : textSimilarity(baselineAnswer, answer);
}

export interface SplitPairsResult {
  /** Pairs whose similarity was computed from the stored text. */
  filled: number;
  /** Pairs left NULL: the run is redacted, so the text is not stored. */
  redacted: number;
}

/**
 * Fills the similarity of every pair both arms answered but no session saw
 * whole. Stored `tool_calls_json` is the
 * JSON the in-memory comparison used, so both paths give the same number.
 */
export async function fillSplitPairSimilarity(
  store: Pick<RunWriter, 'unscoredPairs' | 'setSimilarities'>,
  runId: string,
): Promise<SplitPairsResult> {
  const scores = [];
  let redacted = 0;
  for (const p of await store.unscoredPairs(runId)) {
    if (p.text === null || p.baselineText === null) {
      redacted++;
      continue;
    }
    const similarity = pairSimilarity(
      comparedAnswer(p.baselineText, p.baselineToolCallsJson),
      comparedAnswer(p.text, p.toolCallsJson),
    );
    scores.push({ promptId: p.promptId, arm: p.arm, similarity });
  }
  await store.setSimilarities(runId, scores);
  return { filled: scores.length, redacted };
}
