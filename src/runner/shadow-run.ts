import { setMaxListeners } from 'node:events';
import { existsSync } from 'node:fs';
import { checkApiKeys, loadConfig } from '../config/load-config.js';
import { REDACTED, redactedConfigJson } from '../config/redacted-config.js';
import { resolveModel, retryPolicyFor } from '../config/resolve-model.js';
import type { ExperimentConfig, ModelConfig } from '../config/types.js';
import { estimateInputTokens, maxOutputTokens, worstCaseCostUsd } from '../pricing/cost.js';
import { pricesJson } from '../pricing/prices-in-force.js';
import { createProviderClient } from '../providers/create-provider.js';
import type { ChatRequest, ProviderClient } from '../providers/types.js';
import { RetryBudget } from '../retry/budget.js';
import { CircuitBreaker } from '../retry/circuit-breaker.js';
import { idempotencyKey } from '../retry/idempotency.js';
import { attemptTimeoutForModel } from '../retry/policy.js';
import { problemLines, readScenario, validateScenario } from '../scenario/read-scenario.js';
import type { ScenarioPrompt } from '../scenario/scenario-line.js';
import type { Clock, Rng } from '../shared/clock.js';
import { ConfigError, InterruptedError, ScenarioError, UsageError } from '../shared/errors.js';
import { sha256Hex } from '../shared/sha256-hex.js';
import { type Database, openStore } from '../store/open-store.js';
import type { RunRow, RunStatus } from '../store/rows.js';
import { listRuns } from '../store/run-queries.js';
import { completedKey, RunStore } from '../store/run-store.js';
import {
  type ArmOutcome,
  type ArmRequest,
  type ArmRunContext,
  type ArmTarget,
  executeArm,
} from './arm-executor.js';
import type { Arm, ArmCounts } from './arms.js';
import { BudgetGuard } from './budget-guard.js';
import { type JitterRngFactory, seededJitter } from './jitter-rng.js';
import { type PaceMode, Pacer } from './pacer.js';
import { fillSplitPairSimilarity, pairSimilarity } from './pair-similarity.js';
import type { ProgressSnapshot } from './progress-bar.js';
import { newRunId } from './run-id.js';
import { isReplicaPick, isSampled } from './sampling.js';

/** How long in-flight requests may finish after Ctrl-C before they are aborted, ms. */
export const DEFAULT_GRACE_MS = 5000;

/**
 * Options of one shadow run. Fields left undefined take the stored value on
 * `resume`, else the default named here.
 */
export interface ShadowRunOptions {
  /** The experiment config file (YAML or JSON). Give this or `config`; on resume both may be left out. */
  configPath?: string | null;
  /** An already-loaded config (the demo points baseUrls at local simulators). Wins over configPath. */
  config?: ExperimentConfig | null;
  /** The scenario JSONL. Required for a new run; on resume defaults to the stored path. */
  scenarioPath?: string | null;
  /** SQLite file; created when missing. */
  dbPath: string;
  /** Free text stored in `runs.label`. */
  label?: string | null;
  /** Prompts in flight at once (each holds 2-3 requests). Default: the config's `run.concurrency`. */
  concurrency?: number;
  /** Prompt starts per second; null = no cap. Default null. */
  rps?: number | null;
  /** Default `none`. */
  pace?: PaceMode;
  /** Speed-up of recorded pacing. Default 1. */
  speed?: number;
  /** Stop after this many selected prompts. Default: all. */
  limit?: number | null;
  /** Fraction of prompts kept, chosen by hashing the id with the seed, in (0, 1]. Default 1. */
  sample?: number;
  /** Seeds sampling, replica choice and jitter (one stream per (prompt, arm)). Default 1. */
  seed?: number;
  /** Fraction of selected prompts also sent to the baseline a second time (`baseline_replica`), [0, 1]. Default 0. */
  replica?: number;
  /** Stop sending before spend would exceed this, USD; null = no limit. On resume, raises the stored budget. */
  budgetUsd?: number | null;
  /** Store hashes instead of prompt and output text. Default false. */
  redact?: boolean;
  /** Replay the valid lines of a scenario with invalid ones (reported as warnings). Default false. */
  skipInvalid?: boolean;
  /** Stream responses (TTFT measured). Default: the config's `run.stream`. */
  stream?: boolean;
  /** Resume this run id: same selection, skips (prompt, arm) pairs that have a final row. */
  resume?: string | null;
  /** After Ctrl-C, how long in-flight requests may finish before they are aborted, ms. Default 5000. */
  graceMs?: number;
}

