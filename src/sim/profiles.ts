import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../shared/errors.js';
import type { DelayDistribution } from './distributions.js';
import { FAULT_KINDS, type FaultKind, isFaultKind } from './faults.js';

export type { DelayDistribution } from './distributions.js';

/** How long answers are, in output tokens (one token = one word of simulated text). */
export interface OutputLengthProfile {
  /** Median answer length before any cap, tokens. */
  medianTokens: number;
  /** 99th-percentile answer length before any cap, tokens (lognormal between the two). */
  p99Tokens: number;
  /** Extra output tokens per prompt token: longer prompts get longer answers. Default 0 (steady). */
  perPromptToken: number;
  /** Cap when the request sets no max_tokens, tokens. Default 4096. */
  maxTokens: number;
  /**
   * Multiplies every answer's length (a prefix of the base answer): below 1 a
   * provider looks terser and cheaper. Default 1.
   */
  lengthFactor: number;
}

/** A real limiter on the wall clock (token buckets refilled continuously). 0 turns a limit off. */
export interface LimitsProfile {
  /** Requests per minute. Default 0 (unlimited). */
  requestsPerMinute: number;
  /** Prompt plus requested output tokens per minute. Default 0 (unlimited). */
  tokensPerMinute: number;
}

/** Ways a provider lies in its answers, which a migration check must catch. */
export interface MisreportProfile {
  /** Answer with this `model` whatever was asked. */
  model?: string;
  /** Multiply reported prompt tokens by this (e.g. 1.3 = 30% inflated). */
  promptTokenFactor?: number;
}

/** Everything a simulated provider does. Every field is documented in the README table. */
export interface SimProfile {
  name: string;
  /** One line for `--help` and the README. */
  description: string;
  /**
   * Multiplies every injected delay: first token, per token, and retry hints.
   * 1 = the delays as written; 0 = no waiting at all. Default 1.
   */
  latencyScale: number;
  /** Delay before the first token, ms (also before an error answer or a reset). */
  ttft: DelayDistribution;
  /** Time per output token after the first, ms (drawn once per response). */
  tpot: DelayDistribution;
  output: OutputLengthProfile;
  /** Probability that one call's answer differs a little (about 3% of words) from the base answer. Default 0. */
  variability: number;
  /** Fraction of the base answer's words this provider changes, the same on every call for a prompt. Default 0. */
  drift: number;
  /** Probability that a JSON-mode answer is broken (truncated). Default 0. */
  jsonBreakRate: number;
  /** Probability that a request offering tools is answered with a tool call. Default 1. */
  toolCallRate: number;
  /** Fraction of requests that get each fault; the rest are answered normally. Default none. */
  faultRates: Partial<Record<FaultKind, number>>;
  /** Retry hint sent with an injected 429, ms (scaled by latencyScale). Default 1000. */
  retryAfterMs: number;
  /** Which retry hint headers a 429 carries: `Retry-After` (seconds), `retry-after-ms`, or both. Default both. */
  retryAfterHeaders: 'seconds' | 'ms' | 'both';
  limits: LimitsProfile;
  misreport: MisreportProfile;
  /** Model ids listed by GET /v1/models. */
  models: string[];
}

export type BuiltinProfileName = 'steady' | 'openai-like' | 'relay-fast' | 'flaky' | 'rate-limited';

const STEADY: SimProfile = {
  name: 'steady',
  description: 'no faults, no latency, short fixed answers: for benchmarks',
  latencyScale: 1,
  ttft: { fixedMs: 0 },
  tpot: { fixedMs: 0 },
  output: { medianTokens: 24, p99Tokens: 24, perPromptToken: 0, maxTokens: 4096, lengthFactor: 1 },
  variability: 0,
  drift: 0,
  jsonBreakRate: 0,
  toolCallRate: 1,
  faultRates: {},
  retryAfterMs: 1000,
  retryAfterHeaders: 'both',
  limits: { requestsPerMinute: 0, tokensPerMinute: 0 },
  misreport: {},
  models: ['sim-model'],
};

