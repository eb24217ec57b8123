/**
 * The harness itself: runShadow with full recording into a fresh SQLite file,
 * against the given targets, as `shadowgate run` would do it.
 */

import type { ExperimentConfig } from '../src/config/types.js';
import { validateConfig } from '../src/config/validate-config.js';
import { runShadow } from '../src/runner/shadow-run.js';
import { systemClock } from '../src/shared/clock.js';
import type { LoopResult } from './prompt-source.js';

export interface HarnessLoopOptions {
  scenarioPath: string;
  targets: string[];
  concurrency: number;
  stream: boolean;
  dbPath: string;
}

/** The experiment config the bench replays with: both arms on the simulators, default retry policy. */
export function benchConfig(
  targets: readonly string[],
  concurrency: number,
  stream: boolean,
): ExperimentConfig {
  const input = {
    providers: {
      baseline: {
        kind: 'openai',
        baseUrl: targets[0],
        models: { 'gpt-4.1-mini': { inputPerMTok: 0.4, cachedInputPerMTok: 0.1, outputPerMTok: 1.6 } },
      },
      candidate: {
        kind: 'openai',
        baseUrl: targets[1],
        models: { 'gpt-4.1-mini': { inputPerMTok: 0.2, outputPerMTok: 0.8 } },
      },
    },
    retry: { strategy: 'exponential-capped', jitter: 'full', maxAttempts: 3 },
    run: { concurrency, stream },
  };
  const checked = validateConfig(input);
  if ('errors' in checked) throw new Error(`bench config invalid: ${checked.errors.join('; ')}`);
  return checked.value;
}

export async function runHarnessLoop(
  options: HarnessLoopOptions,
): Promise<LoopResult & { extra?: Record<string, unknown> }> {
  const config = benchConfig(options.targets, options.concurrency, options.stream);
  const started = performance.now();
  const summary = await runShadow(
    {
      config,
      scenarioPath: options.scenarioPath,
      dbPath: options.dbPath,
      concurrency: options.concurrency,
      stream: options.stream,
      seed: 1,
    },
    { clock: systemClock, env: {} },
  );
  const wallMs = performance.now() - started;
  const arms = [summary.arms.baseline, summary.arms.candidate, summary.arms.baseline_replica].filter(
    (a) => a !== undefined,
  );
  return {
    prompts: summary.prompts,
    requests: arms.reduce((n, a) => n + a.requests, 0),
    errors: arms.reduce((n, a) => n + a.error, 0),
    wallMs,
    extra: { run_id: summary.run_id, status: summary.status, db: summary.db, instrument: summary.instrument },
  };
}
