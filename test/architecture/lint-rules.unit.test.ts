/**
 * The layer rules of docs/architecture.md are lint rules (eslint.config.mjs); this proves they
 * bite: each forbidden import, linted as if it were in that folder, is an error.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { ESLint } from 'eslint';

const ROOT = path.join(__dirname, '../..');

const eslint = new ESLint({
  cwd: ROOT,
  // Only the import rules matter here: no type information for files that do not exist.
  overrideConfig: {
    languageOptions: { parserOptions: { projectService: false } },
    rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-misused-promises': 'off', 'max-lines': 'off', 'max-lines-per-function': 'off' },
  },
});

async function problems(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

const CASES: { file: string; code: string; banned: RegExp }[] = [
  { file: 'src/activities/x.ts', code: "import type { lostDealReactivation } from '../workflows/lost-deal';\nexport type X = typeof lostDealReactivation;\n", banned: /contract/ },
  { file: 'src/activities/x.ts', code: "import { createApp } from '../api/app';\nexport const x = createApp;\n", banned: /HTTP layer/ },
  { file: 'src/temporal/x.ts', code: "import express from 'express';\nexport const x = express;\n", banned: /HTTP layer/ },
  { file: 'src/api/x.ts', code: "import { lostDealReactivation } from '../workflows/lost-deal';\nexport const x = lostDealReactivation;\n", banned: /contract/ },
  { file: 'src/domain/x.ts', code: "import type { Rules } from '../config/rules';\nexport type X = Rules;\n", banned: /src\/config/ },
  { file: 'src/domain/x.ts', code: "import fs from 'node:fs';\nexport const x = fs;\n", banned: /Node built-ins/ },
  { file: 'src/activities/x.ts', code: "import { DEMO } from '@b24r/sandbox';\nexport const x = DEMO;\n", banned: /sandbox/ },
  { file: 'src/bitrix24/x.ts', code: "export const x = require('@b24r/sandbox');\n", banned: /sandbox/ },
  { file: 'src/workflows/x.ts', code: "import { createBitrix24Client } from '../bitrix24';\nexport const x = createBitrix24Client;\n", banned: /no I\/O/ },
];

describe('architecture: the lint rules keep the layers', () => {
  for (const c of CASES) {
    it(`${c.file}: ${c.code.split('\n')[0]}`, async () => {
      const found = await problems(c.file, c.code);
      assert.ok(found.some((p) => c.banned.test(p)), `expected a ban matching ${c.banned}, got ${JSON.stringify(found)}`);
    });
  }

  it('allows what the layers may import', async () => {
    assert.deepEqual(await problems('src/activities/x.ts', "import { crmChangedSignal } from '../workflows/lost-deal.messages';\nexport const x = crmChangedSignal;\n"), []);
    assert.deepEqual(await problems('src/cli/x.ts', "import { DEMO } from '@b24r/sandbox';\nexport const x = DEMO;\n"), []);
    assert.deepEqual(await problems('src/domain/x.ts', "import { lostWorkflowId } from '../shared/names';\nexport const x = lostWorkflowId;\n"), []);
  });
});
