/**
 * npm run rules:schema [-- --check]
 *
 * Writes config/rules.schema.json from the zod rules schema (src/config/rules/), the one source
 * of truth. With --check it only compares and exits 1 when the file is stale. Exit code 2: usage.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { rulesJsonSchemaText } from '../config/rules';
import { readCommandLine, runMain } from './args';

const rulesSchemaCommand = {
  usage: 'usage: npm run rules:schema [-- --check]',
  flags: { check: 'boolean' },
  schema: z.strictObject({ check: z.boolean().default(false) }),
} as const;

const target = resolve(__dirname, '../../config/rules.schema.json');

export async function main(argv = process.argv.slice(2)): Promise<number> {
  const line = readCommandLine(rulesSchemaCommand, argv);
  if (!line.ok) return line.exitCode;
  const text = rulesJsonSchemaText();
  if (!line.value.flags.check) {
    writeFileSync(target, text);
    console.log(`wrote ${target}`);
    return 0;
  }
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // missing counts as stale
  }
  if (current === text) {
    console.log(`up to date: ${target}`);
    return 0;
  }
  console.error(`stale: ${target}; run npm run rules:schema`);
  return 1;
}

if (require.main === module) runMain('rules:schema', () => main());
