/**
 * `POST /v1/messages` through the proxy with the official Anthropic SDK,
 * against Anthropic-shaped simulators: the same bytes as a direct call, and
 * the mirror translated for the candidate and recorded.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import type { ExperimentConfig } from '../../src/config/types.js';
import { validateConfig } from '../../src/config/validate-config.js';
import { toAnthropicRequest } from '../../src/providers/anthropic-translate.js';
import { fromAnthropicRequest } from '../../src/proxy/anthropic-inbound.js';
import { parseScenarioLine } from '../../src/scenario/scenario-line.js';
import { openDb, profile, simConfigInput, startSim, tempDir } from '../helpers/shadow-fixtures.js';
import { startTestProxy } from './proxy-fixtures.js';

function anthropicConfig(baselineUrl: string, candidateUrl: string): ExperimentConfig {
  const input = simConfigInput(baselineUrl, candidateUrl) as {
    providers: Record<string, Record<string, unknown>>;
  };
  input.providers.baseline!.kind = 'anthropic';
  input.providers.candidate!.kind = 'anthropic';
  const result = validateConfig(input);
  if ('errors' in result) throw new Error(result.errors.join('; '));
  return result.value;
}

/** The Anthropic SDK appends /v1/messages to its base URL: the proxy's root. */
function anthropicClient(baseURL: string): Anthropic {
  return new Anthropic({ baseURL, apiKey: 'sk-ant-client-key', maxRetries: 0 });
}

const MESSAGE = {
  model: 'gpt-4.1',
  max_tokens: 40,
  system: 'You are terse.',
  messages: [{ role: 'user' as const, content: 'Where is my parcel?' }],
};

describe('proxy, Anthropic Messages', () => {
  it('answers byte for byte as a direct call, streaming and not; mirrors land in the store', async (t) => {
    const dir = tempDir(t);
    const direct = await startSim(t, profile('steady'), 21);
    const behind = await startSim(t, profile('steady'), 21);
    const candidate = await startSim(t, profile('steady'), 21);
    const dbPath = join(dir, 'live.db');
    const proxy = await startTestProxy(t, anthropicConfig(behind.url, candidate.url), { dbPath, mirror: 1 });
    const straight = anthropicClient(direct.url.replace(/\/v1$/, ''));
    const viaProxy = anthropicClient(proxy.url);
    for (const stream of [false, true]) {
      const a = await straight.messages.create({ ...MESSAGE, stream }).asResponse();
      const b = await viaProxy.messages.create({ ...MESSAGE, stream }).asResponse();
      assert.equal(b.status, a.status);
      assert.equal(b.headers.get('content-type'), a.headers.get('content-type'));
      assert.equal(b.headers.get('request-id'), a.headers.get('request-id'));
      assert.ok(b.headers.get('x-shadowgate-overhead-ms'));
      const textA = await a.text();
      assert.ok(textA.length > 50);
      assert.equal(await b.text(), textA, `stream=${stream}`);
    }
    const parsed = await viaProxy.messages.create(MESSAGE);
    assert.equal(parsed.type, 'message');
    assert.ok(parsed.content.length > 0);
    await proxy.close();
    assert.equal(candidate.stats().requests, 3, 'every request mirrored');
    const db = openDb(t, dbPath);
    const rows = db
      .prepare('SELECT arm, outcome, output_tokens > 0 AS tokens FROM requests ORDER BY prompt_id, arm')
      .all();
    assert.equal(rows.length, 6);
    for (const r of rows as { outcome: string; tokens: number }[])
      assert.deepEqual([r.outcome, r.tokens], ['ok', 1]);
    const sims = db
      .prepare("SELECT similarity FROM requests WHERE arm = 'candidate'")
      .pluck()
      .all() as number[];
    assert.ok(
      sims.every((s) => s === 1),
      'same seed, same answers',
    );
  });

  it('translates a Messages request to the chat shape and back as it was sent', () => {
    const sent = {
      model: 'claude-x',
      max_tokens: 100,
      system: 'Be brief.',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 't1', name: 'weather', input: { city: 'Paris' } }],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'sunny' }] },
      ],
      tools: [{ name: 'weather', description: 'w', input_schema: { type: 'object', properties: {} } }],
      tool_choice: { type: 'auto' },
      stop_sequences: ['END'],
      temperature: 0.2,
      metadata: { user_id: 'u-9' },
    };
    const chat = fromAnthropicRequest(sent);
    assert.ok(chat);
    assert.deepEqual(
      chat.messages.map((m) => m.role),
      ['system', 'user', 'assistant', 'tool'],
    );
    assert.equal(chat.user, 'u-9');
    const back = toAnthropicRequest(chat, 'claude-x', false);
    assert.deepEqual(back, {
      ...sent,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 't1', name: 'weather', input: { city: 'Paris' } }],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'sunny' }] },
      ],
    });
  });

  it('record mode writes a Messages request as a chat-shaped scenario line that validates', async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'anthropic.jsonl');
    const baseline = await startSim(t, profile('steady'), 21);
    const proxy = await startTestProxy(t, anthropicConfig(baseline.url, baseline.url), {
      mode: 'record',
      record: { path: file, sample: 1, redactPatterns: [] },
    });
    let streamed = '';
    const stream = await anthropicClient(proxy.url).messages.create({ ...MESSAGE, stream: true });
    for await (const e of stream)
      if (e.type === 'content_block_delta' && e.delta.type === 'text_delta') streamed += e.delta.text;
    await proxy.close();
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 1);
    const parsed = parseScenarioLine(lines[0]!, 1);
    assert.ok(parsed.ok, JSON.stringify(parsed));
    assert.deepEqual(
      parsed.prompt.request.messages.map((m) => [m.role, m.content]),
      [
        ['system', 'You are terse.'],
        ['user', 'Where is my parcel?'],
      ],
    );
    const response = parsed.prompt.recordedResponse as { choices: { message: { content: string } }[] };
    assert.equal(response.choices[0]!.message.content, streamed);
  });
});
