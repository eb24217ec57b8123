import type { Arm } from '../store/rows.js';

export type { Arm };

/** Finished requests of one arm. */
export interface ArmCounts {
  ok: number;
  error: number;
}
