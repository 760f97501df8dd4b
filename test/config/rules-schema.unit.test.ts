import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rulesJsonSchema, rulesJsonSchemaText } from '../../src/config/rules';

const FILE = join(__dirname, '../../config/rules.schema.json');

describe('rules JSON Schema', () => {
  it('config/rules.schema.json is generated from the zod schema (run npm run rules:schema)', () => {
    assert.equal(readFileSync(FILE, 'utf8'), rulesJsonSchemaText());
  });

  it('describes the file as written: durations are text, defaults shown, unknown keys refused', () => {
    const schema = rulesJsonSchema() as { $defs: Record<string, { type?: string; examples?: unknown[] }>; properties: Record<string, unknown>; additionalProperties: boolean; required: string[] };
    assert.equal(schema.$defs.Duration?.type, 'string');
    assert.ok(schema.$defs.Duration?.examples?.includes('1 month'));
    assert.deepEqual(schema.required, ['version']);
    assert.equal(schema.additionalProperties, false);
    for (const key of ['ids', 'defaults', 'lostDeals', 'clients', 'expiry', 'contactPolicy']) assert.ok(key in schema.properties, key);
    const text = rulesJsonSchemaText();
    assert.match(text, /"default": "Реактивация: \{title\} \(попытка \{attempt\}\)"/);
    assert.match(text, /"\$ref": "#\/\$defs\/ReturnPeriod"/);
  });
});
