/**
 * Retry jitter per (prompt, arm). Each logical request draws from its own
 * stream, seeded from (seed, prompt id, arm) alone: concurrent arms finish in
 * any order without shifting each other's draws, so `--seed` reproduces every
 * wait, and a pair sent again on resume draws the same waits again.
 */
import { type Rng, seededRng } from '../shared/clock.js';
import type { Arm } from './arms.js';
import { unitHash } from './sampling.js';

/** Makes the jitter stream of one (prompt, arm). */
export type JitterRngFactory = (promptId: string, arm: Arm) => Rng;

export function jitterRng(seed: number, promptId: string, arm: Arm): Rng {
  return seededRng(Math.floor(unitHash(`jitter:${promptId}:${arm}`, seed) * 2 ** 32));
}

/**
 * The run's factory: every (prompt, arm) gets `jitterRng(seed, prompt, arm)`,
 * derived on its first draw. Most requests never retry, so most never hash
 * their stream's seed: the draws are the same, the hot path is lighter.
 */
export function seededJitter(seed: number): JitterRngFactory {
  return (promptId, arm) => {
    let rng: Rng | null = null;
    return () => {
      rng ??= jitterRng(seed, promptId, arm);
      return rng();
    };
  };
}
