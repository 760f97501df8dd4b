// Lint: what the type checker does not catch. Floating promises are errors everywhere; workflow
// code may not import Node built-ins or I/O modules (the bundler rejects them too, at start).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**', '.scratch-*/**'] },
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'packages/*/src/**/*.ts', 'packages/*/test/**/*.ts'],
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
  // The service never loads the Bitrix24 sandbox (packages/sandbox, a development package absent
  // from the production image): only src/cli and the tests do. no-restricted-syntax rather than
  // no-restricted-imports so that import(), require() and import types are caught too, and so that
  // this block does not replace the restricted-import lists other blocks set for the same files.
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: {
      'no-restricted-syntax': ['error', ...sandboxImportBans()],
    },
  },
);

/** Selectors for every way of naming the sandbox package (by name or by path), one message. */
function sandboxImportBans() {
  const source = '/^@b24r.sandbox(\\W|$)|(^|\\W)packages.sandbox(\\W|$)/';
  const message = 'The service never imports the Bitrix24 sandbox (@b24r/sandbox): only src/cli and the tests may; pass what the service needs (e.g. a CA certificate) in from the CLI.';
  return [
    `ImportDeclaration[source.value=${source}]`,
    `ExportAllDeclaration[source.value=${source}]`,
    `ExportNamedDeclaration[source.value=${source}]`,
    `ImportExpression[source.value=${source}]`,
    `CallExpression[callee.name='require'][arguments.0.value=${source}]`,
    `TSImportType[argument.literal.value=${source}]`,
    `TSExternalModuleReference[expression.value=${source}]`,
  ].map((selector) => ({ selector, message }));
}
