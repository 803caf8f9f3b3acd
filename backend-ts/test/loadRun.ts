// A bounded load run against backend-ts started as its own process on 127.0.0.1: the demo's traffic (13 services,
// about 3 profiles each per 15 s) multiplied, sent open-loop at a fixed rate for a fixed duration, as agents do
// (Push as Alloy and the eBPF collector send it, and /ingest pprof as the Go and Node SDKs do). It counts requests
// and answers by status, latency, and samples the backend's RSS from /proc, so a caller can check "zero 5xx" and
// "flat memory". Used by `npm run test:load` (2 minutes) and test/load.test.ts (15 s).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { sleep, startChild } from './helpers.js';
import { encodePush } from './wire.js';

/** The demo's seed services (demo/src/catalog.ts names them; only their number and rate matter here). */
export const DEMO_SERVICES = 13;
/** Profiles per service per 15 s in the demo (cpu plus one or two memory/other types). */
export const DEMO_PROFILES_PER_15S = 3;
export const DEMO_RATE = (DEMO_SERVICES * DEMO_PROFILES_PER_15S) / 15;

export interface LoadOptions {
  /** Profiles per second to send. */
  rate: number;
  durationSec: number;
  /** Requests allowed in flight; a send that finds them all busy is counted as client backlog. */
  maxInFlight?: number;
  /** Extra backend flags. */
  flags?: string[];
  /** Called every `reportEverySec` with a one-line progress report. */
  onProgress?: (line: string) => void;
  reportEverySec?: number;
}

export interface LoadResult {
  sent: number;
  byStatus: Record<string, number>;
  errors5xx: number;
  connectionErrors: number;
  backlogSkips: number;
  achievedRate: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** [seconds since start, RSS bytes] of the backend process. */
  rss: Array<[number, number]>;
  rssAt30s: number;
  rssEnd: number;
}

