import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { redactedErrorMessage } from '../../src/runner/redaction.js';
import { runShadow } from '../../src/runner/shadow-run.js';
import { systemClock } from '../../src/shared/clock.js';
import {
  makePrompts,
  openDb,
  profile,
  simConfig,
  startSim,
  tempDir,
  writeJsonl,
} from '../helpers/shadow-fixtures.js';
import { startScriptedServer } from '../providers/scripted-server.js';

const MARKER = 'ZEBRA-QUOKKA-7731';

describe('redactedErrorMessage', () => {
  it('keeps the class, status and identifier-shaped type and code, and hashes the message', () => {
    const message = `candidate: HTTP 400 (invalid_request_error): your prompt "${MARKER} says hi" is too long`;
    const out = redactedErrorMessage({
      errorClass: 'http_4xx',
      status: 400,
      headers: {},
      message,
      providerErrorType: 'invalid_request_error',
      providerErrorCode: 'context_length_exceeded',
    });
    assert.match(
      out,
      /^http_4xx HTTP 400 \(invalid_request_error\) code context_length_exceeded \[message redacted, sha256 [0-9a-f]{16}\]$/,
    );
    assert.equal(out.includes(MARKER), false);
  });

  it('drops a type or code that could be text', () => {
    const out = redactedErrorMessage({
      errorClass: 'http_5xx',
      status: 500,
      headers: {},
      message: 'x',
      providerErrorType: `echo: ${MARKER}`,
      providerErrorCode: MARKER,
    });
    assert.equal(out.includes(MARKER), false);
    assert.equal(out.includes('echo'), false);
  });
});

/**
 * A candidate that quotes the user's last message in every error: a 500
 * (retried), an HTML 200, then a 400. It answers after 25 ms, so the store's
 * 100 ms flushes land in the WAL while the run is still going.
 */
async function startEchoingProvider(t: TestContext) {
  let n = 0;
  const server = await startScriptedServer(async (_req, res, body) => {
    await new Promise((resolve) => setTimeout(resolve, 25));
    const request = JSON.parse(body) as { messages: { content: string }[] };
    const quoted = request.messages.at(-1)?.content ?? '';
    const kind = n++ % 3;
    if (kind === 1) {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<html>You sent: ${quoted}</html>`);
      return;
    }
    res.writeHead(kind === 0 ? 500 : 400, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ error: { message: `cannot answer "${quoted}"`, type: 'invalid_request_error' } }),
    );
  });
  t.after(() => server.close());
  return server;
}

describe('--redact against a provider that echoes the prompt in its errors', () => {
  it('leaves no prompt text in requests, attempts or prompts, in the db file or its WAL', async (t) => {
    const dir = tempDir(t);
    const baseline = await startSim(t, profile('steady'), 1);
    const candidate = await startEchoingProvider(t);
    const prompts = makePrompts(10, { marker: MARKER }).map((p) => ({ ...p, metadata: { note: MARKER } }));
    const scenarioPath = writeJsonl(join(dir, 'secret.jsonl'), prompts);
    const config = simConfig(baseline.url, candidate.baseUrl, { stream: false, concurrency: 3 });
    const filesOf = (dbPath: string) => readdirSync(dir).filter((f) => join(dir, f).startsWith(dbPath));
    const bytesOf = (dbPath: string) => Buffer.concat(filesOf(dbPath).map((f) => readFileSync(join(dir, f))));

    const run = async (name: string, redact: boolean) => {
      const dbPath = join(dir, `${name}.db`);
      let walSeen = false;
      let leakedMidRun = false;
      const summary = await runShadow(
        { config, scenarioPath, dbPath, redact },
        {
          clock: systemClock,
          env: {},
          onProgress: () => {
            if (filesOf(dbPath).some((f) => f.endsWith('-wal'))) walSeen = true;
            if (bytesOf(dbPath).includes(MARKER)) leakedMidRun = true;
          },
        },
      );
      return { dbPath, summary, walSeen, leakedMidRun, bytes: bytesOf(dbPath) };
    };

    const redacted = await run('redacted', true);
    assert.equal(redacted.summary.arms.candidate.error, 10);
    assert.ok(redacted.walSeen, 'the WAL was searched while the run wrote to it');
    assert.equal(redacted.leakedMidRun, false, 'prompt text in the db or WAL during the run');
    assert.equal(redacted.bytes.includes(MARKER), false, 'prompt text in the db after the run');
    const db = openDb(t, redacted.dbPath);
    const messages = db
      .prepare(
        `SELECT error_message AS m FROM attempts WHERE error_message IS NOT NULL
         UNION ALL SELECT error_message FROM requests WHERE error_message IS NOT NULL`,
      )
      .all() as { m: string }[];
    assert.ok(messages.length >= 20);
    for (const { m } of messages) assert.match(m, /\[message redacted, sha256 [0-9a-f]{16}\]$/);
    assert.ok(messages.some((x) => x.m.startsWith('http_4xx HTTP 400 (invalid_request_error)')));
    const meta = db.prepare('SELECT COUNT(*) AS n FROM prompts WHERE metadata_json IS NOT NULL').get() as {
      n: number;
    };
    assert.equal(meta.n, 0);

    // Unredacted, the same run stores the echoes: the searches above can find them.
    const plain = await run('plain', false);
    assert.ok(plain.leakedMidRun);
    const plainDb = openDb(t, plain.dbPath);
    const echoed = plainDb
      .prepare('SELECT COUNT(*) AS n FROM attempts WHERE error_message LIKE ?')
      .get(`%${MARKER}%`) as { n: number };
    assert.ok(echoed.n > 0);
    const plainMeta = plainDb.prepare('SELECT metadata_json FROM prompts LIMIT 1').get() as {
      metadata_json: string;
    };
    assert.equal(plainMeta.metadata_json, JSON.stringify({ note: MARKER }));
  });
});
