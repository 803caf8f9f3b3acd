// `npm run bench-recent`: what a query of recent data costs when the store looks as real agents leave it (issue
// 14). Many services, each pushing one CPU profile every 15 s: 1x = the demo's 2 requests/s (30 services),
// 10x = 20 requests/s (300 services), 100x = 200 requests/s (3,000 services, `BENCH_RECENT_LEVELS=100x`, its own
// run). Black box: it drives backend-ts processes over HTTP only, so the same script measures any version of the
// code (run it from an older checkout for "before" figures).
//
// Per level, on a fresh Azurite:
// - a writer replica (compaction on, as deployed) takes a live push at the real rate, one request per service
//   and 15 s, from the start to the end of the run;
// - meanwhile the history before the start (BENCH_RECENT_HISTORY_MIN, 60) is pushed over HTTP one request at a
//   time: one object per request, as the writer makes them at low load, never big batches; the script then
//   waits (bounded) for the writer's compaction to catch up, as it would have by then;
// - after at least 5 minutes of live push, a fresh reader replica (compaction off: a new replica, restart or
//   scale-out) answers, cold and then warm (BENCH_RECENT_RUNS, 30): the All services page (Series of
//   service_name and __profile_type__ together with SelectSeries grouped by service_name), one service's flame
//   graph, LabelValues and GetProfileStats, over the last 30 minutes and the last hour.
// Each replica reaches Azurite through a counting proxy of its own, so the reader's Azure requests and bytes per
// query are exact. Also printed: objects in the store, data older than 2 minutes in objects per minute, the
// compaction lag (age of the oldest level-0 object, sampled every 10 s), the writer's compaction CPU share
// (`pyroscope_compaction_cpu_seconds_total` where the version exports it), ack p50/p99, peak RSS of both, and
// whether profiles acknowledged by the writer 1 s earlier are in the reader's answers.
// Timings are printed, never asserted.
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { loadavg, cpus, totalmem } from 'node:os';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite, startChild, type Azurite, type Child } from '../test/helpers.js';
import { servicePprof } from '../test/loadRun.js';

const LEVELS: Record<string, number> = { '1x': 30, '10x': 300, '100x': 3000 };
const levels = (process.env.BENCH_RECENT_LEVELS ?? '1x,10x').split(',').map((s) => s.trim());
const HISTORY_MIN = Number(process.env.BENCH_RECENT_HISTORY_MIN ?? 60);
const LIVE_MIN_MS = Number(process.env.BENCH_RECENT_LIVE_MIN ?? 5) * 60_000;
const RUNS = Number(process.env.BENCH_RECENT_RUNS ?? 30);
/** How long the script waits for compaction to catch up after the history push. */
const SETTLE_MAX_MS = Number(process.env.BENCH_RECENT_SETTLE_MAX_S ?? 300) * 1000;
const INTERVAL_MS = 15_000;
const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const CONTAINER = 'pyroscope-data';

// ---- a counting proxy per replica -----------------------------------------------------------------------------
interface Counts {
  requests: number;
  reads: number;
  writes: number;
  lists: number;
  bytesIn: number;
}
const zero = (): Counts => ({ requests: 0, reads: 0, writes: 0, lists: 0, bytesIn: 0 });
const diff = (a: Counts, b: Counts): Counts => ({
  requests: a.requests - b.requests,
  reads: a.reads - b.reads,
  writes: a.writes - b.writes,
  lists: a.lists - b.lists,
  bytesIn: a.bytesIn - b.bytesIn,
});

async function countingProxy(target: number): Promise<{ server: Server; port: number; counts: Counts }> {
  const counts = zero();
  const server = createServer((req, res) => {
    counts.requests++;
    const list = /[?&]comp=list/.test(req.url ?? '');
    if (list) {
      counts.lists++;
    } else if (req.method === 'GET' || req.method === 'HEAD') {
      counts.reads++;
    } else {
      counts.writes++;
    }
    const up = httpRequest(
      { host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers },
      (ur: IncomingMessage) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.on('data', (d: Buffer) => (counts.bytesIn += d.length));
        ur.pipe(res);
      }
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as { port: number }).port, counts };
}

function connectionString(port: number): string {
  return (
    'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;' +
    'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;' +
    `BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`
  );
}

