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
);
