// A tiny Node.js service profiled by the real @pyroscope/nodejs SDK, pushing to the backend under test.
// Usage: node sdk-app.cjs <serverAddress> <appName> <durationMs>
const Pyroscope = require('@pyroscope/nodejs');

const [serverAddress, appName = 'node-sdk-app', durationMs = '4000'] = process.argv.slice(2);

function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

async function main() {
  Pyroscope.init({ serverAddress, appName, flushIntervalMs: 1000, tags: { env: 'e2e' } });
  Pyroscope.start();
  const end = Date.now() + Number(durationMs);
  while (Date.now() < end) {
    fib(24);
    await new Promise((r) => setImmediate(r));
  }
  await Pyroscope.stop();
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  }
);
