// `npm run bench-recent`: what a query of recent data costs when the store looks as real agents leave it (issue
// 14). Many services, each pushing one CPU profile every 15 s: 1x = the demo's 2 requests/s (30 services),
// 10x = 20 requests/s (300 services), 100x = 200 requests/s (3,000 services, `BENCH_RECENT_LEVELS=100x`, its own
// run). Black box: it drives backend-ts processes over HTTP only, so the same script measures any version of the
// code (run it from an older checkout for "before" figures).
//
// Per level, on a fresh Azurite:
// - a writer replica (compaction on, as deployed) takes a live push at the real rate, one request per service
//   and 15 s, from the start to the end of the run;
// - meanwhile the history before the start (BENCH_RECENT_HISTORY_MIN, 60): its part older than
//   BENCH_RECENT_DIRECT_MIN (10) minutes is written straight into the container as the objects the version
//   under test holds by then (storage format 1: one object per request in its hour folder, as that version
//   keeps them for 70 min; format 2: one level-0 segment per 15 s tick, which its compactor then merges into the
//   blocks and index it would hold), the last minutes are pushed over HTTP one request at a time (one object per
//   request, as the writer makes them at low load); the script then waits (bounded) for the writer's compaction
//   to catch up, as it would have by then;
// - after at least 5 minutes of live push, a fresh reader replica (compaction off: a new replica, restart or
//   scale-out) answers, cold and then warm (BENCH_RECENT_RUNS, 30): the All services page (Series of
//   service_name and __profile_type__ together with SelectSeries grouped by service_name), one service's flame
//   graph, LabelValues and GetProfileStats, over the last 30 minutes and the last hour.
// Each replica reaches Azurite through a counting proxy of its own, so the reader's Azure requests and bytes per
// query are exact. Also printed: objects in the store, data older than 2 minutes in objects per minute, the
// compaction lag (age of the oldest level-0 object, sampled every 10 s), the writer's compaction CPU share
// (`pyroscope_compaction_cpu_seconds_total` where the version exports it), ack p50/p99, peak RSS of both, and
// whether profiles acknowledged by the writer 1 s earlier are in the reader's answers.
// BENCH_RECENT_AZURITE_DISK=1 keeps the emulator's blobs in files (default: its heap, as the tests do).
// BENCH_RECENT_COMPACTOR=process runs compaction in a replica of its own (the writer's compaction off): its CPU
// is then measured as that whole process's.
// BENCH_RECENT_BACKEND=/path/to/backend-ts runs another checkout's backend (the "before" figures); the storage
// format of the direct history follows that checkout (format 2 when it has src/storage/index.ts).
// Timings are printed, never asserted.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { BlobServiceClient } from '@azure/storage-blob';
import { AzureStore } from '../src/storage/azure.js';
import { SegmentBuilder } from '../src/storage/format/builder.js';
import { hoursOf, IndexStore } from '../src/storage/index.js';
import { hourOf, idTime, l0Key, parseSegmentKey, segmentKey } from '../src/storage/keys.js';
import { BACKEND_ROOT, startAzurite, startChild, type Azurite, type Child } from '../test/helpers.js';
import { body, ingestQuery, profileMaker, svcName } from './lib/benchProfiles.js';

const BACKEND = resolve(process.env.BENCH_RECENT_BACKEND ?? BACKEND_ROOT);
const FORMAT = existsSync(join(BACKEND, 'src/storage/index.ts')) ? 2 : 1;
const DIRECT_MIN = Number(process.env.BENCH_RECENT_DIRECT_MIN ?? 10);
/** Push the last DIRECT_MIN minutes over HTTP one request at a time (slow on a loaded box) instead. */
const HTTP_HISTORY = process.env.BENCH_RECENT_HTTP_HISTORY === '1';
/**
 * Objects per second the writer replica makes at most (`-segment-writer.max-objects-per-second`, off by default;
 * BENCH_RECENT_MAX_OBJECTS=10 for 100x, the issue's bound). The last minutes of history are then written as that
 * writer leaves them: each object the requests of 1/max s, not one per request.
 */
const MAX_OBJECTS = Number(process.env.BENCH_RECENT_MAX_OBJECTS ?? 0);
/**
 * BENCH_RECENT_COMPACTOR=process: compaction runs in a replica of its own (no push, no query; Pyroscope v2's
 * compaction workers) and the writer with compaction off, so compaction's CPU is that process's CPU, its store
 * requests included, and ingest keeps the writer's CPU to itself.
 */
const OWN_COMPACTOR = process.env.BENCH_RECENT_COMPACTOR === 'process';

const LEVELS: Record<string, number> = { '1x': 30, '10x': 300, '100x': 3000 };
const levels = (process.env.BENCH_RECENT_LEVELS ?? '1x,10x').split(',').map((s) => s.trim());
const HISTORY_MIN = Number(process.env.BENCH_RECENT_HISTORY_MIN ?? 60);
const LIVE_MIN_MS = Number(process.env.BENCH_RECENT_LIVE_MIN ?? 5) * 60_000;
const RUNS = Number(process.env.BENCH_RECENT_RUNS ?? 30);
/** Live push after the history's catch-up before the reader starts. */
const LIVE_AFTER_MS = Number(process.env.BENCH_RECENT_LIVE_AFTER_S ?? 120) * 1000;
/** How long the script waits for compaction to catch up after the history push. */
const SETTLE_MAX_MS = Number(process.env.BENCH_RECENT_SETTLE_MAX_S ?? 900) * 1000;
const INTERVAL_MS = 15_000;
const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const CONTAINER = 'pyroscope-data';
/** Node options of the reader replica (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`: where its query time goes). */
const READER_NODE_ARGS = (process.env.BENCH_RECENT_READER_NODE_ARGS ?? '').split(' ').filter(Boolean);