/**
 * The built-in profiles, as data so the README can quote them. The latency
 * shapes of `openai-like`, `relay-fast`, `flaky` and `rate-limited` are a real
 * API's, run at latencyScale 0.1 (ten times faster than real time) so a demo
 * of a few hundred prompts takes seconds; `--latency-scale 1` replays them in
 * real time.
 */
export const BUILTIN_PROFILES: Record<BuiltinProfileName, SimProfile> = {
  steady: STEADY,
  'openai-like': {
    ...STEADY,
    name: 'openai-like',
    description: 'a hosted API: first token ~600 ms, ~20 ms/token, ~3% failures (mostly 429 and 5xx)',
    latencyScale: 0.1,
    ttft: { medianMs: 600, p99Ms: 2500 },
    tpot: { medianMs: 20, p99Ms: 45 },
    output: { medianTokens: 200, p99Tokens: 900, perPromptToken: 0.05, maxTokens: 4096, lengthFactor: 1 },
    variability: 0.1,
    jsonBreakRate: 0.002,
    toolCallRate: 0.95,
    faultRates: { '429': 0.015, '500': 0.005, '502': 0.003, '503': 0.004, '504': 0.002, reset: 0.001 },
  },
  'relay-fast': {
    ...STEADY,
    name: 'relay-fast',
    description: 'a relay: faster first token, rare failures, slightly terser answers, ~5% drift',
    latencyScale: 0.1,
    ttft: { medianMs: 250, p99Ms: 900 },
    tpot: { medianMs: 15, p99Ms: 35 },
    output: { medianTokens: 200, p99Tokens: 900, perPromptToken: 0.05, maxTokens: 4096, lengthFactor: 0.92 },
    variability: 0.1,
    drift: 0.05,
    jsonBreakRate: 0.002,
    toolCallRate: 0.95,
    faultRates: { '429': 0.002, '502': 0.002, '503': 0.001, 'missing-usage': 0.01 },
  },
  flaky: {
    ...STEADY,
    name: 'flaky',
    description: 'high failure rates of every kind (~35% of requests)',
    latencyScale: 0.1,
    ttft: { medianMs: 400, p99Ms: 2000 },
    tpot: { medianMs: 10, p99Ms: 40 },
    output: { medianTokens: 120, p99Tokens: 600, perPromptToken: 0.05, maxTokens: 4096, lengthFactor: 1 },
    variability: 0.25,
    drift: 0.1,
    jsonBreakRate: 0.05,
    toolCallRate: 0.8,
    faultRates: {
      '429': 0.05,
      '500': 0.03,
      '502': 0.03,
      '503': 0.03,
      '504': 0.02,
      '529': 0.02,
      reset: 0.03,
      hang: 0.02,
      stall: 0.02,
      cutoff: 0.03,
      'malformed-json': 0.02,
      html: 0.02,
      'missing-usage': 0.03,
    },
  },
  'rate-limited': {
    ...STEADY,
    name: 'rate-limited',
    description: 'a low real limit: 60 requests and 20,000 tokens per minute',
    latencyScale: 0.1,
    ttft: { medianMs: 300, p99Ms: 1000 },
    tpot: { medianMs: 10, p99Ms: 25 },
    output: { medianTokens: 100, p99Tokens: 400, perPromptToken: 0.05, maxTokens: 4096, lengthFactor: 1 },
    limits: { requestsPerMinute: 60, tokensPerMinute: 20_000 },
  },
};

export function isBuiltinProfileName(name: string): name is BuiltinProfileName {
  return Object.hasOwn(BUILTIN_PROFILES, name);
}

type Validation = { value: SimProfile } | { errors: string[] };

