import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson, isValidJson, toolCallsAgree } from '../../src/stats/output-agreement.js';

describe('isValidJson', () => {
  it('accepts objects and arrays, trimmed or inside a code fence', () => {
    assert.equal(isValidJson('{"a": 1}'), true);
    assert.equal(isValidJson('  [1, 2]\n'), true);
    assert.equal(isValidJson('```json\n{"a": [1, 2]}\n```'), true);
    assert.equal(isValidJson('```\n{"a": 1}\n```'), true);
  });

  it('rejects prose, broken JSON, unterminated fences and bare scalars', () => {
    assert.equal(isValidJson('Sure! Here is the JSON: {"a": 1}'), false);
    assert.equal(isValidJson('{"a": 1'), false);
    assert.equal(isValidJson('```json\n{"a": 1}'), false);
    assert.equal(isValidJson('42'), false);
    assert.equal(isValidJson('null'), false);
    assert.equal(isValidJson(''), false);
  });
});

describe('toolCallsAgree', () => {
  it('compares arguments as parsed JSON, ignoring key order and whitespace', () => {
    const a = [{ name: 'get_weather', arguments: '{"city":"Hanoi","unit":"c"}' }];
    const b = [{ name: 'get_weather', arguments: '{ "unit": "c", "city": "Hanoi" }' }];
    assert.deepEqual(toolCallsAgree(a, b), { names: true, arguments: true });
  });

  it('sees different argument values and different names', () => {
    const a = [{ name: 'get_weather', arguments: '{"city":"Hanoi"}' }];
    assert.deepEqual(toolCallsAgree(a, [{ name: 'get_weather', arguments: '{"city":"Hue"}' }]), {
      names: true,
      arguments: false,
    });
    assert.deepEqual(toolCallsAgree(a, [{ name: 'get_time', arguments: '{"city":"Hanoi"}' }]), {
      names: false,
      arguments: false,
    });
    assert.deepEqual(toolCallsAgree(a, []), { names: false, arguments: false });
  });

  it('ignores the order of parallel calls but not their multiplicity', () => {
    const x = { name: 'a', arguments: '{"n":1}' };
    const y = { name: 'b', arguments: '{"n":2}' };
    assert.deepEqual(toolCallsAgree([x, y], [y, x]), { names: true, arguments: true });
    assert.equal(toolCallsAgree([x, x], [x, y]).names, false);
  });

  it('treats an empty argument string as {} and compares non-JSON text as is', () => {
    assert.equal(
      toolCallsAgree([{ name: 'f', arguments: '' }], [{ name: 'f', arguments: '{}' }]).arguments,
      true,
    );
    assert.equal(
      toolCallsAgree([{ name: 'f', arguments: 'x=1' }], [{ name: 'f', arguments: ' x=1 ' }]).arguments,
      true,
    );
    assert.equal(
      toolCallsAgree([{ name: 'f', arguments: 'x=1' }], [{ name: 'f', arguments: 'x=2' }]).arguments,
      false,
    );
  });

  it('agrees when neither answer called a tool', () => {
    assert.deepEqual(toolCallsAgree([], []), { names: true, arguments: true });
  });

  it('canonicalises nested keys but keeps array order', () => {
    assert.equal(canonicalJson({ b: { d: 1, c: 2 }, a: [2, 1] }), '{"a":[2,1],"b":{"c":2,"d":1}}');
  });
});
