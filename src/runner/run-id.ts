import type { Rng } from '../shared/clock.js';

/**
 * A short, sortable run id: `r-YYYYMMDD-HHMMSS-xxxx` (UTC time, then 4 random
 * hex digits so two runs started in the same second differ).
 */
export function newRunId(nowMs: number, rng: Rng): string {
  const iso = new Date(nowMs).toISOString();
  const date = iso.slice(0, 10).replaceAll('-', '');
  const time = iso.slice(11, 19).replaceAll(':', '');
  const suffix = Math.floor(rng() * 0x10000)
    .toString(16)
    .padStart(4, '0');
  return `r-${date}-${time}-${suffix}`;
}
