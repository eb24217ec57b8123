/**
 * A small declarative description of a file's shape, read two ways: the
 * validators walk it (`checkShape`), collecting every problem as
 * `key.path: what is wrong`, and `toJsonSchema` turns it into the JSON
 * Schema editors use (`schema/*.json`, `npm run schema`). One definition, so
 * the editor and `shadowgate` never disagree about which keys exist and what
 * they hold. Checks JSON Schema cannot say (a URL's scheme, a duplicate name)
 * are `refine` functions: they run in the validator and are absent from the
 * schema, which is then more lenient, never stricter.
 */

interface NodeBase {
  /** Shown by editors on hover; the README says the same. */
  description?: string;
  /** What a missing value means; written into the schema, and filled by `withDefaults`. */
  default?: unknown;
  /** The problem text when the value has the wrong type or range; default: generated from the constraints. */
  message?: string | ((value: unknown) => string);
  /** null counts as absent (YAML's `key:` with nothing after it). */
  nullable?: boolean;
  /** Written once under the schema's `definitions` and referenced by this name wherever it appears. */
  definition?: string;
  /** A further check once the shape holds: the problem (without the path), or null. */
  refine?: (value: never, path: string) => string | null;
}

export interface ObjectNode extends NodeBase {
  type: 'object';
  fields: Record<string, Field>;
  /** How an unknown key is reported: a did-you-mean hint, else the list of known keys; or this text. */
  unknownKeyMessage?: string;
}

/** A mapping whose keys are names the user picks (models, headers). */
export interface RecordNode extends NodeBase {
  type: 'record';
  values: SchemaNode;
  /** A check on each key; returns the problem (without the path) or null. */
  keyCheck?: (key: string, value: unknown) => string | null;
  /** For the schema: keys must match this. */
  keyPattern?: string;
}

export interface ArrayNode extends NodeBase {
  type: 'array';
  items: SchemaNode;
  minItems?: number;
  maxItems?: number;
  /** The problem text when a list has fewer than minItems; default `message`. */
  tooFewMessage?: string;
}

export interface StringNode extends NodeBase {
  type: 'string';
  enum?: readonly string[];
  /** A regular expression source the whole string must match. */
  pattern?: string;
  minLength?: number;
}

export interface NumberNode extends NodeBase {
  type: 'number';
  integer?: boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  /** The problem text when only `maximum` is broken; default `message`. */
  tooLargeMessage?: string;
}

export interface BooleanNode extends NodeBase {
  type: 'boolean';
}

/** Only null (an `anyOf` option: `idempotencyHeader: null` turns the header off). */
export interface NullNode extends NodeBase {
  type: 'null';
}

/** Valid when any option is; the problem is this node's `message`. */
export interface AnyOfNode extends NodeBase {
  type: 'anyOf';
  options: SchemaNode[];
}

/**
 * A part checked by a validator of its own (the retry policy lives in
 * src/retry and validates itself); `shape` describes it for the schema, and a
 * test holds the two to agreement.
 */
export interface DelegateNode extends NodeBase {
  type: 'delegate';
  shape: SchemaNode;
  validate: (value: unknown, path: string) => string[];
}

export type SchemaNode =
  | ObjectNode
  | RecordNode
  | ArrayNode
  | StringNode
  | NumberNode
  | BooleanNode
  | NullNode
  | AnyOfNode
  | DelegateNode;

export interface Field {
  node: SchemaNode;
  /** Required keys: `true`, or the problem text for a missing one (`required (USD per 1M tokens)`). */
  required?: true | string;
}

const isMapping = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/**
 * Checks `value` against `node`, appending one line per problem to
 * `problems`. Returns true when the value has no problem.
 */
