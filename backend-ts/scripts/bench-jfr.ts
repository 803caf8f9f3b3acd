// JFR parse throughput next to the raw gunzip throughput of the same bytes, measured in one run, so the number
// means something on whatever machine runs it. Usage: node --import tsx scripts/bench-jfr.ts [targetMB] [runs]
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { parseJfr } from '../src/formats/jfr/parse-jfr.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'fixtures', 'jfr');
if (!existsSync(fixtures)) {
  console.error(`bench-jfr: no recordings at ${fixtures} (../shared/fixtures is absent in this checkout)`);
  process.exit(1);
}

const targetBytes = Number(process.argv[2] ?? 3) * 1e6;
const runs = Number(process.argv[3] ?? 15);

// Concatenated recordings are a valid multi-chunk recording: every chunk carries its own metadata and pools.
const parts = readdirSync(fixtures)
  .filter((f) => f.endsWith('.jfr.gz'))
  .sort()
  .map((f) => gunzipSync(readFileSync(join(fixtures, f))));
const chunks: Buffer[] = [];
let size = 0;
for (let i = 0; size < targetBytes; i++) {
  const p = parts[i % parts.length]!;
  chunks.push(p);
  size += p.length;
}
const jfr = new Uint8Array(Buffer.concat(chunks));
const gz = gzipSync(jfr);
const mb = jfr.length / 1e6;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

// The very first call runs on cold (unoptimized) code: what a freshly started server sees.
// Process CPU time is printed next to it because on a shared machine wall time mostly measures the neighbours.
let t = performance.now();
const cpu0 = process.cpuUsage();
const profiles = parseJfr(jfr);
const coldCpu = process.cpuUsage(cpu0);
const coldMs = performance.now() - t;

const parseMs: number[] = [];
const gunzipMs: number[] = [];
for (let i = 0; i < runs; i++) {
  t = performance.now();
  gunzipSync(gz);
  gunzipMs.push(performance.now() - t);
  t = performance.now();
  parseJfr(jfr);
  parseMs.push(performance.now() - t);
}
const parseRate = mb / (median(parseMs) / 1000);
const gunzipRate = mb / (median(gunzipMs) / 1000);

const samples = profiles.reduce((n, p) => n + p.profile.sampleStack.length, 0);
console.log(
  `recording: ${mb.toFixed(2)} MB (${chunks.length} chunks, ${(gz.length / 1e6).toFixed(2)} MB gzipped) -> ${profiles.length} profiles, ${samples} samples`
);
console.log(
  `first parse (cold JIT): ${coldMs.toFixed(1)} ms wall, ${((coldCpu.user + coldCpu.system) / 1000).toFixed(1)} ms CPU`
);
console.log(
  `jfr parse : ${parseRate.toFixed(1).padStart(7)} MB/s  (median ${median(parseMs).toFixed(1)} ms of ${runs})`
);
console.log(
  `gunzip    : ${gunzipRate.toFixed(1).padStart(7)} MB/s  (median ${median(gunzipMs).toFixed(1)} ms, output bytes)`
);
console.log(`ratio jfr/gunzip: ${(parseRate / gunzipRate).toFixed(2)}`);
