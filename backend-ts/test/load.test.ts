// The short version of `npm run test:load`: the demo's traffic x50 (about 130 profiles/s) for 15 s against
// backend-ts in its own process on 127.0.0.1, with the rate limit off: zero 5xx and zero connection errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEMO_RATE, describeResult, runLoad } from './loadRun.js';

test('15 s at the demo rate x50: zero 5xx', async () => {
  const rate = Math.round(DEMO_RATE * 50);
  const r = await runLoad({ rate, durationSec: 15 });
  console.log(`# ${describeResult(r, rate, 15)}`);
  assert.equal(r.errors5xx, 0, JSON.stringify(r.byStatus));
  assert.equal(r.connectionErrors, 0);
  assert.equal(r.byStatus['200'], r.sent - r.backlogSkips, `every request answered 200: ${JSON.stringify(r.byStatus)}`);
});
