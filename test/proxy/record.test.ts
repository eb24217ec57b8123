/**
 * Record mode: served requests become recorded-traffic scenario lines that
 * `scenario validate` accepts and `run` replays; redaction and sampling apply.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BufferSink } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/run-cli.js';
import { compileRedactPatterns } from '../../src/proxy/recorder.js';
import { parseScenarioLine } from '../../src/scenario/scenario-line.js';
import {
  openDb,
  profile,
  simConfig,
  simConfigInput,
  startSim,
  tempDir,
  writeConfig,
} from '../helpers/shadow-fixtures.js';
import { CHAT, openaiClient, startTestProxy } from './proxy-fixtures.js';

async function cli(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = { stdout: new BufferSink(), stderr: new BufferSink(), env: {}, cwd };
  const code = await runCli(args, io);
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}

describe('proxy record mode', () => {
  it('writes lines that scenario validate accepts and run replays, with redaction applied', async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'traffic.jsonl');
    const baseline = await startSim(t, profile('steady'), 11);
    const candidate = await startSim(t, profile('steady'), 11);
    const proxy = await startTestProxy(t, simConfig(baseline.url, candidate.url), {
      mode: 'record',
      record: { path: file, sample: 1, redactPatterns: compileRedactPatterns(['[\\w.+-]+@[\\w-]+\\.\\w+']) },
    });
    const client = openaiClient(`${proxy.url}/v1`);
    const streamed = {
      ...CHAT,
      messages: [{ role: 'user' as const, content: 'Mail me at jane.doe@example.com please' }],
    };
    let streamedText = '';
    for await (const c of await client.chat.completions.create({ ...streamed, stream: true }))
      streamedText += c.choices[0]?.delta?.content ?? '';
    const whole = await client.chat.completions.create({ ...CHAT, metadata: { user_id: 'u-1' } });
    await client.chat.completions.create({ ...CHAT, messages: [{ role: 'user', content: 'third' }] });
    await proxy.close();

    const text = readFileSync(file, 'utf8');
    assert.ok(!text.includes('jane.doe@example.com'), 'the address was redacted');
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    const parsed = lines.map((l, i) => parseScenarioLine(l, i + 1));
    for (const p of parsed) assert.ok(p.ok, JSON.stringify(p));
    const prompts = parsed.map((p) => (p.ok ? p.prompt : null)!);
    assert.ok(prompts.every((p) => p.form === 'recorded' && p.timestampMs !== null));
    assert.equal(prompts[0]!.request.messages[0]!.content, 'Mail me at [redacted] please');
    const rebuilt = prompts[0]!.recordedResponse as { choices: { message: { content: string } }[] };
    assert.equal(rebuilt.choices[0]!.message.content, streamedText, 'the stream, rebuilt');
    assert.deepEqual(prompts[1]!.recordedResponse, JSON.parse(JSON.stringify(whole)));
    assert.deepEqual(prompts[1]!.metadata, { user_id: 'u-1' });

    const validate = await cli(['scenario', 'validate', file], dir);
    assert.equal(validate.code, 0, validate.stdout + validate.stderr);
    writeConfig(join(dir, 'exp.json'), simConfigInput(baseline.url, candidate.url));
    const run = await cli(
      ['run', '--config', 'exp.json', '--scenario', file, '--db', 'replay.db', '--json'],
      dir,
    );
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as { run_id: string; prompts: number };
    assert.equal(summary.prompts, 3);
    const db = openDb(t, join(dir, 'replay.db'));
    const ids = db
      .prepare('SELECT prompt_id FROM prompts WHERE run_id = ? ORDER BY seq')
      .pluck()
      .all(summary.run_id);
    assert.deepEqual(
      ids,
      prompts.map((p) => p.id),
    );
  });

  it('records a sampled share only, and still answers every request', async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'sampled.jsonl');
    const baseline = await startSim(t, profile('steady'), 11);
    const proxy = await startTestProxy(t, simConfig(baseline.url, baseline.url), {
      mode: 'record',
      record: { path: file, sample: 0.3, redactPatterns: [] },
    });
    const client = openaiClient(`${proxy.url}/v1`);
    for (let i = 0; i < 40; i++) {
      const a = await client.chat.completions.create({
        ...CHAT,
        messages: [{ role: 'user', content: `q${i}` }],
      });
      assert.ok(a.choices[0]?.message.content);
    }
    await proxy.close();
    const n = readFileSync(file, 'utf8').trimEnd().split('\n').length;
    assert.ok(n >= 4 && n <= 22, `${n} of 40 recorded at 0.3`);
    assert.match(proxy.metrics.render(), new RegExp(`^shadowgate_proxy_recorded_total ${n}$`, 'm'));
  });
});
