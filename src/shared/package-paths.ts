import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The installed package's root (where scenarios/ ships), found from this
 * file's compiled location: dist/src/shared/package-paths.js.
 */
export function shadowgateHome(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
}
