// ESLint for karoo's TypeScript and scripts: the recommended JavaScript and typescript-eslint
// rules (syntax-only, so a lint run takes seconds and needs no type information; `tsc -b` is
// the type check). Generated and compiled files and test fixtures are not linted. Run by the
// test command (scripts/test.sh), with prettier --check.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '**/lib/', '**/generated/', '**/*.d.ts', 'coverage/', 'test/fixtures/', 'examples/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // An unused parameter named _x is deliberate (an interface's shape, a callback's position).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // karoo matches control characters on purpose: to refuse them in names, paths and SSH values.
      'no-control-regex': 'off',
    },
  },
  {
    // Tests hand malformed values to typed functions: that is what an `any` there is for.
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
