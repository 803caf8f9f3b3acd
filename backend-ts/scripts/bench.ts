// `npm run bench`: every benchmark, one after the other; each prints its own table with ratios to a floor
// measured in the same run. Timings are printed, never asserted.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const benches = [
  'bench-startup.ts',
  'bench-ingest.ts',
  'bench-jfr.ts',
  'bench-encode.ts',
  'bench-query.ts',
  'bench-compaction.ts',
  'bench-store-reads.ts',
].filter((b) => existsSync(join(here, b)));
let failed = 0;
for (const b of benches) {
  console.log(`\n### ${b}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, b)], {
    stdio: 'inherit',
    cwd: join(here, '..'),
  });
  if (r.status !== 0) {
    failed++;
  }
}
process.exit(failed ? 1 : 0);