export interface ShadowRunDeps {
  clock: Clock;
  /**
   * The run id's random suffix (default Math.random). Given without
   * `jitterRngFor`, also the jitter of every arm: one stream shared in
   * completion order, so not reproducible under concurrency (tests only).
   */
  rng?: Rng;
  /** Each (prompt, arm)'s jitter stream; default `jitterRng(seed, promptId, arm)`. */
  jitterRngFor?: JitterRngFactory;
  /** First Ctrl-C: stop starting prompts, let in-flight ones finish for up to graceMs. */
  signal?: AbortSignal;
  /** Second Ctrl-C: abort in-flight requests now. */
  hardSignal?: AbortSignal;
  /** Called as prompts finish (often: throttle the drawing). */
  onProgress?: (snapshot: ProgressSnapshot) => void;
  /** One line per warning (skipped invalid lines, resume notes). */
  onWarning?: (line: string) => void;
  /** Where API keys are read from. */
  env: Record<string, string | undefined>;
}

export interface ArmSummary {
  requests: number;
  ok: number;
  error: number;
}

/** What `shadowgate run --json` prints. Counts cover the whole run, earlier sessions of a resumed run included. */
export interface ShadowRunSummary {
  run_id: string;
  status: RunStatus;
  /** Prompts recorded for the run. */
  prompts: number;
  /** Prompts selected (sample and limit applied). */
  total_prompts: number | null;
  arms: { baseline: ArmSummary; candidate: ArmSummary; baseline_replica?: ArmSummary };
  spent_usd: number;
  budget_usd: number | null;
  db: string;
  /** This session's wall time, s. */
  duration_s: number;
}

/** The options that decide which prompts and arms a run holds; stored with the run, fixed on resume. */
interface SelectionOptions {
  sample: number;
  seed: number;
  replica: number;
  limit: number | null;
  redact: boolean;
  skipInvalid: boolean;
  stream: boolean;
}

/** Stored in `runs.options_json`. */
interface StoredOptions extends SelectionOptions {
  concurrency: number;
  rps: number | null;
  pace: PaceMode;
  speed: number;
}

const SELECTION_KEYS = ['sample', 'seed', 'replica', 'limit', 'redact', 'skipInvalid', 'stream'] as const;

/**
 * Replays a scenario against the baseline and candidate providers at the same
 * moment per prompt, records every attempt and one final row per (prompt, arm)
 * in SQLite, and returns the summary. Throws UsageError (bad options, config,
 * scenario, missing key: nothing sent or written), InterruptedError after
 * Ctrl-C (the run is marked `interrupted` and can be resumed).
 */
export async function runShadow(options: ShadowRunOptions, deps: ShadowRunDeps): Promise<ShadowRunSummary> {
  const { clock } = deps;
  const sessionStartMs = clock.monotonic();
  const warn = deps.onWarning ?? (() => {});

  let db: Database | null = null;
  let store: RunStore | null = null;
  let run: RunRow | undefined;
  if (options.resume) {
    if (!existsSync(options.dbPath)) throw new UsageError(`no database at ${options.dbPath}`);
    db = openStore(options.dbPath);
    store = new RunStore(db);
    run = store.getRun(options.resume);
    if (!run) {
      db.close();
      throw new UsageError(`no run ${options.resume} in ${options.dbPath}`);
    }
    if (run.kind !== 'shadow') {
      db.close();
      throw new UsageError(`run ${run.id} is a ${run.kind} run, not a shadow run`);
    }
  }
  try {
    const plan = await planRun(options, deps, run);
    if (!db || !store) {
      db = openStore(options.dbPath);
      store = new RunStore(db);
    }
    return await executeRun(plan, options, deps, db, store, sessionStartMs, warn);
  } finally {
    try {
      store?.close();
    } finally {
      db?.close();
    }
  }
}