// ---- a counting proxy per replica -----------------------------------------------------------------------------
interface Counts {
  requests: number;
  reads: number;
  writes: number;
  lists: number;
  bytesIn: number;
  /** Reads of level-0 segments, of blocks, of index documents. */
  l0: number;
  blocks: number;
  index: number;
  /** Milliseconds listings and reads were in flight, summed over requests (they overlap). */
  listMs: number;
  readMs: number;
}
const zero = (): Counts => ({
  requests: 0,
  reads: 0,
  writes: 0,
  lists: 0,
  bytesIn: 0,
  l0: 0,
  blocks: 0,
  index: 0,
  listMs: 0,
  readMs: 0,
});
const diff = (a: Counts, b: Counts): Counts => ({
  requests: a.requests - b.requests,
  reads: a.reads - b.reads,
  writes: a.writes - b.writes,
  lists: a.lists - b.lists,
  bytesIn: a.bytesIn - b.bytesIn,
  l0: a.l0 - b.l0,
  blocks: a.blocks - b.blocks,
  index: a.index - b.index,
  listMs: a.listMs - b.listMs,
  readMs: a.readMs - b.readMs,
});

/**
 * CPU seconds of ingest and of compaction. Compaction in the writer: `pyroscope_compaction_cpu_seconds_total`
 * (the main thread's CPU around its synchronous steps; its store round trips count as the writer's) against the
 * rest of the writer's CPU, decode workers included. In a process of its own: that process's whole CPU against the writer's.
 */
interface CpuSplit {
  ingest: number;
  compaction: number | undefined;
  how: string;
}
async function cpuSplit(wUrl: string, cUrl: string): Promise<CpuSplit> {
  const w = (await metric(wUrl, 'process_cpu_seconds_total')) ?? NaN;
  if (cUrl !== wUrl) {
    return {
      ingest: w,
      compaction: (await metric(cUrl, 'process_cpu_seconds_total')) ?? NaN,
      how: "the compaction process's CPU (store requests included) vs the writer's",
    };
  }
  const c = await metric(wUrl, 'pyroscope_compaction_cpu_seconds_total');
  return {
    ingest: c === undefined ? w : w - c,
    compaction: c,
    how: "the main thread's CPU around compaction's synchronous steps vs the rest of the writer's CPU",
  };
}
const cpuDiff = (a: CpuSplit, b: CpuSplit): CpuSplit => ({
  ingest: a.ingest - b.ingest,
  compaction: a.compaction === undefined || b.compaction === undefined ? undefined : a.compaction - b.compaction,
  how: a.how,
});
function cpuLine(when: string, c: CpuSplit): string {
  return c.compaction === undefined
    ? `CPU, ${when}: ingest ${c.ingest.toFixed(1)} s; compaction CPU not exported by this version`
    : `CPU, ${when}: ingest ${c.ingest.toFixed(1)} s, compaction ${c.compaction.toFixed(1)} s = ` +
        `${((100 * c.compaction) / Math.max(1e-9, c.ingest)).toFixed(0)} % of ingest (${c.how})`;
}

/** A counting proxy on its own thread (scripts/lib/countingProxy.mjs); `counts` reads its live totals. */
async function countingProxy(
  target: number
): Promise<{ port: number; counts: Counts & { lastAnswerAt: number }; close(): Promise<void> }> {
  const shared = new SharedArrayBuffer(11 * 8);
  const view = new Float64Array(shared);
  const worker = new Worker(new URL('./lib/countingProxy.mjs', import.meta.url), {
    workerData: { target, counts: shared },
  });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (p: number) => resolve(p));
    worker.once('error', reject);
  });
  const counts = {
    get requests() {
      return view[0];
    },
    get reads() {
      return view[1];
    },
    get writes() {
      return view[2];
    },
    get lists() {
      return view[3];
    },
    get bytesIn() {
      return view[4];
    },
    get l0() {
      return view[5];
    },
    get blocks() {
      return view[6];
    },
    get index() {
      return view[7];
    },
    get listMs() {
      return view[8];
    },
    get readMs() {
      return view[9];
    },
    get lastAnswerAt() {
      return view[10];
    },
  };
  return {
    port,
    counts,
    close: async () => {
      worker.postMessage('close');
      await new Promise((r) => worker.once('exit', r));
    },
  };
}

function connectionString(port: number): string {
  return (
    'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;' +
    'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;' +
    `BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`
  );
}

// ---- clients ---------------------------------------------------------------------------------------------------
/** Why pushes failed, by what the writer answered (numbers masked, so one cause is one line). */
const refusals = new Map<string, number>();

