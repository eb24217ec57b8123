import { setMaxListeners } from 'node:events';
import { resolveModel, retryPolicyFor } from '../config/resolve-model.js';
import type { ExperimentConfig } from '../config/types.js';
import { createProviderClient } from '../providers/create-provider.js';
import type { ProviderClient } from '../providers/types.js';
import { preloadTokenizer } from '../providers/usage.js';
import { RetryBudget } from '../retry/budget.js';
import { CircuitBreaker } from '../retry/circuit-breaker.js';
import { idempotencyKey } from '../retry/idempotency.js';
import { attemptTimeoutForModel } from '../retry/policy.js';
import type { RolloutPlan } from '../rollout/plan.js';
import { BUCKETS, bucketFor } from '../rollout/route-for.js';
import { judgeStage, planGateSpecs, planTuningN } from '../rollout/stage-judge.js';
import { stickyKeyOf } from '../rollout/sticky-key.js';
import type { ScenarioPrompt } from '../scenario/scenario-line.js';
import type { Clock, Rng } from '../shared/clock.js';
import { InterruptedError, UsageError } from '../shared/errors.js';
import { sha256Hex } from '../shared/sha256-hex.js';
import type { RolloutWriter } from '../store/async-rollout-store.js';
import type { DbLocation } from '../store/db-url.js';
import { openRolloutWriter } from '../store/open-rollout-writer.js';
import type { RolloutStageRow, RolloutStatus, StageDecision } from '../store/rollout-rows.js';
import type { ArmRequest, ArmRunContext, ArmTarget } from './arm-executor.js';
import { BudgetGuard } from './budget-guard.js';
import { seededJitter } from './jitter-rng.js';
import { Pacer } from './pacer.js';
import { prepare } from './rollout-prepare.js';
import { type RoutedRequest, serveRoutedRequest } from './rollout-request.js';

/** How long in-flight requests may finish after Ctrl-C before they are aborted, ms. */
const DEFAULT_GRACE_MS = 5000;
/** A stage stops taking requests after this many times its expected count, judged on what it has. */
const STAGE_REQUEST_CAP_FACTOR = 4;

export interface RolloutRunOptions {
  configPath?: string | null;
  /** An already-loaded config (the demo's simulators); wins over configPath. */
  config?: ExperimentConfig | null;
  scenarioPath?: string | null;
  /** The validated plan (required for a new rollout; a resume uses the stored one). */
  plan?: RolloutPlan | null;
  /** The store: a SQLite file or a PostgreSQL database. Wins over dbPath. */
  db?: DbLocation | null;
  /** A SQLite file, when `db` is not given. */
  dbPath?: string | null;
  label?: string | null;
  /** Requests in flight at once. Default: the config's run.concurrency. */
  concurrency?: number;
  /** Seeds the jitter and, with salt 'auto', nothing else (the salt is drawn from rng). Default 1. */
  seed?: number;
  stream?: boolean;
  /** The week-1 evidence the rollout starts from. */
  shadow?: { runId: string; decision: string; forced: boolean } | null;
  /** Resume this rollout id. */
  resume?: string | null;
  /** Who started it, for the audit trail. */
  actor: string;
  graceMs?: number;
}

export interface RolloutRunDeps {
  clock: Clock;
  /** The rollout id's suffix and an 'auto' salt. Default Math.random. */
  rng?: Rng;
  signal?: AbortSignal;
  hardSignal?: AbortSignal;
  env: Record<string, string | undefined>;
  /** Called after each stage attempt is judged. */
  onStage?: (stage: StageSummary) => void;
  /** Called as requests finish. */
  onProgress?: (p: {
    stage: number;
    percentage: number;
    candidate: number;
    needed: number;
    requests: number;
  }) => void;
  /**
   * The bucket of a sticky key; default bucketFor. Tests replace it to break
   * the assignment on purpose (the sample-ratio check must catch it).
   */
  bucket?: (key: string, salt: string) => number;
}

export interface StageSummary {
  stage: number;
  stage_index: number;
  attempt: number;
  percentage: number;
  decision: StageDecision;
  reasons: string[];
  requests: number;
  candidate_requests: number;
  fallbacks: number;
}

