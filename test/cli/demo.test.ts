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

  test('tells the whole story: week 1 and its gate, a rollout to 100%, a drill rolled back at its first stage; --out is created', async () => {
    const stdout = new BufferSink();
    const stderr = new BufferSink();
    const io: CliIo = { stdout, stderr, env: {}, cwd: dir };
    const code = await runCli(['demo', '--quick', '--out', 'new/reports', '--prompts', '60', '--json'], io);
    assert.equal(code, 0, stderr.text);
    assert.ok(existsSync(join(dir, 'new', 'reports', 'demo.db')));
    const summary = JSON.parse(stdout.text.trim().split('\n').pop()!);
    assert.equal(summary.db, join(dir, 'new', 'reports', 'demo.db'));
    assert.ok(['promote', 'hold', 'rollback'].includes(summary.decision));
    // relay-fast walks to 100% on a quiet machine; under heavy CPU load the latency gates may hold it
    // (never roll it back: the load slows both arms alike). The drill must always roll back.
    assert.ok(['completed', 'held'].includes(summary.rollout.status), summary.rollout.status);
    assert.deepEqual([summary.drill.status, summary.drill.final_percentage], ['rolled_back', 0]);
    assert.equal(summary.drill.rolled_back_at_percentage, 5, 'flaky is rolled back at its first stage');
    const reports = summary.reports as string[];
    for (const kind of ['shadow', 'rollout'])
      for (const ext of ['md', 'html', 'json'])
        assert.ok(
          reports.some((p) => p.endsWith(`-${kind}.${ext}`) && existsSync(join(dir, p))),
          `${kind}.${ext} in ${reports.join(', ')}`,
        );
    assert.equal(reports.filter((p) => p.endsWith('-rollout.html')).length, 2);
  });
});
