// Ingest throughput over HTTP (loopback, concurrency 8, one backend process) next to the floor measured in the
// same run: gunzip plus a lean protobuf scan of the same bodies in this process. Prints ratios, asserts nothing.
import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ingest, pprofFixtureFiles, startChild, withoutTime, HAVE_FIXTURES } from '../test/helpers.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

/** Every field read, strings and sample values materialized, no object per message: the decode floor. */
function leanScan(buf: Uint8Array): number {
  let pos = 0;
  const td = new TextDecoder();
  let acc = 0;
  const varint = () => {
    let r = 0;
    let m = 1;
    let b;
    do {
      b = buf[pos++];
      r += (b & 0x7f) * m;
      m *= 128;
    } while (b & 0x80);
    return r;
  };
  const walk = (end: number, depth: number) => {
    while (pos < end) {
      const key = varint();
      const wt = key & 7;
      if (wt === 0) {
        acc += varint();
      } else if (wt === 2) {
        const len = varint();
        const lim = pos + len;
        const f = key >>> 3;
        if (depth === 0 && f === 6) {
          acc += td.decode(buf.subarray(pos, lim)).length;
          pos = lim;
        } else if (depth === 0 && (f === 2 || f === 4 || f === 5 || f === 1 || f === 11)) {
          walk(lim, 1);
        } else if (depth === 1) {
          while (pos < lim) {
            acc += varint();
          }
        } else {
          pos = lim;
        }
      } else if (wt === 1) {
        pos += 8;
      } else if (wt === 5) {
        pos += 4;
      } else {
        throw new Error('bad wire type');
      }
    }
  };
  walk(buf.length, 0);
  return acc;
}

async function main(): Promise<void> {
  if (!HAVE_FIXTURES) {
    console.log('ingest bench: skipped (../shared/fixtures absent)');
    return;
  }
  const bodies: Buffer[] = [];
  for (const f of pprofFixtureFiles()) {
    let b = readFileSync(f);
    try {
      const raw = b[0] === 0x1f ? gunzipSync(b) : b;
      leanScan(raw);
      if (b[0] !== 0x1f) {
        b = gzipSync(b);
      }
      bodies.push(withoutTime(b));
    } catch {
      // malformed fixtures are the hardening suite's business
    }
  }
  const rawBytes = bodies.reduce((a, b) => a + gunzipSync(b).length, 0) / bodies.length;
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 3000) {
    leanScan(gunzipSync(bodies[n % bodies.length]));
    n++;
  }
  const floor = n / ((performance.now() - t0) / 1000);

  const be = await startChild([
    '-storage.backend=filesystem',
    `-storage.filesystem.dir=${(await import('node:fs')).mkdtempSync('/tmp/bench-')}`,
    '-distributor.ingestion-rate-limit-mb=0',
    '-distributor.ingestion-burst-size-mb=0',
  ]);
  let ok = 0;
  let bad = 0;
  let i = 0;
  const lat: number[] = [];
  const t1 = performance.now();
  const worker = async () => {
    while (performance.now() - t1 < SECONDS * 1000) {
      const k = i++;
      const s = performance.now();
      const r = await ingest(be.url, bodies[k % bodies.length], `bench-${k % 50}`);
      await r.arrayBuffer();
      lat.push(performance.now() - s);
      if (r.ok) {
        ok++;
      } else {
        bad++;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  const rate = ok / ((performance.now() - t1) / 1000);
  await be.kill();
  lat.sort((a, b) => a - b);
  const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))].toFixed(1);
  console.log('\ningest (pprof fixtures, HTTP loopback, concurrency 8)');
  console.log('| measure | profiles/s | MB/s raw pprof | ratio to floor |');
  console.log('| --- | ---: | ---: | ---: |');
  console.log(
    `| floor: gunzip + lean scan, in-process | ${floor.toFixed(0)} | ${((floor * rawBytes) / 1e6).toFixed(1)} | 1.00 |`
  );
  console.log(
    `| backend-ts /ingest | ${rate.toFixed(0)} | ${((rate * rawBytes) / 1e6).toFixed(1)} | ${(rate / floor).toFixed(2)} |`
  );
  console.log(`ack latency p50 ${pct(50)} ms, p99 ${pct(99)} ms; ${bad} errors`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
