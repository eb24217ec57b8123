/**
 * Everything a run needs, resolved and checked once before a byte is sent or
 * written: the options merged with a resumed run's, the config, the API keys,
 * the scenario (valid, unchanged since the run started) and the prices.
 */
import { existsSync } from 'node:fs';
import { checkApiKeys, loadConfig } from '../config/load-config.js';
import { REDACTED } from '../config/redacted-config.js';
import { resolveModel } from '../config/resolve-model.js';
import type { ExperimentConfig } from '../config/types.js';
import { problemLines, validateScenario } from '../scenario/read-scenario.js';
import { ConfigError, ScenarioError, UsageError } from '../shared/errors.js';
import type { RunRow } from '../store/rows.js';
import {
  checkOptions,
  DEFAULT_GRACE_MS,
  mergeOptions,
  type ShadowRunDeps,
  type ShadowRunOptions,
  type StoredOptions,
  storedOptionsOf,
} from './run-options.js';
import { isSampled } from './sampling.js';
import { inShard, type ShardSpec } from './shard.js';

export interface RunPlan {
  dbPath: string;
  /** `runs.label` of a new run. */
  label: string | null;
  config: ExperimentConfig;
  scenarioPath: string;
  scenarioSha256: string;
  /** validateScenario found no invalid line: the replay's reader can skip its duplicate-id set. */
  scenarioClean: boolean;
  stored: StoredOptions;
  budgetUsd: number | null;
  totalPrompts: number;
  graceMs: number;
  resumeRun: RunRow | undefined;
  /** `run --shard I/N --run-id ID`: this session replays shard I of run ID. */
  shard: { spec: ShardSpec; runId: string; perShard: boolean } | null;
}

/** Everything checked before a byte is sent or written: options, config, keys, scenario. */
export async function planRun(
  options: ShadowRunOptions,
  deps: ShadowRunDeps,
  run: RunRow | undefined,
): Promise<RunPlan> {
  const storedOptions = storedOptionsOf(options, run);
  const config = resolveConfig(options, run);
  const stored = mergeOptions(options, storedOptions, config);
  const budgetUsd = options.budgetUsd !== undefined ? options.budgetUsd : (run?.budget_usd ?? null);
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  checkOptions(stored, budgetUsd, graceMs);

  checkApiKeys(config, deps.env);

  const scenarioPath = options.scenarioPath ?? run?.scenario_path ?? null;
  if (!scenarioPath) throw new UsageError('name a scenario file: --scenario FILE');
  if (!existsSync(scenarioPath)) throw new UsageError(`no scenario file at ${scenarioPath}`);
  const validation = await validateScenario(scenarioPath, {
    select: (id) =>
      isSampled(id, stored.seed, stored.sample) && (!options.shard || inShard(id, options.shard)),
  });
  if (run?.scenario_sha256 && validation.sha256 !== run.scenario_sha256) {
    throw new UsageError(
      `scenario ${scenarioPath} changed since run ${run.id} started (sha256 ${validation.sha256.slice(0, 12)}..., stored ${run.scenario_sha256.slice(0, 12)}...)`,
    );
  }
  if (validation.problems.length > 0) {
    if (!stored.skipInvalid) {
      throw new ScenarioError(
        `${scenarioPath}: ${validation.invalid} invalid line(s); nothing was sent (--skip-invalid replays the valid ones)`,
        problemLines(validation),
      );
    }
    if (!run) {
      for (const p of problemLines(validation)) deps.onWarning?.(`skipped ${p}`);
    }
  }
  checkPrices(config, Object.keys(validation.stats.byModel), budgetUsd, deps.onWarning);

  const totalPrompts =
    run?.total_prompts ?? Math.min(validation.selected, stored.limit ?? Number.POSITIVE_INFINITY);

  return {
    dbPath: options.dbPath,
    label: options.label ?? null,
    config,
    scenarioPath,
    scenarioSha256: validation.sha256,
    scenarioClean: validation.invalid === 0,
    stored,
    budgetUsd,
    totalPrompts,
    graceMs,
    resumeRun: run,
    shard: options.shard
      ? {
          spec: options.shard,
          runId: (options.runId ?? options.resume)!,
          perShard: options.budgetPerShard ?? false,
        }
      : null,
  };
}

function resolveConfig(options: ShadowRunOptions, run: RunRow | undefined): ExperimentConfig {
  if (options.config) return options.config;
  if (options.configPath) return loadConfig(options.configPath);
  if (run) {
    // The stored config is the validated one (with defaults filled in), minus secrets.
    const config = JSON.parse(run.config_json) as ExperimentConfig;
    const masked = Object.values(config.providers).some(
      (p) => p.baseUrl.includes(REDACTED) || Object.values(p.headers ?? {}).includes(REDACTED),
    );
    if (masked) {
      throw new ConfigError(
        `run ${run.id} stored its config with masked header values; give --config FILE again`,
      );
    }
    return config;
  }
  throw new UsageError('name an experiment config: --config FILE');
}

/**
 * A model without prices has cost_usd NULL (unknown) in the store. With a
 * budget that would let spend escape the guard, so it is an error; without
 * one, a warning.
 */
function checkPrices(
  config: ExperimentConfig,
  recordedModels: string[],
  budgetUsd: number | null,
  warn: ((line: string) => void) | undefined,
): void {
  const missing: string[] = [];
  for (const provider of [config.providers.baseline, config.providers.candidate]) {
    for (const recorded of recordedModels) {
      if (recorded === '(other)') continue;
      const { model, prices } = resolveModel(provider, recorded);
      if (prices === null)
        missing.push(`providers.${provider.name}.models.${model}: no prices (cost recorded as unknown)`);
    }
  }
  if (missing.length === 0) return;
  if (budgetUsd !== null)
    throw new ConfigError('--budget-usd needs prices for every model the scenario uses', missing);
  for (const line of missing) warn?.(line);
}
