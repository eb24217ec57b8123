/**
 * The week-2 rollout plan: stages of traffic on the candidate, evidence per
 * stage, sticky routing, gates. PLAN_SHAPE is what validatePlan walks and
 * what `npm run schema` writes to schema/rollout-plan.schema.json.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseConfigText } from '../config/load-config.js';
import { ConfigError } from '../shared/errors.js';
import { checkShape, type NumberNode, type ObjectNode, withDefaults } from '../shared/field-schema.js';

export type RolloutOnFail = 'rollback' | 'hold';
export const ROLLOUT_ON_FAIL: readonly RolloutOnFail[] = ['rollback', 'hold'];

/** The plan's simple gates; each is off when absent. */
export interface RolloutPlanGates {
  /** Candidate error rate minus the baseline's, as a fraction (0.01 = one point), at most this. */
  maxErrorRateIncrease?: number;
  /** Candidate p95 latency / baseline p95 latency, at most this. */
  maxP95LatencyRatio?: number;
  /** Candidate requests that fell back to the baseline / candidate requests, at most this. */
  maxFallbackRate?: number;
  /** Cost savings, percent (10 = the candidate costs 10% less), at least this. */
  minCostSavingsPct?: number;
}

export interface RolloutPlan {
  /** Percent of traffic on the candidate per stage: integers 1..100, increasing, the last 100. */
  stages: number[];
  /**
   * Candidate-routed requests a stage takes before it is judged (a fallback
   * counts: it was routed to the candidate). Routed, not served, so that a
   * stage's membership depends on the routing alone and a resume takes
   * exactly the requests the stage would have taken. Default 400.
   */
  minRequestsPerStage: number;
  /** Times an inconclusive stage may be repeated before the plan's onFail applies. Default 2. */
  maxStageRepeats: number;
  /** Dotted paths into a prompt (`metadata.user_id`, `id`) whose values pick the arm; always a list here. Default ['id']. */
  stickyKey: string[];
  /** The routing hash's salt; `auto` (default) derives it from the run. */
  salt: string;
  /** Retry a failed candidate request on the baseline. Default true. */
  fallback: boolean;
  /** One-sided confidence of each gate's bound, 0.5..0.999. Default 0.95. */
  confidence: number;
  gates: RolloutPlanGates;
  /** A gates file (rollout scope); loadPlan resolves it against the plan's directory. */
  gatesFile?: string;
  /** What a failed gate does. Default rollback. */
  onFail: RolloutOnFail;
}

export const DEFAULT_ROLLOUT_PLAN: Omit<RolloutPlan, 'stages'> = {
  minRequestsPerStage: 400,
  maxStageRepeats: 2,
  stickyKey: ['id'],
  salt: 'auto',
  fallback: true,
  confidence: 0.95,
  gates: {},
  onFail: 'rollback',
};

const PATH = '[A-Za-z_][A-Za-z0-9_-]*(?:\\.[A-Za-z_][A-Za-z0-9_-]*)*';
const PATH_MESSAGE = 'must be a dotted path into the prompt, like metadata.user_id or id';

function increasingTo100(stages: number[]): string | null {
  for (let i = 1; i < stages.length; i++) {
    if (stages[i]! <= stages[i - 1]!)
      return `must increase: stage ${i + 1} (${stages[i]}) follows ${stages[i - 1]}`;
  }
  return stages[stages.length - 1] === 100
    ? null
    : `must end at 100 (the last is ${stages[stages.length - 1]})`;
}

const gate = (description: string, bounds: Partial<NumberNode>): { node: NumberNode } => ({
  node: { type: 'number', description, ...bounds },
});