export function checkShape(
  node: SchemaNode,
  value: unknown,
  path: string,
  problems: string[],
  /** How the root is named in a problem. */
  root = '(top level)',
): boolean {
  const before = problems.length;
  const at = (p: string) => p || root;
  const fail = () => {
    const m = node.message;
    problems.push(`${at(path)}: ${typeof m === 'function' ? m(value) : (m ?? describeConstraint(node))}`);
    return false;
  };
  switch (node.type) {
    case 'object': {
      if (!isMapping(value)) return fail();
      const known = Object.keys(node.fields);
      for (const key of Object.keys(value)) {
        if (Object.hasOwn(node.fields, key)) continue;
        const hint = closest(key, known);
        problems.push(
          `${join(path, key)}: ${
            node.unknownKeyMessage ??
            `unknown key${hint ? ` (did you mean ${hint}?)` : ` (expected one of ${known.join(', ')})`}`
          }`,
        );
      }
      for (const [key, field] of Object.entries(node.fields)) {
        const v = Object.hasOwn(value, key) ? value[key] : undefined;
        if (v === undefined || (v === null && field.node.nullable)) {
          if (field.required) {
            problems.push(`${join(path, key)}: ${field.required === true ? 'required' : field.required}`);
          }
          continue;
        }
        checkShape(field.node, v, join(path, key), problems, root);
      }
      break;
    }
    case 'record': {
      if (!isMapping(value)) return fail();
      for (const [key, v] of Object.entries(value)) {
        const keyPath = join(path, key);
        if (key === '__proto__') {
          problems.push(`${keyPath}: not a valid name`);
          continue;
        }
        const keyProblem = node.keyCheck?.(key, v);
        if (keyProblem) {
          problems.push(`${keyPath}: ${keyProblem}`);
          continue;
        }
        checkShape(node.values, v, keyPath, problems, root);
      }
      break;
    }
    case 'array': {
      if (!Array.isArray(value)) return fail();
      if (node.minItems !== undefined && value.length < node.minItems) {
        if (!node.tooFewMessage) return fail();
        problems.push(`${at(path)}: ${node.tooFewMessage}`);
        return false;
      }
      if (node.maxItems !== undefined && value.length > node.maxItems) return fail();
      value.forEach((item, i) => {
        checkShape(node.items, item, `${path}[${i}]`, problems, root);
      });
      break;
    }
    case 'string':
      if (typeof value !== 'string') return fail();
      if (node.enum && !node.enum.includes(value)) return fail();
      if (node.minLength !== undefined && value.length < node.minLength) return fail();
      if (node.pattern !== undefined && !new RegExp(`^(?:${node.pattern})$`).test(value)) return fail();
      break;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return fail();
      if (node.integer && !Number.isInteger(value)) return fail();
      if (node.minimum !== undefined && value < node.minimum) return fail();
      if (node.maximum !== undefined && value > node.maximum) {
        if (!node.tooLargeMessage) return fail();
        problems.push(`${at(path)}: ${node.tooLargeMessage}`);
        return false;
      }
      if (node.exclusiveMinimum !== undefined && value <= node.exclusiveMinimum) return fail();
      if (node.exclusiveMaximum !== undefined && value >= node.exclusiveMaximum) return fail();
      break;
    case 'boolean':
      if (typeof value !== 'boolean') return fail();
      break;
    case 'null':
      if (value !== null) return fail();
      break;
    case 'anyOf':
      if (!node.options.some((option) => checkShape(option, value, path, [], root))) return fail();
      break;
    case 'delegate':
      problems.push(...node.validate(value, path));
      break;
  }
  if (problems.length > before || !node.refine) return problems.length === before;
  const refined = (node.refine as (v: unknown, p: string) => string | null)(value, path);
  if (refined !== null) problems.push(`${at(path)}: ${refined}`);
  return problems.length === before;
}

/** `{ ...defaults, ...value }` for an object node's fields that declare a default (one level). */
export function withDefaults(node: ObjectNode, value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(node.fields)) {
    const v = value[key];
    if (v !== undefined && v !== null) out[key] = v;
    else if (field.node.default !== undefined) out[key] = structuredClone(field.node.default);
  }
  return out;
}

/** The generated problem text for a node without a `message`. */
export function describeConstraint(node: SchemaNode): string {
  switch (node.type) {
    case 'object':
    case 'record':
      return 'must be a mapping';
    case 'array':
      return node.minItems ? `must be a list of at least ${node.minItems}` : 'must be a list';
    case 'string':
      if (node.enum) return `must be one of ${node.enum.join(', ')}`;
      return node.minLength ? 'must be a non-empty string' : 'must be a string';
    case 'number': {
      const kind = node.integer ? 'an integer' : 'a number';
      const lo = node.minimum ?? node.exclusiveMinimum;
      const hi = node.maximum ?? node.exclusiveMaximum;
      if (lo !== undefined && hi !== undefined) {
        const closed = node.minimum !== undefined && node.maximum !== undefined;
        return closed ? `must be ${kind} from ${lo} to ${hi}` : `must be ${kind} between ${lo} and ${hi}`;
      }
      if (node.minimum !== undefined) return `must be ${kind} >= ${node.minimum}`;
      if (node.exclusiveMinimum !== undefined) return `must be ${kind} > ${node.exclusiveMinimum}`;
      if (node.maximum !== undefined) return `must be ${kind} <= ${node.maximum}`;
      if (node.exclusiveMaximum !== undefined) return `must be ${kind} < ${node.exclusiveMaximum}`;
      return `must be ${kind}`;
    }
    case 'boolean':
      return 'must be true or false';
    case 'null':
      return 'must be null';
    case 'anyOf':
      return `must be ${node.options.map((o) => describeConstraint(o).replace(/^must be /, '')).join(', or ')}`;
    case 'delegate':
      return describeConstraint(node.shape);
  }
}