// ---- realistic profiles, encoded by hand from pprof's field numbers -----------------------------------------
function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 127) {
    out.push((v % 128) | 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}
const lenField = (f: number, b: Buffer) =>
  Buffer.concat([Buffer.from([...varint((f << 3) | 2), ...varint(b.length)]), b]);
const intField = (f: number, v: number) => Buffer.from([...varint(f << 3), ...varint(v)]);
const packed = (f: number, vs: number[]) => lenField(f, Buffer.from(vs.flatMap(varint)));

/** Deterministic PRNG (mulberry32), so every run sends the same bytes. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A CPU profile of one service shaped like the demo's (demo/src/catalog.ts: a few dozen weighted stacks per
 * service, 6-20 frames deep): `stacks` distinct stacks over a pool of Go-like function names sharing prefixes as
 * real call trees do, 10 ms per sample, gzipped as agents send it (about 2 KB).
 */
export function servicePprof(service: number, variant: number, stacks = 30): Buffer {
  const rnd = prng(service * 1000 + variant);
  const strings = ['', 'cpu', 'nanoseconds', 'samples', 'count'];
  const str = (s: string) => {
    let i = strings.indexOf(s);
    if (i < 0) {
      i = strings.push(s) - 1;
    }
    return i;
  };
  const fnCount = 120;
  const fns = Array.from({ length: fnCount }, (_, i) => {
    const pkg = [
      'net/http',
      'runtime',
      'encoding/json',
      `svc${service}/handler`,
      `svc${service}/store`,
      'database/sql',
    ][i % 6];
    return { name: str(`${pkg}.fn${i}`), file: str(`${pkg}/file${i % 17}.go`) };
  });
  const samples: Buffer[] = [];
  for (let s = 0; s < stacks; s++) {
    const depth = 6 + Math.floor(rnd() * 15);
    const locs: number[] = [];
    let f = Math.floor(rnd() * 20);
    for (let d = 0; d < depth; d++) {
      // leaf first: walk down from a shared root region into deeper, more varied functions
      f = (f * 31 + Math.floor(rnd() * (d < 4 ? 3 : 20))) % fnCount;
      locs.push(f + 1);
    }
    locs.reverse();
    const n = 1 + Math.floor(rnd() * 20);
    samples.push(lenField(2, Buffer.concat([packed(1, locs), packed(2, [n * 10_000_000])])));
  }
  const parts = [
    lenField(1, Buffer.concat([intField(1, str('cpu')), intField(2, str('nanoseconds'))])),
    ...samples,
    ...fns.map((fn, i) =>
      lenField(
        4,
        Buffer.concat([intField(1, i + 1), lenField(4, Buffer.concat([intField(1, i + 1), intField(2, 10 + i)]))])
      )
    ),
    ...fns.map((fn, i) => lenField(5, Buffer.concat([intField(1, i + 1), intField(2, fn.name), intField(4, fn.file)]))),
    ...strings.map((s) => lenField(6, Buffer.from(s))),
    lenField(11, Buffer.concat([intField(1, str('cpu')), intField(2, str('nanoseconds'))])),
    intField(12, 10_000_000),
  ];
  return gzipSync(Buffer.concat(parts));
}

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bts-load-'));
  const be = await startChild([
    `-storage.filesystem.dir=${dir}`,
    '-distributor.ingestion-rate-limit-mb=0',
    // compaction would run in the middle of a short run only by chance: keep the measurement about ingest
    '-compactor.compaction-interval=0',
    ...(opts.flags ?? []),
  ]);
  const pid = be.proc.pid!;
  const bodies = Array.from({ length: DEMO_SERVICES }, (_, s) =>
    Array.from({ length: DEMO_PROFILES_PER_15S }, (_, v) => servicePprof(s, v))
  );
  const maxInFlight = opts.maxInFlight ?? 1024;
  const total = Math.round(opts.rate * opts.durationSec);
  const byStatus: Record<string, number> = {};
  const latencies: number[] = [];
  const rss: Array<[number, number]> = [];
  let inFlight = 0;
  let backlogSkips = 0;
  let connectionErrors = 0;
  let sent = 0;
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;

  const sendOne = async (i: number): Promise<void> => {
    const service = i % DEMO_SERVICES;
    const variant = Math.floor(i / DEMO_SERVICES) % DEMO_PROFILES_PER_15S;
    const raw = bodies[service][variant];
    // a stream of distinct pods per service, as a scaled-out demo would be
    const pod = `pod-${Math.floor(i / (DEMO_SERVICES * 7)) % 50}`;
    const start = performance.now();
    inFlight++;
    try {
      let r: Response;
      if (i % 2 === 0) {
        // Alloy / eBPF: Push, binary protobuf
        const body = encodePush([
          {
            labels: { __name__: 'process_cpu', service_name: `load-svc-${service}`, pod, namespace: 'load' },
            samples: [{ raw, id: `load-${i}` }],
          },
        ]);
        r = await fetch(`${be.url}/push.v1.PusherService/Push`, {
          method: 'POST',
          headers: { 'content-type': 'application/proto', 'connect-protocol-version': '1' },
          body: new Uint8Array(body),
          signal: AbortSignal.timeout(30_000),
        });
      } else {
        // the Go SDK: /ingest with a raw gzipped pprof
        const now = Math.floor(Date.now() / 1000);
        const q = new URLSearchParams({
          name: `load-svc-${service}{pod=${pod},namespace=load}`,
          from: String(now - 15),
          until: String(now),
          format: 'pprof',
          spyName: 'gospy',
        });
        r = await fetch(`${be.url}/ingest?${q}`, {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream' },
          body: new Uint8Array(raw),
          signal: AbortSignal.timeout(30_000),
        });
      }
      await r.arrayBuffer();
      byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
    } catch {
      connectionErrors++;
    } finally {
      inFlight--;
      latencies.push(performance.now() - start);
    }
  };

  const pending = new Set<Promise<void>>();
  let nextReport = opts.reportEverySec ?? 10;
  let nextRss = 0;
  try {
    while (sent < total) {
      const due = Math.min(total, Math.floor(elapsed() * opts.rate) + 1);
      while (sent < due) {
        if (inFlight >= maxInFlight) {
          backlogSkips++;
          sent++;
          continue;
        }
        const p = sendOne(sent++);
        pending.add(p);
        void p.finally(() => pending.delete(p));
      }
      if (elapsed() >= nextRss) {
        rss.push([Math.round(elapsed()), rssOf(pid)]);
        nextRss += 5;
      }
      if (opts.onProgress && elapsed() >= nextReport) {
        const s5 = Object.entries(byStatus)
          .filter(([s]) => Number(s) >= 500)
          .reduce((a, [, n]) => a + n, 0);
        opts.onProgress(
          `t=${elapsed().toFixed(0)}s sent=${sent} in-flight=${inFlight} ok=${byStatus['200'] ?? 0} 5xx=${s5} ` +
            `conn-errors=${connectionErrors} rss=${(rssOf(pid) / 1048576).toFixed(0)}MiB`
        );
        nextReport += opts.reportEverySec ?? 10;
      }
      await sleep(5);
    }
    await Promise.all(pending);
    rss.push([Math.round(elapsed()), rssOf(pid)]);
  } finally {
    await be.kill();
    rmSync(dir, { recursive: true, force: true });
  }
  const sorted = latencies.sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
  const at30 = rss.find(([t]) => t >= 30)?.[1] ?? rss[Math.floor(rss.length / 2)]?.[1] ?? NaN;
  const ok = byStatus['200'] ?? 0;
  return {
    sent,
    byStatus,
    errors5xx: Object.entries(byStatus)
      .filter(([s]) => Number(s) >= 500)
      .reduce((a, [, n]) => a + n, 0),
    connectionErrors,
    backlogSkips,
    achievedRate: ok / opts.durationSec,
    p50Ms: pct(0.5),
    p99Ms: pct(0.99),
    maxMs: sorted[sorted.length - 1] ?? 0,
    rss,
    rssAt30s: at30,
    rssEnd: rss[rss.length - 1]?.[1] ?? NaN,
  };
}

export function describeResult(r: LoadResult, rate: number, durationSec: number): string {
  const mib = (b: number) => `${(b / 1048576).toFixed(0)} MiB`;
  return (
    `load: ${r.sent} requests (profiles of ${servicePprof(0, 0).length} bytes gzipped) in ${durationSec} s at ${rate}/s (demo rate ${DEMO_RATE.toFixed(1)}/s x${(rate / DEMO_RATE).toFixed(0)}), ` +
    `statuses ${JSON.stringify(r.byStatus)}, ${r.errors5xx} 5xx, ${r.connectionErrors} connection errors, ` +
    `${r.backlogSkips} not sent (client backlog), ${r.achievedRate.toFixed(1)} acknowledged/s, ` +
    `latency p50 ${r.p50Ms.toFixed(0)} ms p99 ${r.p99Ms.toFixed(0)} ms max ${r.maxMs.toFixed(0)} ms, ` +
    `RSS at 30 s ${mib(r.rssAt30s)}, at the end ${mib(r.rssEnd)} (samples: ${r.rss.map(([t, b]) => `${t}s=${mib(b)}`).join(' ')})`
  );
}
