// The plugin's three layers (docs: ../shared/notes/style.md, grafana/profiles-drilldown's CODE-ARCHITECTURE.md):
// ui/ (presentational) -> domain/ (how the app works: hooks returning {data, actions}) -> infrastructure/ (API
// clients, storage, Grafana services). Imports against that direction fail lint; tests/unit/pluginLayers.test.ts
// checks that a wrong import does.

const INFRASTRUCTURE = {
  group: ['**/infrastructure/**', '**/infrastructure'],
  // types are data shapes, not a way to reach the outside world
  allowTypeImports: true,
  message: 'ui/ reaches infrastructure only through domain/ (a hook returning { data, actions }).',
};
const UI = {
  group: ['**/ui/**', '**/ui'],
  allowTypeImports: true,
  message: 'domain/ and infrastructure/ do not import ui/: the layers point ui -> domain -> infrastructure.',
};
const PAGES = {
  group: ['**/pages/**', '**/pages'],
  message: 'shared code and components do not import from pages/.',
};

const restrict = (...patterns) => ({
  '@typescript-eslint/no-restricted-imports': ['error', { patterns }],
});

// A file takes the last entry that matches it, so the more specific folders come last and repeat what applies.
export const pluginLayers = [
  { files: ['src/shared/**/*.{ts,tsx}'], rules: restrict(PAGES) },
  { files: ['src/**/ui/**/*.{ts,tsx}'], rules: restrict(INFRASTRUCTURE) },
  { files: ['src/**/domain/**/*.{ts,tsx}', 'src/**/infrastructure/**/*.{ts,tsx}'], rules: restrict(UI) },
  { files: ['src/shared/**/ui/**/*.{ts,tsx}'], rules: restrict(INFRASTRUCTURE, PAGES) },
  {
    files: ['src/shared/**/domain/**/*.{ts,tsx}', 'src/shared/**/infrastructure/**/*.{ts,tsx}'],
    rules: restrict(UI, PAGES),
  },
  {
    // Grafana's services are infrastructure: nothing else asks them directly.
    files: ['src/**/*.{ts,tsx}'],
    ignores: ['src/**/infrastructure/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@grafana/runtime',
              importNames: ['getDataSourceSrv', 'getBackendSrv'],
              message: 'Grafana services are called from infrastructure/ only.',
            },
          ],
        },
      ],
    },
  },
];
