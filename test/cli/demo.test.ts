import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { BufferSink, type CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/run-cli.js';

describe('shadowgate demo', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shadowgate-demo-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('creates an --out directory that does not exist yet, relative to the working directory', async () => {
    const stdout = new BufferSink();
    const stderr = new BufferSink();
    const io: CliIo = { stdout, stderr, env: {}, cwd: dir };
    const code = await runCli(
      ['demo', '--out', 'new/reports', '--limit', '20', '--format', 'json', '--json'],
      io,
    );
    assert.equal(code, 0, stderr.text);
    assert.ok(existsSync(join(dir, 'new', 'reports', 'demo.db')));
    const summary = JSON.parse(stdout.text.trim().split('\n').pop()!);
    assert.equal(summary.db, join(dir, 'new', 'reports', 'demo.db'));
    assert.ok(['promote', 'hold', 'rollback'].includes(summary.decision));
  });
});
