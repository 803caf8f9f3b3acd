import { clearTimeNanos, ingestPprof } from '../support/pprof.mjs';
import {
  FIXTURES_MISSING,
  fixturesAvailable,
  readFixture,
  runSdkApp,
  startBackend,
  startHarness,
} from './support/stack';

// One backend and one harness for the whole run; the specs read their URLs from the environment.
export default async function globalSetup() {
  const backend = await startBackend();
  let harness;
  try {
    if (fixturesAvailable()) {
      await ingestPprof(backend.url, clearTimeNanos(readFixture('pprof/cpu.pb.gz')), 'go-app');
      await ingestPprof(backend.url, clearTimeNanos(readFixture('pprof/cpu-exemplars.pb.gz')), 'go-labels');
      await ingestPprof(backend.url, clearTimeNanos(readFixture('pprof/profile_rust')), 'rust-app');
    } else {
      console.warn(`e2e: ${FIXTURES_MISSING}`);
    }
    // The real Node.js SDK, pushing wall and heap profiles like any user's service.
    await runSdkApp(backend.url, 'node-sdk-app', 3000);
    harness = await startHarness(backend.url);
  } catch (e) {
    backend.stop();
    throw e;
  }
  process.env.E2E_BACKEND_URL = backend.url;
  process.env.E2E_HARNESS_URL = harness.url;
  return async () => {
    harness?.stop();
    backend.stop();
  };
}
