import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadGates } from '../../src/judge/load-gates.js';
import { ConfigError } from '../../src/shared/errors.js';

describe('loadGates', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shadowgate-gates-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('reads YAML', () => {
    const path = file(
      'gates.yaml',
      [
        'gates:',
        '  - name: latency-p95',
        '    metric: latency.p95_ratio',
        "    op: '<='",
        '    threshold: 1.2',
        '    minSamples: 50',
        '    onFail: rollback',
      ].join('\n'),
    );
    assert.deepEqual(loadGates(path).gates, [
      {
        name: 'latency-p95',
        metric: 'latency.p95_ratio',
        op: '<=',
        threshold: 1.2,
        minSamples: 50,
        onFail: 'rollback',
      },
    ]);
  });

  it('reads JSON, a bare list', () => {
    const path = file(
      'gates.json',
      JSON.stringify([{ metric: 'cost.savings_pct', op: '>=', threshold: 10 }]),
    );
    assert.equal(loadGates(path).gates[0]!.name, 'cost.savings_pct >= 10');
  });

  it('throws ConfigError with every problem for an invalid file', () => {
    const path = file('bad.yaml', "gates:\n  - metric: nope\n    op: '=='\n    threshold: 1\n");
    assert.throws(
      () => loadGates(path),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.exitCode === 2 &&
        e.message.includes(path) &&
        e.problems.length === 2 &&
        e.problems.some((p) => p.startsWith('gates[0].metric: unknown metric "nope"')),
    );
  });

  it('throws ConfigError for unparsable text and for a missing file', () => {
    const path = file('broken.yaml', 'gates: [\n');
    assert.throws(
      () => loadGates(path),
      (e: unknown) => e instanceof ConfigError && /not valid YAML/.test(e.message),
    );
    assert.throws(
      () => loadGates(join(dir, 'missing.yaml')),
      (e: unknown) => e instanceof ConfigError && /no such file/.test(e.message),
    );
  });
});
