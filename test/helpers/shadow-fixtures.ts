/**
 * Fixtures for runner and `run` command tests: temp dirs, loopback simulators,
 * scenario and config files, and a read-only look into the resulting db.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import Database from 'better-sqlite3';
import type { ExperimentConfig } from '../../src/config/types.js';
import { validateConfig } from '../../src/config/validate-config.js';
import { BUILTIN_PROFILES, type BuiltinProfileName, type SimProfile } from '../../src/sim/profiles.js';
import { type SimServer, startSimServer } from '../../src/sim/server.js';

/** A fresh directory removed when the test ends. */
export function tempDir(t: TestContext, prefix = 'shadowgate-run-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A built-in profile with overrides; latencyScale defaults to 0.01 so tests run fast. */
export function profile(name: BuiltinProfileName, over: Partial<SimProfile> = {}): SimProfile {
  return { ...BUILTIN_PROFILES[name], latencyScale: 0.01, ...over };
}

/** Starts a simulator on 127.0.0.1:0, closed when the test ends. */
export async function startSim(t: TestContext, simProfile: SimProfile, seed = 1): Promise<SimServer> {
  const sim = await startSimServer({ profile: simProfile, host: '127.0.0.1', port: 0, seed });
  t.after(() => sim.close());
  return sim;
}

export interface PromptOptions {
  /** Text put in every prompt, to look for in the db (redaction tests). */
  marker?: string;
  maxTokens?: number;
  model?: string;
  /** Recorded-traffic timestamps, this far apart, ms. */
  spacingMs?: number;
}

/** `n` plain chat lines with ids p-0000..., each a distinct question. */
export function makePrompts(n: number, o: PromptOptions = {}): Record<string, unknown>[] {
  const t0 = Date.UTC(2026, 10, 1, 9, 0, 0);
  return Array.from({ length: n }, (_, i) => {
    const line: Record<string, unknown> = {
      id: `p-${String(i).padStart(4, '0')}`,
      model: o.model ?? 'gpt-4.1',
      messages: [
        { role: 'system', content: 'You are a helpful support agent.' },
        { role: 'user', content: `${o.marker ?? 'Question'} number ${i}: how do I reset my password?` },
      ],
      max_tokens: o.maxTokens ?? 32,
    };
    if (o.spacingMs !== undefined) line.timestamp = new Date(t0 + i * o.spacingMs).toISOString();
    return line;
  });
}

export function writeJsonl(path: string, lines: unknown[]): string {
  writeFileSync(path, `${lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n')}\n`);
  return path;
}

export interface ConfigOptions {
  baselineKeyEnv?: string;
  candidateKeyEnv?: string;
  /** Merged over the fast test retry policy. */
  retry?: Record<string, unknown>;
  concurrency?: number;
  stream?: boolean;
}

/** The config file's input shape for two simulators: priced gpt-4.1 on both, a fast retry policy. */
export function simConfigInput(
  baselineUrl: string,
  candidateUrl: string,
  o: ConfigOptions = {},
): Record<string, unknown> {
  const provider = (
    baseUrl: string,
    keyEnv: string | undefined,
    inputPerMTok: number,
    outputPerMTok: number,
  ) => ({
    kind: 'openai',
    baseUrl,
    ...(keyEnv ? { apiKeyEnv: keyEnv } : {}),
    models: { 'gpt-4.1': { inputPerMTok, outputPerMTok, timeoutMs: 5000 } },
  });
  return {
    providers: {
      baseline: provider(baselineUrl, o.baselineKeyEnv, 2, 8),
      candidate: provider(candidateUrl, o.candidateKeyEnv, 0.8, 3.2),
    },
    retry: {
      strategy: 'exponential-capped',
      jitter: 'full',
      baseDelayMs: 2,
      maxDelayMs: 20,
      maxAttempts: 4,
      ...o.retry,
    },
    run: { concurrency: o.concurrency ?? 8, stream: o.stream ?? true },
  };
}

export function simConfig(
  baselineUrl: string,
  candidateUrl: string,
  o: ConfigOptions = {},
): ExperimentConfig {
  const result = validateConfig(simConfigInput(baselineUrl, candidateUrl, o));
  if ('errors' in result) throw new Error(`test config invalid: ${result.errors.join('; ')}`);
  return result.value;
}

export function writeConfig(path: string, input: unknown): string {
  writeFileSync(path, JSON.stringify(input, null, 2));
  return path;
}

/** Opens the db read-only for assertions; closed when the test ends. */
export function openDb(t: TestContext, path: string): Database.Database {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  t.after(() => db.close());
  return db;
}

/** Final rows per (prompt, arm): any value above 1 is a doubled row. */
export function finalRowCounts(db: Database.Database, runId: string): Map<string, number> {
  const counts = new Map<string, number>();
  const rows = db.prepare('SELECT prompt_id, arm FROM requests WHERE run_id = ?').all(runId) as {
    prompt_id: string;
    arm: string;
  }[];
  for (const r of rows) {
    const key = `${r.prompt_id}/${r.arm}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}
