// force timezone to UTC to allow tests to work regardless of local timezone
process.env.TZ = 'UTC';

const { grafanaESModules, nodeModulesToTransform } = require('./.config/jest/utils');
const { grafanaLLMESModules } = require('@grafana/llm/jest');
const base = require('./.config/jest.config');

module.exports = {
  ...base,
  // the 5 s default is a machine-speed assumption: a busy machine stretches a test, it does not break it
  testTimeout: 60_000,
  testMatch: ['<rootDir>/src/**/*.test.{ts,tsx}', '<rootDir>/tests/unit/**/*.test.{ts,tsx}'],
  // .mjs too: d3's packages and @grafana/llm ship ES modules only.
  transform: { '^.+\\.(t|j)sx?$|^.+\\.mjs$': base.transform['^.+\\.(t|j)sx?$'] },
  transformIgnorePatterns: [
    nodeModulesToTransform([...grafanaESModules, 'd3-.*', 'internmap', ...grafanaLLMESModules]),
  ],
};
