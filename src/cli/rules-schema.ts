/**
 * npm run rules:schema [-- --check]
 *
 * Writes config/rules.schema.json from the zod rules schema (src/config/rules.ts), the one source
 * of truth. With --check it only compares and exits 1 when the file is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { rulesJsonSchemaText } from '../config/rules';

const target = resolve(__dirname, '../../config/rules.schema.json');
const text = rulesJsonSchemaText();
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // missing counts as stale
  }
  if (current === text) {
    console.log(`up to date: ${target}`);
  } else {
    console.error(`stale: ${target}; run npm run rules:schema`);
    process.exitCode = 1;
  }
} else {
  writeFileSync(target, text);
  console.log(`wrote ${target}`);
}