interface RunPlan {
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
}

/** Everything checked before a byte is sent or written: options, config, keys, scenario. */
async function planRun(
  options: ShadowRunOptions,
  deps: ShadowRunDeps,
  run: RunRow | undefined,
): Promise<RunPlan> {
  const storedOptions = run?.options_json ? (JSON.parse(run.options_json) as Partial<StoredOptions>) : {};
  if (run) {
    const changed = SELECTION_KEYS.filter(
      (k) => options[k] !== undefined && storedOptions[k] !== undefined && options[k] !== storedOptions[k],
    );
    if (changed.length > 0) {
      throw new UsageError(
        `run ${run.id} was started with other ${changed.join(', ')}; a resumed run keeps its selection`,
        changed.map(
          (k) =>
            `--${flagName(k)}: stored ${JSON.stringify(storedOptions[k])}, given ${JSON.stringify(options[k])}`,
        ),
      );
    }
  }

  const config = resolveConfig(options, run);
  const pick = <K extends keyof StoredOptions>(key: K, fallback: StoredOptions[K]): StoredOptions[K] =>
    (options[key] as StoredOptions[K] | undefined) ??
    (storedOptions[key] as StoredOptions[K] | undefined) ??
    fallback;
  const stored: StoredOptions = {
    sample: pick('sample', 1),
    seed: pick('seed', 1),
    replica: pick('replica', 0),
    limit: pick('limit', null),
    redact: pick('redact', false),
    skipInvalid: pick('skipInvalid', false),
    stream: pick('stream', config.run.stream),
    concurrency: pick('concurrency', config.run.concurrency),
    rps: pick('rps', null),
    pace: pick('pace', 'none'),
    speed: pick('speed', 1),
  };
  const budgetUsd = options.budgetUsd !== undefined ? options.budgetUsd : (run?.budget_usd ?? null);
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  checkOptions(stored, budgetUsd, graceMs);

  checkApiKeys(config, deps.env);

  const scenarioPath = options.scenarioPath ?? run?.scenario_path ?? null;
  if (!scenarioPath) throw new UsageError('name a scenario file: --scenario FILE');
  if (!existsSync(scenarioPath)) throw new UsageError(`no scenario file at ${scenarioPath}`);
  const validation = await validateScenario(scenarioPath);
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
    run?.total_prompts ??
    (stored.sample >= 1
      ? Math.min(validation.valid, stored.limit ?? Number.POSITIVE_INFINITY)
      : await countSelected(scenarioPath, stored, validation.invalid === 0));

  return {
    config,
    scenarioPath,
    scenarioSha256: validation.sha256,
    scenarioClean: validation.invalid === 0,
    stored,
    budgetUsd,
    totalPrompts,
    graceMs,
    resumeRun: run,
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

function checkOptions(o: StoredOptions, budgetUsd: number | null, graceMs: number): void {
  const problems: string[] = [];
  if (!Number.isInteger(o.concurrency) || o.concurrency < 1)
    problems.push('--concurrency: must be an integer >= 1');
  if (o.rps !== null && !(Number.isFinite(o.rps) && o.rps > 0)) problems.push('--rps: must be a number > 0');
  if (!(Number.isFinite(o.speed) && o.speed > 0)) problems.push('--speed: must be a number > 0');
  if (o.pace !== 'none' && o.pace !== 'recorded') problems.push('--pace: must be none or recorded');
  if (o.limit !== null && !(Number.isInteger(o.limit) && o.limit >= 1)) {
    problems.push('--limit: must be an integer >= 1');
  }
  if (!(Number.isFinite(o.sample) && o.sample > 0 && o.sample <= 1)) {
    problems.push('--sample: must be a fraction in (0, 1]');
  }
  if (!(Number.isFinite(o.replica) && o.replica >= 0 && o.replica <= 1)) {
    problems.push('--replica: must be a fraction in [0, 1]');
  }
  if (!Number.isSafeInteger(o.seed)) problems.push('--seed: must be an integer');
  if (budgetUsd !== null && !(Number.isFinite(budgetUsd) && budgetUsd >= 0)) {
    problems.push('--budget-usd: must be a number >= 0');
  }
  if (!(Number.isFinite(graceMs) && graceMs >= 0)) problems.push('graceMs: must be >= 0');
  if (problems.length > 0)
    throw new UsageError(problems.length === 1 ? problems[0]! : 'invalid options', problems);
}

function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Counts the prompts a sampled run will send (one streaming pass; only when --sample is below 1). */
async function countSelected(path: string, s: SelectionOptions, clean: boolean): Promise<number> {
  let n = 0;
  for await (const prompt of readScenario(path, { skipInvalid: s.skipInvalid, knownDuplicateFree: clean })) {
    if (!isSampled(prompt.id, s.seed, s.sample)) continue;
    n++;
    if (s.limit !== null && n >= s.limit) break;
  }
  return n;
}

/** Per-arm, per-recorded-model resolution, computed once per model rather than per prompt. */
interface ResolvedModel {
  model: string;
  prices: ModelConfig | null;
  attemptTimeoutMs: number;
}

async function executeRun(
  plan: RunPlan,
  options: ShadowRunOptions,
  deps: ShadowRunDeps,
  db: Database,
  store: RunStore,
  sessionStartMs: number,
  warn: (line: string) => void,
): Promise<ShadowRunSummary> {
  const { clock } = deps;
  const { config, stored: o } = plan;
  let runId: string;
  let completed: Set<string> | null = null;
  let spentBeforeUsd = 0;

  if (plan.resumeRun) {
    const run = plan.resumeRun;
    runId = run.id;
    const orphans = store.deleteOrphanAttempts(runId);
    if (orphans > 0)
      warn(`resume: deleted ${orphans} attempt row(s) without a final request row; they are redone`);
    completed = store.completedKeys(runId);
    spentBeforeUsd = run.spent_usd;
    if (plan.budgetUsd !== run.budget_usd) store.setBudget(runId, plan.budgetUsd);
    store.setRunStatus(runId, 'running', null);
  } else {
    const idRng = deps.rng ?? Math.random;
    runId = newRunId(clock.now(), idRng);
    while (store.getRun(runId)) runId = newRunId(clock.now(), idRng);
    store.createRun({
      id: runId,
      kind: 'shadow',
      label: options.label ?? null,
      startedAt: new Date(clock.now()).toISOString(),
      configJson: redactedConfigJson(config),
      pricesJson: pricesJson(config),
      scenarioPath: plan.scenarioPath,
      scenarioSha256: plan.scenarioSha256,
      seed: o.seed,
      optionsJson: JSON.stringify(o),
      budgetUsd: plan.budgetUsd,
      totalPrompts: plan.totalPrompts,
    });
  }

  const guard = new BudgetGuard({ budgetUsd: plan.budgetUsd, spentUsd: spentBeforeUsd });
  const clients: ProviderClient[] = [];
  const stopDispatch = new AbortController();
  const abortInFlight = new AbortController();
  setMaxListeners(0, abortInFlight.signal, stopDispatch.signal);
  // Each prompt in flight gets its own controller, aborted from this one
  // listener: an EventTarget walks its whole listener list on every add and
  // remove, so one listener per attempt on abortInFlight cost O(concurrency)
  // per attempt.
  const promptControllers = new Set<AbortController>();
  // A finished prompt's controller was never aborted and has no listeners left
  // (the engine removes its own), so the next prompt reuses it: creating an
  // AbortSignal is one of the costlier things done per prompt.
  const idleControllers: AbortController[] = [];
  abortInFlight.signal.addEventListener(
    'abort',
    () => {
      for (const c of promptControllers) c.abort(abortInFlight.signal.reason);
    },
    { once: true },
  );
  let interrupted = false;
  const onSoft = () => {
    interrupted = true;
    stopDispatch.abort(new InterruptedError());
  };
  const onHard = () => {
    interrupted = true;
    stopDispatch.abort(new InterruptedError());
    abortInFlight.abort(new InterruptedError('interrupted twice'));
  };
  deps.signal?.addEventListener('abort', onSoft, { once: true });
  deps.hardSignal?.addEventListener('abort', onHard, { once: true });
  if (deps.signal?.aborted) onSoft();
  if (deps.hardSignal?.aborted) onHard();

  let fatal: unknown = null;
  const armCounts: Partial<Record<Arm, ArmCounts>> = {
    baseline: { ok: 0, error: 0 },
    candidate: { ok: 0, error: 0 },
  };
  if (o.replica > 0) armCounts.baseline_replica = { ok: 0, error: 0 };
  let doneBefore = 0;
  let doneThisSession = 0;
  const pacer = new Pacer({ concurrency: o.concurrency, rps: o.rps, pace: o.pace, speed: o.speed }, clock);

  try {
    const { baseline, candidate } = config.providers;
    const baselineClient = createProviderClient(baseline, {
      connections: o.concurrency * (o.replica > 0 ? 2 : 1),
      env: deps.env,
      clock,
    });
    clients.push(baselineClient);
    const candidateClient = createProviderClient(candidate, {
      connections: o.concurrency,
      env: deps.env,
      clock,
    });
    clients.push(candidateClient);
    const baselinePolicy = retryPolicyFor(config, baseline);
    const candidatePolicy = retryPolicyFor(config, candidate);
    const baselineTarget: ArmTarget = {
      arm: 'baseline',
      provider: baseline,
      client: baselineClient,
      policy: baselinePolicy,
      budget: new RetryBudget(baselinePolicy.budget, clock),
      breaker: new CircuitBreaker(baselinePolicy.breaker, clock),
    };
    const candidateTarget: ArmTarget = {
      arm: 'candidate',
      provider: candidate,
      client: candidateClient,
      policy: candidatePolicy,
      budget: new RetryBudget(candidatePolicy.budget, clock),
      breaker: new CircuitBreaker(candidatePolicy.breaker, clock),
    };
    // The replica is the same provider asked again: it shares the client, budget and breaker.
    const replicaTarget: ArmTarget = { ...baselineTarget, arm: 'baseline_replica' };

    const ctx: ArmRunContext = {
      runId,
      clock,
      jitterRngFor: deps.jitterRngFor ?? (deps.rng ? sharedRng(deps.rng) : seededJitter(o.seed)),
      stream: o.stream,
      redact: o.redact,
      store,
      guard,
      signal: abortInFlight.signal,
    };
    const resolved = new Map<ArmTarget, Map<string, ResolvedModel>>();
    const resolveFor = (target: ArmTarget, recordedModel: string): ResolvedModel => {
      let byModel = resolved.get(target);
      if (!byModel) {
        byModel = new Map();
        resolved.set(target, byModel);
      }
      let r = byModel.get(recordedModel);
      if (!r) {
        const { model, prices } = resolveModel(target.provider, recordedModel);
        r = { model, prices, attemptTimeoutMs: attemptTimeoutForModel(target.policy, prices) };
        byModel.set(recordedModel, r);
      }
      return r;
    };

    const snapshot = (): ProgressSnapshot => ({
      done: doneBefore + doneThisSession,
      total: plan.totalPrompts,
      doneThisSession,
      elapsedMs: clock.monotonic() - sessionStartMs,
      arms: armCounts,
      spentUsd: guard.spentUsd,
      budgetUsd: plan.budgetUsd,
    });

    const writeOutcomes = (outcomes: (ArmOutcome | null)[]): void => {
      let baselineAnswer: string | null = null;
      for (const out of outcomes) if (out && out.row.arm === 'baseline') baselineAnswer = out.answer;
      for (const out of outcomes) {
        if (!out) continue;
        const row = out.row;
        if (row.arm !== 'baseline' && baselineAnswer !== null && out.answer !== null) {
          row.similarity = pairSimilarity(baselineAnswer, out.answer);
        }
        store.insertRequest(row);
        const counts = armCounts[row.arm]!;
        if (row.outcome === 'ok') counts.ok++;
        else counts.error++;
      }
    };

    const runPrompt = async (prompt: ScenarioPrompt, seq: number, targets: ArmTarget[]): Promise<void> => {
      const request = prompt.request;
      const requestJson = JSON.stringify(request);
      store.insertPrompt({
        run_id: runId,
        prompt_id: prompt.id,
        seq,
        model: request.model,
        prompt_hash: sha256Hex(requestJson),
        request_json: o.redact ? null : requestJson,
        // Metadata may quote the prompt: not stored under --redact.
        metadata_json: prompt.metadata && !o.redact ? JSON.stringify(prompt.metadata) : null,
        recorded_at: prompt.timestampMs === null ? null : new Date(prompt.timestampMs).toISOString(),
      });
      const estInputTokens = plan.budgetUsd === null ? 0 : estimateInputTokens(request);
      const maxOutTokens = maxOutputTokens(request);
      const wantsJson = asksForJson(request);
      const promptAbort = idleControllers.pop() ?? new AbortController();
      if (abortInFlight.signal.aborted) promptAbort.abort(abortInFlight.signal.reason);
      else promptControllers.add(promptAbort);
      const promptCtx: ArmRunContext = { ...ctx, signal: promptAbort.signal };
      const outcomes = await Promise.all(
        targets.map((target) => {
          const r = resolveFor(target, request.model);
          const armRequest: ArmRequest = {
            promptId: prompt.id,
            request,
            model: r.model,
            prices: r.prices,
            attemptTimeoutMs: r.attemptTimeoutMs,
            worstCaseUsd:
              plan.budgetUsd === null || r.prices === null
                ? 0
                : worstCaseCostUsd(estInputTokens, maxOutTokens, r.prices),
            idempotencyKey: idempotencyKey(runId, prompt.id, target.arm),
            wantsJson,
          };
          return executeArm(promptCtx, target, armRequest);
        }),
      );
      // Only on success: after a throw (fatal) the sibling arm may still be in
      // flight, and the run's abort must still reach it through the set.
      promptControllers.delete(promptAbort);
      if (!promptAbort.signal.aborted) idleControllers.push(promptAbort);
      writeOutcomes(outcomes);
      doneThisSession++;
      if (guard.exhausted) stopDispatch.abort(new Error('budget exhausted'));
      deps.onProgress?.(snapshot());
    };

    let seq = -1;
    let selected = 0;
    for await (const prompt of readScenario(plan.scenarioPath, {
      skipInvalid: o.skipInvalid,
      knownDuplicateFree: plan.scenarioClean,
    })) {
      seq++;
      if (!isSampled(prompt.id, o.seed, o.sample)) continue;
      if (o.limit !== null && selected >= o.limit) break;
      selected++;
      const targets = [baselineTarget, candidateTarget];
      if (isReplicaPick(prompt.id, o.seed, o.replica)) targets.push(replicaTarget);
      const done = completed;
      const todo = done ? targets.filter((t) => !done.has(completedKey(prompt.id, t.arm))) : targets;
      if (todo.length === 0) {
        doneBefore++;
        continue;
      }
      if (stopDispatch.signal.aborted || guard.exhausted) break;
      try {
        await pacer.acquire(o.pace === 'recorded' ? prompt.timestampMs : null, stopDispatch.signal);
      } catch {
        break;
      }
      if (guard.exhausted) {
        pacer.release();
        break;
      }
      runPrompt(prompt, seq, todo)
        .catch((err: unknown) => {
          fatal ??= err;
          stopDispatch.abort(err);
          abortInFlight.abort(err);
        })
        .finally(() => pacer.release());
    }
    completed = null;

    if (interrupted && pacer.inFlight > 0 && !abortInFlight.signal.aborted) {
      const graceOver = new AbortController();
      const waited = clock.sleep(plan.graceMs, graceOver.signal).catch(() => {});
      await Promise.race([pacer.idle(), waited, abortedPromise(abortInFlight.signal)]);
      graceOver.abort();
      abortInFlight.abort(new InterruptedError());
    }
    await pacer.idle();
    deps.onProgress?.(snapshot());
  } catch (err) {
    fatal ??= err;
    stopDispatch.abort(err);
    abortInFlight.abort(err);
    await pacer.idle();
  } finally {
    deps.signal?.removeEventListener('abort', onSoft);
    deps.hardSignal?.removeEventListener('abort', onHard);
    await Promise.allSettled(clients.map((c) => c.close()));
  }

  const finishedAt = new Date(clock.now()).toISOString();
  if (fatal !== null) {
    try {
      store.setRunStatus(runId, 'failed', finishedAt);
    } catch {
      // The original error says more than a failure to record it.
    }
    throw fatal;
  }
  if (plan.resumeRun) {
    store.flush();
    const split = fillSplitPairSimilarity(db, runId);
    if (split.redacted > 0) {
      warn(
        `resume: ${split.redacted} pair(s) answered across sessions keep similarity NULL: --redact did not store the text it needs`,
      );
    }
  }
  const status: RunStatus = interrupted ? 'interrupted' : guard.exhausted ? 'budget_exhausted' : 'completed';
  store.setRunStatus(runId, status, finishedAt);
  if (status === 'interrupted') {
    throw new InterruptedError(
      `interrupted; resume with: shadowgate run --resume ${runId} --db ${options.dbPath}`,
    );
  }
  return summarize(db, runId, options.dbPath, (clock.monotonic() - sessionStartMs) / 1000);
}

function sharedRng(rng: Rng): JitterRngFactory {
  return () => rng;
}

function abortedPromise(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

function asksForJson(request: ChatRequest): boolean {
  const format = request.response_format as { type?: unknown } | undefined;
  return format?.type === 'json_object' || format?.type === 'json_schema';
}

function summarize(db: Database, runId: string, dbPath: string, durationS: number): ShadowRunSummary {
  const run = listRuns(db).find((r) => r.id === runId);
  if (!run) throw new Error(`run ${runId} vanished from ${dbPath}`);
  const arm = (a: Arm): ArmSummary => {
    const c = run.arms[a];
    return { requests: c?.requests ?? 0, ok: c?.ok ?? 0, error: c?.error ?? 0 };
  };
  const arms: ShadowRunSummary['arms'] = { baseline: arm('baseline'), candidate: arm('candidate') };
  if (run.arms.baseline_replica) arms.baseline_replica = arm('baseline_replica');
  return {
    run_id: runId,
    status: run.status,
    prompts: run.prompts,
    total_prompts: run.totalPrompts,
    arms,
    spent_usd: run.spentUsd,
    budget_usd: run.budgetUsd,
    db: dbPath,
    duration_s: Math.round(durationS * 1000) / 1000,
  };
}
