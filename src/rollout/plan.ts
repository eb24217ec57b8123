import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConfigError } from '../shared/errors.js';

/** A week-2 plan, validated, with every default filled in. */
export interface RolloutPlan {
  /** Percent of traffic routed to the candidate per stage, strictly increasing, in (0, 100]. */
  stages: number[];
  /** Candidate-routed requests a stage takes before it is judged. */
  minRequestsPerStage: number;
  /** An inconclusive stage is extended this many times, then the rollout ends as held. */
  maxStageRepeats: number;
  /** Paths tried in order for the sticky key (`id`, `metadata.user_id`, `request.user`); the prompt id when none is present. */
  stickyKey: string[];
  /** 'auto' draws one per rollout and stores it. */
  salt: string;
  fallback: boolean;
  confidence: number;
  gates: PlanGates;
  gatesFile: string | null;
  onFail: 'rollback' | 'hold';
}

/** The shorthand tolerances; an absent key is a gate left out. */
export interface PlanGates {
  maxErrorRateIncrease?: number;
  maxP95LatencyRatio?: number;
  maxFallbackRate?: number;
  minCostSavingsPct?: number;
}

export const DEFAULT_PLAN: RolloutPlan = {
  stages: [5, 25, 50, 100],
  minRequestsPerStage: 400,
  maxStageRepeats: 2,
  stickyKey: ['id'],
  salt: 'auto',
  fallback: true,
  confidence: 0.95,
  gates: { maxErrorRateIncrease: 0.03, maxP95LatencyRatio: 1.5, maxFallbackRate: 0.05 },
  gatesFile: null,
  onFail: 'rollback',
};

const PLAN_KEYS = [
  'stages',
  'minRequestsPerStage',
  'maxStageRepeats',
  'stickyKey',
  'salt',
  'fallback',
  'confidence',
  'gates',
  'gatesFile',
  'onFail',
] as const;
const GATE_KEYS = [
  'maxErrorRateIncrease',
  'maxP95LatencyRatio',
  'maxFallbackRate',
  'minCostSavingsPct',
] as const;

/**
 * Checks a parsed plan, collecting every problem with its key path; unknown
 * keys are problems. Throws ConfigError naming `source`.
 */
export function validatePlan(input: unknown, source: string): RolloutPlan {
  const problems: string[] = [];
  if (!isRecord(input)) throw new ConfigError(`plan ${source} must be a mapping of plan keys`);
  for (const key of Object.keys(input))
    if (!(PLAN_KEYS as readonly string[]).includes(key))
      problems.push(`${key}: unknown key (expected one of ${PLAN_KEYS.join(', ')})`);
  const plan: RolloutPlan = { ...DEFAULT_PLAN, gates: { ...DEFAULT_PLAN.gates } };

  if ('stages' in input) {
    const s = input['stages'];
    if (!Array.isArray(s) || s.length === 0) problems.push('stages: must be a non-empty list of percentages');
    else {
      s.forEach((v, i) => {
        if (typeof v !== 'number' || !(v > 0 && v <= 100))
          problems.push(`stages[${i}]: must be a number in (0, 100]`);
        else if (i > 0 && typeof s[i - 1] === 'number' && v <= (s[i - 1] as number))
          problems.push(`stages[${i}]: must be above the stage before it (ramps only go up)`);
      });
      plan.stages = s as number[];
    }
  }
  intKey(input, 'minRequestsPerStage', 1, problems, (v) => {
    plan.minRequestsPerStage = v;
  });
  intKey(input, 'maxStageRepeats', 0, problems, (v) => {
    plan.maxStageRepeats = v;
  });
  if ('stickyKey' in input) {
    const k = input['stickyKey'];
    const list = typeof k === 'string' ? [k] : k;
    if (!Array.isArray(list) || list.length === 0 || list.some((p) => typeof p !== 'string' || !p.trim()))
      problems.push('stickyKey: must be a key path (metadata.user_id) or a non-empty list of them');
    else {
      list.forEach((p: string, i) => {
        if (!/^(id|request\.[A-Za-z0-9_]+|metadata(\.[A-Za-z0-9_-]+)+)$/.test(p))
          problems.push(
            `stickyKey${Array.isArray(k) ? `[${i}]` : ''}: "${p}" is not id, request.FIELD or metadata.PATH`,
          );
      });
      plan.stickyKey = list as string[];
    }
  }
  if ('salt' in input) {
    const v = input['salt'];
    if (typeof v !== 'string' || v.length === 0)
      problems.push("salt: must be a non-empty string ('auto' draws one)");
    else plan.salt = v;
  }
  if ('fallback' in input) {
    if (typeof input['fallback'] !== 'boolean') problems.push('fallback: must be true or false');
    else plan.fallback = input['fallback'];
  }
  if ('confidence' in input) {
    const c = input['confidence'];
    if (typeof c !== 'number' || !(c > 0.5 && c < 1))
      problems.push('confidence: must be a number between 0.5 and 1');
    else plan.confidence = c;
  }
  if ('gates' in input) {
    const g = input['gates'];
    if (!isRecord(g)) problems.push('gates: must be a mapping of tolerances');
    else {
      plan.gates = {};
      for (const key of Object.keys(g)) {
        if (!(GATE_KEYS as readonly string[]).includes(key)) {
          problems.push(`gates.${key}: unknown key (expected one of ${GATE_KEYS.join(', ')})`);
          continue;
        }
        const v = g[key];
        if (typeof v !== 'number' || !Number.isFinite(v)) problems.push(`gates.${key}: must be a number`);
        else plan.gates[key as keyof PlanGates] = v;
      }
    }
  }
  if ('gatesFile' in input) {
    const v = input['gatesFile'];
    if (typeof v !== 'string' || !v) problems.push('gatesFile: must be a path');
    else plan.gatesFile = v;
  }
  if ('onFail' in input) {
    const v = input['onFail'];
    if (v !== 'rollback' && v !== 'hold') problems.push('onFail: must be rollback or hold');
    else plan.onFail = v;
  }
  if (problems.length > 0)
    throw new ConfigError(`plan ${source} has ${problems.length} problem(s)`, problems);
  return plan;
}

/** Reads a plan file, YAML or JSON. */
export function loadPlan(path: string): RolloutPlan {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new ConfigError(`cannot read plan ${path}: ${reason}`);
  }
  let parsed: unknown;
  try {
    parsed = parse(text);
  } catch (e) {
    throw new ConfigError(`plan ${path} is not valid YAML or JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  return validatePlan(parsed ?? {}, path);
}

function intKey(
  input: Record<string, unknown>,
  key: string,
  min: number,
  problems: string[],
  set: (v: number) => void,
): void {
  if (!(key in input)) return;
  const v = input[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    problems.push(`${key}: must be an integer >= ${min}`);
  else set(v);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