type Definitions = Map<string, Record<string, unknown>>;

/** JSON Schema (draft-07, the draft editors' YAML support reads best) of a node. */
export function toJsonSchema(node: SchemaNode, defs: Definitions = new Map()): Record<string, unknown> {
  if (node.definition) {
    if (!defs.has(node.definition)) {
      defs.set(node.definition, {});
      defs.set(node.definition, inline({ ...node, definition: undefined } as SchemaNode, defs));
    }
    return { $ref: `#/definitions/${node.definition}` };
  }
  return inline(node, defs);
}

function inline(node: SchemaNode, defs: Definitions): Record<string, unknown> {
  const body = schemaBody(node, defs);
  const description = node.description ? { description: node.description } : {};
  const dflt = node.default !== undefined ? { default: node.default } : {};
  if (node.nullable) return { ...description, anyOf: [body, { type: 'null' }], ...dflt };
  return { ...description, ...body, ...dflt };
}

function schemaBody(node: SchemaNode, defs: Definitions): Record<string, unknown> {
  const sub = (n: SchemaNode) => toJsonSchema(n, defs);
  switch (node.type) {
    case 'object': {
      const properties: Record<string, unknown> = {};
      const required: string[] = [];
      for (const [key, field] of Object.entries(node.fields)) {
        properties[key] = sub(field.node);
        if (field.required) required.push(key);
      }
      return {
        type: 'object',
        properties,
        ...(required.length > 0 ? { required } : {}),
        additionalProperties: false,
      };
    }
    case 'record':
      return {
        type: 'object',
        ...(node.keyPattern ? { propertyNames: { pattern: `^(?:${node.keyPattern})$` } } : {}),
        additionalProperties: sub(node.values),
      };
    case 'array':
      return {
        type: 'array',
        items: sub(node.items),
        ...(node.minItems !== undefined ? { minItems: node.minItems } : {}),
        ...(node.maxItems !== undefined ? { maxItems: node.maxItems } : {}),
      };
    case 'string':
      return {
        type: 'string',
        ...(node.enum ? { enum: [...node.enum] } : {}),
        ...(node.pattern !== undefined ? { pattern: `^(?:${node.pattern})$` } : {}),
        ...(node.minLength !== undefined ? { minLength: node.minLength } : {}),
      };
    case 'number': {
      const out: Record<string, unknown> = { type: node.integer ? 'integer' : 'number' };
      for (const k of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'] as const) {
        if (node[k] !== undefined) out[k] = node[k];
      }
      return out;
    }
    case 'boolean':
      return { type: 'boolean' };
    case 'null':
      return { type: 'null' };
    case 'anyOf':
      return { anyOf: node.options.map(sub) };
    case 'delegate':
      return sub(node.shape);
  }
}

/** A whole schema file: `$schema` and `title` over the root node, shared parts under `definitions`. */
export function schemaDocument(title: string, root: SchemaNode): Record<string, unknown> {
  const defs: Definitions = new Map();
  const body = toJsonSchema(root, defs);
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title,
    ...body,
    ...(defs.size > 0
      ? { definitions: Object.fromEntries([...defs].sort(([a], [b]) => a.localeCompare(b))) }
      : {}),
  };
}

/**
 * The known key a typo most likely meant: same letters ignoring case, within
 * two edits, or else the one known key the typed one begins (`maxErrorRate`
 * for `maxErrorRateIncrease`).
 */
export function closest(key: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (const k of known) {
    const d = k.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  if (best !== null || key.length < 4) return best;
  const extended = known.filter((k) => k.toLowerCase().startsWith(key.toLowerCase()));
  return extended.length === 1 ? extended[0]! : null;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
