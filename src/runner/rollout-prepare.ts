/**
 * The rehearsal's first step: a new rollout's row and opening audit event,
 * or a stored rollout taken up again (its plan, options and scenario checked
 * against what it started with), through the RolloutWriter of either store.
 */
import { existsSync } from 'node:fs';
import { checkApiKeys, loadConfig } from '../config/load-config.js';
import { redactedConfigJson } from '../config/redacted-config.js';
import type { ExperimentConfig } from '../config/types.js';
import { pricesJson } from '../pricing/prices-in-force.js';
import type { RolloutPlan } from '../rollout/plan.js';
import { HASH_VERSION } from '../rollout/route-for.js';
import { planGateSpecs } from '../rollout/stage-judge.js';
import { problemLines, readScenario, validateScenario } from '../scenario/read-scenario.js';
import type { ScenarioPrompt } from '../scenario/scenario-line.js';
import type { Rng } from '../shared/clock.js';
import { ScenarioError, UsageError } from '../shared/errors.js';
import type { RolloutWriter } from '../store/async-rollout-store.js';
import type { RolloutRow } from '../store/rollout-rows.js';
import type { RolloutRunDeps, RolloutRunOptions } from './rollout-run.js';
import { newRunId } from './run-id.js';

/** The run options a resume must reuse, stored as rollouts.options_json. */
export interface StoredOptions {
  concurrency: number;
  stream: boolean;
  seed: number;
}

export interface Prepared {
  rollout: RolloutRow;
  plan: RolloutPlan;
  config: ExperimentConfig;
  prompts: ScenarioPrompt[];
  o: StoredOptions;
}

/** `dbLabel` names the store in messages. */
export async function prepare(
  options: RolloutRunOptions,
  deps: RolloutRunDeps,
  store: RolloutWriter,
  dbLabel: string,
): Promise<Prepared> {
  const now = () => new Date(deps.clock.now()).toISOString();
  if (options.resume) {
    const rollout = await store.getRollout(options.resume);
    if (!rollout) throw new UsageError(`no rollout ${options.resume} in ${dbLabel}`);
    if (rollout.status !== 'running' && rollout.status !== 'interrupted' && rollout.status !== 'failed')
      throw new UsageError(`rollout ${rollout.id} already ended as ${rollout.status}; nothing to resume`);
    const plan = JSON.parse(rollout.plan_json) as RolloutPlan;
    const config =
      options.config ??
      (options.configPath
        ? loadConfig(options.configPath)
        : (JSON.parse(rollout.config_json ?? '{}') as ExperimentConfig));
    checkApiKeys(config, deps.env);
    const scenarioPath = options.scenarioPath ?? rollout.scenario_path;
    if (!scenarioPath || !existsSync(scenarioPath))
      throw new UsageError(`no scenario file at ${scenarioPath}`);
    const { prompts, sha256 } = await loadPrompts(scenarioPath);
    if (rollout.scenario_sha256 && sha256 !== rollout.scenario_sha256)
      throw new UsageError(`scenario ${scenarioPath} changed since rollout ${rollout.id} started`);
    const o = JSON.parse(rollout.options_json ?? '{}') as StoredOptions;
    const resumed = await store.changeState(rollout.id, {
      status: 'running',
      percentage: rollout.percentage,
      at: now(),
      actor: options.actor,
      automatic: false,
      reason: 'resumed',
    });
    return { rollout: resumed, plan, config, prompts, o };
  }

  if (!options.plan) throw new UsageError('name a rollout plan: --plan FILE');
  const plan = options.plan;
  const config = options.config ?? (options.configPath ? loadConfig(options.configPath) : null);
  if (!config) throw new UsageError('name an experiment config: --config FILE');
  planGateSpecs(plan); // a bad gates file fails before anything is sent
  checkApiKeys(config, deps.env);
  if (!options.scenarioPath) throw new UsageError('name a scenario file: --scenario FILE');
  if (!existsSync(options.scenarioPath)) throw new UsageError(`no scenario file at ${options.scenarioPath}`);
  const { prompts, sha256 } = await loadPrompts(options.scenarioPath);
  const o: StoredOptions = {
    concurrency: options.concurrency ?? config.run.concurrency,
    stream: options.stream ?? config.run.stream,
    seed: options.seed ?? 1,
  };
  if (!Number.isInteger(o.concurrency) || o.concurrency < 1)
    throw new UsageError('--concurrency: must be an integer >= 1');
  if (!Number.isSafeInteger(o.seed)) throw new UsageError('--seed: must be an integer');
  const rng = deps.rng ?? Math.random;
  const salt = plan.salt === 'auto' ? randomSalt(rng) : plan.salt;
  let id = `ro-${newRunId(deps.clock.now(), rng)}`;
  while (await store.getRollout(id)) id = `ro-${newRunId(deps.clock.now(), rng)}`;
  const at = now();
  const shadow = options.shadow ?? null;
  await store.createRollout(
    {
      id,
      label: options.label ?? null,
      status: 'running',
      percentage: plan.stages[0]!,
      salt,
      hash_version: HASH_VERSION,
      plan_json: JSON.stringify({ ...plan, salt }),
      config_json: redactedConfigJson(config),
      prices_json: pricesJson(config),
      scenario_path: options.scenarioPath,
      scenario_sha256: sha256,
      scenario_prompts: prompts.length,
      seed: o.seed,
      options_json: JSON.stringify(o),
      shadow_run_id: shadow?.runId ?? null,
      shadow_decision: shadow?.decision ?? null,
      forced: shadow?.forced ? 1 : 0,
      started_at: at,
    },
    {
      at,
      actor: options.actor,
      automatic: 0,
      from_percentage: null,
      to_percentage: plan.stages[0]!,
      from_status: null,
      to_status: 'running',
      reason: shadow
        ? shadow.forced
          ? `started with --force over week-1 run ${shadow.runId}'s ${shadow.decision} verdict`
          : `started after week-1 run ${shadow.runId}'s promote verdict`
        : 'started without week-1 evidence (no --shadow-run)',
      evidence_json: null,
    },
  );
  return { rollout: (await store.getRollout(id))!, plan: { ...plan, salt }, config, prompts, o };
}

/** Reads the whole scenario (the rehearsal cycles through it); an invalid line is an error. */
async function loadPrompts(path: string): Promise<{ prompts: ScenarioPrompt[]; sha256: string }> {
  const validation = await validateScenario(path);
  if (validation.problems.length > 0)
    throw new ScenarioError(
      `${path}: ${validation.invalid} invalid line(s); nothing was sent`,
      problemLines(validation),
    );
  const prompts: ScenarioPrompt[] = [];
  for await (const p of readScenario(path, { skipInvalid: false, knownDuplicateFree: true })) prompts.push(p);
  if (prompts.length === 0) throw new ScenarioError(`${path}: no prompts`);
  return { prompts, sha256: validation.sha256 };
}

function randomSalt(rng: Rng): string {
  let s = '';
  for (let i = 0; i < 4; i++)
    s += Math.floor(rng() * 2 ** 32)
      .toString(16)
      .padStart(8, '0');
  return s;
}
