import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { AnthropicStreamAccumulator } from '../../src/providers/anthropic-messages.js';
import { OpenAIStreamAccumulator } from '../../src/providers/openai-chat.js';
import { readEventStream, type StreamProgress } from '../../src/providers/read-event-stream.js';
import { FakeClock } from '../../src/shared/clock.js';

/** A body that yields each chunk after advancing the fake clock by its delay. */
async function* paced(clock: FakeClock, chunks: [delayMs: number, text: string][]): AsyncGenerator<string> {
  for (const [delayMs, text] of chunks) {
    await clock.advance(delayMs);
    yield text;
  }
}

const data = (v: unknown) => `data: ${JSON.stringify(v)}\n\n`;
const delta = (d: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  data({ choices: [{ index: 0, delta: d, ...extra }] });

function freshProgress(): StreamProgress {
  return { bodyStarted: false, ttftMs: null, endMs: null };
}

describe('readEventStream timing (fake clock)', () => {
  it('first token is the first content chunk, end the last; role and usage chunks do not count', async () => {
    const clock = new FakeClock(1000);
    const t0 = clock.monotonic();
    const progress = freshProgress();
    const result = await readEventStream(
      paced(clock, [
        [50, delta({ role: 'assistant', content: '' })],
        [150, delta({ content: 'Hel' })],
        [20, delta({ content: 'lo' })],
        // One event split across two chunks: it counts when its second half arrives.
        [20, 'data: {"choices":[{"index":0,"delta":{"con'],
        [15, 'tent":"!"}}]}\n\n'],
        [30, delta({}, { finish_reason: 'stop' })],
        [10, data({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 3 } })],
        [5, 'data: [DONE]\n\n'],
      ]),
      new OpenAIStreamAccumulator(),
      () => clock.monotonic(),
      t0,
      progress,
    );
    assert.equal(result.complete, true);
    assert.equal(result.answer.text, 'Hello!');
    assert.equal(progress.ttftMs, 200);
    assert.equal(progress.endMs, 255);
    assert.equal(progress.bodyStarted, true);
  });

  it('a reasoning delta or a tool-call delta is a first token', async () => {
    for (const first of [
      delta({ reasoning_content: 'hmm' }),
      delta({ tool_calls: [{ index: 0, id: 'a', function: { name: 'f', arguments: '' } }] }),
    ]) {
      const clock = new FakeClock();
      const progress = freshProgress();
      await readEventStream(
        paced(clock, [
          [40, first],
          [60, delta({ content: 'x' })],
          [1, 'data: [DONE]\n\n'],
        ]),
        new OpenAIStreamAccumulator(),
        () => clock.monotonic(),
        0,
        progress,
      );
      assert.equal(progress.ttftMs, 40);
      assert.equal(progress.endMs, 100);
    }
  });

  it('times Anthropic events: content_block_start of a tool counts, ping and message_delta do not', async () => {
    const clock = new FakeClock();
    const progress = freshProgress();
    const ev = (type: string, v: Record<string, unknown>) => `event: ${type}\r\n${data({ type, ...v })}`;
    const result = await readEventStream(
      paced(clock, [
        [10, ev('message_start', { message: { model: 'c', usage: { input_tokens: 4, output_tokens: 1 } } })],
        [10, ev('ping', {})],
        [
          30,
          ev('content_block_start', { index: 0, content_block: { type: 'tool_use', name: 't', input: {} } }),
        ],
        [
          25,
          ev('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: '{}' } }),
        ],
        [40, ev('message_delta', { delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 9 } })],
        [5, ev('message_stop', {})],
      ]),
      new AnthropicStreamAccumulator(),
      () => clock.monotonic(),
      0,
      progress,
    );
    assert.equal(progress.ttftMs, 50);
    assert.equal(progress.endMs, 75);
    assert.equal(result.complete, true);
    assert.equal(result.answer.usage?.outputTokens, 9);
    assert.equal(result.answer.finishReason, 'tool_calls');
  });

  it('reports an incomplete stream instead of guessing', async () => {
    const clock = new FakeClock();
    const progress = freshProgress();
    const result = await readEventStream(
      paced(clock, [[5, delta({ content: 'partial' })]]),
      new OpenAIStreamAccumulator(),
      () => clock.monotonic(),
      0,
      progress,
    );
    assert.equal(result.complete, false);
    assert.equal(progress.ttftMs, 5);
  });
});

describe('readEventStream on a Node stream (the path undici bodies take)', () => {
  const chunks = [delta({ role: 'assistant', content: '' }), delta({ content: 'Hi' }), 'data: [DONE]\n\n'];

  it('reads a Readable through its data events and times each event as its chunk arrives', async () => {
    const clock = new FakeClock(1000);
    const body = new PassThrough();
    const progress = freshProgress();
    const reading = readEventStream(
      body,
      new OpenAIStreamAccumulator(),
      () => clock.monotonic(),
      1000,
      progress,
    );
    body.write(chunks[0]);
    await clock.advance(40);
    body.write(chunks[1]);
    await clock.advance(5);
    body.end(chunks[2]);
    const result = await reading;
    assert.equal(result.answer.text, 'Hi');
    assert.equal(result.complete, true);
    assert.equal(progress.ttftMs, 40);
    assert.equal(progress.bodyStarted, true);
  });

  it('rejects with the stream error, and with the parser error (destroying the stream)', async () => {
    const broken = new PassThrough();
    const reading = readEventStream(broken, new OpenAIStreamAccumulator(), () => 0, 0, freshProgress());
    broken.write(chunks[1]);
    broken.destroy(Object.assign(new Error('socket hang up'), { code: 'UND_ERR_SOCKET' }));
    await assert.rejects(reading, /socket hang up/);

    const bad = new PassThrough();
    const parsing = readEventStream(bad, new OpenAIStreamAccumulator(), () => 0, 0, freshProgress());
    bad.write('data: {not json}\n\n');
    await assert.rejects(parsing, (e: Error) => e.name !== 'Error' || /json|JSON|invalid/i.test(e.message));
    assert.equal(bad.destroyed, true);
  });

  it('rejects a stream closed before its end as a premature close', async () => {
    const body = new PassThrough();
    const reading = readEventStream(body, new OpenAIStreamAccumulator(), () => 0, 0, freshProgress());
    body.write(chunks[1]);
    body.destroy();
    await assert.rejects(reading, (e: Error & { code?: string }) => e.code === 'ERR_STREAM_PREMATURE_CLOSE');
  });
});