const TOP_KEYS = new Set<string>([...Object.keys(STEADY), 'extends']);
const OUTPUT_KEYS = new Set(Object.keys(STEADY.output));
const LIMIT_KEYS = new Set(Object.keys(STEADY.limits));
const MISREPORT_KEYS = new Set(['model', 'promptTokenFactor']);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Validates a profile document (already parsed) and merges it over `steady`,
 * or over the built-in its `extends` key names. Pure: collects every problem
 * as `path: what is wrong`.
 */
export function validateSimProfile(raw: unknown, fallbackName = 'custom'): Validation {
  const errors: string[] = [];
  if (!isPlainObject(raw)) return { errors: ['(root): a profile must be a mapping of fields'] };

  let base: SimProfile = STEADY;
  if (raw.extends !== undefined) {
    if (typeof raw.extends === 'string' && isBuiltinProfileName(raw.extends))
      base = BUILTIN_PROFILES[raw.extends];
    else errors.push(`extends: must name a built-in profile (${Object.keys(BUILTIN_PROFILES).join(', ')})`);
  }
  const out: SimProfile = structuredClone(base);
  out.name = fallbackName;

  for (const [key, value] of Object.entries(raw)) {
    if (!TOP_KEYS.has(key)) {
      errors.push(`${key}: unknown key`);
      continue;
    }
    switch (key) {
      case 'extends':
        break;
      case 'name':
      case 'description':
        if (typeof value === 'string' && value.length > 0) out[key] = value;
        else errors.push(`${key}: must be a non-empty string`);
        break;
      case 'latencyScale':
      case 'retryAfterMs':
        if (isNonNegative(value)) out[key] = value;
        else errors.push(`${key}: must be a number >= 0`);
        break;
      case 'variability':
      case 'drift':
      case 'jsonBreakRate':
      case 'toolCallRate':
        if (isRate(value)) out[key] = value;
        else errors.push(`${key}: must be a number between 0 and 1`);
        break;
      case 'ttft':
      case 'tpot': {
        const dist = readDistribution(value, key, errors);
        if (dist) out[key] = dist;
        break;
      }
      case 'output':
        readNumbers(value, 'output', OUTPUT_KEYS, out.output as unknown as Record<string, number>, errors);
        break;
      case 'limits':
        readNumbers(value, 'limits', LIMIT_KEYS, out.limits as unknown as Record<string, number>, errors);
        break;
      case 'faultRates':
        readFaultRates(value, out, errors);
        break;
      case 'retryAfterHeaders':
        if (value === 'seconds' || value === 'ms' || value === 'both') out.retryAfterHeaders = value;
        else errors.push('retryAfterHeaders: must be one of seconds, ms, both');
        break;
      case 'misreport':
        readMisreport(value, out, errors);
        break;
      case 'models':
        if (Array.isArray(value) && value.length > 0 && value.every((m) => typeof m === 'string' && m)) {
          out.models = value as string[];
        } else errors.push('models: must be a non-empty list of model ids');
        break;
    }
  }
  if (out.output.p99Tokens < out.output.medianTokens) {
    errors.push('output.p99Tokens: must be >= output.medianTokens');
  }
  if (out.output.medianTokens < 1) errors.push('output.medianTokens: must be >= 1');
  if (out.output.maxTokens < 1) errors.push('output.maxTokens: must be >= 1');
  if (out.output.lengthFactor <= 0) errors.push('output.lengthFactor: must be > 0');
  const totalRate = Object.values(out.faultRates).reduce((sum, r) => sum + (r ?? 0), 0);
  if (totalRate > 1 + 1e-9) errors.push(`faultRates: rates add up to ${totalRate}, more than 1`);
  return errors.length > 0 ? { errors } : { value: out };
}

