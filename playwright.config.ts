import { defineConfig } from '@playwright/test';

// Browser tests against the Grafana host harness and a real backend-ts (started in global setup).
// Debian's chromium, never a downloaded browser: `npm run test:e2e` checks for it first.
export default defineConfig({
  testDir: './tests/e2e',
  // generous: a test's own steps are bounded by the expectations below; the whole-test bound only catches a
  // hang, and a three-view test took 1.6 min on a 2-core machine busy with other work
  timeout: 300_000,
  expect: { timeout: 30_000 },
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: 'test-results/e2e',
  globalSetup: './tests/e2e/global-setup.ts',
  use: {
    browserName: 'chromium',
    viewport: { width: 1600, height: 1000 },
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
});
