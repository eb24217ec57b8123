/**
 * A set of prompt ids kept as 64-bit hashes in flat typed arrays, with the
 * line each id was first seen on: about 24 bytes an id at most, so a
 * 1,000,000-line scenario's duplicate check stays in bounded, small memory
 * (a Set of the strings would cost several times that). Two different ids
 * share a hash with probability ~n^2/2^65, about 3e-8 for a million ids.
 */
export class HashedIdSet {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private lines: Uint32Array;
  private count = 0;

  constructor(initialCapacity = 1024) {
    let capacity = 16;
    while (capacity < initialCapacity * 2) capacity *= 2;
    this.hi = new Uint32Array(capacity);
    this.lo = new Uint32Array(capacity);
    this.lines = new Uint32Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Adds `id`; returns the line it was first seen on when it is already there, else null. */
  addOrGetLine(id: string, line: number): number | null {
    const [h, l] = hash64(id);
    const existing = this.find(h, l);
    if (existing >= 0) return this.lines[existing]!;
    if ((this.count + 1) * 2 > this.hi.length) this.grow();
    this.insert(h, l, line);
    this.count++;
    return null;
  }

  /** Index of (h, l), or -1. An all-zero slot is empty (hash64 never returns 0:0). */
  private find(h: number, l: number): number {
    const mask = this.hi.length - 1;
    for (let i = l & mask; ; i = (i + 1) & mask) {
      const sh = this.hi[i]!;
      const sl = this.lo[i]!;
      if (sh === 0 && sl === 0) return -1;
      if (sh === h && sl === l) return i;
    }
  }

  private insert(h: number, l: number, line: number): void {
    const mask = this.hi.length - 1;
    let i = l & mask;
    while (this.hi[i] !== 0 || this.lo[i] !== 0) i = (i + 1) & mask;
    this.hi[i] = h;
    this.lo[i] = l;
    this.lines[i] = line;
  }

  private grow(): void {
    const { hi, lo, lines } = this;
    this.hi = new Uint32Array(hi.length * 2);
    this.lo = new Uint32Array(lo.length * 2);
    this.lines = new Uint32Array(lines.length * 2);
    for (let i = 0; i < hi.length; i++) {
      if (hi[i] !== 0 || lo[i] !== 0) this.insert(hi[i]!, lo[i]!, lines[i]!);
    }
  }
}

/** cyrb53's two 32-bit lanes, kept whole: a fast, well-mixed 64-bit string hash. */
export function hash64(s: string): [number, number] {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const hi = h2 >>> 0;
  const lo = h1 >>> 0;
  return hi === 0 && lo === 0 ? [0, 1] : [hi, lo];
}
