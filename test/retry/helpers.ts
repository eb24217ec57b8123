import type { ProviderFailure } from '../../src/shared/attempt-error.js';
import type { FakeClock, Rng } from '../../src/shared/clock.js';
import type { ErrorClass } from '../../src/shared/outcome-class.js';

/** An rng that returns the given values in turn, then repeats the last one. */
export function scriptedRng(...values: number[]): Rng {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)]!;
}

export function failure(
  errorClass: ErrorClass,
  status: number | null = null,
  headers: Record<string, string> = {},
): ProviderFailure {
  return { errorClass, status, headers, message: `${errorClass} ${status ?? ''}`.trim() };
}

/** Lets pending promise chains run, then moves the fake clock (FakeClock.advance only yields after a wake-up). */
export async function step(clock: FakeClock, ms: number): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  await clock.advance(ms);
}