export const PLAN_SHAPE: ObjectNode = {
  type: 'object',
  description: 'A shadowgate rollout plan',
  message: 'must be a mapping with stages',
  fields: {
    stages: {
      node: {
        type: 'array',
        description: 'Percent of traffic on the candidate per stage, increasing, ending at 100',
        items: { type: 'number', integer: true, minimum: 1, maximum: 100 },
        minItems: 1,
        message: 'must be a list of percentages (integers 1..100)',
        refine: increasingTo100,
      },
      required: 'required (e.g. [5, 25, 50, 100])',
    },
    minRequestsPerStage: {
      node: {
        type: 'number',
        integer: true,
        minimum: 1,
        default: DEFAULT_ROLLOUT_PLAN.minRequestsPerStage,
        description: 'Candidate-routed requests (fallbacks included) a stage must see before it is judged',
      },
    },
    maxStageRepeats: {
      node: {
        type: 'number',
        integer: true,
        minimum: 0,
        default: DEFAULT_ROLLOUT_PLAN.maxStageRepeats,
        description: 'Times an inconclusive stage is repeated',
      },
    },
    stickyKey: {
      node: {
        type: 'anyOf',
        options: [
          { type: 'string', pattern: PATH },
          { type: 'array', items: { type: 'string', pattern: PATH }, minItems: 1 },
        ],
        default: 'id',
        description: 'Dotted path(s) into a prompt whose value keeps one user on one side',
        message: `${PATH_MESSAGE}, or a list of them`,
      },
    },
    salt: {
      node: {
        type: 'string',
        minLength: 1,
        default: DEFAULT_ROLLOUT_PLAN.salt,
        description: "The routing hash's salt; auto derives it from the run",
      },
    },
    fallback: {
      node: {
        type: 'boolean',
        default: DEFAULT_ROLLOUT_PLAN.fallback,
        description: 'Retry a failed candidate request on the baseline',
      },
    },
    confidence: {
      node: {
        type: 'number',
        minimum: 0.5,
        maximum: 0.999,
        default: DEFAULT_ROLLOUT_PLAN.confidence,
        description: "One-sided confidence of each gate's bound",
      },
    },
    gates: {
      node: {
        type: 'object',
        nullable: true,
        description: 'Simple gates; each is off when absent',
        fields: {
          maxErrorRateIncrease: gate('Error rate increase, a fraction (0.01 = one point)', {
            minimum: 0,
            maximum: 1,
          }),
          maxP95LatencyRatio: gate('Candidate p95 / baseline p95', { exclusiveMinimum: 0 }),
          maxFallbackRate: gate('Fallbacks / candidate requests', { minimum: 0, maximum: 1 }),
          minCostSavingsPct: gate('Savings, percent', { maximum: 100 }),
        },
      },
    },
    gatesFile: {
      node: {
        type: 'string',
        minLength: 1,
        description: 'A gates file (rollout metrics), relative to the plan',
      },
    },
    onFail: {
      node: {
        type: 'string',
        enum: ROLLOUT_ON_FAIL,
        default: DEFAULT_ROLLOUT_PLAN.onFail,
        description: 'What a failed gate does',
      },
    },
  },
};

/**
 * Checks a parsed plan and fills in defaults. Throws ConfigError naming
 * `source` with one problem per bad key, each with its path
 * (`stages: must end at 100 (the last is 50)`). Pure.
 */
export function validatePlan(input: unknown, source: string): RolloutPlan {
  const problems: string[] = [];
  checkShape(PLAN_SHAPE, input, '', problems);
  if (problems.length > 0) {
    const n = problems.length;
    throw new ConfigError(`invalid rollout plan ${source} (${n} problem${n === 1 ? '' : 's'})`, problems);
  }
  const filled = withDefaults(PLAN_SHAPE, input as Record<string, unknown>);
  const sticky = filled['stickyKey'] as string | string[];
  return {
    ...filled,
    stages: [...(filled['stages'] as number[])],
    stickyKey: typeof sticky === 'string' ? [sticky] : [...sticky],
    gates: { ...((filled['gates'] as RolloutPlanGates | undefined) ?? {}) },
  } as RolloutPlan;
}

/**
 * Reads a plan, YAML or JSON, and validates it; a relative gatesFile is
 * resolved against the plan's directory. Throws ConfigError.
 */
export function loadPlan(path: string): RolloutPlan {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === 'ENOENT'
        ? `rollout plan not found: ${path}`
        : `cannot read rollout plan ${path}: ${(err as Error).message}`,
    );
  }
  const plan = validatePlan(parseConfigText(text, path), path);
  if (plan.gatesFile !== undefined) plan.gatesFile = resolve(dirname(path), plan.gatesFile);
  return plan;
}
