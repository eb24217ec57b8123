import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OpenAIStreamAccumulator } from '../../src/providers/openai-chat.js';
import { type SseEvent, SseParser } from '../../src/providers/sse-parser.js';
import { seededRng } from '../../src/shared/clock.js';

function parseAll(chunks: (Uint8Array | string)[]): { events: SseEvent[]; truncated: boolean } {
  const events: SseEvent[] = [];
  const parser = new SseParser((e) => events.push(e));
  for (const c of chunks) parser.push(c);
  const truncated = parser.end();
  return { events, truncated };
}

/** Splits bytes at random cut points (seeded), including single-byte pieces. */
function randomSplit(bytes: Uint8Array, seed: number): Uint8Array[] {
  const rng = seededRng(seed);
  const out: Uint8Array[] = [];
  let i = 0;
  while (i < bytes.length) {
    const n = 1 + Math.floor(rng() * 7);
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  return out;
}

const STREAM = [
  ': a comment line',
  'event: message_start',
  'data: {"type":"message_start","text":"héllo 🌍 — 日本"}',
  '',
  'data: line one',
  'data: line two',
  'data:no-space',
  '',
  'id: 7',
  'event: ping',
  'data',
  '',
  'retry: 1000',
  'data: [DONE]',
  '',
];

const EXPECTED: SseEvent[] = [
  { event: 'message_start', data: '{"type":"message_start","text":"héllo 🌍 — 日本"}', id: null },
  { event: 'message', data: 'line one\nline two\nno-space', id: null },
  { event: 'ping', data: '', id: '7' },
  { event: 'message', data: '[DONE]', id: '7' },
];

describe('SseParser', () => {
  for (const [name, eol] of [
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ] as const) {
    it(`parses ${name} line endings in one chunk`, () => {
      assert.deepEqual(parseAll([STREAM.join(eol)]).events, EXPECTED);
    });

    it(`parses ${name} line endings split at every byte boundary`, () => {
      const bytes = new TextEncoder().encode(STREAM.join(eol));
      const oneByteChunks = Array.from(bytes, (b) => Uint8Array.of(b));
      assert.deepEqual(parseAll(oneByteChunks).events, EXPECTED);
      for (let seed = 1; seed <= 20; seed++) {
        assert.deepEqual(parseAll(randomSplit(bytes, seed)).events, EXPECTED, `seed ${seed}`);
      }
    });
  }

  it('keeps a CRLF split between chunks as one line ending', () => {
    const { events } = parseAll(['data: a\r', '\ndata: b\r', '\n\r', '\n']);
    assert.deepEqual(
      events.map((e) => e.data),
      ['a\nb'],
    );
  });

  it('reassembles a multi-byte character split across chunks', () => {
    const bytes = new TextEncoder().encode('data: 🌍\n\n');
    // The emoji is 4 bytes starting at offset 6: cut inside it.
    const { events } = parseAll([bytes.subarray(0, 8), bytes.subarray(8)]);
    assert.equal(events[0]?.data, '🌍');
  });

  it('dispatches a complete last event without its blank line, drops a truncated one', () => {
    const complete = parseAll(['data: [DONE]\n']);
    assert.deepEqual(
      complete.events.map((e) => e.data),
      ['[DONE]'],
    );
    assert.equal(complete.truncated, false);
    const cut = parseAll(['data: {"a":1}\n\ndata: {"cho']);
    assert.deepEqual(
      cut.events.map((e) => e.data),
      ['{"a":1}'],
    );
    assert.equal(cut.truncated, true);
  });

  it('ignores events with no data and strips only one leading space', () => {
    const { events } = parseAll(['event: x\n\ndata:  two spaces\n\n']);
    assert.deepEqual(events, [{ event: 'message', data: ' two spaces', id: null }]);
  });
});

describe('OpenAIStreamAccumulator over a split stream', () => {
  it('rebuilds content, tool calls, finish reason and usage from the last chunk', () => {
    const chunks = [
      {
        model: 'gpt-x',
        system_fingerprint: 'fp',
        choices: [{ index: 0, delta: { role: 'assistant', content: '' } }],
      },
      { choices: [{ index: 0, delta: { content: 'Bon' } }] },
      { choices: [{ index: 0, delta: { reasoning_content: 'thinking' } }] },
      { choices: [{ index: 0, delta: { content: 'jour 日本' } }] },
      {
        choices: [
          {
            index: 0,
            delta: {
              tool_calls: [
                { index: 0, id: 'a', type: 'function', function: { name: 'f', arguments: '{"x"' } },
              ],
            },
          },
        ],
      },
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: ':1}' } }] } }] },
      { choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] },
      {
        choices: [],
        usage: { prompt_tokens: 5, completion_tokens: 7, completion_tokens_details: { reasoning_tokens: 2 } },
      },
    ];
    const text = chunks.map((c) => `data: ${JSON.stringify(c)}\r\n\r\n`).join('') + 'data: [DONE]\r\n\r\n';
    const bytes = new TextEncoder().encode(text);
    for (let seed = 1; seed <= 5; seed++) {
      const acc = new OpenAIStreamAccumulator();
      const outputs: boolean[] = [];
      const parser = new SseParser((e) => outputs.push(acc.onEvent(e)));
      for (const c of randomSplit(bytes, seed)) parser.push(c);
      parser.end();
      assert.equal(acc.done, true);
      // role-only and finish/usage chunks carry no output; reasoning and tool deltas do.
      assert.deepEqual(outputs, [false, true, true, true, true, true, false, false, false]);
      const r = acc.result();
      assert.equal(r.text, 'Bonjour 日本');
      assert.deepEqual(r.toolCalls, [{ name: 'f', arguments: '{"x":1}' }]);
      assert.equal(r.finishReason, 'tool_calls');
      assert.equal(r.responseModel, 'gpt-x');
      assert.equal(r.systemFingerprint, 'fp');
      assert.deepEqual(r.usage, {
        inputTokens: 5,
        cachedTokens: 0,
        cacheWriteTokens: 0,
        outputTokens: 7,
        reasoningTokens: 2,
      });
    }
  });
});
