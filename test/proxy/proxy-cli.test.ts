/**
 * The command's contract: bad flags are one-line errors with exit 2, and a
 * route the baseline does not speak is refused in that API's error shape.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BufferSink } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/run-cli.js';
import { SERVED_ARM_HEADER } from '../../src/proxy/rollout-mode.js';
import { writeStateDocument } from '../../src/rollout/rollout-state.js';
import { routeFor } from '../../src/rollout/route-for.js';
import {
  profile,
  simConfig,
  simConfigInput,
  startSim,
  tempDir,
  writeConfig,
} from '../helpers/shadow-fixtures.js';
import { startScriptedServer } from '../providers/scripted-server.js';
import { CHAT, completionBody, rolloutOptions, startTestProxy } from './proxy-fixtures.js';

async function cli(args: string[], cwd: string, env: Record<string, string> = {}) {
  const io = { stdout: new BufferSink(), stderr: new BufferSink(), env, cwd };
  const code = await runCli(args, io);
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}

describe('shadowgate proxy flags', () => {
  it('refuses bad flags with one line and exit 2, before listening', async (t) => {
    const dir = tempDir(t);
    writeConfig(join(dir, 'exp.json'), simConfigInput('http://127.0.0.1:9/v1', 'http://127.0.0.1:9/v1'));
    const cases: [string[], RegExp][] = [
      [['--mirror', '1.5'], /--mirror: must be a number from 0 to 1/],
      [['--mode', 'record'], /--mode record needs --record FILE/],
      [['--mode', 'rollout'], /--mode rollout needs --rollout ID/],
      [['--port', '70000'], /--port: must be an integer from 0 to 65535/],
      [['--mirror-queue', '-1'], /--mirror-queue: must be an integer >= 0/],
      [['--auth-env', 'NOT_SET_ANYWHERE'], /--auth-env: environment variable NOT_SET_ANYWHERE is not set/],
      [
        ['--record-redact', '(', '--mode', 'record', '--record', 'x.jsonl'],
        /--record-redact: bad regular expression/,
      ],
    ];
    for (const [extra, message] of cases) {
      const r = await cli(['proxy', '--config', 'exp.json', '--port', '0', '--db', 'x.db', ...extra], dir);
      assert.equal(r.code, 2, `${extra.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.equal(r.stdout, '');
    }
  });

  it('a PostgreSQL store that is not there is one line and exit 2, its password hidden, in every mode that reads it', async (t) => {
    const dir = tempDir(t);
    writeConfig(join(dir, 'exp.json'), simConfigInput('http://127.0.0.1:9/v1', 'http://127.0.0.1:9/v1'));
    const url = 'postgres://sg:s3cret-pw@127.0.0.1:1/nowhere';
    for (const [extra, env] of [
      [['--db', url], {}],
      [['--mode', 'rollout', '--rollout', 'latest'], { SHADOWGATE_DB: url }],
    ] as const) {
      const r = await cli(['proxy', '--config', 'exp.json', '--port', '0', ...extra], dir, env);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /cannot reach PostgreSQL at 127\.0\.0\.1:1 \(connection refused\)/);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.ok(!r.stderr.includes('s3cret-pw'), 'no password in the message');
      assert.equal(r.stdout, '', 'nothing listened');
    }
  });

  it('a provider key variable that is unset is named, never printed', async (t) => {
    const dir = tempDir(t);
    writeConfig(
      join(dir, 'exp.json'),
      simConfigInput('http://127.0.0.1:9/v1', 'http://127.0.0.1:9/v1', { baselineKeyEnv: 'MISSING_KEY' }),
    );
    const r = await cli(['proxy', '--config', 'exp.json', '--port', '0', '--db', 'x.db'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /MISSING_KEY is not set/);
  });

  it('answers a route the baseline does not speak with 404 in that API shape', async (t) => {
    const baseline = await startSim(t, profile('steady'));
    const proxy = await startTestProxy(t, simConfig(baseline.url, baseline.url));
    const res = await fetch(`${proxy.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(res.status, 404);
    const body = (await res.json()) as { type: string; error: { message: string } };
    assert.equal(body.type, 'error');
    assert.match(body.error.message, /baseline provider speaks the OpenAI Chat Completions API/);
    const bad = await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', body: '{not json' });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'invalid_request');
    assert.equal(baseline.stats().requests, 0);
  });

  it('rollout mode with --state-file follows the state document', async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'state.json');
    const doc = {
      rollout_id: 'ro-f',
      version: 1,
      percentage: 100,
      salt: 's',
      hash_version: 1,
      status: 'running',
      updated_at: '',
    };
    writeStateDocument(file, doc);
    const answer = (content: string) =>
      startScriptedServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(completionBody(content));
      });
    const baseline = await answer('b');
    const candidate = await answer('c');
    t.after(() => Promise.all([baseline.close(), candidate.close()]));
    const proxy = await startTestProxy(t, simConfig(baseline.baseUrl, candidate.baseUrl), {
      mode: 'rollout',
      rollout: rolloutOptions({ rolloutId: null, stateFile: file, stickyKey: ['metadata.user_id'] }),
    });
    const ask = async (user: string) => {
      const res = await fetch(`${proxy.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...CHAT, metadata: { user_id: user } }),
      });
      await res.text();
      return res.headers.get(SERVED_ARM_HEADER);
    };
    assert.equal(await ask('u1'), 'candidate');
    writeStateDocument(file, { ...doc, version: 2, percentage: 30 });
    for (const u of ['u1', 'u2', 'u3', 'u4', 'u5', 'u6']) assert.equal(await ask(u), routeFor(u, 30, 's'), u);
  });
});
