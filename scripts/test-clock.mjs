// A test clock offset, loaded with `--import` (NODE_OPTIONS) by scripts/test.mjs and scripts/test-repeat.mjs when
// TEST_CLOCK_AT or TEST_CLOCK_OFFSET_MS is set: Date.now() and `new Date()` run that far ahead of (or behind) the
// real clock in every Node process of the run, so a run can place "now" just before or after an hour boundary
// (where settled hours, compaction windows and hour folders change) whatever the real time of day is.
//
// TEST_CLOCK_AT=mm[:ss] places "now" at that minute of the hour when the first process of a test file starts
// (the offset is then fixed in TEST_CLOCK_OFFSET_MS, so the backends, Azurite and browsers a test starts share it).
// Timers, performance.now() and file times stay real: only the wall clock moves.

/** The offset that places now at minute:second of the hour (0 <= offset < 1 h). */
export function offsetFor(at, realNow = Date.now()) {
  const m = /^(\d{1,2})(?::(\d{1,2}))?$/.exec(String(at).trim());
  if (!m || Number(m[1]) > 59 || Number(m[2] ?? 0) > 59) {
    throw new Error(`TEST_CLOCK_AT must be mm or mm:ss (minute of the hour), not ${JSON.stringify(at)}`);
  }
  const hour = 3_600_000;
  const target = Number(m[1]) * 60_000 + Number(m[2] ?? 0) * 1000;
  return (((target - (realNow % hour)) % hour) + hour) % hour;
}

function install(offset) {
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  const shifted = new Proxy(RealDate, {
    construct(target, args, newTarget) {
      return Reflect.construct(target, args.length === 0 ? [realNow() + offset] : args, newTarget);
    },
    apply() {
      return new RealDate(realNow() + offset).toString();
    },
    get(target, prop, receiver) {
      if (prop === 'now') {
        return () => realNow() + offset;
      }
      return Reflect.get(target, prop, receiver);
    },
  });
  globalThis.Date = shifted;
}

// the node:test runner's own process only spawns the test files: each file's process fixes its own offset, so
// that every test file starts at the chosen minute
const isRunnerParent = process.execArgv.includes('--test') && !process.env.NODE_TEST_CONTEXT;
if (!process.env.TEST_CLOCK_OFFSET_MS && process.env.TEST_CLOCK_AT && !isRunnerParent) {
  process.env.TEST_CLOCK_OFFSET_MS = String(offsetFor(process.env.TEST_CLOCK_AT));
}
const offset = Number(process.env.TEST_CLOCK_OFFSET_MS || 0);
if (!Number.isFinite(offset)) {
  throw new Error(`TEST_CLOCK_OFFSET_MS must be a number of milliseconds, not ${process.env.TEST_CLOCK_OFFSET_MS}`);
}
if (offset !== 0) {
  install(offset);
}
