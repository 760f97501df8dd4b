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
    // src/domain does not depend on src/config, not even for types: the rule types the domain
    // reads are its own (src/domain/rule-types.ts) and src/config/rules/ checks at compile time
    // that the zod schema produces exactly them. Core no-restricted-imports (not the
    // typescript-eslint one of the block above, so both apply: a later block setting the same
    // rule would replace its options) flags type-only imports and re-exports too.
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/config', '**/config/**'],
              message:
                'src/domain must not import src/config (types included): use the plain types of src/domain/types.ts; src/config/rules/ checks that its zod types match them.',
            },
          ],
        },
      ],
    },
  },
);
