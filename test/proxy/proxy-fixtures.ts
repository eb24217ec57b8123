/**
 * Fixtures for proxy tests: a proxy started in-process in front of loopback
 * simulators or scripted servers, closed (drained) when the test ends.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import OpenAI from 'openai';
import type { ExperimentConfig } from '../../src/config/types.js';
// The library API (src/index.ts), as an embedding application imports it.
import { PROXY_DEFAULTS, type ProxyOptions, type ProxyServer, startProxy } from '../../src/index.js';
import { seededRng, systemClock } from '../../src/shared/clock.js';

export function proxyOptions(over: Partial<ProxyOptions> = {}): ProxyOptions {
  return {
    mode: 'shadow',
    host: '127.0.0.1',
    port: 0,
    dbPath: ':memory:',
    label: null,
    redact: false,
    seed: 1,
    mirror: 0,
    replica: 0,
    mirrorConcurrency: PROXY_DEFAULTS.mirrorConcurrency,
    mirrorQueue: PROXY_DEFAULTS.mirrorQueue,
    mirrorQueueBytes: PROXY_DEFAULTS.mirrorQueueBytes,
    mirrorMaxBytes: PROXY_DEFAULTS.mirrorMaxBytes,
    mirrorBudgetUsd: null,
    maxBodyBytes: PROXY_DEFAULTS.maxBodyBytes,
    authEnv: null,
    passThroughAuth: false,
    graceMs: 2000,
    connections: 64,
    record: null,
    rollout: null,
    ...over,
  };
}

/** Rollout-mode options: the rollout `ro-live` in the db, sticky key from the header, no live gates. */
export function rolloutOptions(
  over: Partial<NonNullable<ProxyOptions['rollout']>> = {},
): NonNullable<ProxyOptions['rollout']> {
  return {
    rolloutId: 'ro-live',
    stateFile: null,
    pollMs: 250,
    stickyKey: ['header'],
    recordRequests: false,
    plan: null,
    gateEvery: 0,
    ...over,
  };
}

/** Starts a proxy; closed when the test ends (unless the test closed it). */
export async function startTestProxy(
  t: TestContext,
  config: ExperimentConfig,
  over: Partial<ProxyOptions> = {},
  env: Record<string, string | undefined> = {},
): Promise<ProxyServer> {
  const proxy = await startProxy(proxyOptions(over), config, {
    clock: systemClock,
    rng: seededRng(7),
    env,
  });
  t.after(() => proxy.close());
  return proxy;
}

/** The official OpenAI client pointed at `baseURL`, no retries of its own (the proxy's engine retries). */
export function openaiClient(baseURL: string, apiKey = 'sk-client-test-key'): OpenAI {
  return new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 20_000 });
}

/** A chat.completion answer body as a scripted server sends it. */
export function completionBody(content: string): string {
  return JSON.stringify({
    id: 'chatcmpl-scripted',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-4.1',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
  });
}

/** The `created` field is the simulator's wall-clock second: the one byte range two runs may differ in. */
export function withoutCreated(text: string): string {
  return text.replace(/"created":\d+/g, '"created":0');
}

export const CHAT = {
  model: 'gpt-4.1',
  messages: [
    { role: 'system' as const, content: 'You are a helpful support agent.' },
    { role: 'user' as const, content: 'How do I reset my password?' },
  ],
  max_tokens: 40,
};

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` every 10 ms until it holds; fails after 5 s. */
export async function waitUntil(check: () => Promise<boolean>, what: string): Promise<void> {
  const since = performance.now();
  while (!(await check())) {
    if (performance.now() - since > 5000) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
