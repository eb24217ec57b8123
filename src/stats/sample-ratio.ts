import { chiSquare1Sf } from './normal.js';

/** The p-value below which a sample ratio mismatch means a broken assignment (as experimentation platforms use). */
export const SRM_P_THRESHOLD = 0.001;

export interface SampleRatioCheck {
  /** Units (distinct sticky keys) assigned to the candidate. */
  candidate: number;
  /** Units assigned to the baseline. */
  baseline: number;
  /** The share the assignment should give the candidate, [0, 1]. */
  expectedShare: number;
  observedShare: number | null;
  chiSquare: number | null;
  pValue: number | null;
  /** True when the split differs from the expected share beyond chance (p < SRM_P_THRESHOLD). */
  mismatch: boolean;
}

/**
 * Sample ratio mismatch test: Pearson's chi-square with one degree of freedom
 * on the counts of units per arm against the expected split,
 *
 *   X^2 = (c - N s)^2 / (N s) + (b - N (1 - s))^2 / (N (1 - s)),   p = P(chi2_1 > X^2).
 *
 * At a share of 0 or 1 any unit on the other side is a mismatch.
 */
export function sampleRatioCheck(
  candidate: number,
  baseline: number,
  expectedShare: number,
): SampleRatioCheck {
  const n = candidate + baseline;
  const base = { candidate, baseline, expectedShare, observedShare: n > 0 ? candidate / n : null };
  if (n === 0) return { ...base, chiSquare: null, pValue: null, mismatch: false };
  if (expectedShare <= 0 || expectedShare >= 1) {
    const wrong = expectedShare <= 0 ? candidate : baseline;
    return { ...base, chiSquare: null, pValue: wrong > 0 ? 0 : 1, mismatch: wrong > 0 };
  }
  const ec = n * expectedShare;
  const eb = n * (1 - expectedShare);
  const chiSquare = (candidate - ec) ** 2 / ec + (baseline - eb) ** 2 / eb;
  const pValue = chiSquare1Sf(chiSquare);
  return { ...base, chiSquare, pValue, mismatch: pValue < SRM_P_THRESHOLD };
}
