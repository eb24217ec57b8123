/**
 * Synthetic shadow runs whose truth is known, written straight into the
 * store (no HTTP), for measuring the judge's operating characteristics: the
 * share of promote, hold and rollback per case, through the real report and
 * gate code.
 */
import Database from 'better-sqlite3';
import type { Decision } from '../../src/judge/gates.js';
import { buildShadowReport } from '../../src/report/shadow-model.js';
import { seededRng } from '../../src/shared/clock.js';
import { RandomVariates } from '../../src/stats/random-variates.js';
import type { Arm, RequestRow } from '../../src/store/rows.js';
import { RunStore } from '../../src/store/run-store.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/store/schema.js';

/** How the candidate differs from the baseline. The baseline is always the defaults. */
export interface Truth {
  /** Final error rate (after retries). Baseline 0.01. */
  errorRate?: number;
  /** Share of requests whose first attempt fails (retries then save all but errorRate). Baseline 0.03. */
  firstFailureRate?: number;
  /** Multiplies every latency and TTFT. Baseline 1. */
  latencyFactor?: number;
  /** Share of prompts whose answer drifts (similarity 0.3-0.7). Baseline 0. */
  driftShare?: number;
  /** Multiplies reported input tokens. Baseline 1. */
  tokenFactor?: number;
  /** Multiplies cost. Baseline 1. */
  costFactor?: number;
}

export interface Case {
  name: string;
  truth: Truth;
  /** What a correct judge should mostly say. */
  expect: 'promote' | 'hold' | 'rollback' | 'not promote';
}

export const CASES: Case[] = [
  { name: 'A/A', truth: {}, expect: 'promote' },
  { name: '10% vs 1% errors', truth: { errorRate: 0.1, firstFailureRate: 0.12 }, expect: 'rollback' },
  { name: '2x latency', truth: { latencyFactor: 2 }, expect: 'rollback' },
  { name: '+10% latency (inside tolerance)', truth: { latencyFactor: 1.1 }, expect: 'promote' },
  { name: 'latency at the tolerance (1.2x)', truth: { latencyFactor: 1.2 }, expect: 'hold' },
  { name: 'drift on 40% of prompts', truth: { driftShare: 0.4 }, expect: 'not promote' },
  { name: 'input tokens inflated 15%', truth: { tokenFactor: 1.15 }, expect: 'not promote' },
  {
    name: 'first attempts failing 35%, retries hiding it',
    truth: { firstFailureRate: 0.35 },
    expect: 'rollback',
  },
  {
    name: 'faster, cheaper, equally reliable',
    truth: { latencyFactor: 0.8, costFactor: 0.4 },
    expect: 'promote',
  },
];

/**
 * The latency model: a prompt's own difficulty (log-normal around 800 ms,
 * shared by both arms) times each arm's own noise. Pairing by prompt cancels
 * the first; the pairing-power study measures what that is worth.
 */
export const LATENCY_MODEL = { medianMs: 800, promptSigma: 0.5, armSigma: 0.15 } as const;

/** A prompt's latency before either arm's noise. */
export function drawPromptLatency(v: RandomVariates): number {
  return LATENCY_MODEL.medianMs * Math.exp(LATENCY_MODEL.promptSigma * v.normal());
}

/** One arm's latency of a prompt, `factor` times slower than the baseline's. */
export function drawArmLatency(v: RandomVariates, promptLatency: number, factor: number): number {
  return promptLatency * factor * Math.exp(LATENCY_MODEL.armSigma * v.normal());
}

const REPLICA_SHARE = 0.3;
const MAX_ATTEMPTS = 4;

function openMemory(): Database.Database {
  const db = new Database(':memory:');
  for (const migration of MIGRATIONS) db.exec(migration);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
  return db;
}

/** Writes one run of `prompts` prompts for `truth` with `seed`, and returns the verdict of the default gates. */
export function judgeKnownTruth(truth: Truth, prompts: number, seed: number): Decision {
  return verdictOfKnownTruth(truth, prompts, seed).decision;
}

/** The whole verdict, for looking at why a case was held. */
export function verdictOfKnownTruth(truth: Truth, prompts: number, seed: number) {
  const db = openMemory();
  try {
    writeRun(db, truth, prompts, seed);
    return buildShadowReport(db, { runId: 'truth', generatedAt: '2026-01-01T00:00:00.000Z', topDivergent: 0 })
      .verdict;
  } finally {
    db.close();
  }
}

