import { readFileSync, statSync } from 'node:fs';
import { UsageError } from '../shared/errors.js';
import { sha256Hex } from '../shared/sha256-hex.js';
import type { RolloutStore } from '../store/rollout-store.js';
import { BUCKETS, bucketFor, HASH_VERSION } from './route-for.js';

/** What a router needs of the rollout state: the `rollout state` document's fields. */
export interface RouterState {
  rollout_id?: string;
  version?: number;
  percentage: number;
  salt: string;
  hash_version: number;
  status?: string;
}

/** Where the state comes from: a fixed object, a function asked on every request, or the state file. */
export type RouterStateSource = RouterState | (() => RouterState) | { file: string };

export interface RouteOutcome {
  key: string;
  bucket: number;
  percentage: number;
  routedArm: 'baseline' | 'candidate';
  servedArm: 'baseline' | 'candidate';
  fallback: boolean;
  /** The candidate's error when it failed (fallback or not). */
  candidateError: unknown;
  ok: boolean;
  /** The served arm's error when the request failed (what the caller got). */
  error?: unknown;
  latencyMs: number;
}

export interface CreateRouterOptions<Req, Res> {
  /** Sends a request to today's provider. */
  baseline: (request: Req) => Promise<Res>;
  /**
   * Sends it to the candidate. For a stream, resolve when the first byte has
   * arrived: a failure before that falls back, one after it is the caller's.
   */
  candidate: (request: Req) => Promise<Res>;
  state: RouterStateSource;
  /** Whether a candidate failure may fall back to the baseline. Default: every failure (before the first byte). */
  shouldFallback?: (error: unknown) => boolean;
  /** Called with each outcome (metrics, logs). */
  onOutcome?: (outcome: RouteOutcome) => void;
  /** Records each outcome to `rollout_requests` of this rollout (stage 0: live traffic). One process per rollout. */
  record?: { store: RolloutStore; rolloutId: string };
  /** Milliseconds since some origin; default performance.now. */
  now?: () => number;
}

export interface Router<Req, Res> {
  /** Routes one request by its sticky key; resolves with the answer and where it came from. */
  route(key: string, request: Req): Promise<{ value: Res; arm: 'baseline' | 'candidate'; fallback: boolean }>;
  /** The state in force (re-read from the file when it changed). */
  state(): RouterState;
}

/**
 * The production side of the rollout: the same routeFor as the rehearsal,
 * so a service does exactly what was rehearsed. A key goes to the candidate
 * when its bucket is under the percentage; a candidate failure falls back to
 * the baseline; the state is re-read when it changes, so `rollout rollback`
 * takes effect on the next request.
 */
