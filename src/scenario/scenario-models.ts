import { readScenario } from './read-scenario.js';

/**
 * The distinct recorded model names of a scenario, in order of first use,
 * from one streaming pass. Invalid lines are skipped: reporting them is the
 * run's job.
 */
export async function recordedModels(path: string): Promise<string[]> {
  const seen = new Set<string>();
  for await (const prompt of readScenario(path, { skipInvalid: true })) seen.add(prompt.request.model);
  return [...seen];
}
