// Lint: what the type checker does not catch. Floating promises are errors everywhere; workflow
// and domain code may not import Node built-ins or I/O modules (the bundler rejects them too, at
// start); and the layers of docs/architecture.md import only downwards (LAYERS below).
import tseslint from 'typescript-eslint';

/** Architecture bans (core no-restricted-imports: type-only imports count too). */
const BANS = {
  workflowBodies: {
    group: ['**/workflows/*', '!**/workflows/*.messages', '!**/workflows/index'],
    message: "Import a workflow's contract (src/workflows/<name>.messages.ts), not its body; start it through src/temporal/starter.ts.",
  },
  httpLayer: {
    group: ['**/api', '**/api/*', 'express'],
    message: 'Only src/api (and the CLI) may import the HTTP layer; the hand-off to Temporal is src/temporal/starter.ts.',
  },
  config: {
    group: ['**/config', '**/config/**'],
    message: 'src/domain must not import src/config (types included): use the plain types of src/domain/types.ts; src/config/rules/ checks that its zod types match them.',
  },
};

/**
 * Each source file is in exactly one layer, so each gets one list of bans (in flat config a later
 * block that sets the same rule for a file replaces the earlier options instead of adding to them).
 */
const LAYERS = [
  { files: ['src/domain/**/*.ts'], bans: ['workflowBodies', 'httpLayer', 'config'] },
  { files: ['src/workflows/**/*.ts'], bans: ['httpLayer'] },
  {
    files: ['src/activities/**/*.ts', 'src/temporal/**/*.ts', 'src/backfill/**/*.ts', 'src/analytics/**/*.ts', 'src/bitrix24/**/*.ts', 'src/shared/**/*.ts'],
    bans: ['workflowBodies', 'httpLayer'],
  },
  { files: ['src/api/**/*.ts', 'src/config/**/*.ts', 'src/setup/**/*.ts'], bans: ['workflowBodies'] },
  { files: ['src/cli/**/*.ts'], bans: ['workflowBodies'] },
];

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
            { group: ['**/bitrix24', '**/bitrix24/*', 'axios', '@bitrix24/*', 'zod', '**/config/rules', '**/config/rules/**'], message: 'Workflow and domain code does no I/O and no validation: use activities and plain types.', allowTypeImports: true },
          ],
        },
      ],
    },
  },
  ...LAYERS.map(({ files, bans }) => ({
    files,
    rules: { 'no-restricted-imports': ['error', { patterns: bans.map((b) => BANS[b]) }] },
  })),
  {
    // Size limits (issue 11): files of at most 500 lines, functions of at most 120.
    files: ['src/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 500 }],
      'max-lines-per-function': ['error', { max: 120, skipBlankLines: true, skipComments: true }],
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
