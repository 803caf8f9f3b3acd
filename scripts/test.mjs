#!/usr/bin/env node
// The README's test command: every suite of the project, one after the other, with the time each took and a
// closing "N passed, N failed" line. Long runs (load, long fuzzing, benchmarks) have their own scripts.
// TEST_CLOCK_AT=mm[:ss] runs every test file with "now" at that minute of the hour (scripts/test-clock.mjs).
import { spawnSync, execSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { withTestClock } from './test-env.mjs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const has = (s) => Boolean(pkg.scripts?.[s]);
const only = process.argv.slice(2);

function ensureChromium() {
  if (existsSync('/usr/bin/chromium')) {
    return;
  }
  if (process.getuid?.() === 0) {
    console.log('[test] Debian chromium is missing: installing it (apt-get install -y chromium)');
    execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null', {
      stdio: 'inherit',
      shell: '/bin/bash',
    });
    return;
  }
  console.error(
    '[test] browser tests need Debian chromium at /usr/bin/chromium: run `sudo apt-get install -y chromium` and retry'
  );
  process.exit(1);
}

const suites = [
  ['typecheck backend', 'npx tsc -p backend-ts/tsconfig.json --noEmit'],
  has('typecheck:plugin') && ['typecheck plugin', 'npm run --silent typecheck:plugin'],
  has('lint') && ['lint', 'npm run --silent lint'],
  [
    'backend tests',
    'node --import tsx --test --test-concurrency=1 --test-timeout=600000 backend-ts/test/*.test.ts',
    { cwd: undefined },
  ],
  has('test:stack') && ['stack tests', 'npm run --silent test:stack'],
  has('test:unit') && ['plugin unit tests', 'npm run --silent test:unit'],
  has('test:e2e') && ['browser tests', 'npm run --silent test:e2e', { browser: true }],
].filter(Boolean);

const env = withTestClock({ ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' });
if (env.NODE_OPTIONS !== process.env.NODE_OPTIONS) {
  console.log(
    `[test] test clock: ${env.TEST_CLOCK_AT ? `each test file starts at minute ${env.TEST_CLOCK_AT} of the hour` : `offset ${env.TEST_CLOCK_OFFSET_MS} ms`}`
  );
}
const results = [];
for (const [name, cmd, opts = {}] of suites) {
  if (only.length && !only.some((o) => name.includes(o))) {
    continue;
  }
  if (opts.browser) {
    ensureChromium();
  }
  console.log(`\n=== ${name}: ${cmd}`);
  const t0 = Date.now();
  const r = spawnSync(cmd, {
    stdio: 'inherit',
    shell: '/bin/bash',
    env,
  });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  results.push({ name, ok: r.status === 0, secs });
  console.log(`=== ${name}: ${r.status === 0 ? 'passed' : 'FAILED'} in ${secs}s`);
}
console.log('\nsuite timings:');
for (const r of results) {
  console.log(`  ${r.ok ? 'ok  ' : 'FAIL'} ${r.name.padEnd(20)} ${r.secs}s`);
}
const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
console.log(`suites: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