function isNonNegative(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

function isRate(v: unknown): v is number {
  return isNonNegative(v) && v <= 1;
}

function readDistribution(value: unknown, path: string, errors: string[]): DelayDistribution | null {
  if (!isPlainObject(value)) {
    errors.push(`${path}: must be { fixedMs } or { medianMs, p99Ms }`);
    return null;
  }
  const keys = Object.keys(value).sort().join(',');
  if (keys === 'fixedMs') {
    if (isNonNegative(value.fixedMs)) return { fixedMs: value.fixedMs };
    errors.push(`${path}.fixedMs: must be a number >= 0`);
    return null;
  }
  if (keys === 'medianMs,p99Ms') {
    const { medianMs, p99Ms } = value;
    if (!isNonNegative(medianMs)) errors.push(`${path}.medianMs: must be a number >= 0`);
    else if (!isNonNegative(p99Ms) || p99Ms < medianMs)
      errors.push(`${path}.p99Ms: must be a number >= medianMs`);
    else return { medianMs, p99Ms };
    return null;
  }
  for (const k of Object.keys(value)) {
    if (k !== 'fixedMs' && k !== 'medianMs' && k !== 'p99Ms') errors.push(`${path}.${k}: unknown key`);
  }
  errors.push(`${path}: must be { fixedMs } or { medianMs, p99Ms }`);
  return null;
}

function readNumbers(
  value: unknown,
  path: string,
  allowed: Set<string>,
  target: Record<string, number>,
  errors: string[],
): void {
  if (!isPlainObject(value)) {
    errors.push(`${path}: must be a mapping`);
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    if (!allowed.has(k)) errors.push(`${path}.${k}: unknown key`);
    else if (!isNonNegative(v)) errors.push(`${path}.${k}: must be a number >= 0`);
    else target[k] = v;
  }
}

function readFaultRates(value: unknown, out: SimProfile, errors: string[]): void {
  if (!isPlainObject(value)) {
    errors.push('faultRates: must be a mapping of fault kind to rate');
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    if (!isFaultKind(k))
      errors.push(`faultRates.${k}: unknown fault kind (one of ${FAULT_KINDS.join(', ')})`);
    else if (!isRate(v)) errors.push(`faultRates.${k}: must be a number between 0 and 1`);
    else out.faultRates[k] = v;
  }
}

function readMisreport(value: unknown, out: SimProfile, errors: string[]): void {
  if (!isPlainObject(value)) {
    errors.push('misreport: must be a mapping');
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    if (!MISREPORT_KEYS.has(k)) errors.push(`misreport.${k}: unknown key`);
    else if (k === 'model') {
      if (typeof v === 'string' && v) out.misreport.model = v;
      else errors.push('misreport.model: must be a non-empty string');
    } else if (isNonNegative(v) && v > 0) out.misreport.promptTokenFactor = v;
    else errors.push('misreport.promptTokenFactor: must be a number > 0');
  }
}

/**
 * A built-in name or a YAML/JSON file path (fields merged over `steady`, or
 * over the built-in named by `extends`); throws UsageError naming the bad key.
 * Returns a fresh copy: callers may change it.
 */
export function loadSimProfile(nameOrPath: string, cwd: string = process.cwd()): SimProfile {
  if (isBuiltinProfileName(nameOrPath)) return structuredClone(BUILTIN_PROFILES[nameOrPath]);
  const looksLikeFile =
    /\.(ya?ml|json)$/i.test(nameOrPath) || nameOrPath.includes('/') || nameOrPath.includes('\\');
  const path = resolve(cwd, nameOrPath);
  if (!looksLikeFile || !existsSync(path)) {
    throw new UsageError(
      `unknown sim profile '${nameOrPath}': use a built-in (${Object.keys(BUILTIN_PROFILES).join(', ')}) or a YAML/JSON file`,
    );
  }
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`sim profile ${nameOrPath}: cannot parse: ${(err as Error).message.split('\n')[0]}`);
  }
  const fileName = nameOrPath.replace(/^.*[\\/]/, '').replace(/\.(ya?ml|json)$/i, '');
  const result = validateSimProfile(raw ?? {}, fileName);
  if ('errors' in result) {
    throw new UsageError(`sim profile ${nameOrPath} is invalid: ${result.errors[0]}`, result.errors);
  }
  return result.value;
}
