// Ingest throughput over HTTP (loopback, concurrency 8, one backend process) next to the floor measured in the
// same run: gunzip plus a lean protobuf scan of the same bodies in this process. Prints ratios, asserts nothing.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ingest, pprofFixtureFiles, startChild, withoutTime, HAVE_FIXTURES } from '../test/helpers.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
/**
 * The demo workload's requests per second: per 15 s round, 13 eBPF pushes, 5 per Go service (cpu, memory,
 * goroutines, mutex, block) for 2 services, 2 per Node.js SDK service (wall, heap) for 2, and one each for
 * .NET, JFR, Python and Rust: 31 requests.
 */
const DEMO_RATE = 31 / 15;
const OPEN_RATE = DEMO_RATE * 100;
/** The writer's batch window (server.ts lingerMs). */
const LINGER_MS = 2;

/** Peak resident set (VmHWM) of a process, from /proc. */
function peakRss(pid: number | undefined): number {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/);
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

const mib = (b: number) => (Number.isFinite(b) ? `${(b / 1048576).toFixed(0)} MiB` : 'n/a');

/**
 * The decode floor, as the issue defines it: every field read, strings and sample values materialized (into
 * plain arrays), no object per message. Samples' location ids and values, locations with their lines, functions
 * and labels are walked field by field; nothing is resolved or deduplicated.
 */
function leanScan(buf: Uint8Array): number {
  let pos = 0;
  const td = new TextDecoder();
  const strings: string[] = [];
  const sampleLocs: number[] = [];
  const sampleValues: number[] = [];
  let fields = 0;
  const varint = (): number => {
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
  /** The end of a length-delimited field whose length comes next (read before pos is used). */
  const end = (): number => {
    const len = varint();
    return pos + len;
  };
  const skip = (wt: number): void => {
    if (wt === 0) {
      varint();
    } else if (wt === 2) {
      pos = end();
    } else if (wt === 1) {
      pos += 8;
    } else if (wt === 5) {
      pos += 4;
    } else {
      throw new Error(`bad wire type ${wt}`);
    }
  };
  /** A message of scalar fields (function, label, line): every varint read. */
  const scalars = (lim: number): void => {
    while (pos < lim) {
      const k = varint();
      if ((k & 7) === 0) {
        fields += varint() > 0 ? 1 : 0;
      } else {
        skip(k & 7);
      }
    }
  };
  /** A repeated varint field, packed or not, into `out`. */
  const repeated = (wt: number, out: number[]): void => {
    if (wt === 2) {
      const lim = end();
      while (pos < lim) {
        out.push(varint());
      }
    } else {
      out.push(varint());
    }
  };
  while (pos < buf.length) {
    const key = varint();
    const f = key >>> 3;
    const wt = key & 7;
    if (wt !== 2) {
      skip(wt);
      continue;
    }
    const lim = end();
    if (f === 6) {
      strings.push(td.decode(buf.subarray(pos, lim)));
      pos = lim;
    } else if (f === 2) {
      while (pos < lim) {
        const k = varint();
        const sf = k >>> 3;
        if (sf === 1) {
          repeated(k & 7, sampleLocs);
        } else if (sf === 2) {
          repeated(k & 7, sampleValues);
        } else if (sf === 3 && (k & 7) === 2) {
          scalars(end());
        } else {
          skip(k & 7);
        }
      }
    } else if (f === 4) {
      while (pos < lim) {
        const k = varint();
        if (k >>> 3 === 4 && (k & 7) === 2) {
          scalars(end());
        } else if ((k & 7) === 0) {
          fields += varint() > 0 ? 1 : 0;
        } else {
          skip(k & 7);
        }
      }
    } else if (f === 5 || f === 1 || f === 11) {
      scalars(lim);
    } else {
      pos = lim;
    }
  }
  return strings.length + sampleLocs.length + sampleValues.length + fields;
}

async function main(): Promise<void> {
  if (!HAVE_FIXTURES) {
    console.log('ingest bench: skipped (../shared/fixtures absent)');
    return;
  }
  const loadAtStart = loadavg()[0];
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
  const saturatedPeak = peakRss(be.proc.pid);

  // open loop at the demo's rate x100: requests leave on schedule whatever the answers, and each latency counts
  // from its scheduled time, so a stall shows up in the percentiles instead of slowing the sender down
  const openLat: number[] = [];
  let openBad = 0;
  let openSent = 0;
  const t2 = performance.now();
  const inFlight = new Set<Promise<void>>();
  while (performance.now() - t2 < SECONDS * 1000 && inFlight.size < 1024) {
    const due = t2 + (openSent * 1000) / OPEN_RATE;
    const wait = due - performance.now();
    if (wait > 0) {
      await new Promise((r) => setTimeout(r, wait));
    }
    const k = openSent++;
    const p = ingest(be.url, bodies[k % bodies.length], `open-${k % 50}`)
      .then(async (r) => {
        await r.arrayBuffer();
        openLat.push(performance.now() - due);
        openBad += r.ok ? 0 : 1;
      })
      .catch(() => {
        openBad++;
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  const openPeak = peakRss(be.proc.pid);
  await be.kill();
  lat.sort((a, b) => a - b);
  openLat.sort((a, b) => a - b);
  const pctOf = (xs: number[], p: number) =>
    xs.length === 0 ? 'n/a' : xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))].toFixed(1);
  const pct = (p: number) => pctOf(lat, p);
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
  console.log(
    `\nopen loop at the demo rate x100 (${OPEN_RATE.toFixed(0)} requests/s for ${SECONDS} s, ${openSent} sent): ` +
      `ack latency p50 ${pctOf(openLat, 50)} ms, p99 ${pctOf(openLat, 99)} ms (target p50 < batch window ` +
      `${LINGER_MS} ms + 100 ms); ${openBad} errors`
  );
  console.log(
    `load average ${loadAtStart.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end ` +
      `(other work on the machine makes every number above lower)`
  );
  console.log(
    `peak RSS of the backend: ${mib(saturatedPeak)} after the saturated run, ${mib(openPeak)} after the open loop ` +
      `(target < 512 MiB; deployment limit 2 GiB)`
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
