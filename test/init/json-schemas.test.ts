/**
 * The JSON Schemas and the validators come from one definition; these tests
 * hold them to it: the committed files are the generated ones, every example
 * file passes both, and a probe of every declared constraint is refused (or
 * accepted) by both alike. ajv is the independent reader of the schemas.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { CONFIG_SHAPE } from '../../src/config/config-schema.js';
import type { ProviderKind } from '../../src/config/types.js';
import { validateConfig } from '../../src/config/validate-config.js';
import { jsonSchemaFiles } from '../../src/init/json-schemas.js';
import { configTemplate, planTemplate } from '../../src/init/templates.js';
import { DEFAULT_SHADOW_GATES } from '../../src/judge/default-gates.js';
import { GATES_SCHEMA_ROOT } from '../../src/judge/gates-schema.js';
import { validateGates } from '../../src/judge/validate-gates.js';
import { PLAN_SHAPE, validatePlan } from '../../src/rollout/plan.js';
import type { SchemaNode } from '../../src/shared/field-schema.js';

const files = jsonSchemaFiles();
const ajv = new Ajv({ allErrors: true, strict: true });
const schemaCheck = Object.fromEntries(
  Object.entries(files).map(([name, text]) => [name, ajv.compile(JSON.parse(text))]),
);

type Validator = (doc: unknown) => string[];
const KINDS: Record<string, { schema: string; shape: SchemaNode; validate: Validator }> = {
  config: {
    schema: 'shadowgate.config.schema.json',
    shape: CONFIG_SHAPE,
    validate: (doc) => {
      const r = validateConfig(doc);
      return 'errors' in r ? r.errors : [];
    },
  },
  plan: {
    schema: 'rollout-plan.schema.json',
    shape: PLAN_SHAPE,
    validate: (doc) => {
      try {
        validatePlan(doc, 'plan.yaml');
        return [];
      } catch (err) {
        return (err as { problems: string[] }).problems;
      }
    },
  },
  gates: {
    schema: 'gates.schema.json',
    shape: GATES_SCHEMA_ROOT,
    validate: (doc) => {
      const r = validateGates(doc, 'shadow');
      return 'errors' in r ? r.errors : [];
    },
  },
};

function bothAccept(kind: keyof typeof KINDS, doc: unknown, what: string): void {
  const k = KINDS[kind]!;
  assert.deepEqual(k.validate(doc), [], `${what}: the validator refuses it`);
  const check = schemaCheck[k.schema]!;
  assert.ok(check(doc), `${what}: the schema refuses it: ${JSON.stringify(check.errors)}`);
}

const templateOptions = (baseline: ProviderKind, candidate: ProviderKind) => ({
  baseline,
  candidate,
  configSchema: 'x.json',
  planSchema: 'y.json',
});
const PAIRS: [ProviderKind, ProviderKind][] = [
  ['openai', 'openai'],
  ['openai', 'anthropic'],
  ['anthropic', 'openai'],
  ['anthropic', 'anthropic'],
];

describe('JSON Schemas under schema/', () => {
  it('are the generated ones (run `npm run schema` after changing a shape)', () => {
    for (const [name, text] of Object.entries(files)) {
      assert.equal(readFileSync(join('schema', name), 'utf8'), text, `schema/${name} is stale`);
    }
  });

  it('accept, like the validators, every example file: init templates, scenarios/*.yaml, the default gates', () => {
    for (const [b, c] of PAIRS) {
      bothAccept('config', parse(configTemplate(templateOptions(b, c))), `init config ${b} -> ${c}`);
      bothAccept('plan', parse(planTemplate(templateOptions(b, c))), `init plan ${b} -> ${c}`);
    }
    for (const file of ['scenarios/example.yaml', 'scenarios/demo.yaml']) {
      bothAccept('config', parse(readFileSync(file, 'utf8')), file);
    }
    bothAccept('gates', { gates: DEFAULT_SHADOW_GATES, confidence: 0.95 }, 'default gates');
    bothAccept('gates', DEFAULT_SHADOW_GATES, 'default gates as a bare list');
    bothAccept('plan', { stages: [100] }, 'the smallest plan');
  });
});

/** A value that breaks one declared constraint of a node, with what it breaks. */
function* badValues(node: SchemaNode): Generator<[unknown, string]> {
  switch (node.type) {
    case 'number':
      yield ['12', 'a string'];
      if (node.integer) yield [1.5, 'not an integer'];
      if (node.minimum !== undefined) yield [node.minimum - 1, 'below minimum'];
      if (node.exclusiveMinimum !== undefined) yield [node.exclusiveMinimum, 'at exclusiveMinimum'];
      if (node.maximum !== undefined) yield [node.maximum + 1, 'above maximum'];
      if (node.exclusiveMaximum !== undefined) yield [node.exclusiveMaximum, 'at exclusiveMaximum'];
      break;
    case 'string':
      yield [7, 'a number'];
      if (node.enum) yield ['bogus-choice', 'not in the enum'];
      if (node.pattern !== undefined) yield ['has space!', 'off the pattern'];
      if (node.minLength) yield ['', 'empty'];
      break;
    case 'boolean':
      yield ['yes', 'a string'];
      break;
    case 'array':
      yield ['x', 'not a list'];
      if (node.minItems) yield [[], 'too short'];
      break;
    case 'object':
      yield [[1], 'a list'];
      yield [{ zzzUnknownKey: 1 }, 'an unknown key'];
      break;
    case 'record':
      yield ['x', 'not a mapping'];
      break;
    case 'anyOf':
    case 'null':
    case 'delegate':
      break;
  }
}