export function createRouter<Req, Res>(o: CreateRouterOptions<Req, Res>): Router<Req, Res> {
  const readState = stateReader(o.state);
  const now = o.now ?? (() => performance.now());
  const shouldFallback = o.shouldFallback ?? (() => true);
  let seq = o.record ? o.record.store.nextSeq(o.record.rolloutId) : 0;

  const record = (outcome: RouteOutcome, startedAt: Date): void => {
    o.onOutcome?.(outcome);
    if (!o.record) return;
    o.record.store.insertRequest({
      rollout_id: o.record.rolloutId,
      stage: 0,
      seq: seq++,
      prompt_id: '',
      sticky_key_hash: sha256Hex(outcome.key),
      bucket: outcome.bucket,
      routed_arm: outcome.routedArm,
      served_arm: outcome.servedArm,
      fallback: outcome.fallback ? 1 : 0,
      candidate_error_class: outcome.candidateError === null ? null : errorClassOf(outcome.candidateError),
      outcome: outcome.ok ? 'ok' : 'error',
      error_class: outcome.ok ? null : errorClassOf(outcome.error ?? outcome.candidateError),
      started_at: startedAt.toISOString(),
      latency_ms: outcome.latencyMs,
      ttft_ms: null,
      input_tokens: null,
      output_tokens: null,
      cost_usd: null,
      attempts: outcome.fallback ? 2 : 1,
      candidate_latency_ms: null,
      candidate_cost_usd: null,
    });
  };

  return {
    state: readState,
    async route(key, request) {
      const state = readState();
      const bucket = bucketFor(key, state.salt);
      const routedArm = bucket < state.percentage * (BUCKETS / 100) ? 'candidate' : 'baseline';
      const startedAt = new Date();
      const t0 = now();
      const base = { key, bucket, percentage: state.percentage, routedArm } as const;
      if (routedArm === 'baseline') {
        try {
          const value = await o.baseline(request);
          record(
            {
              ...base,
              servedArm: 'baseline',
              fallback: false,
              candidateError: null,
              ok: true,
              latencyMs: now() - t0,
            },
            startedAt,
          );
          return { value, arm: 'baseline', fallback: false };
        } catch (err) {
          record(
            {
              ...base,
              servedArm: 'baseline',
              fallback: false,
              candidateError: null,
              ok: false,
              error: err,
              latencyMs: now() - t0,
            },
            startedAt,
          );
          throw err;
        }
      }
      let candidateError: unknown;
      try {
        const value = await o.candidate(request);
        record(
          {
            ...base,
            servedArm: 'candidate',
            fallback: false,
            candidateError: null,
            ok: true,
            latencyMs: now() - t0,
          },
          startedAt,
        );
        return { value, arm: 'candidate', fallback: false };
      } catch (err) {
        candidateError = err;
        if (!shouldFallback(err)) {
          record(
            {
              ...base,
              servedArm: 'candidate',
              fallback: false,
              candidateError,
              ok: false,
              error: err,
              latencyMs: now() - t0,
            },
            startedAt,
          );
          throw err;
        }
      }
      try {
        const value = await o.baseline(request);
        record(
          { ...base, servedArm: 'baseline', fallback: true, candidateError, ok: true, latencyMs: now() - t0 },
          startedAt,
        );
        return { value, arm: 'baseline', fallback: true };
      } catch (err) {
        record(
          {
            ...base,
            servedArm: 'baseline',
            fallback: true,
            candidateError,
            ok: false,
            error: err,
            latencyMs: now() - t0,
          },
          startedAt,
        );
        throw err;
      }
    },
  };
}

function errorClassOf(err: unknown): string {
  const e = err as { errorClass?: unknown; code?: unknown; name?: unknown };
  for (const v of [e?.errorClass, e?.code, e?.name]) if (typeof v === 'string' && v) return v;
  return 'error';
}

function checkState(s: RouterState, where: string): RouterState {
  if (!(typeof s.percentage === 'number' && s.percentage >= 0 && s.percentage <= 100))
    throw new UsageError(`${where}: percentage must be a number from 0 to 100`);
  if (typeof s.salt !== 'string' || !s.salt)
    throw new UsageError(`${where}: salt must be a non-empty string`);
  if (s.hash_version !== HASH_VERSION)
    throw new UsageError(
      `${where}: hash_version ${s.hash_version} is not ${HASH_VERSION}, the one this router implements`,
    );
  return s;
}

/** A state file is re-read when its modification time or size changes (one stat per request). */
function stateReader(source: RouterStateSource): () => RouterState {
  if (typeof source === 'function') return () => checkState(source(), 'router state');
  if (!('file' in source)) {
    const fixed = checkState(source, 'router state');
    return () => fixed;
  }
  const path = source.file;
  let stamp = '';
  let current: RouterState | null = null;
  return () => {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(path);
    } catch {
      if (current) return current; // a missing file mid-rename keeps the last good state
      throw new UsageError(
        `no rollout state file at ${path} (write it with: shadowgate rollout state --out ${path})`,
      );
    }
    const next = `${st.mtimeMs}:${st.size}:${st.ino}`;
    if (next !== stamp || current === null) {
      current = checkState(JSON.parse(readFileSync(path, 'utf8')) as RouterState, path);
      stamp = next;
    }
    return current;
  };
}
