/**
 * Deterministic selection of prompts: a prompt's fate depends only on its id
 * and the seed, never on file order or timing, so a resumed run selects
 * exactly the same prompts.
 */

/**
 * A 53-bit hash (cyrb53) of `text` with `seed`, mapped to [0, 1). Fast enough
 * for a million ids; not cryptographic, which selection does not need.
 */
export function unitHash(text: string, seed: number): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const bits53 = 4294967296 * (2097151 & h2) + (h1 >>> 0);
  return bits53 / 2 ** 53;
}

/** Whether `--sample fraction` keeps this prompt. A fraction >= 1 keeps all. */
export function isSampled(promptId: string, seed: number, fraction: number): boolean {
  if (fraction >= 1) return true;
  return unitHash(`sample:${promptId}`, seed) < fraction;
}

/**
 * Whether `--replica fraction` also sends this prompt to the baseline a second
 * time. Salted differently from sampling so the two choices are independent.
 */
export function isReplicaPick(promptId: string, seed: number, fraction: number): boolean {
  if (fraction <= 0) return false;
  if (fraction >= 1) return true;
  return unitHash(`replica:${promptId}`, seed) < fraction;
}