/** What `shadowgate rollout --json` prints. */
export interface RolloutSummary {
  rollout_id: string;
  status: RolloutStatus;
  final_percentage: number;
  salt: string;
  hash_version: number;
  /** Times the rehearsal went through the scenario (it starts again from the top when it runs out). */
  cycles: number;
  stages: StageSummary[];
  db: string;
}

/**
 * Rehearses a staged rollout on recorded traffic: each request goes to one
 * arm, chosen by the sticky bucket of its key against the stage's percentage;
 * a stage takes prompts until `minRequestsPerStage` were routed to the
 * candidate, then the gates (confidence sequences, so every look is allowed)
 * and the sample-ratio check decide: promote, hold (extend the stage, then
 * end as held) or rollback. Every request, stage and move is stored, so a
 * rehearsal killed at any point resumes with nothing lost or doubled.
 */
export async function runRollout(options: RolloutRunOptions, deps: RolloutRunDeps): Promise<RolloutSummary> {
  const location: DbLocation | null =
    options.db ?? (options.dbPath ? { kind: 'sqlite', path: options.dbPath } : null);
  if (location === null) throw new UsageError('name the store: --db FILE or --db postgres://...');
  const opened = await openRolloutWriter(location, { mustExist: Boolean(options.resume) });
  let result: RolloutSummary;
  try {
    result = await rehearse(options, deps, opened.writer, opened.label);
  } catch (err) {
    await opened.close().catch(() => {});
    throw err;
  }
  await opened.close();
  return result;
}

/** Where the rehearsal stands: the stage attempt to run next, or null when the rollout has ended. */
interface NextStage {
  stage: number;
  stageIndex: number;
  attempt: number;
  startSeq: number;
}

function nextStage(stages: RolloutStageRow[], plan: RolloutPlan): NextStage | null {
  const last = stages.at(-1);
  if (!last) return { stage: 1, stageIndex: 0, attempt: 0, startSeq: 0 };
  if (last.decision === null)
    return {
      stage: last.stage,
      stageIndex: last.stage_index,
      attempt: last.attempt,
      startSeq: last.start_seq,
    };
  const startSeq = last.end_seq!;
  if (last.decision === 'promote') {
    if (last.stage_index + 1 >= plan.stages.length) return null;
    return { stage: last.stage + 1, stageIndex: last.stage_index + 1, attempt: 0, startSeq };
  }
  if (last.decision === 'hold' && last.attempt < plan.maxStageRepeats)
    return { stage: last.stage + 1, stageIndex: last.stage_index, attempt: last.attempt + 1, startSeq };
  return null;
}