// ---- clients ---------------------------------------------------------------------------------------------------
const bodies = new Map<number, Buffer>();
/** One of 8 profile variants per service (distinct stacks per service, as real services have). */
function body(service: number, tick: number): Buffer {
  const k = service * 8 + (tick % 8);
  let b = bodies.get(k);
  if (!b) {
    b = servicePprof(service, tick % 8);
    if (bodies.size < 40_000) {
      bodies.set(k, b);
    }
  }
  return b;
}

const svcName = (i: number) => `svc-${String(i).padStart(4, '0')}`;

async function ingest(url: string, service: number, tick: number, atMs: number): Promise<number> {
  const from = Math.floor(atMs / 1000) - 10;
  const q = new URLSearchParams({
    name: `${svcName(service)}{namespace=bench,pod=${svcName(service)}-0}`,
    from: String(from),
    until: String(from + 10),
    format: 'pprof',
    spyName: 'gospy',
    sampleRate: '100',
  });
  const r = await fetch(`${url}/ingest?${q}`, {
    method: 'POST',
    body: new Uint8Array(body(service, tick)),
    headers: { 'content-type': 'application/octet-stream' },
    signal: AbortSignal.timeout(30_000),
  });
  await r.arrayBuffer();
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

const pct = (xs: number[], p: number) => {
  if (!xs.length) {
    return NaN;
  }
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const ms = (x: number) => (Number.isFinite(x) ? `${x.toFixed(0)} ms` : 'n/a');

// ---- one level -------------------------------------------------------------------------------------------------
interface QueryRow {
  name: string;
  cold: number;
  warm50: number;
  warm95: number;
  azure: Counts;
  ok: string;
}

async function runLevel(level: string): Promise<void> {
  const services = LEVELS[level];
  if (!services) {
    throw new Error(`unknown level ${level} (1x, 10x, 100x)`);
  }
  const perSec = services / 15;
  console.log(`\n## ${level}: ${services} services, ${perSec.toFixed(1)} requests/s, ${HISTORY_MIN} min of history`);
  const az: Azurite = await startAzurite();
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
  let reader: Child | undefined;
  let stopLive = false;
  const rss = { writer: 0, reader: 0 };
  try {
    writer = await startChild([...common, `-storage.azure.connection-string=${connectionString(wProxy.port)}`]);
    const wUrl = writer.url;
    const start = Date.now();
    const acks: number[] = [];
    let lastAcked = 0;
    let liveErrors = 0;
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
            if (st === 200) {
              acks.push(Date.now() - t0);
              lastAcked = Math.max(lastAcked, t0);
            } else {
              liveErrors++;
            }
          },
          () => liveErrors++
        );
      }
    })();
    // compaction lag and RSS, sampled while the run lasts
    const lags: number[] = [];
    const container = BlobServiceClient.fromConnectionString(az.connectionString).getContainerClient(CONTAINER);
    const inventory = async () => {
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
      return { objects, oldestL0Age: Number.isFinite(oldestL0) ? Date.now() - oldestL0 : 0, oldData };
    };
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        await new Promise((r) => setTimeout(r, 10_000));
        try {
          lags.push((await inventory()).oldestL0Age);
          rss.writer = Math.max(rss.writer, (await metric(wUrl, 'process_resident_memory_bytes')) ?? 0);
          if (reader) {
            rss.reader = Math.max(rss.reader, (await metric(reader.url, 'process_resident_memory_bytes')) ?? 0);
          }
        } catch {
          // a sample lost to a busy moment
        }
      }
    })();

    // the history, one request at a time, oldest first
    const ticks = Math.floor((HISTORY_MIN * 60_000) / INTERVAL_MS);
    let pushed = 0;
    let histErrors = 0;
    const h0 = Date.now();
    for (let t = 0; t < ticks; t++) {
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
    const c0 = Date.now();
    let inv = await inventory();
    let stable = 0;
    while (Date.now() - c0 < SETTLE_MAX_MS && stable < 3) {
      await new Promise((r) => setTimeout(r, 10_000));
      const next = await inventory();
      stable = next.objects === inv.objects || next.oldestL0Age < 150_000 ? stable + 1 : 0;
      inv = next;
    }
    console.log(
      `after ${((Date.now() - c0) / 1000).toFixed(0)} s of compaction: ${inv.objects} objects, oldest level-0 ` +
        `${(inv.oldestL0Age / 1000).toFixed(0)} s old`
    );
    const liveLeft = start + LIVE_MIN_MS - Date.now();
    if (liveLeft > 0) {
      await new Promise((r) => setTimeout(r, liveLeft));
    }

    // a fresh replica answers
    reader = await startChild([
      ...common,
      '-compactor.compaction-interval=0',
      `-storage.azure.connection-string=${connectionString(rProxy.port)}`,
    ]);
    const rUrl = reader.url;
    const rows: QueryRow[] = [];
    const target = svcName(7);
    const measure = async (name: string, q: (range: { start: number; end: number }) => Promise<number>) => {
      const times: number[] = [];
      let cold = 0;
      let coldCounts = zero();
      let notes = '';
      for (let i = 0; i <= RUNS; i++) {
        const end = Date.now();
        const range = { start: end - (name.includes('1 h') ? 3_600_000 : 1_800_000), end };
        const before = { ...rProxy.counts };
        const t0 = performance.now();
        const n = await q(range);
        const took = performance.now() - t0;
        if (i === 0) {
          cold = took;
          coldCounts = diff(rProxy.counts, before);
          notes = String(n);
        } else {
          times.push(took);
        }
      }
      rows.push({ name, cold, warm50: pct(times, 50), warm95: pct(times, 95), azure: coldCounts, ok: notes });
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
      });
      if (v.names?.includes(name)) {
        fresh++;
      }
    }

    stopLive = true;
    await live;
    sampling = false;
    await sampler;
    const finalInv = await inventory();
    const wCpu = (await metric(wUrl, 'process_cpu_seconds_total')) ?? NaN;
    const compCpu = await metric(wUrl, 'pyroscope_compaction_cpu_seconds_total');
    const dataMin = (Date.now() - (start - HISTORY_MIN * 60_000)) / 60_000;

    console.log(
      `| query (${level}) | cold | warm p50 | warm p95 | Azure requests cold (reads/lists) | bytes read cold | answer |`
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- |');
    for (const r of rows) {
      console.log(
        `| ${r.name} | ${ms(r.cold)} | ${ms(r.warm50)} | ${ms(r.warm95)} | ${r.azure.requests} (${r.azure.reads}/${r.azure.lists}) | ` +
          `${(r.azure.bytesIn / 1024).toFixed(0)} KiB | ${r.ok} |`
      );
    }
    console.log(
      [
        `objects in the store: ${finalInv.objects}; data older than 2 min: ${finalInv.oldData} objects over ` +
          `${(dataMin - 2).toFixed(0)} min = ${(finalInv.oldData / Math.max(1, dataMin - 2)).toFixed(1)} per minute`,
        `compaction lag (oldest level-0 object, sampled every 10 s): p50 ${(pct(lags, 50) / 1000).toFixed(0)} s, ` +
          `p99 ${(pct(lags, 99) / 1000).toFixed(0)} s, max ${(Math.max(0, ...lags) / 1000).toFixed(0)} s`,
        `writer CPU ${wCpu.toFixed(1)} s; compaction CPU ${compCpu === undefined ? 'not exported by this version' : `${compCpu.toFixed(1)} s = ${((100 * compCpu) / Math.max(1e-9, wCpu - compCpu)).toFixed(0)} % of the rest`}`,
        `live push: ${acks.length} acknowledged, ${liveErrors} failed, ack p50 ${ms(pct(acks, 50))}, p99 ${ms(pct(acks, 99))}`,
        `peak RSS: writer ${(rss.writer / 2 ** 20).toFixed(0)} MiB, reader ${(rss.reader / 2 ** 20).toFixed(0)} MiB`,
        `freshness: ${fresh} of ${freshTried} profiles acknowledged by the writer 1 s earlier were in the reader's answer`,
        `writer's Azure requests in all: ${wProxy.counts.requests} (${wProxy.counts.writes} writes); last live ack ${((Date.now() - lastAcked) / 1000).toFixed(0)} s ago`,
      ].join('\n')
    );
  } finally {
    stopLive = true;
    await reader?.kill();
    await writer?.kill();
    wProxy.server.closeAllConnections();
    rProxy.server.closeAllConnections();
    wProxy.server.close();
    rProxy.server.close();
    await az.stop();
  }
}

console.log(
  `bench-recent: ${levels.join(', ')}; ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ` +
    `${(totalmem() / 2 ** 30).toFixed(0)} GiB, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; Azurite in memory on loopback`
);
for (const level of levels) {
  await runLevel(level);
  console.log(
    `load average after ${level}: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`
  );
}
