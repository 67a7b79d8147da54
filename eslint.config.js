import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'src/gen/', 'node_modules/', '.tap/', 'bench/results/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }]
    }
  },
  {
    // The CLI, benchmarks, tests, CI helpers and examples talk to a person: console is their job.
    files: ['src/cli/**', 'bench/**', 'test/**', '.ci/**', 'examples/**'],
    rules: { 'no-console': 'off' }
  },
  {
    // CommonJS consumers of the package (tests, CI): require() is what they exercise.
    files: ['**/*.cjs', '**/*.cts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' }
  }
)