export function writeRun(db: Database.Database, truth: Truth, prompts: number, seed: number): void {
  const rng = seededRng(seed);
  const v = new RandomVariates(rng);
  const store = new RunStore(db, { batchSize: 100_000, flushIntervalMs: 0 });
  store.createRun({
    id: 'truth',
    kind: 'shadow',
    label: null,
    startedAt: '2026-01-01T00:00:00.000Z',
    configJson: '{}',
    scenarioPath: null,
    seed,
    optionsJson: JSON.stringify({ stream: true }),
    totalPrompts: prompts,
  });
  const row = (
    id: string,
    arm: Arm,
    t: Truth,
    promptLatency: number,
    tokens: number,
    similarity: number | null,
  ) => {
    const failsFirst = rng() < (t.firstFailureRate ?? 0.03);
    // Final errors are a subset of first failures when possible, so retries save the rest.
    const errorRate = t.errorRate ?? 0.01;
    const fails = failsFirst ? rng() < Math.min(1, errorRate / (t.firstFailureRate ?? 0.03)) : false;
    const attempts = fails ? MAX_ATTEMPTS : failsFirst ? 2 : 1;
    const factor = t.latencyFactor ?? 1;
    const latency = drawArmLatency(v, promptLatency, factor) + (attempts - 1) * 250;
    const outcome = fails ? 'error' : 'ok';
    const started_at = '2026-01-01T00:00:00.000Z';
    // Whole literals, not a spread of a shared base: V8 clones spreads slowly, and this runs 2,000 times a run.
    if (fails) {
      return {
        run_id: 'truth',
        prompt_id: id,
        arm,
        model: 'gpt-4.1',
        outcome,
        attempts,
        started_at,
        error_class: 'http_5xx',
        http_status: 503,
      } satisfies RequestRow;
    }
    return {
      run_id: 'truth',
      prompt_id: id,
      arm,
      model: 'gpt-4.1',
      outcome,
      attempts,
      started_at,
      latency_ms: latency,
      ttft_ms: latency * 0.3,
      input_tokens: Math.round(tokens * (t.tokenFactor ?? 1)),
      output_tokens: 100,
      usage_source: 'reported',
      cost_usd: ((tokens * 2 + 100 * 8) / 1e6) * (t.costFactor ?? 1),
      response_model: 'gpt-4.1',
      finish_reason: 'stop',
      similarity,
    } satisfies RequestRow;
  };
  const consistent = () => Math.min(1, 0.95 + 0.03 * v.normal());
  for (let i = 0; i < prompts; i++) {
    const id = `p${i}`;
    const promptLatency = drawPromptLatency(v);
    const tokens = 200 + Math.floor(rng() * 1800);
    store.insertPrompt({ run_id: 'truth', prompt_id: id, seq: i, model: 'gpt-4.1', prompt_hash: id });
    store.insertRequest(row(id, 'baseline', {}, promptLatency, tokens, null));
    const drifts = rng() < (truth.driftShare ?? 0);
    store.insertRequest(
      row(id, 'candidate', truth, promptLatency, tokens, drifts ? 0.3 + 0.4 * rng() : consistent()),
    );
    if (rng() < REPLICA_SHARE)
      store.insertRequest(row(id, 'baseline_replica', {}, promptLatency, tokens, consistent()));
  }
  store.setRunStatus('truth', 'completed', '2026-01-01T01:00:00.000Z');
  store.close();
}

export interface OperatingCharacteristics {
  promote: number;
  hold: number;
  rollback: number;
  seeds: number;
}

/** How many of `seeds` seeded runs (from `firstSeed`) of one case at one n end in each decision. */
export function decisionCounts(
  truth: Truth,
  prompts: number,
  seeds: number,
  firstSeed = 1,
): Record<Decision, number> {
  const counts = { promote: 0, hold: 0, rollback: 0 };
  for (let s = 0; s < seeds; s++) counts[judgeKnownTruth(truth, prompts, firstSeed + s)]++;
  return counts;
}

/** The share of each decision over `seeds` seeded runs of one case at one n. */
export function operatingCharacteristics(
  truth: Truth,
  prompts: number,
  seeds: number,
  firstSeed = 1,
): OperatingCharacteristics {
  const counts = decisionCounts(truth, prompts, seeds, firstSeed);
  return {
    promote: counts.promote / seeds,
    hold: counts.hold / seeds,
    rollback: counts.rollback / seeds,
    seeds,
  };
}
