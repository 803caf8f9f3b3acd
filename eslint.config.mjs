import { defineConfig } from 'eslint/config';
import baseConfig from './.config/eslint.config.mjs';
import backendLayers from './backend-ts/eslint.layers.mjs';
import { pluginLayers } from './eslint/pluginLayers.mjs';

export default defineConfig([
  {
    ignores: [
      '**/node_modules/',
      '**/dist/',
      '**/coverage/',
      'backend-ts/src/gen/',
      'test-results/',
      'playwright-report/',
      'tests/harness/.cache/',
      '**/*.log',
    ],
  },
  ...baseConfig,
  ...backendLayers,
  {
    // ESLint only lints .js/.mjs/.cjs unless a config names other extensions: name the TypeScript of
    // every workspace so backend-ts and the tests get the same rules as src/.
    files: ['**/*.{ts,tsx,mts,cts}'],
  },
  ...pluginLayers,
  {
    files: ['tests/**/*.{js,mjs}', 'scripts/**/*.mjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        window: 'readonly',
        document: 'readonly',
      },
    },
  },
]);