async function ingest(url: string, service: number, tick: number, atMs: number): Promise<number> {
  const q = new URLSearchParams(ingestQuery(service, atMs));
  const r = await fetch(`${url}/ingest?${q}`, {
    method: 'POST',
    body: new Uint8Array(body(service, tick)),
    headers: { 'content-type': 'application/octet-stream' },
    signal: AbortSignal.timeout(30_000),
  });
  const text = await r.text();
  if (r.status !== 200) {
    const why = `${r.status} ${text.slice(0, 400).replace(/\d+/g, 'N')}`;
    refusals.set(why, (refusals.get(why) ?? 0) + 1);
  }
  return r.status;
}

async function connect<T>(url: string, method: string, req: unknown): Promise<T> {
  const r = await fetch(`${url}/querier.v1.QuerierService/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(req),
    signal: AbortSignal.timeout(180_000),
  });
  const text = await r.text();
  if (r.status !== 200) {
    throw new Error(`${method}: ${r.status} ${text.slice(0, 300)}`);
  }
  return JSON.parse(text) as T;
}

async function metric(url: string, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

/** A histogram's cumulative bucket counts by upper bound (s), from /metrics. */
async function buckets(url: string, name: string): Promise<Map<number, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<number, number>();
  for (const m of text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\S+)$`, 'gm'))) {
    out.set(m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2]));
  }
  return out;
}

/** The bucket bound under which p % of the observations between two readings of a histogram fall. */
function bucketPct(before: Map<number, number>, after: Map<number, number>, p: number): string {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  if (total <= 0) {
    return 'n/a (none)';
  }
  for (const le of bounds) {
    if ((after.get(le) ?? 0) - (before.get(le) ?? 0) >= (p / 100) * total) {
      return Number.isFinite(le) ? `<= ${le} s` : `> ${bounds[bounds.length - 2]} s`;
    }
  }
  return 'n/a';
}

