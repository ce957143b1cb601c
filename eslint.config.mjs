// Lint with module boundaries: an app never imports another app, a lib never imports an app,
// and shared code is reached through its @gatehouse/* alias, not a relative path into libs/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

const APPS = ['gateway', 'runs', 'gates', 'escalation', 'cli', 'console'];

const appBoundary = (app) => ({
  files: [`apps/${app}/**/*.{ts,tsx}`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          { group: APPS.filter((a) => a !== app).map((a) => `**/apps/${a}/**`), message: 'apps talk to each other through NATS only' },
          { group: ['**/libs/*/src/**', '../../libs/**', '../../../libs/**'], message: 'import shared code through @gatehouse/*' },
        ],
      },
    ],
  },
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tmp/**', 'tools/k6/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...APPS.map(appBoundary),
  {
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/apps/**'], message: 'a lib never imports an app' }] }],
    },
  },
  prettier,
);
