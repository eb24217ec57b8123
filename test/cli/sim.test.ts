import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BufferSink, type CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/run-cli.js';
import { BUILTIN_PROFILES } from '../../src/sim/profiles.js';

const dir = mkdtempSync(join(tmpdir(), 'sim-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function io(signal?: AbortSignal): CliIo & { stdout: BufferSink; stderr: BufferSink } {
  return { stdout: new BufferSink(), stderr: new BufferSink(), env: {}, cwd: dir, signal };
}

async function waitForLine(sink: BufferSink, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (!sink.text.includes('\n')) {
    if (Date.now() > deadline) throw new Error(`no line on stdout: ${JSON.stringify(sink.text)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return sink.text.split('\n')[0]!;
}

const chatBody = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });

describe('shadowgate sim (in process)', () => {
  it('prints the listening line first, serves the profile from a file, and stops on the signal', async () => {
    writeFileSync(join(dir, 'mine.yaml'), 'extends: openai-like\nfaultRates: {}\n');
    const stop = new AbortController();
    const cli = io(stop.signal);
    const running = runCli(['sim', '--profile', 'mine.yaml', '--seed', '3', '--latency-scale', '0'], cli);
    const line = await waitForLine(cli.stdout);
    const match = /^listening (http:\/\/127\.0\.0\.1:(\d+)\/v1)$/.exec(line);
    assert.ok(match, line);
    const res = await fetch(`${match[1]}/chat/completions`, { method: 'POST', body: chatBody });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-sim-profile'), 'mine');
    assert.equal(res.headers.get('x-sim-latency-ms'), '0');
    await res.text();
    stop.abort();
    assert.equal(await running, 0);
    assert.match(cli.stderr.text, /stopped after 1 requests/);
  });

  it('starts every built-in profile', async () => {
    for (const name of Object.keys(BUILTIN_PROFILES)) {
      const stop = new AbortController();
      const cli = io(stop.signal);
      const running = runCli(['sim', '--profile', name], cli);
      const url = (await waitForLine(cli.stdout)).replace(/^listening /, '').replace(/\/v1$/, '');
      const health = await fetch(`${url}/health`);
      assert.deepEqual(await health.json(), { status: 'ok', profile: name });
      stop.abort();
      assert.equal(await running, 0, name);
    }
  });

  it('an unknown profile exits 2 naming it and listing the built-ins', async () => {
    const cli = io();
    assert.equal(await runCli(['sim', '--profile', 'warp-speed'], cli), 2);
    assert.match(cli.stderr.text, /warp-speed/);
    for (const name of ['steady', 'openai-like', 'relay-fast', 'flaky', 'rate-limited']) {
      assert.ok(cli.stderr.text.includes(name), name);
    }
    assert.equal(cli.stdout.text, '');
  });

  it('bad flags and bad profile files exit 2', async () => {
    assert.equal(await runCli(['sim', '--port', '70000'], io()), 2);
    assert.equal(await runCli(['sim', '--latency-scale', '-1'], io()), 2);
    writeFileSync(join(dir, 'bad.yaml'), 'tpot: { fixedMs: -3 }\n');
    const cli = io();
    assert.equal(await runCli(['sim', '--profile', 'bad.yaml'], cli), 2);
    assert.match(cli.stderr.text, /tpot\.fixedMs/);
  });
});

describe('shadowgate sim (spawned)', () => {
  it('serves until SIGTERM, then exits 0', async () => {
    const child = spawn(
      process.execPath,
      ['dist/src/cli/main.js', 'sim', '--profile', 'steady', '--port', '0'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let stdout = '';
    child.stdout.setEncoding('utf8');
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line: ${stdout}`)), 10_000);
      child.stdout.on('data', (chunk: string) => {
        stdout += chunk;
        if (stdout.includes('\n')) {
          clearTimeout(timer);
          resolve(stdout.split('\n')[0]!);
        }
      });
    });
    const url = /^listening (http:\/\/\S+)$/.exec(line)?.[1];
    assert.ok(url, line);
    const res = await fetch(`${url}/chat/completions`, { method: 'POST', body: chatBody });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-sim-fault'), 'none');
    await res.text();
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});
