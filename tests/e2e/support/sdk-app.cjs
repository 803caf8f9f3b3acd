// A tiny Node.js service profiled by the real @pyroscope/nodejs SDK, pushing to the backend under test.
// Usage: node sdk-app.cjs <serverAddress> <appName> <durationMs>
const Pyroscope = require('@pyroscope/nodejs');

const [serverAddress, appName = 'node-sdk-app', durationMs = '4000'] = process.argv.slice(2);

function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

// @pyroscope/nodejs 0.6.4 races with itself on stop(): a profiling round that its timer had already queued
// (setImmediate) runs after stop() and calls the stopped wall or heap profiler, which rejects ("Wall profiler is
// not started", "Heap profiler is not enabled"). Under load the window is wide enough to hit; after stop that
// round has nothing left to send.
let stopping = false;
process.on('unhandledRejection', (e) => {
  if (stopping && /Wall profiler is not started|Heap profiler is not enabled/.test(String(e && e.message))) {
    return;
  }
  console.error(e);
  process.exit(1);
});

async function main() {
  Pyroscope.init({ serverAddress, appName, flushIntervalMs: 1000, tags: { env: 'e2e' } });
  Pyroscope.start();
  const end = Date.now() + Number(durationMs);
  while (Date.now() < end) {
    fib(24);
    await new Promise((r) => setImmediate(r));
  }
  stopping = true;
  await Pyroscope.stop();
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  }
);
