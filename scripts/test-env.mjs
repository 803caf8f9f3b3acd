// The environment the test scripts give every suite: with TEST_CLOCK_AT (minute of the hour) or
// TEST_CLOCK_OFFSET_MS, scripts/test-clock.mjs is preloaded into every Node process of the run (NODE_OPTIONS
// reaches the test runners, the backends and Azurite they spawn, and the harness, which passes the offset on to
// the browser page).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLOCK = join(dirname(fileURLToPath(import.meta.url)), 'test-clock.mjs');

export function withTestClock(env) {
  if (!env.TEST_CLOCK_AT && !env.TEST_CLOCK_OFFSET_MS) {
    return env;
  }
  if (env.TEST_CLOCK_AT && !/^\d{1,2}(:\d{1,2})?$/.test(env.TEST_CLOCK_AT)) {
    throw new Error(`TEST_CLOCK_AT must be mm or mm:ss (minute of the hour), not ${env.TEST_CLOCK_AT}`);
  }
  const opts = env.NODE_OPTIONS ?? '';
  return opts.includes(CLOCK) ? env : { ...env, NODE_OPTIONS: `${opts} --import ${CLOCK}`.trim() };
}
