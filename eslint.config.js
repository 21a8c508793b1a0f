import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.scout/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // The CLI and benchmarks print to the terminal on purpose; tests may too.
    files: ['src/cli.ts', 'src/cli/**', 'test/**', 'bin/**'],
    rules: { 'no-console': 'off' },
  },
);