interface Probe {
  path: (string | number)[];
  value: unknown;
  why: string;
}

/** Every (path, bad value) the shape declares, where the base document has something to replace. */
function* probes(node: SchemaNode, base: unknown, path: (string | number)[]): Generator<Probe> {
  if (node.type === 'delegate') {
    yield* probes(node.shape, base, path);
    return;
  }
  for (const [value, why] of badValues(node)) {
    if (node.type === 'object' && why === 'an unknown key')
      yield { path: [...path, 'zzzUnknownKey'], value, why };
    else yield { path, value, why };
  }
  const isMap = typeof base === 'object' && base !== null && !Array.isArray(base);
  if (node.type === 'object') {
    for (const [key, field] of Object.entries(node.fields)) {
      const child = isMap ? (base as Record<string, unknown>)[key] : undefined;
      // Absent optional keys are probed with a value of the right type: the parent must exist.
      if (!isMap) continue;
      yield* probes(field.node, child ?? placeholder(field.node), [...path, key]);
    }
  } else if (node.type === 'record' && isMap) {
    const first = Object.keys(base as object)[0];
    if (first !== undefined)
      yield* probes(node.values, (base as Record<string, unknown>)[first], [...path, first]);
  } else if (node.type === 'array' && Array.isArray(base) && base.length > 0) {
    yield* probes(node.items, base[0], [...path, 0]);
  } else if (node.type === 'anyOf' && node.options[0]) {
    yield* probes(node.options[0], base, path);
  }
}

/** An object's children are probed only where the base has the object; others get an empty one. */
function placeholder(node: SchemaNode): unknown {
  return node.type === 'object' || (node.type === 'delegate' && node.shape.type === 'object')
    ? {}
    : undefined;
}

function setAt(doc: unknown, path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  let at = copy;
  for (const key of path.slice(0, -1)) {
    at[key] ??= {};
    at = at[key] as Record<string | number, unknown>;
  }
  at[path[path.length - 1]!] = value;
  return copy;
}

const pathText = (path: (string | number)[]) =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');

describe('validators and schemas agree on every declared constraint', () => {
  const bases = {
    config: parse(configTemplate(templateOptions('openai', 'anthropic'))),
    plan: parse(planTemplate(templateOptions('openai', 'openai'))),
    gates: { gates: DEFAULT_SHADOW_GATES.map((g) => ({ ...g, minSamples: 100 })), confidence: 0.9 },
  };
  for (const [kind, base] of Object.entries(bases) as [keyof typeof KINDS, unknown][]) {
    it(`${kind}: each probe is refused by both, the validator naming its path`, () => {
      const k = KINDS[kind]!;
      const check = schemaCheck[k.schema]!;
      let n = 0;
      for (const probe of probes(k.shape, base, [])) {
        if (probe.path.length === 0) continue;
        const doc = setAt(base, probe.path, probe.value);
        const where = `${pathText(probe.path)} = ${JSON.stringify(probe.value)} (${probe.why})`;
        const errors = k.validate(doc);
        assert.ok(errors.length > 0, `the validator accepts ${where}`);
        assert.ok(
          errors.some((e) => e.startsWith(pathText(probe.path))),
          `${where}: no problem names the path:\n${errors.join('\n')}`,
        );
        assert.equal(check(doc), false, `the schema accepts ${where}`);
        n++;
      }
      assert.ok(n >= 10, `only ${n} probes`);
    });
  }
});