const pct = (xs: number[], p: number) => {
  if (!xs.length) {
    return NaN;
  }
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const ms = (x: number) => (Number.isFinite(x) ? `${x.toFixed(0)} ms` : 'n/a');

// ---- history written straight into the container ----------------------------------------------------------------
const TENANT = 'anonymous';

function azure(conn: string): AzureStore {
  return new AzureStore({
    connectionString: conn,
    containerName: CONTAINER,
    accountName: '',
    accountKey: '',
    endpointSuffix: '',
    maxRetries: 3,
    timeoutMs: 60_000,
  });
}

/**
 * Ticks [from, to) of the history as the version under test holds them (per 15 s tick, or one object per request
 * as its writer makes them at low load); returns the objects written.
 */
async function writeHistory(
  conn: string,
  start: number,
  ticks: number,
  range: [number, number],
  services: number,
  perRequest: boolean
) {
  const store = azure(conn);
  await store.init();
  const make = profileMaker(TENANT);
  const inFlight = new Set<Promise<void>>();
  let objects = 0;
  const put = async (key: string, data: Buffer) => {
    while (inFlight.size >= 16) {
      await Promise.race(inFlight);
    }
    const attempt = (n: number): Promise<void> =>
      store.put(key, data, { ifAbsent: true }).then(
        () => undefined,
        (e: Error) => {
          // a loaded box can stall Azurite past the timeout: try again. The key is fresh and only this script's,
          // so "already exists" means an earlier try (of ours or of the SDK's retries) landed: done
          if (/already exists/i.test(e.message)) {
            return;
          }
          if (n >= 3) {
            throw e;
          }
          return attempt(n + 1);
        }
      );
    const p = attempt(0).then(() => {
      objects++;
      inFlight.delete(p);
    });
    inFlight.add(p);
  };
  // requests per object as the writer makes them: one each, or those of 1/MAX_OBJECTS s when it bounds objects
  const perObject = perRequest && MAX_OBJECTS > 0 ? Math.max(1, Math.ceil(services / 15 / MAX_OBJECTS)) : 1;
  for (let t = range[0]; t < range[1]; t++) {
    const tickBuilder = FORMAT === 2 && !perRequest ? new SegmentBuilder(TENANT) : null;
    let b: SegmentBuilder | null = null;
    let inObject = 0;
    for (let s = 0; s < services; s++) {
      const at = start - (ticks - t) * INTERVAL_MS + (s * INTERVAL_MS) / services;
      const profiles = await make(s, t, at);
      if (tickBuilder) {
        profiles.forEach((p) => tickBuilder.add(p));
        continue;
      }
      b ??= new SegmentBuilder(TENANT, { version: FORMAT });
      const into = b;
      profiles.forEach((p) => into.add(p));
      if (++inObject < perObject && s < services - 1) {
        continue;
      }
      await put(
        FORMAT === 2
          ? l0Key('', TENANT, b.minTime, b.maxTime)
          : segmentKey('', TENANT, hourOf(b.minTime), b.minTime, b.maxTime),
        b.encode()
      );
      b = null;
      inObject = 0;
    }
    if (tickBuilder) {
      await put(l0Key('', TENANT, tickBuilder.minTime, tickBuilder.maxTime), tickBuilder.encode());
    }
  }
  await Promise.all(inFlight);
  return objects;
}

// ---- one level -------------------------------------------------------------------------------------------------
interface QueryRow {
  name: string;
  cold: number;
  warm50: number;
  warm95: number;
  azure: Counts;
  /** Per warm run: Azure requests (reads / lists) and the reader's CPU (ms): waiting on the store or working. */
  warm: { requests: number; reads: number; lists: number; cpuMs: number; listMs: number; readMs: number };
  /** Per warm run, p50: ms from the run's start to the store's last answer to it (the rest is the reader's work). */
  storeTail50: number;
  ok: string;
}

async function runLevel(level: string): Promise<void> {
  const services = LEVELS[level];
  if (!services) {
    throw new Error(`unknown level ${level} (1x, 10x, 100x)`);
  }
  const perSec = services / 15;
  console.log(`\n## ${level}: ${services} services, ${perSec.toFixed(1)} requests/s, ${HISTORY_MIN} min of history`);
  // Azurite's collector every 24 h: its sweeps (every 10 min by default) paused the emulator for up to 105 s
  // once thousands of sources had been deleted (test/azuriteGc.cjs); BENCH_RECENT_AZURITE_GC=1 keeps its default
  // BENCH_RECENT_AZURITE_DISK=1 (the 100x script's default): blobs in files under a temporary folder instead of the
  // emulator's memory. In memory, with its collector off, the deleted sources of 100x are never freed: ~25 minutes
  // in, its extent store reached its limit (half the machine's memory) and it refused every write (409
  // MemoryExtentStoreAtSizeLimit): most likely the runs of "exists" refusals in the 100x runs of sessions 7-13
  const azDir =
    process.env.BENCH_RECENT_AZURITE_DISK === '1' ? mkdtempSync(join(tmpdir(), 'bench-recent-azurite-')) : undefined;
  const az: Azurite = await startAzurite(azDir, undefined, {
    gcIntervalMs: process.env.BENCH_RECENT_AZURITE_GC === '1' ? undefined : 24 * 3_600_000,
  });
  const wProxy = await countingProxy(az.port);
  const rProxy = await countingProxy(az.port);
  const common = [
    '-storage.backend=azure',
    `-storage.azure.container-name=${CONTAINER}`,
    // the history reaches back HISTORY_MIN minutes plus the time the push takes
    `-validation.reject-older-than=${HISTORY_MIN + 60}m`,
    '-distributor.ingestion-rate-limit-mb=0',
    '-querier.query-timeout=120s',
  ];
  let writer: Child | undefined;
  let compactor: Child | undefined;
  let reader: Child | undefined;
  let stopLive = false;
  const rss = { writer: 0, reader: 0, compactor: 0 };
  try {
    writer = await startChild(
      [
        ...common,
        `-storage.azure.connection-string=${connectionString(wProxy.port)}`,
        ...(MAX_OBJECTS > 0 ? [`-segment-writer.max-objects-per-second=${MAX_OBJECTS}`] : []),
        ...(OWN_COMPACTOR ? ['-compactor.compaction-interval=0'] : []),
      ],
      BACKEND
    );
    const wUrl = writer.url;
    if (OWN_COMPACTOR) {
      // its requests go through the writer's proxy: the writer's side's Azure requests, as before
      compactor = await startChild(
        [...common, `-storage.azure.connection-string=${connectionString(wProxy.port)}`],
        BACKEND
      );
    }
    /** Where compaction runs: its metrics (lag, CPU) come from there. */
    const cUrl = compactor?.url ?? wUrl;
    const start = Date.now();
    /** Live pushes: when each was sent, how long its answer took, and why it failed (if it did). */
    const pushes: Array<{ at: number; ms: number; err?: string }> = [];
    let lastAcked = 0;
    // the live push: every service once per 15 s, spread evenly over the interval
    const live = (async () => {
      for (let k = 0; !stopLive; k++) {
        const due = start + (k * 1000) / perSec;
        const wait = due - Date.now();
        if (wait > 0) {
          await new Promise((r) => setTimeout(r, wait));
        }
        const service = k % services;
        const tick = Math.floor(k / services);
        const t0 = Date.now();
        void ingest(wUrl, service, tick, t0).then(
          (st) => {
            pushes.push({ at: t0, ms: Date.now() - t0, err: st === 200 ? undefined : `HTTP ${st}` });
            if (st === 200) {
              lastAcked = Math.max(lastAcked, t0);
            }
          },
          (e: Error) =>
            pushes.push({
              at: t0,
              ms: Date.now() - t0,
              err: e.name === 'TimeoutError' ? 'no answer in 30 s' : e.message,
            })
        );
      }
    })();
    const pushSummary = (from: number, to: number): string => {
      const inRange = pushes.filter((p) => p.at >= from && p.at < to);
      const ok = inRange.filter((p) => !p.err).map((p) => p.ms);
      const why = new Map<string, number>();
      for (const p of inRange) {
        if (p.err) {
          why.set(p.err, (why.get(p.err) ?? 0) + 1);
        }
      }
      const errs = [...why].map(([k, n]) => `${n} ${k}`).join(', ');
      return `${ok.length} acknowledged, ${inRange.length - ok.length} failed${errs ? ` (${errs})` : ''}, ack p50 ${ms(pct(ok, 50))}, p99 ${ms(pct(ok, 99))}`;
    };
    // compaction lag and RSS, sampled while the run lasts
    const lags: number[] = [];
    /** The same, from the end of the history's catch-up on (ingest at the level's rate only). */
    const liveLags: number[] = [];
    let liveFrom = Infinity;
    const container = BlobServiceClient.fromConnectionString(az.connectionString).getContainerClient(CONTAINER);
    const invStore = azure(az.connectionString);
    // the script's own look at the store, tried again when a stalled emulator times it out (the 100x run on a
    // disk-backed Azurite died on one such index read)
    const inventory = async (tries = 4): Promise<Awaited<ReturnType<typeof inventoryOnce>>> => {
      try {
        return await inventoryOnce();
      } catch (e) {
        if (tries <= 1) {
          throw e;
        }
        await new Promise((r) => setTimeout(r, 5_000));
        return inventory(tries - 1);
      }
    };
    const inventoryOnce = async () => {
      let objects = 0;
      let oldestL0 = Infinity;
      let oldData = 0;
      const cutoff = Date.now() - 120_000;
      for await (const b of container.listBlobsFlat()) {
        const m = /-(\d+)-(\d+)\.(seg|blk)$/.exec(b.name);
        if (!m) {
          continue;
        }
        objects++;
        if (m[3] === 'seg') {
          oldestL0 = Math.min(oldestL0, b.properties.lastModified?.getTime() ?? Infinity);
        }
        if (Number(m[2]) < cutoff) {
          oldData++;
        }
      }
      const inv = {
        objects,
        live: objects,
        oldestL0Age: Number.isFinite(oldestL0) ? Date.now() - oldestL0 : 0,
        oldData,
        /** Format 2: level-0 segments written before the history ended that the index does not hold yet. */
        historyLeft: 0,
        /** Format 2: level-0 segments written before the history ended still in the store (compacted or not). */
        historyStored: 0,
      };
      if (FORMAT === 2) {
        // what a query reads: the blocks the index names and the level-0 segments it does not hold yet (compacted
        // sources wait for the deletion delay, unread)
        const index = new IndexStore(invStore, '');
        const l0 = await invStore.list(`${TENANT}/l0/`);
        const hours = new Set<number>();
        for (const o of await invStore.list(`${TENANT}/index/`)) {
          const m = /\/(\d+)\.json$/.exec(o.key);
          if (m) {
            hours.add(Number(m[1]));
          }
        }
        let live = 0;
        let old = 0;
        let oldest = Infinity;
        const docs = new Map<number, Awaited<ReturnType<IndexStore['doc']>>>();
        for (const h of hours) {
          const doc = await index.doc(TENANT, h);
          docs.set(h, doc);
          live += doc.blocks.length;
          old += doc.blocks.filter((b) => b.maxTime < cutoff).length;
        }
        for (const o of l0) {
          inv.historyStored += idTime(o.key) < historyDone ? 1 : 0;
          const t = parseSegmentKey(o.key);
          const rel = o.key.slice(TENANT.length + 1);
          if (t && hoursOf(t.minTime, t.maxTime).some((h) => docs.get(h)?.covered[rel] === undefined)) {
            live++;
            old += t.maxTime < cutoff ? 1 : 0;
            oldest = Math.min(oldest, idTime(o.key));
            inv.historyLeft += idTime(o.key) < historyDone ? 1 : 0;
          }
        }
        inv.live = live;
        inv.oldData = old;
        inv.oldestL0Age = Number.isFinite(oldest) ? Date.now() - oldest : 0;
      }
      return inv;
    };
    let historyDone = Infinity;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        await new Promise((r) => setTimeout(r, 10_000));
        try {
          // format 2 exports the lag (the oldest level-0 segment the index does not hold, at the end of each
          // level-0 pass); a listing of the whole container every 10 s would load Azurite and this process more
          // than the replicas measured
          // format 1 compacts nothing before its hour has ended: its lag is the age of the history, and listing
          // its tens of thousands of objects every 10 s would only load Azurite
          const gauge = FORMAT === 2 ? await metric(cUrl, 'pyroscope_compaction_lag_seconds') : undefined;
          if (gauge !== undefined) {
            lags.push(gauge * 1000);
            if (Date.now() >= liveFrom) {
              liveLags.push(gauge * 1000);
            }
          }
          rss.writer = Math.max(rss.writer, (await metric(wUrl, 'process_resident_memory_bytes')) ?? 0);
          if (compactor) {
            rss.compactor = Math.max(rss.compactor, (await metric(cUrl, 'process_resident_memory_bytes')) ?? 0);
          }
          if (reader) {
            rss.reader = Math.max(rss.reader, (await metric(reader.url, 'process_resident_memory_bytes')) ?? 0);
          }
        } catch {
          // a sample lost to a busy moment
        }
      }
    })();

    // Azurite's own pauses, seen from here: a container properties request every 5 s on a connection of its own
    const stalls: Array<{ at: number; ms: number }> = [];
    const prober = (async () => {
      while (sampling) {
        const t0 = Date.now();
        try {
          await container.getProperties({ abortSignal: AbortSignal.timeout(120_000) });
        } catch {
          // counted as a stall of its whole length
        }
        const took = Date.now() - t0;
        if (took > 2000) {
          stalls.push({ at: t0 - start, ms: took });
        }
        await new Promise((r) => setTimeout(r, 5000));
      }
    })();
    /** Waits (bounded) until Azurite answers a request of ours within a second. */
    const azuriteAnswers = async (maxMs: number) => {
      const t0 = Date.now();
      while (Date.now() - t0 < maxMs) {
        const p0 = Date.now();
        await container.getProperties({ abortSignal: AbortSignal.timeout(maxMs) }).catch(() => undefined);
        if (Date.now() - p0 < 1000) {
          return;
        }
      }
    };

    // the history, one request at a time, oldest first
    const ticks = Math.floor((HISTORY_MIN * 60_000) / INTERVAL_MS);
    const direct = Math.max(0, ticks - Math.floor((DIRECT_MIN * 60_000) / INTERVAL_MS));
    const d0 = Date.now();
    const directObjects = await writeHistory(az.connectionString, start, ticks, [0, direct], services, false);
    console.log(
      `history older than ${DIRECT_MIN} min: ${direct * services} requests written directly as ${directObjects} ` +
        `objects (storage format ${FORMAT}) in ${((Date.now() - d0) / 1000).toFixed(0)} s`
    );
    if (!HTTP_HISTORY) {
      const r0 = Date.now();
      const n = await writeHistory(az.connectionString, start, ticks, [direct, ticks], services, true);
      console.log(
        `history of the last ${DIRECT_MIN} min: ${n} objects, ${MAX_OBJECTS > 0 ? `at most ${MAX_OBJECTS}/s` : 'one per request'}, written directly in ` +
          `${((Date.now() - r0) / 1000).toFixed(0)} s`
      );
    }
    let pushed = 0;
    let histErrors = 0;
    const h0 = Date.now();
    for (let t = HTTP_HISTORY ? direct : ticks; t < ticks; t++) {
      const at = start - (ticks - t) * INTERVAL_MS;
      for (let s = 0; s < services; s++) {
        // the same instant offset per service as the live push, so that series look alike
        const st = await ingest(wUrl, s, t, at + (s * INTERVAL_MS) / services).catch(() => 0);
        if (st === 200) {
          pushed++;
        } else {
          histErrors++;
        }
      }
    }
    const histSecs = (Date.now() - h0) / 1000;
    console.log(
      `history: ${pushed} requests in ${histSecs.toFixed(0)} s (${(pushed / histSecs).toFixed(0)}/s), ${histErrors} failed`
    );
    // compaction catches up (or the version does not compact recent data: then the count stops changing)
    historyDone = Date.now();
    const c0 = Date.now();
    let inv = await inventory();
    let stable = 0;
    while (Date.now() - c0 < SETTLE_MAX_MS && stable < 3) {
      await new Promise((r) => setTimeout(r, 10_000));
      const next = await inventory();
      if (FORMAT === 2) {
        // in the index, and the sources deleted after their delay: a writer that had taken the history at its
        // real rate would have deleted all but the last few minutes of it by now
        stable = next.historyLeft === 0 && next.historyStored === 0 ? 3 : 0;
      } else {
        stable = next.objects === inv.objects || next.oldestL0Age < 120_000 ? stable + 1 : 0;
      }
      inv = next;
    }
    console.log(
      `after ${((Date.now() - c0) / 1000).toFixed(0)} s of compaction: ${inv.objects} objects (${inv.live} live), ` +
        `oldest uncompacted level-0 ${(inv.oldestL0Age / 1000).toFixed(0)} s old` +
        (FORMAT === 2 ? `, ${inv.historyStored} level-0 objects of the history not deleted yet` : '')
    );
    liveFrom = Date.now();
    const LAG = 'pyroscope_compaction_source_lag_seconds';
    const lagHist0 = await buckets(cUrl, LAG).catch(() => new Map<number, number>());
    const objs0 = (await metric(wUrl, 'pyroscope_segment_objects_written_total')) ?? NaN;
    const cpu0 = await cpuSplit(wUrl, cUrl);
    // at least 5 min of live push in all, and 2 of them after the catch-up (the lag figures of live ingest alone)
    const liveLeft = Math.max(start + LIVE_MIN_MS, liveFrom + LIVE_AFTER_MS) - Date.now();
    if (liveLeft > 0) {
      await new Promise((r) => setTimeout(r, liveLeft));
    }

    // a fresh replica answers. Azurite's garbage collector (every 10 min from its start) holds its event loop for
    // tens of seconds once it has seen thousands of deletions; a replica that starts then cannot create its
    // container within its timeout and exits: the reader starts once Azurite answers again (the stalls are
    // printed below), and is started again if it still could not.
    await azuriteAnswers(180_000);
    reader = await startReader();
    async function startReader(tries = 6): Promise<Child> {
      try {
        return await startChild(
          [
            ...common,
            '-compactor.compaction-interval=0',
            `-storage.azure.connection-string=${connectionString(rProxy.port)}`,
          ],
          BACKEND,
          READER_NODE_ARGS
        );
      } catch (e) {
        if (tries <= 1) {
          console.log(`Azurite's output: ${az.output().slice(-2000) || '(none)'}`);
          throw e;
        }
        console.log(`reader did not start (${(e as Error).message.split('\n')[0].slice(0, 160)}); again in 15 s`);
        await new Promise((r) => setTimeout(r, 15_000));
        await azuriteAnswers(180_000);
        return startReader(tries - 1);
      }
    }
    const rUrl = reader.url;
    const rows: QueryRow[] = [];
    const target = svcName(7);
    const measure = async (name: string, q: (range: { start: number; end: number }) => Promise<number>) => {
      const times: number[] = [];
      const tails: number[] = [];
      let cold = 0;
      let coldCounts = zero();
      let notes = '';
      let errors = 0;
      let warmFrom = zero();
      let cpuFrom = 0;
      for (let i = 0; i <= RUNS; i++) {
        if (i === 1) {
          warmFrom = { ...rProxy.counts };
          cpuFrom = (await metric(rUrl, 'process_cpu_seconds_total')) ?? NaN;
        }
        if (errors >= 2 && errors === i) {
          // a version that does not answer: its cold run and first warm run failed (each up to the query
          // timeout); 30 more would take an hour and say nothing new
          notes += `, gave up after ${i} failed runs`;
          break;
        }
        const end = Date.now();
        const range = { start: end - (name.includes('1 h') ? 3_600_000 : 1_800_000), end };
        const before = { ...rProxy.counts };
        const epoch0 = Date.now();
        const t0 = performance.now();
        const n = await q(range).catch((e: Error) => {
          errors++;
          console.log(`${name}: ${e.message.slice(0, 200)}`);
          return -1;
        });
        const took = performance.now() - t0;
        if (i === 0) {
          cold = took;
          coldCounts = diff(rProxy.counts, before);
          notes = String(n);
        } else {
          times.push(took);
          tails.push(rProxy.counts.lastAnswerAt >= epoch0 ? rProxy.counts.lastAnswerAt - epoch0 : 0);
        }
      }
      const warm = diff(rProxy.counts, warmFrom);
      const runs = Math.max(1, times.length);
      const cpuTo = (await metric(rUrl, 'process_cpu_seconds_total')) ?? NaN;
      rows.push({
        name,
        cold,
        warm50: pct(times, 50),
        warm95: pct(times, 95),
        azure: coldCounts,
        warm: {
          requests: warm.requests / runs,
          reads: warm.reads / runs,
          lists: warm.lists / runs,
          cpuMs: ((cpuTo - cpuFrom) * 1000) / runs,
          listMs: warm.listMs / runs,
          readMs: warm.readMs / runs,
        },
        storeTail50: pct(tails, 50),
        ok: errors > 0 ? `${notes}, ${errors} failed` : notes,
      });
    };
    for (const win of ['30 min', '1 h']) {
      if (win === '1 h' && HISTORY_MIN < 60) {
        continue;
      }
      await measure(`All services, ${win}`, async (range) => {
        const [series, sel] = await Promise.all([
          connect<{ labelsSet?: unknown[] }>(rUrl, 'Series', {
            ...range,
            matchers: [],
            labelNames: ['service_name', '__profile_type__'],
          }),
          connect<{ series?: unknown[] }>(rUrl, 'SelectSeries', {
            ...range,
            profileTypeID: CPU,
            labelSelector: '{}',
            groupBy: ['service_name'],
            step: Math.max(15, Math.round((range.end - range.start) / 1000 / 240)),
          }),
        ]);
        return Math.min(series.labelsSet?.length ?? 0, sel.series?.length ?? 0);
      });
      await measure(`flame graph of one service, ${win}`, async (range) => {
        const fg = await connect<{ flamegraph?: { total?: string } }>(rUrl, 'SelectMergeStacktraces', {
          ...range,
          profileTypeID: CPU,
          labelSelector: `{service_name="${target}"}`,
          maxNodes: 16384,
        });
        return Number(fg.flamegraph?.total ?? 0) > 0 ? 1 : 0;
      });
    }
    await measure('LabelValues service_name, 30 min', async (range) => {
      const r = await connect<{ names?: string[] }>(rUrl, 'LabelValues', {
        ...range,
        name: 'service_name',
        matchers: [],
      });
      return r.names?.length ?? 0;
    });
    await measure('GetProfileStats', async () => {
      const r = await connect<{ dataIngested?: boolean }>(rUrl, 'GetProfileStats', {});
      return r.dataIngested ? 1 : 0;
    });

    // freshness: what the writer acknowledged 1 s earlier is in the reader's answer
    let fresh = 0;
    let freshTried = 0;
    for (let i = 0; i < 5; i++) {
      const name = `fresh-${i}-${Date.now()}`;
      const q = new URLSearchParams({ name, from: String(Math.floor(Date.now() / 1000) - 10), format: 'pprof' });
      const ack = await fetch(`${wUrl}/ingest?${q}`, { method: 'POST', body: new Uint8Array(body(1, i)) });
      if (ack.status !== 200) {
        continue;
      }
      freshTried++;
      await new Promise((r) => setTimeout(r, 1000));
      const v = await connect<{ names?: string[] }>(rUrl, 'LabelValues', {
        name: 'service_name',
        start: Date.now() - 300_000,
        end: Date.now(),
      }).catch(() => null);
      if (v?.names?.includes(name)) {
        fresh++;
      }
    }

    stopLive = true;
    await live;
    sampling = false;
    await sampler;
    await prober;
    const finalInv = await inventory();
    const lagHist1 = await buckets(cUrl, LAG).catch(() => new Map<number, number>());
    const liveSecs = (Date.now() - liveFrom) / 1000;
    const objsLive = ((await metric(wUrl, 'pyroscope_segment_objects_written_total')) ?? NaN) - objs0;
    const cpu1 = await cpuSplit(wUrl, cUrl);
    const dataMin = (Date.now() - (start - HISTORY_MIN * 60_000)) / 60_000;

    console.log(
      `| query (${level}) | cold | warm p50 | warm p95 | Azure requests cold (reads/lists) | reads cold: level 0 / blocks / index | bytes read cold | per warm run: Azure requests (reads/lists), reader CPU | per warm run: ms in listings / reads (summed), p50 ms to the store's last answer | answer |`
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const r of rows) {
      console.log(
        `| ${r.name} | ${ms(r.cold)} | ${ms(r.warm50)} | ${ms(r.warm95)} | ${r.azure.requests} (${r.azure.reads}/${r.azure.lists}) | ` +
          `${r.azure.l0} / ${r.azure.blocks} / ${r.azure.index} | ` +
          `${(r.azure.bytesIn / 1024).toFixed(0)} KiB | ${r.warm.requests.toFixed(1)} (${r.warm.reads.toFixed(1)}/${r.warm.lists.toFixed(1)}), ${r.warm.cpuMs.toFixed(0)} ms | ` +
          `${r.warm.listMs.toFixed(0)} / ${r.warm.readMs.toFixed(0)}, ${ms(r.storeTail50)} | ${r.ok} |`
      );
    }
    console.log(
      [
        `objects in the store: ${finalInv.objects} (${finalInv.live} live: what a query may read); data older ` +
          `than 2 min: ${finalInv.oldData} live objects over ` +
          `${(dataMin - 2).toFixed(0)} min = ${(finalInv.oldData / Math.max(1, dataMin - 2)).toFixed(1)} per minute`,
        lags.length === 0
          ? 'compaction lag: not sampled (this version compacts level 0 only once its hour has ended)'
          : `compaction lag (oldest uncompacted level-0 object, sampled every 10 s from the writer's ` +
            `pyroscope_compaction_lag_seconds): p50 ${(pct(lags, 50) / 1000).toFixed(0)} s, ` +
            `p99 ${(pct(lags, 99) / 1000).toFixed(0)} s, max ${(Math.max(0, ...lags) / 1000).toFixed(0)} s; after the ` +
            `history's catch-up (live ingest only, ${liveLags.length} samples): p50 ${(pct(liveLags, 50) / 1000).toFixed(0)} s, ` +
            `p99 ${(pct(liveLags, 99) / 1000).toFixed(0)} s`,
        `level-0 segments' age when indexed, after the catch-up (${LAG}): p50 ${bucketPct(lagHist0, lagHist1, 50)}, ` +
          `p99 ${bucketPct(lagHist0, lagHist1, 99)}`,
        `writer's level-0 objects after the catch-up: ${objsLive} in ${liveSecs.toFixed(0)} s = ` +
          `${(objsLive / Math.max(1, liveSecs)).toFixed(1)}/s`,
        cpuLine('the whole run', cpu1),
        cpuLine('after the catch-up (live ingest at the stated rate)', cpuDiff(cpu1, cpu0)),
        `live push while the history was written and compacted: ${pushSummary(0, liveFrom)}`,
        `live push after the catch-up: ${pushSummary(liveFrom, Infinity)}`,
        ...[...refusals].map(([why, n]) => `refused ${n} times: ${why}`),
        `Azurite stalls (a container request of the bench's own, every 5 s, over 2 s): ${stalls.length}` +
          (stalls.length > 0
            ? `, longest ${(Math.max(...stalls.map((x) => x.ms)) / 1000).toFixed(0)} s, at ` +
              stalls.map((x) => `${(x.at / 1000).toFixed(0)} s`).join(', ') +
              ' into the run'
            : ''),
        `peak RSS: writer ${(rss.writer / 2 ** 20).toFixed(0)} MiB, reader ${(rss.reader / 2 ** 20).toFixed(0)} MiB` +
          (compactor ? `, compactor ${(rss.compactor / 2 ** 20).toFixed(0)} MiB` : ''),
        `freshness: ${fresh} of ${freshTried} profiles acknowledged by the writer 1 s earlier were in the reader's answer`,
        `writer's Azure requests in all: ${wProxy.counts.requests} (${wProxy.counts.writes} writes); last live ack ${((Date.now() - lastAcked) / 1000).toFixed(0)} s ago`,
      ].join('\n')
    );
  } finally {
    stopLive = true;
    await reader?.kill();
    await writer?.kill();
    await compactor?.kill();
    await wProxy.close();
    await rProxy.close();
    await az.stop();
    if (azDir) {
      rmSync(azDir, { recursive: true, force: true });
    }
  }
}

console.log(
  `bench-recent: ${levels.join(', ')}; backend ${BACKEND} (storage format ${FORMAT}); ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ` +
    `${(totalmem() / 2 ** 30).toFixed(0)} GiB, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; Azurite ${process.env.BENCH_RECENT_AZURITE_DISK === '1' ? 'on disk' : 'in memory'} on loopback`
);
for (const level of levels) {
  await runLevel(level);
  console.log(
    `load average after ${level}: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`
  );
}
