import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { readScenario, validateScenario } from '../../src/scenario/read-scenario.js';
import { isUsageError } from '../../src/shared/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'sg-scenario-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, lines: (string | object)[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n')}\n`);
  return path;
}

const user = (content: string) => [{ role: 'user', content }];

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('readScenario', () => {
  it('reads the three forms into the same prompt shape', async () => {
    const path = file('forms.jsonl', [
      {
        custom_id: 'b-1',
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'gpt-4.1', messages: user('hi'), max_tokens: 9 },
      },
      {
        id: 'p-1',
        model: 'gpt-4.1-mini',
        messages: user('hello'),
        temperature: 0.5,
        metadata: { team: 'x' },
      },
      {
        model: 'gpt-4.1',
        messages: user('recorded'),
        timestamp: '2025-06-02T10:00:00Z',
        response: { choices: [] },
      },
      { id: 'r-2', model: 'gpt-4.1', messages: user('epoch'), timestamp: 1748858400000 },
    ]);
    const prompts = await collect(readScenario(path));
    assert.deepEqual(
      prompts.map((p) => [p.id, p.line, p.form]),
      [
        ['b-1', 1, 'batch'],
        ['p-1', 2, 'plain'],
        ['line-3', 3, 'recorded'],
        ['r-2', 4, 'recorded'],
      ],
    );
    assert.deepEqual(prompts[0]!.request, { model: 'gpt-4.1', messages: user('hi'), max_tokens: 9 });
    // Scenario-only keys never leak into the request that is sent.
    assert.deepEqual(prompts[1]!.request, {
      model: 'gpt-4.1-mini',
      messages: user('hello'),
      temperature: 0.5,
    });
    assert.deepEqual(prompts[1]!.metadata, { team: 'x' });
    assert.equal(prompts[2]!.timestampMs, Date.UTC(2025, 5, 2, 10));
    assert.deepEqual(prompts[2]!.recordedResponse, { choices: [] });
    assert.equal(prompts[2]!.request['response'], undefined);
    assert.equal(prompts[3]!.timestampMs, 1748858400000);
    assert.equal(prompts[0]!.timestampMs, null);
  });

  it('skips blank lines, CRLF endings and a BOM', async () => {
    const path = join(dir, 'crlf.jsonl');
    const line = JSON.stringify({ id: 'a', model: 'm', messages: user('x') });
    writeFileSync(
      path,
      `\ufeff${line}\r\n\r\n${JSON.stringify({ id: 'b', model: 'm', messages: user('y') })}`,
    );
    const prompts = await collect(readScenario(path));
    assert.deepEqual(
      prompts.map((p) => [p.id, p.line]),
      [
        ['a', 1],
        ['b', 3],
      ],
    );
  });

  it('throws a ScenarioError at the first invalid line unless skipInvalid', async () => {
    const path = file('one-bad.jsonl', [
      { id: 'a', model: 'm', messages: user('x') },
      '{nope',
      { id: 'c', model: 'm', messages: user('z') },
    ]);
    await assert.rejects(collect(readScenario(path)), (err: unknown) => {
      assert.ok(isUsageError(err));
      assert.equal(err.exitCode, 2);
      assert.match(
        err.problems[0]!,
        new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: bad JSON`),
      );
      return true;
    });
    const skipped = await collect(readScenario(path, { skipInvalid: true }));
    assert.deepEqual(
      skipped.map((p) => p.id),
      ['a', 'c'],
    );
  });

  it('knownDuplicateFree skips only the duplicate-id check; other problems still stop it', async () => {
    const dup = file('dup.jsonl', [
      { id: 'a', model: 'm', messages: user('x') },
      { id: 'a', model: 'm', messages: user('y') },
    ]);
    await assert.rejects(collect(readScenario(dup)), /duplicate id "a"/);
    const trusted = await collect(readScenario(dup, { knownDuplicateFree: true }));
    assert.deepEqual(
      trusted.map((p) => p.id),
      ['a', 'a'],
    );
    const bad = file('bad-trusted.jsonl', [{ id: 'a', model: 'm', messages: user('x') }, '{nope']);
    await assert.rejects(collect(readScenario(bad, { knownDuplicateFree: true })), /:2: bad JSON/);
  });

  it('a missing file is a usage error naming it', async () => {
    await assert.rejects(
      collect(readScenario(join(dir, 'missing.jsonl'))),
      /scenario file not found: .*missing\.jsonl/,
    );
  });
});

describe('validateScenario', () => {
  it('counts the valid prompts `select` keeps in the same pass (invalid and duplicate lines never count)', async () => {
    const path = file('select.jsonl', [
      { id: 'a1', model: 'm', messages: user('x') },
      { id: 'b1', model: 'm', messages: user('x') },
      '{"id": "a2", "model":',
      { id: 'a1', model: 'm', messages: user('duplicate') },
      { id: 'a3', model: 'm', messages: user('x') },
    ]);
    const v = await validateScenario(path, { select: (id) => id.startsWith('a') });
    assert.equal(v.valid, 3);
    assert.equal(v.selected, 2);
    assert.equal((await validateScenario(path)).selected, 3);
  });

  it('reports every kind of problem as FILE:LINE', async () => {
    const path = file('bad.jsonl', [
      { id: 'ok', model: 'm', messages: user('fine') },
      '{"id": "x", "model":',
      '[1, 2]',
      { id: 'nm', messages: user('x') },
      { id: 'nmsg', model: 'm' },
      { id: 'empty', model: 'm', messages: [] },
      { id: 'role', model: 'm', messages: [{ role: 'robot', content: 'x' }] },
      { id: 'ok', model: 'm', messages: user('again') },
      { id: 'ts', model: 'm', messages: user('x'), timestamp: 'yesterday' },
      { id: 'secs', model: 'm', messages: user('x'), timestamp: 1717286400 },
      { custom_id: 'b', method: 'GET', url: '/v1/embeddings', body: { model: 'm', messages: user('x') } },
      { custom_id: 'c', method: 'POST', url: '/v1/chat/completions', body: 'text' },
      { id: 'tool', model: 'm', messages: [{ role: 'tool', content: '{}' }] },
      { id: 'mt', model: 'm', messages: user('x'), max_tokens: -1 },
      { id: 'nocontent', model: 'm', messages: [{ role: 'user' }] },
      { id: 'meta', model: 'm', messages: user('x'), metadata: 'tag' },
    ]);
    const v = await validateScenario(path, { displayPath: 'bad.jsonl' });
    assert.equal(v.valid, 1);
    assert.equal(v.invalid, 15);
    const expected: [number, RegExp][] = [
      [2, /bad JSON/],
      [3, /not a JSON object/],
      [4, /no model/],
      [5, /no messages/],
      [6, /messages is empty/],
      [7, /unknown role "robot"/],
      [8, /duplicate id "ok" \(first on line 1\)/],
      [9, /bad timestamp "yesterday"/],
      [10, /epoch seconds/],
      [11, /method must be "POST".*url must be "\/v1\/chat\/completions"/],
      [12, /body must be a JSON object/],
      [13, /tool_call_id/],
      [14, /max_tokens must be an integer >= 1/],
      [15, /has no content/],
      [16, /metadata must be a JSON object/],
    ];
    assert.equal(v.problems.length, expected.length);
    expected.forEach(([line, re], i) => {
      assert.ok(v.problems[i]!.startsWith(`bad.jsonl:${line}: `), v.problems[i]);
      assert.match(v.problems[i]!, re);
    });
  });

  it('caps the problems listed but counts them all', async () => {
    const path = file(
      'garbage.jsonl',
      Array.from({ length: 250 }, (_, i) => `garbage ${i}`),
    );
    const v = await validateScenario(path, { maxProblems: 10 });
    assert.equal(v.invalid, 250);
    assert.equal(v.problems.length, 10);
    assert.equal(v.omittedProblems, 240);
  });

  it('hashes the file bytes and computes stats over the valid lines', async () => {
    const path = file('stats.jsonl', [
      {
        id: 'a',
        model: 'gpt-4.1',
        messages: [{ role: 'system', content: 's' }, ...user('Hello there')],
        max_tokens: 100,
      },
      {
        id: 'b',
        model: 'gpt-4.1-mini',
        messages: user('こんにちは、元気ですか'),
        timestamp: '2025-06-02T08:00:00Z',
      },
      {
        id: 'c',
        model: 'gpt-4.1',
        messages: user('안녕하세요'),
        timestamp: '2025-06-02T10:30:00Z',
        tools: [{}],
      },
      {
        id: 'd',
        model: 'gpt-4.1',
        messages: user('Xin chào, bạn khỏe không?'),
        response_format: { type: 'json_object' },
      },
      { id: 'e', model: 'gpt-4.1', messages: user('你好，请帮我总结一下'), max_completion_tokens: 50 },
      'not json',
    ]);
    const v = await validateScenario(path);
    assert.equal(v.sha256, createHash('sha256').update(readFileSync(path)).digest('hex'));
    const s = v.stats;
    assert.equal(s.prompts, 5);
    assert.deepEqual(s.byModel, { 'gpt-4.1': 4, 'gpt-4.1-mini': 1 });
    assert.deepEqual(s.byForm, { batch: 0, plain: 3, recorded: 2 });
    assert.deepEqual(s.byLanguage, { en: 1, vi: 1, zh: 1, ja: 1, ko: 1, other: 0 });
    assert.equal(s.maxOutputTokens, 150);
    assert.equal(s.promptsWithoutMaxTokens, 3);
    assert.equal(s.withTools, 1);
    assert.equal(s.withResponseFormat, 1);
    assert.equal(s.withSystemPrompt, 1);
    assert.deepEqual(s.timeSpan, {
      first: '2025-06-02T08:00:00.000Z',
      last: '2025-06-02T10:30:00.000Z',
      spanMs: 2.5 * 3_600_000,
      withTimestamp: 2,
    });
    assert.ok(s.estimatedInputTokens > 0);
  });

  it('streams a 200k-line file in bounded memory', async () => {
    const path = join(dir, 'big.jsonl');
    const out = createWriteStream(path);
    const n = 200_000;
    for (let i = 0; i < n; i += 10_000) {
      let block = '';
      for (let j = i; j < i + 10_000; j++) {
        block += `{"id":"p-${j}","model":"gpt-4.1","messages":[{"role":"user","content":"Question number ${j}: what is ${j} squared?"}],"max_tokens":64}\n`;
      }
      if (!out.write(block)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
    await new Promise<void>((r) => out.end(() => r()));
    // What the reader retains, not garbage it has yet to collect: measure after a forced GC.
    const gc = exposedGc();
    gc();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    let count = 0;
    for await (const _ of readScenario(path)) {
      if (++count % 20_000 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed);
      }
    }
    assert.equal(count, n);
    // The file is ~24 MB; holding it (or its parsed lines) would grow the heap by far more than this.
    assert.ok(peak - before < 40 * 1024 * 1024, `heap grew by ${Math.round((peak - before) / 1e6)} MB`);
  });
});

/** The V8 collector, without needing `node --expose-gc` on the command line. */
function exposedGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
