// Lint: what the type checker does not catch. Floating promises are errors everywhere; workflow
// code may not import Node built-ins or I/O modules (the bundler rejects them too, at start).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**', '.scratch-*/**'] },
  {
    files: ['src/**/*.ts', 'test/**/*.ts'],
    languageOptions: { parser: tseslint.parser, parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
    },
  },
  {
    files: ['src/workflows/**/*.ts', 'src/domain/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'fs', 'path', 'os', 'http', 'https', 'crypto', 'child_process'], message: 'Workflow and domain code must stay deterministic: no Node built-ins.', allowTypeImports: true },
            { group: ['**/bitrix24', '**/bitrix24/*', 'axios', '@bitrix24/*', 'zod', '**/config/rules'], message: 'Workflow and domain code does no I/O and no validation: use activities and plain types.', allowTypeImports: true },
          ],
        },
      ],
    },
  },
  {
    // Workflow bodies are bundled for the worker only; everything else names a workflow by its
    // contract (`*.messages.ts`) and starts it through src/temporal/starter.ts.
    files: ['src/**/*.ts'],
    ignores: ['src/workflows/**', 'src/worker.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/workflows/*', '!**/workflows/*.messages', '!**/workflows/index'],
              message: 'Import a workflow\'s contract (src/workflows/<name>.messages.ts), not its body; start it through src/temporal/starter.ts.',
            },
          ],
        },
      ],
    },
  },
  {
    // The HTTP layer sits on top: activities, the starter, backfill and analytics never import it.
    files: ['src/activities/**/*.ts', 'src/temporal/**/*.ts', 'src/backfill/**/*.ts', 'src/analytics/**/*.ts', 'src/bitrix24/**/*.ts', 'src/shared/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/api', '**/api/*', 'express'], message: 'Only src/api (and the CLI) may import the HTTP layer; the hand-off to Temporal is src/temporal/starter.ts.' }] },
      ],
    },
  },
);
