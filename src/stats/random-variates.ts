import type { Rng } from '../shared/clock.js';

/** Draws from named distributions on top of a uniform source; seeded sources make them reproducible. */
export class RandomVariates {
  private spareNormal: number | null = null;

  constructor(private readonly uniform: Rng) {}

  /** Uniform in (0, 1]: safe to take the log of. */
  openUniform(): number {
    return 1 - this.uniform();
  }

  /** Standard normal, by the Box-Muller transform (the second draw is kept for the next call). */
  normal(): number {
    if (this.spareNormal !== null) {
      const spare = this.spareNormal;
      this.spareNormal = null;
      return spare;
    }
    const radius = Math.sqrt(-2 * Math.log(this.openUniform()));
    const angle = 2 * Math.PI * this.uniform();
    this.spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /** Gamma(shape, 1) for shape >= 1, by Marsaglia and Tsang (2000); about 1.05 normal draws per value. */
  gamma(shape: number): number {
    if (!(shape >= 1)) throw new RangeError(`gamma shape must be >= 1, got ${shape}`);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = this.normal();
      const t = 1 + c * x;
      if (t <= 0) continue;
      const v = t * t * t;
      const u = this.openUniform();
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
    }
  }

  /** Beta(a, b) for a, b >= 1, as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b). */
  beta(a: number, b: number): number {
    const x = this.gamma(a);
    return x / (x + this.gamma(b));
  }
}
