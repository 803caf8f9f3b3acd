// `npm run test:load`: the demo's traffic x50 (about 130 profiles/s) for 2 minutes against backend-ts on
// 127.0.0.1 with -distributor.ingestion-rate-limit-mb=0; passes with zero 5xx, zero connection errors, nearly all
// of the rate acknowledged, and flat memory (RSS at the end <= RSS at 30 s + 10 %). LOAD_RATE and LOAD_SECONDS
// change the rate and the duration (e.g. to find what a machine sustains).
import { DEMO_RATE, describeResult, runLoad } from '../test/loadRun.js';

const rate = Number(process.env.LOAD_RATE ?? Math.round(DEMO_RATE * 50));
const durationSec = Number(process.env.LOAD_SECONDS ?? 120);
console.log(`load: ${rate} profiles/s for ${durationSec} s (the demo sends ${DEMO_RATE.toFixed(1)}/s)`);
const r = await runLoad({ rate, durationSec, onProgress: (l) => console.log(`  ${l}`) });
console.log(describeResult(r, rate, durationSec));
const problems: string[] = [];
if (r.errors5xx > 0) {
  problems.push(`${r.errors5xx} answers were 5xx`);
}
if (r.connectionErrors > 0) {
  problems.push(`${r.connectionErrors} requests failed to connect or timed out`);
}
if (r.achievedRate < rate * 0.95) {
  problems.push(`only ${r.achievedRate.toFixed(1)}/s acknowledged of ${rate}/s`);
}
if (durationSec >= 60 && r.rssEnd > r.rssAt30s * 1.1) {
  problems.push(`RSS grew from ${r.rssAt30s} at 30 s to ${r.rssEnd} at the end (more than 10 %)`);
}
console.log(problems.length ? `load: FAILED: ${problems.join('; ')}` : 'load: passed');
console.log(`${problems.length ? 0 : 1} passed, ${problems.length ? 1 : 0} failed`);
process.exit(problems.length ? 1 : 0);
