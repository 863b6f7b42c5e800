// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeProtocol = {
  regex:
    '^(fs|path|url|crypto|child_process|events|os|util|stream|http|https|net|timers|worker_threads|zlib|assert|test)(/.*)?$',
  message: 'Use the node: protocol for built-in modules.',
};

// The catalog owns its tables: every other package (ingest, gateway, e2e,
// console, bench, tools …) writes and reads them through
// `@tonegraph/catalog/store` (or plain SQL over the store's client in tests),
// never through the drizzle schema or drizzle itself. A later block's options replace an
// earlier one's, so the node: pattern is repeated.
const catalogTables = [
  {
    regex: '^@tonegraph/catalog/schema$|/subgraphs/catalog/src/db/|^(\\.\\./)+catalog/src/db/',
    message: "The catalog's tables are its own: use @tonegraph/catalog/store.",
  },
  {
    regex: '^drizzle-orm(/.*)?$',
    message: 'Only the catalog speaks drizzle to its tables: use @tonegraph/catalog/store.',
  },
];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/target/**', '.stack/**', 'schema/**', '**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      // Three programs, not one per workspace (the project service's way), which ran out of the default
      // heap: the workspaces share one set of compiler options except the two that run code in a browser.
      // A file belongs to the first program that includes it.
      parserOptions: {
        project: ['./e2e/tsconfig.json', './console/tsconfig.json', './tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', name: ['test', 'it', 'describe', 'suite'], package: 'node:test' },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { patterns: [nodeProtocol] }],
    },
  },
  {
    files: ['**/*.ts'],
    // tools/stack tests the stack's PostgreSQL with drizzle tables of its own (next block).
    ignores: ['subgraphs/catalog/**', 'tools/stack/test/postgres.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [nodeProtocol, ...catalogTables] }],
    },
  },
  {
    files: ['tools/stack/test/postgres.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [nodeProtocol, catalogTables[0]] }],
    },
  },
  {
    files: ['**/test/**/*.ts', 'e2e/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
