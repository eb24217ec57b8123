import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { BufferSink, type CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/run-cli.js';

function io(): CliIo & { stdout: BufferSink; stderr: BufferSink } {
  return { stdout: new BufferSink(), stderr: new BufferSink(), env: {}, cwd: process.cwd() };
}

describe('shadowgate scenario', () => {
  it('validate: the sample is valid (exit 0)', async () => {
    const out = io();
    const code = await runCli(['scenario', 'validate', 'scenarios/sample.jsonl'], out);
    assert.equal(code, 0, out.stderr.text);
    assert.match(out.stdout.text, /scenarios\/sample\.jsonl: \d+ prompts, all valid/);
  });

  it('validate: lists FILE:LINE problems and exits 2', async () => {
    const out = io();
    const code = await runCli(['scenario', 'validate', 'scenarios/bad-example.jsonl'], out);
    assert.equal(code, 2);
    const problems = out.stdout.text
      .split('\n')
      .filter((l) => /^scenarios\/bad-example\.jsonl:\d+: /.test(l));
    assert.ok(problems.length >= 5, out.stdout.text);
    assert.ok(problems.some((l) => l.startsWith('scenarios/bad-example.jsonl:4: duplicate id')));
  });

  it('validate --json prints one object', async () => {
    const out = io();
    const code = await runCli(['scenario', 'validate', 'scenarios/bad-example.jsonl', '--json'], out);
    assert.equal(code, 2);
    const result = JSON.parse(out.stdout.text);
    assert.equal(result.valid, 2);
    assert.equal(result.invalid, result.problems.length);
    assert.match(result.sha256, /^[0-9a-f]{64}$/);
  });

  it('stats: counts by model, form and language; --json agrees with the text', async () => {
    const json = io();
    assert.equal(await runCli(['scenario', 'stats', 'scenarios/sample.jsonl', '--json'], json), 0);
    const { stats } = JSON.parse(json.stdout.text);
    assert.ok(stats.prompts >= 300 && stats.prompts <= 400);
    for (const form of ['batch', 'plain', 'recorded']) assert.ok(stats.byForm[form] > 0, form);
    for (const lang of ['en', 'vi', 'zh', 'ja', 'ko']) assert.ok(stats.byLanguage[lang] > 0, lang);
    assert.ok(Object.keys(stats.byModel).length >= 2);
    assert.ok(stats.withTools > 0 && stats.withResponseFormat > 0 && stats.withRecordedResponse > 0);
    assert.ok(stats.timeSpan.spanMs > 12 * 3_600_000);
    const text = io();
    assert.equal(await runCli(['scenario', 'stats', 'scenarios/sample.jsonl'], text), 0);
    assert.match(text.stdout.text, new RegExp(`prompts\\s+${stats.prompts}\\b`));
    assert.match(text.stdout.text, /gpt-4\.1-mini/);
  });

  it('a missing file exits 2 with one line', async () => {
    const out = io();
    assert.equal(await runCli(['scenario', 'stats', 'nope.jsonl'], out), 2);
    assert.equal(out.stderr.text.trim().split('\n').length, 1);
    assert.match(out.stderr.text, /scenario file not found: .*nope\.jsonl/);
  });

  it('the built command exits 2 on an invalid scenario', () => {
    const child = spawnSync(
      process.execPath,
      ['dist/src/cli/main.js', 'scenario', 'validate', 'scenarios/bad-example.jsonl'],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(child.status, 2);
    assert.match(child.stdout, /bad-example\.jsonl:2: no model/);
    assert.doesNotMatch(child.stderr, /at .*\.js:\d+/); // no stack trace
  });
});
