/**
 * The shadow replay: each selected prompt goes to the baseline and the
 * candidate at the same moment, paced, within the USD budget, until the
 * scenario ends or the run is stopped. The pieces live next door: options
 * (run-options), the plan (run-plan), the run record (run-record), interrupts
 * (run-interrupts), arm targets (arm-targets) and one prompt (prompt-execution).
 */
import type { ProviderClient } from '../providers/types.js';
import { preloadTokenizer } from '../providers/usage.js';
import { readScenario } from '../scenario/read-scenario.js';
import type { Rng } from '../shared/clock.js';
import { UsageError } from '../shared/errors.js';
import type { RunWriter } from '../store/async-run-store.js';
import { type DbLocation, describeDbLocation } from '../store/db-url.js';
import { type OpenRunWriter, openRunWriter } from '../store/open-run-writer.js';
import type { RunRow, RunStatus } from '../store/rows.js';
import { completedKey } from '../store/run-store.js';
import type { ArmRunContext } from './arm-executor.js';
import { ArmTargets } from './arm-targets.js';
import { BreakerLog } from './breaker-log.js';
import { BreakerPause } from './breaker-pause.js';
import { BudgetGuard } from './budget-guard.js';
import { type InstrumentRecord, RunInstrument, sustainedDelayWarning } from './instrument.js';
import { type JitterRngFactory, seededJitter } from './jitter-rng.js';
import { type PaceMode, Pacer } from './pacer.js';
import { PromptExecution } from './prompt-execution.js';
import { RunInterrupts } from './run-interrupts.js';
import type { ShadowRunDeps, ShadowRunOptions } from './run-options.js';
import { planRun, type RunPlan } from './run-plan.js';
import { ProgressTally } from './run-progress.js';
import {
  finishRun,
  markFailed,
  openRun,
  type ShadowRunSummary,
  saveInstrument,
  summarize,
} from './run-record.js';
import { isSampled } from './sampling.js';
import { inShard } from './shard.js';
import { finishShardRun, markShardFailed, openShardRun } from './shard-record.js';

export { DEFAULT_GRACE_MS, type ShadowRunDeps, type ShadowRunOptions } from './run-options.js';
export type { ArmSummary, ShadowRunSummary } from './run-record.js';

/**
 * Replays a scenario against the baseline and candidate providers at the same
 * moment per prompt, records every attempt and one final row per (prompt, arm)
 * in SQLite, and returns the summary. Throws UsageError (bad options, config,
 * scenario, missing key: nothing sent or written), InterruptedError after
 * Ctrl-C (the run is marked `interrupted` and can be resumed).
 */
export async function runShadow(options: ShadowRunOptions, deps: ShadowRunDeps): Promise<ShadowRunSummary> {
  const sessionStartMs = deps.clock.monotonic();
  const location = dbLocationOf(options);
  let opened: OpenRunWriter | null = null;
  let run: RunRow | undefined;
  if (options.shard) {
    const runId = checkShardOptions(options);
    opened = await openRunWriter(location, { shard: options.shard.index });
    try {
      run = await opened.writer.getRun(runId);
      if (run && run.kind !== 'shadow')
        throw new UsageError(`run ${run.id} is a ${run.kind} run, not a shadow run`);
    } catch (err) {
      await opened.close();
      throw err;
    }
  } else if (options.resume) {
    opened = await openRunWriter(location, { mustExist: true });
    try {
      run = await opened.writer.getRun(options.resume);
      if (!run) throw new UsageError(`no run ${options.resume} in ${opened.label}`);
      if (run.kind !== 'shadow') throw new UsageError(`run ${run.id} is a ${run.kind} run, not a shadow run`);
    } catch (err) {
      await opened.close();
      throw err;
    }
  }
  let summary: ShadowRunSummary;
  try {
    const plan = await planRun({ ...options, dbPath: describeDbLocation(location) }, deps, run);
    opened ??= await openRunWriter(location);
    summary = await executeRun(plan, deps, opened, sessionStartMs);
  } catch (err) {
    // A failing close must not mask the error that ended the run: it becomes a warning.
    try {
      await opened?.close();
    } catch (closeErr) {
      deps.onWarning?.(`closing the database failed too: ${(closeErr as Error).message}`);
    }
    throw err;
  }
  await opened.close();
  return summary;
}

