import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { METHODS, pairingPower, promptsForPower } from './pairing-power.js';

describe('the power of pairing (seeded, known truth)', () => {
  it('every method holds its 5% level on an A/A', () => {
    const p = pairingPower(1, 150, 120);
    for (const m of METHODS) assert.ok(p[m] <= 0.11, `${m} rejected an A/A ${p[m]}`);
  });

  it('pairing by prompt catches a 10% p50 regression with fewer prompts than an unpaired Mann-Whitney', () => {
    const at60 = pairingPower(1.1, 60, 80);
    assert.ok(at60.pairedSignedRank >= 0.85, `signed-rank at 60 prompts: ${at60.pairedSignedRank}`);
    assert.ok(at60.unpaired <= 0.5, `Mann-Whitney at 60 prompts: ${at60.unpaired}`);
    const at250 = pairingPower(1.1, 250, 80);
    assert.ok(at250.pairedP50 >= 0.85, `p50 ratio at 250 prompts: ${at250.pairedP50}`);
    assert.ok(at250.unpaired <= 0.8, `Mann-Whitney at 250 prompts: ${at250.unpaired}`);
  });

  it('reports the smallest size from which the target power holds', () => {
    const { needed, curve } = promptsForPower(1.1, [20, 400], 40);
    assert.equal(curve.length, 2);
    assert.equal(needed.pairedSignedRank, 400, 'not at 20 prompts, but at 400');
    assert.equal(promptsForPower(1.1, [20], 20).needed.unpaired, null);
  });
});
