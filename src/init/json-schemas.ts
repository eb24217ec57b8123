/**
 * The JSON Schemas under schema/, generated from the shapes the validators
 * walk (`npm run schema` writes them; a test holds the committed files to
 * this). Editors with the YAML language server read them through the
 * `# yaml-language-server: $schema=...` line init writes.
 */
import { CONFIG_SHAPE } from '../config/config-schema.js';
import { GATES_SCHEMA_ROOT } from '../judge/gates-schema.js';
import { PLAN_SHAPE } from '../rollout/plan.js';
import { schemaDocument } from '../shared/field-schema.js';

/** File name under schema/ -> its content, as written (2-space JSON, trailing newline). */
export function jsonSchemaFiles(): Record<string, string> {
  const docs = {
    'shadowgate.config.schema.json': schemaDocument('shadowgate experiment config', CONFIG_SHAPE),
    'rollout-plan.schema.json': schemaDocument('shadowgate rollout plan', PLAN_SHAPE),
    'gates.schema.json': schemaDocument('shadowgate gates', GATES_SCHEMA_ROOT),
  };
  return Object.fromEntries(
    Object.entries(docs).map(([name, doc]) => [name, `${JSON.stringify(doc, null, 2)}\n`]),
  );
}
