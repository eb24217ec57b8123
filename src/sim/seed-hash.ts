/**
 * Cheap, stable 32-bit hashing for deriving per-request seeds. Everything the
 * simulator draws comes from a seed mixed from (seed, prompt, sample, purpose),
 * never from arrival order, so answers and faults do not depend on how
 * concurrent requests interleave.
 */

/** FNV-1a over UTF-16 code units: fast, and stable across runs and machines. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function mixIn(h: number, part: number): number {
  let k = Math.imul(h ^ (part >>> 0), 0xcc9e2d51);
  k ^= k >>> 15;
  k = Math.imul(k, 0x85ebca6b);
  k ^= k >>> 13;
  k = Math.imul(k, 0xc2b2ae35);
  return k ^ (k >>> 16);
}

/**
 * Mixes up to five 32-bit parts into one well-spread 32-bit seed (murmur3's
 * finaliser after each part). Fixed arity, not rest parameters: this runs
 * per word of every answer.
 */
export function mixSeed(a: number, b: number, c = 0, d = 0, e = 0): number {
  return mixIn(mixIn(mixIn(mixIn(mixIn(0x9e3779b9, a), b), c), d), e) >>> 0;
}

/** A uniform number in [0, 1) determined by the parts. */
export function unitFromSeed(a: number, b: number, c = 0, d = 0, e = 0): number {
  return mixSeed(a, b, c, d, e) / 4294967296;
}
