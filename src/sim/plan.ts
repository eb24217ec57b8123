import { seededRng } from '../shared/clock.js';
import { buildAnswer, type SimAnswer } from './answer.js';
import { drawDelayMs } from './distributions.js';
import { chooseFault, type FaultKind } from './faults.js';
import type { SimProfile } from './profiles.js';
import { hashString, mixSeed } from './seed-hash.js';
import type { SimRequest } from './sim-request.js';

/**
 * The whole schedule of one response, computed before anything is sent: the
 * ground-truth headers go out before the body, so they must already know
 * every injected delay. Pure: (profile, seed, request, sample) -> plan.
 */
export interface ResponsePlan {
  fault: FaultKind | 'none';
  /** How many times this simulator had seen this prompt before (0 = first). */
  sample: number;
  answer: SimAnswer;
  /** Injected first-token delay, ms, after latencyScale. */
  ttftMs: number;
  /** Injected time per output token, ms, after latencyScale. */
  tpotMs: number;
  /**
   * Total injected delay until the response is complete (or, for stall and
   * cutoff, until the stream stops), ms. Errors and resets come after `ttftMs`,
   * a 429 at once.
   */
  latencyMs: number;
  /** For stall, cutoff and malformed-json: how many answer pieces go out before the fault. */
  faultAfterPieces: number;
  /** Prompt tokens as reported (after misreport.promptTokenFactor). */
  promptTokens: number;
  completionTokens: number;
  /** The `model` the response names. */
  model: string;
  /** The retry hint an injected 429 carries, ms (after latencyScale). */
  retryAfterMs: number;
}

const SALT_FAULT = 0xfa17;

const profileHashes = new WeakMap<SimProfile, number>();

/** The profile name's hash, cached: it salts every per-call draw so two profiles fail on different calls. */
function profileHash(profile: SimProfile): number {
  let h = profileHashes.get(profile);
  if (h === undefined) {
    h = hashString(profile.name);
    profileHashes.set(profile, h);
  }
  return h;
}

/** Identifies a prompt for sample counting and content derivation. */
export function promptKey(request: SimRequest): number {
  return hashString(request.promptText);
}

export function planResponse(
  profile: SimProfile,
  seed: number,
  request: SimRequest,
  sample: number,
  forcedFault?: FaultKind | 'none',
): ResponsePlan {
  const promptHash = promptKey(request);
  const callSeed = mixSeed(seed, profileHash(profile), promptHash, sample);
  const rng = seededRng(mixSeed(callSeed, SALT_FAULT));
  const drawnFault = chooseFault(profile.faultRates, rng());
  const fault = forcedFault ?? drawnFault;
  const scale = profile.latencyScale;
  const ttftMs = drawDelayMs(profile.ttft, rng) * scale;
  const tpotMs = drawDelayMs(profile.tpot, rng) * scale;
  const answer = buildAnswer(profile, seed, request, promptHash, callSeed);
  const n = answer.pieces.length;
  // At least one piece goes out before a stall or cutoff, and at least one is held back when there are two.
  const faultAfterPieces = n <= 1 ? n : 1 + Math.floor(rng() * (n - 1));

  let latencyMs = ttftMs + n * tpotMs;
  if (fault === '429') latencyMs = 0;
  else if (fault === 'hang') latencyMs = Number.POSITIVE_INFINITY;
  else if (fault === 'stall' || fault === 'cutoff') latencyMs = ttftMs + (faultAfterPieces - 1) * tpotMs;
  else if (fault !== 'none' && fault !== 'malformed-json' && fault !== 'missing-usage') latencyMs = ttftMs;

  const factor = profile.misreport.promptTokenFactor ?? 1;
  return {
    fault,
    sample,
    answer,
    ttftMs,
    tpotMs,
    latencyMs,
    faultAfterPieces,
    promptTokens: Math.round(request.promptTokens * factor),
    completionTokens: n,
    model: profile.misreport.model ?? request.model,
    retryAfterMs: profile.retryAfterMs * scale,
  };
}
