import type { ModelConfig } from '../config/types.js';
import type { Usage } from '../providers/types.js';

export { estimateInputTokens, estimateTextTokens, maxOutputTokens } from './estimate-tokens.js';

const PER_MTOK = 1_000_000;

/**
 * The cost of one answer in USD. Usage is in its inclusive form:
 * - `inputTokens` includes cache reads (`cachedTokens`) and cache writes
 *   (`cacheWriteTokens`); the rest is priced at `inputPerMTok`, cache reads at
 *   `cachedInputPerMTok` and cache writes at `cacheWritePerMTok` (both
 *   default to `inputPerMTok`);
 * - `outputTokens` includes `reasoningTokens` (OpenAI's convention); reasoning
 *   is priced at `reasoningPerMTok` when set, the rest at `outputPerMTok`.
 * Counts that exceed their total (a provider's rounding) are clamped, so the
 * cost is never negative.
 */
export function costUsd(usage: Usage, prices: ModelConfig): number {
  const cached = Math.min(nonNegative(usage.cachedTokens), nonNegative(usage.inputTokens));
  const cacheWrite = Math.min(nonNegative(usage.cacheWriteTokens), nonNegative(usage.inputTokens) - cached);
  const uncached = nonNegative(usage.inputTokens) - cached - cacheWrite;
  const reasoning = Math.min(nonNegative(usage.reasoningTokens), nonNegative(usage.outputTokens));
  const visibleOutput = nonNegative(usage.outputTokens) - reasoning;
  return (
    (uncached * prices.inputPerMTok +
      cached * (prices.cachedInputPerMTok ?? prices.inputPerMTok) +
      cacheWrite * (prices.cacheWritePerMTok ?? prices.inputPerMTok) +
      visibleOutput * prices.outputPerMTok +
      reasoning * (prices.reasoningPerMTok ?? prices.outputPerMTok)) /
    PER_MTOK
  );
}

/**
 * The most one attempt can cost, for the budget's reservation: every input
 * token at the dearest input price (no cache discount assumed) and every
 * allowed output token at the dearest output price.
 */
export function worstCaseCostUsd(
  estimatedInputTokens: number,
  maxOutputTokens: number,
  prices: ModelConfig,
): number {
  const inputPrice = Math.max(prices.inputPerMTok, prices.cacheWritePerMTok ?? 0);
  const outputPrice = Math.max(prices.outputPerMTok, prices.reasoningPerMTok ?? 0);
  return (
    (nonNegative(estimatedInputTokens) * inputPrice + nonNegative(maxOutputTokens) * outputPrice) / PER_MTOK
  );
}

function nonNegative(n: number): number {
  return Number.isFinite(n) && n > 0 ? n : 0;
}
