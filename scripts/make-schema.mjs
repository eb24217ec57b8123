// Writes schema/*.json from the shapes the validators walk. Usage: npm run schema (builds first).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonSchemaFiles } from '../dist/src/init/json-schemas.js';

mkdirSync('schema', { recursive: true });
for (const [name, text] of Object.entries(jsonSchemaFiles())) {
  writeFileSync(join('schema', name), text);
  console.log(`schema/${name}`);
}