async function rehearse(
  options: RolloutRunOptions,
  deps: RolloutRunDeps,
  store: RolloutWriter,
  dbLabel: string,
): Promise<RolloutSummary> {
  const { clock } = deps;
  const now = () => new Date(clock.now()).toISOString();
  const { rollout, plan, config, prompts, o } = await prepare(options, deps, store, dbLabel);
  // Before any request is in flight: loaded on the first usage estimate, it would stall the loop mid-stage.
  preloadTokenizer();
  const specs = planGateSpecs(plan);
  const bucketOf = deps.bucket ?? bucketFor;
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;

  const abortInFlight = new AbortController();
  setMaxListeners(0, abortInFlight.signal);
  let interrupted = false;
  const onSoft = () => {
    interrupted = true;
  };
  const onHard = () => {
    interrupted = true;
    abortInFlight.abort(new InterruptedError('interrupted twice'));
  };
  deps.signal?.addEventListener('abort', onSoft, { once: true });
  deps.hardSignal?.addEventListener('abort', onHard, { once: true });
  if (deps.signal?.aborted) onSoft();
  if (deps.hardSignal?.aborted) onHard();

  const clients: ProviderClient[] = [];
  const { baseline, candidate } = config.providers;
  const target = (arm: 'baseline' | 'candidate'): ArmTarget => {
    const provider = arm === 'baseline' ? baseline : candidate;
    const client = createProviderClient(provider, { connections: o.concurrency, env: deps.env, clock });
    clients.push(client);
    const policy = retryPolicyFor(config, provider);
    return {
      arm,
      provider,
      client,
      policy,
      budget: new RetryBudget(policy.budget, clock),
      breaker: new CircuitBreaker(policy.breaker, clock),
    };
  };
  const targets = { baseline: target('baseline'), candidate: target('candidate') };
  const guard = new BudgetGuard({ budgetUsd: null, spentUsd: 0 });
  const ctx: ArmRunContext = {
    runId: rollout.id,
    clock,
    jitterRngFor: seededJitter(o.seed),
    stream: o.stream,
    redact: false,
    // Rollout attempts are summarised in rollout_requests.attempts; spend in cost_usd.
    store: { insertAttempt: () => {}, addSpend: () => {} },
    guard,
    signal: abortInFlight.signal,
  };
  const armRequestFor =
    (prompt: ScenarioPrompt, seq: number) =>
    (t: ArmTarget): ArmRequest => {
      const { model, prices } = resolveModel(t.provider, prompt.request.model);
      return {
        promptId: prompt.id,
        request: prompt.request,
        model,
        prices,
        attemptTimeoutMs: attemptTimeoutForModel(t.policy, prices),
        worstCaseUsd: 0,
        idempotencyKey: idempotencyKey(rollout.id, `${prompt.id}#${seq}`, t.arm),
        wantsJson: false,
      };
    };

  const summaries: StageSummary[] = (await store.stages(rollout.id))
    .filter((s) => s.decision !== null)
    .map(stageSummary);
  let fatal: unknown = null;
  try {
    for (;;) {
      const next = nextStage(await store.stages(rollout.id), plan);
      if (next === null) break;
      const percentage = plan.stages[next.stageIndex]!;
      await store.startStage({
        rollout_id: rollout.id,
        stage: next.stage,
        stage_index: next.stageIndex,
        attempt: next.attempt,
        percentage,
        start_seq: next.startSeq,
        started_at: now(),
      });
      const done = await store.doneSeqs(rollout.id, next.stage);
      const pacer = new Pacer({ concurrency: o.concurrency, rps: null, pace: 'none', speed: 1 }, clock);
      const cap =
        Math.ceil((plan.minRequestsPerStage * 100 * STAGE_REQUEST_CAP_FACTOR) / percentage) + prompts.length;
      let seq = next.startSeq;
      let candidateRouted = 0;
      let requests = 0;
      let finished = done.size;
      const threshold = percentage * (BUCKETS / 100);
      while (candidateRouted < plan.minRequestsPerStage && requests < cap && !interrupted && fatal === null) {
        const prompt = prompts[seq % prompts.length]!;
        const key = stickyKeyOf(prompt, plan.stickyKey, Math.floor(seq / prompts.length));
        const bucket = bucketOf(key, plan.salt);
        const routedArm = bucket < threshold ? 'candidate' : 'baseline';
        if (routedArm === 'candidate') candidateRouted++;
        requests++;
        const thisSeq = seq++;
        if (done.has(thisSeq)) continue;
        await pacer.acquire(null);
        if (interrupted || fatal !== null) {
          pacer.release();
          break;
        }
        const routed: RoutedRequest = {
          rolloutId: rollout.id,
          stage: next.stage,
          seq: thisSeq,
          promptId: prompt.id,
          stickyKeyHash: sha256Hex(key),
          bucket,
          routedArm,
        };
        serveRoutedRequest(ctx, targets, routed, armRequestFor(prompt, thisSeq), plan.fallback)
          .then((row) => {
            if (row === null) return;
            store.insertRequest(row);
            finished++;
            deps.onProgress?.({
              stage: next.stage,
              percentage,
              candidate: candidateRouted,
              needed: plan.minRequestsPerStage,
              requests: finished,
            });
          })
          .catch((err: unknown) => {
            fatal ??= err;
            abortInFlight.abort(err);
          })
          .finally(() => pacer.release());
      }
      if (interrupted && pacer.inFlight > 0 && !abortInFlight.signal.aborted) {
        const graceOver = new AbortController();
        const waited = clock.sleep(graceMs, graceOver.signal).catch(() => {});
        await Promise.race([pacer.idle(), waited, aborted(abortInFlight.signal)]);
        graceOver.abort();
        abortInFlight.abort(new InterruptedError());
      }
      await pacer.idle();
      if (fatal !== null || interrupted) break;

      const cumulative = await store.judgedRequests(rollout.id, next.stage);
      const judged = judgeStage(
        cumulative,
        next.stage,
        percentage,
        specs,
        plan.confidence,
        planTuningN(plan),
      );
      const stageRows = cumulative.filter((r) => r.stage === next.stage);
      const candidateRequests = stageRows.filter((r) => r.routed_arm === 'candidate').length;
      const last = next.stageIndex + 1 >= plan.stages.length;
      const evidence = { stage: next.stage, gates: judged.gates, srm: judged.srm };
      const at = now();
      let change = null;
      if (judged.decision === 'rollback') {
        change = {
          status: 'rolled_back' as const,
          percentage: 0,
          finished: true,
          reason: `stage ${next.stage} (${percentage}%): ${judged.reasons.join('; ')}`,
        };
      } else if (judged.decision === 'promote') {
        change = last
          ? {
              status: 'completed' as const,
              percentage: 100,
              finished: true,
              reason: `stage ${next.stage} (${percentage}%): all gates passed; rollout complete`,
            }
          : {
              status: 'running' as const,
              percentage: plan.stages[next.stageIndex + 1]!,
              finished: false,
              reason: `stage ${next.stage} (${percentage}%): all gates passed; promote`,
            };
      } else if (next.attempt >= plan.maxStageRepeats || judged.srm.mismatch) {
        // A broken assignment cannot be fixed by waiting: it ends the rollout as held.
        change = {
          status: 'held' as const,
          percentage,
          finished: true,
          reason: `stage ${next.stage} (${percentage}%) held after ${next.attempt + 1} attempt(s): ${judged.reasons.join('; ')}`,
        };
      }
      await store.finishStage(
        rollout.id,
        next.stage,
        {
          endSeq: seq,
          finishedAt: at,
          requests: stageRows.length,
          candidateRequests,
          fallbacks: stageRows.filter((r) => r.fallback).length,
          decision: judged.decision,
          reasons: judged.reasons,
          gates: judged.gates,
          srm: judged.srm,
        },
        change && { ...change, at, actor: 'shadowgate', automatic: true, evidence },
      );
      const summary = stageSummary((await store.stages(rollout.id)).find((s) => s.stage === next.stage)!);
      summaries.push(summary);
      deps.onStage?.(summary);
    }
  } catch (err) {
    fatal ??= err;
    abortInFlight.abort(err);
  } finally {
    deps.signal?.removeEventListener('abort', onSoft);
    deps.hardSignal?.removeEventListener('abort', onHard);
    await Promise.allSettled(clients.map((c) => c.close()));
  }
  try {
    await store.flush();
  } catch (err) {
    fatal ??= err;
  }
  if (fatal !== null || interrupted) {
    const status: RolloutStatus = fatal !== null ? 'failed' : 'interrupted';
    try {
      const current = (await store.getRollout(rollout.id))!;
      await store.changeState(rollout.id, {
        status,
        percentage: current.percentage,
        at: now(),
        actor: options.actor,
        automatic: false,
        reason: fatal !== null ? `failed: ${(fatal as Error).message}` : 'interrupted',
      });
    } catch {
      // The original error says more than a failure to record it.
    }
    if (fatal !== null) throw fatal;
    throw new InterruptedError(
      `interrupted; resume with: shadowgate rollout --resume ${rollout.id} --db ${dbLabel}`,
    );
  }
  const current = (await store.getRollout(rollout.id))!;
  return {
    rollout_id: rollout.id,
    status: current.status,
    final_percentage: current.percentage,
    salt: current.salt,
    hash_version: current.hash_version,
    cycles: Math.max(1, Math.ceil(((await store.stages(rollout.id)).at(-1)?.end_seq ?? 0) / prompts.length)),
    stages: summaries,
    db: dbLabel,
  };
}

function stageSummary(s: RolloutStageRow): StageSummary {
  return {
    stage: s.stage,
    stage_index: s.stage_index,
    attempt: s.attempt,
    percentage: s.percentage,
    decision: s.decision!,
    reasons: s.reasons_json ? (JSON.parse(s.reasons_json) as string[]) : [],
    requests: s.requests ?? 0,
    candidate_requests: s.candidate_requests ?? 0,
    fallbacks: s.fallbacks ?? 0,
  };
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
