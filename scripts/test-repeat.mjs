#!/usr/bin/env node
// Flake hunting: `npm run test:repeat -- <N> [files…]` runs each test file N times, one run at a time, and prints
// which runs failed and the failing tests' names. Without files it runs the suites whose outcome used to depend
// on timing: faults, durability, compaction (three replicas on one container), the memory budget and replicas
// sharing a store. backend-ts/test and tests/stack files run under node:test, tests/e2e specs under Playwright,
// anything else under Jest.
//
// TEST_CLOCK_AT=mm[:ss] (scripts/test-clock.mjs) runs each file with "now" at that minute of the hour, e.g.
// `TEST_CLOCK_AT=58 npm run test:repeat -- 3` (2 minutes before an hour boundary).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withTestClock } from './test-env.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const LOG_DIR = join(ROOT, 'test-results', 'repeat');
const DEFAULT_FILES = [
  'backend-ts/test/faults.test.ts',
  'backend-ts/test/durability.test.ts',
  'backend-ts/test/compaction.test.ts',
  'backend-ts/test/memoryBudget.test.ts',
  'backend-ts/test/tenants.test.ts',
];

const [nArg, ...fileArgs] = process.argv.slice(2);
const n = Number(nArg);
if (!Number.isInteger(n) || n < 1) {
  console.error(
    'usage: npm run test:repeat -- <N> [test files…]   (N runs of each file; default files: ' +
      `${DEFAULT_FILES.join(', ')})`
  );
  process.exit(2);
}
const files = (fileArgs.length ? fileArgs : DEFAULT_FILES).map((f) => relative(ROOT, join(process.cwd(), f)));
for (const f of files) {
  if (!existsSync(join(ROOT, f))) {
    console.error(`no such test file: ${f}`);
    process.exit(2);
  }
}

function command(file) {
  if (file.startsWith('tests/e2e/')) {
    return `node tests/e2e/prepare.mjs && npx playwright test -c playwright.config.ts ${file}`;
  }
  if (file.startsWith('backend-ts/') || file.startsWith('tests/stack/')) {
    return `node --import tsx --test --test-concurrency=1 --test-timeout=600000 ${file}`;
  }
  return `npx jest --maxWorkers=2 ${file}`;
}

/** Names of failing tests in node:test (TAP), Playwright (list) or Jest output. */
function failures(out) {
  const names = new Set();
  for (const m of out.matchAll(/^\s*not ok \d+ - (.+)$/gm)) {
    names.add(m[1].trim());
  }
  for (const m of out.matchAll(/^\s*[✘x]\s+\d+ .*?› (.+?)(?: \(\d.*\))?$/gm)) {
    names.add(m[1].trim());
  }
  for (const m of out.matchAll(/^\s*● (.+)$/gm)) {
    names.add(m[1].trim());
  }
  return [...names];
}

const env = withTestClock({ ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' });
if (env.TEST_CLOCK_AT) {
  console.log(`[repeat] test clock: each file starts at minute ${env.TEST_CLOCK_AT} of the hour`);
}
const failed = [];
const t0 = Date.now();
for (const file of files) {
  let ok = 0;
  for (let run = 1; run <= n; run++) {
    const t = Date.now();
    const r = spawnSync(command(file), { cwd: ROOT, shell: '/bin/bash', env, encoding: 'utf8', maxBuffer: 1 << 28 });
    const out = `${r.stdout}\n${r.stderr}`;
    const secs = ((Date.now() - t) / 1000).toFixed(1);
    if (r.status === 0) {
      ok++;
      console.log(`[repeat] ${file} run ${run}/${n}: passed in ${secs}s`);
      continue;
    }
    const names = failures(out);
    const logFile = join(LOG_DIR, `${basename(file)}.run${run}.log`);
    mkdirSync(LOG_DIR, { recursive: true });
    writeFileSync(logFile, out);
    failed.push({ file, run, names, logFile });
    console.log(
      `[repeat] ${file} run ${run}/${n}: FAILED in ${secs}s${names.length ? '' : ' (exit ' + r.status + ')'}`
    );
    for (const name of names) {
      console.log(`           ✗ ${name}`);
    }
    // the first lines of each assertion message: enough to tell one flake from another
    for (const m of [...out.matchAll(/^\s*error: (?:'(.+)'|\|-?\n\s*(.+))$/gm)].slice(0, 5)) {
      console.log(`             ${(m[1] ?? m[2]).slice(0, 300)}`);
    }
    console.log(`             whole output: ${relative(ROOT, logFile)}`);
    if (!names.length) {
      console.log(out.split('\n').slice(-30).join('\n'));
    }
  }
  console.log(`[repeat] ${file}: ${ok}/${n} passed`);
}
console.log(
  `\n[repeat] ${files.length} files × ${n} runs in ${((Date.now() - t0) / 60000).toFixed(1)} min: ` +
    `${failed.length} failed runs`
);
for (const f of failed) {
  console.log(`  ${f.file} run ${f.run}: ${f.names.join('; ') || 'failed'}`);
}
process.exit(failed.length ? 1 : 0);
