// force timezone to UTC to allow tests to work regardless of local timezone
process.env.TZ = 'UTC';

const { grafanaESModules, nodeModulesToTransform } = require('./.config/jest/utils');
const { grafanaLLMESModules } = require('@grafana/llm/jest');
const base = require('./.config/jest.config');

module.exports = {
  ...base,
  testMatch: ['<rootDir>/src/**/*.test.{ts,tsx}', '<rootDir>/tests/unit/**/*.test.{ts,tsx}'],
  // .mjs too: d3's packages and @grafana/llm ship ES modules only.
  transform: { '^.+\\.(t|j)sx?$|^.+\\.mjs$': base.transform['^.+\\.(t|j)sx?$'] },
  transformIgnorePatterns: [
    nodeModulesToTransform([...grafanaESModules, 'd3-.*', 'internmap', ...grafanaLLMESModules]),
  ],
};
