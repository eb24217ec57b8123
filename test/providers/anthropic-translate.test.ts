import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_ANTHROPIC_MAX_TOKENS,
  fromAnthropicMessage,
  mapAnthropicStopReason,
  toAnthropicRequest,
} from '../../src/providers/anthropic-translate.js';
import type { ChatRequest } from '../../src/providers/types.js';

const toolRequest: ChatRequest = {
  model: 'gpt-4o',
  messages: [
    { role: 'system', content: 'You are a travel agent.' },
    { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
    { role: 'user', content: 'Weather in Oslo and Rome?' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } },
        { id: 'call_2', type: 'function', function: { name: 'weather', arguments: '{"city":"Rome"}' } },
      ],
    },
    { role: 'tool', tool_call_id: 'call_1', content: '-3C' },
    { role: 'tool', tool_call_id: 'call_2', content: '18C' },
    { role: 'user', content: 'And tomorrow?' },
  ],
  max_completion_tokens: 200,
  temperature: 0.2,
  top_p: 0.9,
  stop: 'END',
  tools: [
    {
      type: 'function',
      function: {
        name: 'weather',
        description: 'Current weather',
        parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      },
    },
  ],
  tool_choice: 'required',
  response_format: { type: 'json_object' },
  seed: 7,
};

describe('toAnthropicRequest', () => {
  it('moves system and developer messages to `system` and keeps the turn order', () => {
    const body = toAnthropicRequest(toolRequest, 'claude-x', false);
    assert.equal(body.model, 'claude-x');
    assert.equal(body.system, 'You are a travel agent.\n\nAnswer in French.');
    assert.deepEqual(body.messages, [
      { role: 'user', content: [{ type: 'text', text: 'Weather in Oslo and Rome?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'call_1', name: 'weather', input: { city: 'Oslo' } },
          { type: 'tool_use', id: 'call_2', name: 'weather', input: { city: 'Rome' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_1', content: '-3C' },
          { type: 'tool_result', tool_use_id: 'call_2', content: '18C' },
          { type: 'text', text: 'And tomorrow?' },
        ],
      },
    ]);
  });

  it('translates parameters, tools and tool_choice; drops what Anthropic lacks', () => {
    const body = toAnthropicRequest(toolRequest, 'claude-x', true);
    assert.equal(body.max_tokens, 200);
    assert.deepEqual(body.stop_sequences, ['END']);
    assert.equal(body.temperature, 0.2);
    assert.equal(body.top_p, 0.9);
    assert.equal(body.stream, true);
    assert.deepEqual(body.tools, [
      {
        name: 'weather',
        description: 'Current weather',
        input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      },
    ]);
    assert.deepEqual(body.tool_choice, { type: 'any' });
    assert.equal(body.response_format, undefined);
    assert.equal(body.seed, undefined);
    assert.equal(body.max_completion_tokens, undefined);
  });

  it('defaults max_tokens, prefers max_tokens, and maps every tool_choice form', () => {
    const base: ChatRequest = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
    assert.equal(toAnthropicRequest(base, 'c', false).max_tokens, DEFAULT_ANTHROPIC_MAX_TOKENS);
    assert.equal(
      toAnthropicRequest({ ...base, max_tokens: 5, max_completion_tokens: 9 }, 'c', false).max_tokens,
      5,
    );
    assert.equal(toAnthropicRequest(base, 'c', false).system, undefined);
    assert.equal(toAnthropicRequest(base, 'c', false).stream, undefined);
    const tools = toolRequest.tools;
    const choice = (tool_choice: unknown, extra: Record<string, unknown> = {}) =>
      toAnthropicRequest({ ...base, tools, tool_choice, ...extra }, 'c', false).tool_choice;
    assert.deepEqual(choice('auto'), { type: 'auto' });
    assert.deepEqual(choice('none'), { type: 'none' });
    assert.deepEqual(choice({ type: 'function', function: { name: 'weather' } }), {
      type: 'tool',
      name: 'weather',
    });
    assert.deepEqual(choice(undefined, { parallel_tool_calls: false }), {
      type: 'auto',
      disable_parallel_tool_use: true,
    });
    assert.deepEqual(toAnthropicRequest({ ...base, stop: ['a', 'b'] }, 'c', false).stop_sequences, [
      'a',
      'b',
    ]);
  });

  it('translates image parts and keeps unparsable tool arguments', () => {
    const body = toAnthropicRequest(
      {
        model: 'm',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is this?' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
              { type: 'image_url', image_url: { url: 'https://example.com/x.jpg' } },
            ],
          },
          {
            role: 'assistant',
            content: 'Calling',
            tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{broken' } }],
          },
        ],
      },
      'c',
      false,
    );
    const [user, assistant] = body.messages as { content: Record<string, unknown>[] }[];
    assert.deepEqual(user!.content[1], {
      type: 'image',
      source: { type: 'base64', media_type: 'image/png', data: 'AAAA' },
    });
    assert.deepEqual(user!.content[2], {
      type: 'image',
      source: { type: 'url', url: 'https://example.com/x.jpg' },
    });
    assert.deepEqual(assistant!.content, [
      { type: 'text', text: 'Calling' },
      { type: 'tool_use', id: 'c', name: 'f', input: { _raw_arguments: '{broken' } },
    ]);
  });
});

describe('fromAnthropicMessage', () => {
  it('normalises text, tool calls, stop reason and inclusive usage', () => {
    const r = fromAnthropicMessage({
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [
        { type: 'thinking', thinking: 'hmm' },
        { type: 'text', text: 'Let me check. ' },
        { type: 'text', text: 'One moment.' },
        { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Oslo' } },
      ],
      stop_reason: 'tool_use',
      usage: {
        input_tokens: 10,
        cache_read_input_tokens: 90,
        cache_creation_input_tokens: 5,
        output_tokens: 30,
      },
    });
    assert.equal(r.text, 'Let me check. One moment.');
    assert.deepEqual(r.toolCalls, [{ name: 'weather', arguments: '{"city":"Oslo"}' }]);
    assert.deepEqual(JSON.parse(r.toolCalls[0]!.arguments), { city: 'Oslo' });
    assert.equal(r.finishReason, 'tool_calls');
    assert.equal(r.responseModel, 'claude-sonnet-4-5');
    assert.deepEqual(r.usage, {
      inputTokens: 105,
      cachedTokens: 90,
      cacheWriteTokens: 5,
      outputTokens: 30,
      reasoningTokens: 0,
    });
  });

  it('maps every stop reason to OpenAI vocabulary', () => {
    assert.equal(mapAnthropicStopReason('end_turn'), 'stop');
    assert.equal(mapAnthropicStopReason('stop_sequence'), 'stop');
    assert.equal(mapAnthropicStopReason('max_tokens'), 'length');
    assert.equal(mapAnthropicStopReason('tool_use'), 'tool_calls');
    assert.equal(mapAnthropicStopReason('pause_turn'), 'pause_turn');
    assert.equal(mapAnthropicStopReason(null), null);
  });

  it('reports missing usage as null, so the client estimates', () => {
    assert.equal(fromAnthropicMessage({ content: [], stop_reason: 'end_turn' }).usage, null);
  });

  it('round-trips a tool call: OpenAI request -> Anthropic -> normalised answer', () => {
    const body = toAnthropicRequest(toolRequest, 'c', false);
    const assistant = (body.messages as { role: string; content: Record<string, unknown>[] }[])[1]!;
    const back = fromAnthropicMessage({ content: assistant.content, stop_reason: 'tool_use' });
    assert.deepEqual(
      back.toolCalls.map((c) => ({ name: c.name, args: JSON.parse(c.arguments) })),
      toolRequest.messages[3]!.tool_calls!.map((c) => ({
        name: c.function.name,
        args: JSON.parse(c.function.arguments),
      })),
    );
  });
});
