// @ts-check
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'libs/sdk/dist/**',
      'node_modules/**',
      'coverage/**',
      'bench/results/**',
      '.cache/**',
      '**/*.html',
      'clients/**',
      'test/harness/schemathesis/.venv/**',
      'test/harness/deploy-tools/.venv/**',
      'test/harness/otel-python/.venv/**',
      'examples/python-dashboard/.venv/**',
      'bench/tools/chart-compare/node_modules/**',
      'bench/tools/chart-compare/dist/**',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      // Libraries are used only through their alias: `@auren/contracts`, never a path into one.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@auren/*/*', '**/libs/*/src/**'],
              message: 'Import a lib through its alias (@auren/<lib>).',
            },
          ],
        },
      ],
    },
  },
  {
    // The dashboard's one bridge to libs/contracts: plain-value files only, never the lib's index
    // (class-validator and gRPC do not belong in a browser bundle).
    files: ['apps/dashboard/src/contracts.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts', 'apps/dashboard/src/**/*.test.ts'],
    rules: {
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: {
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        Atomics: 'readonly',
        SharedArrayBuffer: 'readonly',
        Int32Array: 'readonly',
        fetch: 'readonly',
        AbortSignal: 'readonly',
      },
    },
  },
  {
    // The chart comparison's pages run in the browser (bench/tools/chart-compare).
    files: ['bench/tools/chart-compare/src/**/*.js'],
    languageOptions: {
      globals: {
        window: 'writable',
        document: 'readonly',
        performance: 'readonly',
        Float64Array: 'readonly',
      },
    },
  },
  prettier,
);