/** The run id a shard writes to; UsageError for what does not combine with --shard. */
function checkShardOptions(options: ShadowRunOptions): string {
  const runId = options.runId ?? options.resume ?? null;
  if (!runId) throw new UsageError('--shard needs --run-id ID: the run every shard writes to');
  if (options.limit !== undefined && options.limit !== null)
    throw new UsageError('--limit does not combine with --shard (each shard replays all of its prompts)');
  return runId;
}

/** `options.db` wins; else `dbPath` is a SQLite file. */
function dbLocationOf(options: ShadowRunOptions): DbLocation {
  return options.db ?? { kind: 'sqlite', path: options.dbPath };
}

async function executeRun(
  plan: RunPlan,
  deps: ShadowRunDeps,
  opened: OpenRunWriter,
  sessionStartMs: number,
): Promise<ShadowRunSummary> {
  const store = opened.writer;
  const { clock } = deps;
  const o = plan.stored;
  const warn = deps.onWarning ?? (() => {});
  const session = plan.shard
    ? await openShardRun(plan, store, plan.shard.spec, {
        runId: plan.shard.runId,
        nowMs: clock.now(),
        label: plan.label,
        perShard: plan.shard.perShard,
        warn,
      })
    : await openRun(plan, store, {
        nowMs: clock.now(),
        label: plan.label,
        idRng: deps.rng ?? Math.random,
        warn,
      });
  const budgetUsd = session.budgetUsd !== undefined ? session.budgetUsd : plan.budgetUsd;
  const shard = plan.shard?.spec ?? null;
  const { runId } = session;
  const guard = new BudgetGuard({ budgetUsd, spentUsd: session.spentBeforeUsd });
  const interrupts = new RunInterrupts(deps.signal, deps.hardSignal);
  const pacer = new Pacer({ concurrency: o.concurrency, rps: o.rps, pace: o.pace, speed: o.speed }, clock);
  const tally = new ProgressTally(o.replica > 0);
  const instrument = new RunInstrument({
    onSustainedDelay: (delayMs, forMs) =>
      warn(sustainedDelayWarning(delayMs, forMs, instrument.thresholdMs, o.concurrency)),
    ...deps.instrument,
  });
  const progress = () =>
    tally.snapshot(plan.totalPrompts, clock.monotonic() - sessionStartMs, guard.spentUsd, budgetUsd);
  const clients: ProviderClient[] = [];
  let pause: BreakerPause | null = null;
  let breakerLog: BreakerLog | null = null;
  let fatal: unknown = null;
  const fail = (err: unknown) => {
    fatal ??= err;
    interrupts.abortAll(err);
  };

  try {
    const targets = new ArmTargets(plan.config, o, deps, clients);
    const breakers = { baseline: targets.baseline.breaker, candidate: targets.candidate.breaker };
    breakerLog = await BreakerLog.open(
      runId,
      breakers,
      store,
      clock,
      fail,
      shard ? { every: shard.count, at: shard.index } : undefined,
    );
    pause = new BreakerPause([breakers.baseline, breakers.candidate], clock, (ms) => {
      store.addPausedMs(runId, ms).catch(fail);
      pacer.delayBy(ms);
    });
    const arms: ArmRunContext & { store: RunWriter } = {
      runId,
      clock,
      jitterRngFor: deps.jitterRngFor ?? (deps.rng ? sharedRng(deps.rng) : seededJitter(o.seed)),
      stream: o.stream,
      redact: o.redact,
      store,
      guard,
      signal: interrupts.abortInFlight.signal,
      debug: deps.env.SHADOWGATE_DEBUG ? (line) => warn(`debug: ${line}`) : undefined,
      instrument,
    };
    const prompts = new PromptExecution({ arms, targets, interrupts, tally, budgetUsd });
    const promptDone = () => {
      tally.doneThisSession++;
      if (guard.exhausted) interrupts.stopDispatch.abort(new Error('budget exhausted'));
      deps.onProgress?.(progress());
    };

    // Before any request is in flight: loaded later, it would stall the loop mid-run.
    preloadTokenizer();
    instrument.start();
    let completed = session.completed;
    let seq = -1;
    let selected = 0;
    const reader = readScenario(plan.scenarioPath, {
      skipInvalid: o.skipInvalid,
      knownDuplicateFree: plan.scenarioClean,
    });
    for await (const prompt of reader) {
      seq++;
      if (shard && !inShard(prompt.id, shard)) continue;
      if (!isSampled(prompt.id, o.seed, o.sample)) continue;
      if (o.limit !== null && selected >= o.limit) break;
      selected++;
      const done = completed;
      const all = targets.forPrompt(prompt.id);
      const todo = done ? all.filter((t) => !done.has(completedKey(prompt.id, t.arm))) : all;
      if (todo.length === 0) {
        tally.doneBefore++;
        continue;
      }
      if (interrupts.dispatchStopped || guard.exhausted) break;
      if (!(await acquireSlot(pacer, guard, prompt.timestampMs, o.pace, interrupts.stopDispatch.signal)))
        break;
      // After the slot: the prompt goes the moment the breakers let it, not a slot's wait later.
      const gate = await pause.clear(interrupts.stopDispatch.signal);
      if (gate === 'stopped') {
        pacer.release();
        break;
      }
      const running = prompts
        .run(prompt, seq, todo)
        .then(promptDone)
        .catch(fail)
        .finally(() => pacer.release());
      if (gate === 'probe') pause.probing(running);
    }
    completed = null;

    await interrupts.graceThenAbort(pacer, plan.graceMs, clock);
    await pacer.idle();
    deps.onProgress?.(progress());
  } catch (err) {
    fail(err);
    await pacer.idle();
  } finally {
    instrument.stop();
    pause?.dispose();
    breakerLog?.dispose();
    interrupts.dispose();
    await Promise.allSettled(clients.map((c) => c.close()));
  }

  const finishedAt = new Date(clock.now()).toISOString();
  let record: InstrumentRecord | null = null;
  try {
    record = await saveInstrument(store, runId, instrument.record());
  } catch (err) {
    fatal ??= err;
  }
  if (fatal !== null) {
    if (plan.shard) await markShardFailed(store, runId, plan.shard.spec, finishedAt);
    else await markFailed(store, runId, finishedAt);
    throw fatal;
  }
  const status: RunStatus = interrupts.interrupted
    ? 'interrupted'
    : guard.exhausted
      ? 'budget_exhausted'
      : 'completed';
  if (plan.shard) {
    const runStatus = await finishShardRun(store, plan, plan.shard, { runId, status, finishedAt, warn });
    const summary = summarize(
      await opened.runSummary(runId),
      runId,
      plan.dbPath,
      (clock.monotonic() - sessionStartMs) / 1000,
      record,
    );
    return {
      ...summary,
      status,
      total_prompts: plan.totalPrompts,
      budget_usd: budgetUsd,
      shard: `${plan.shard.spec.index}/${plan.shard.spec.count}`,
      run_status: runStatus,
    };
  }
  await finishRun(store, plan, { runId, status, finishedAt, warn });
  return summarize(
    await opened.runSummary(runId),
    runId,
    plan.dbPath,
    (clock.monotonic() - sessionStartMs) / 1000,
    record,
  );
}

/**
 * Waits for a free slot (concurrency, rate, recorded pacing). False = stop
 * dispatching: the run was stopped while waiting, or the budget ran out.
 * Throws what the pacer threw for any other reason.
 */
async function acquireSlot(
  pacer: Pacer,
  guard: BudgetGuard,
  recordedAtMs: number | null,
  pace: PaceMode,
  stop: AbortSignal,
): Promise<boolean> {
  try {
    await pacer.acquire(pace === 'recorded' ? recordedAtMs : null, stop);
  } catch (err) {
    // Only a stop ends dispatch quietly; anything else the pacer throws is a fault of the run.
    if (stop.aborted) return false;
    throw err;
  }
  if (guard.exhausted) {
    pacer.release();
    return false;
  }
  return true;
}

/** An injected single Rng shared by every arm (tests only: draws follow completion order). */
function sharedRng(rng: Rng): JitterRngFactory {
  return () => rng;
}
