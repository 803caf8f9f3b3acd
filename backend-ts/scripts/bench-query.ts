// Query benchmark (issue 9, item 3-5): 24 h of one Go service at a 15 s interval (5,760 generated profiles,
// one segment object each, as the ingest path writes them) in a real Azurite, queried as a flame graph
// (SelectMergeStacktraces: selectMergeTree + toFlameGraph, 16,384 nodes) and a time series (SelectSeries,
// 1,500 points), cold (fresh reader, empty caches) and warm (caches hot, every query merges again), next to the
// floor measured in the same run: fetching the same objects' bytes (cold) or walking the cached bytes (warm)
// and summing their sample values, with no merge. Then the same after compaction, and a scale curve over 1 h,
// 6 h, 24 h and 7 d of hourly blocks. Peak RSS per phase against the 2 GiB deployment limit. Prints a table,
// asserts nothing.
//
// Every phase that is measured for memory runs in a child process of its own (this script with a mode
// argument), so that its peak RSS is that phase's alone; this process runs Azurite, the set-up and the floors.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/config.js';
import { toFlameGraph } from '../src/encode/flamegraph.js';
import { Querier } from '../src/query/querier.js';
import { AzureStore } from '../src/storage/azure.js';
import { Compactor } from '../src/storage/compactor.js';
import { Catalog } from '../src/storage/catalog.js';
import { addBlock, IndexStore } from '../src/storage/index.js';
import { blockKey, blocksPrefix, HOUR_MS, hourOf, segmentKey } from '../src/storage/keys.js';
import { SegmentBuilder } from '../src/storage/format/builder.js';
import { decodeMeta } from '../src/storage/format/meta.js';
import { decodeObject } from '../src/storage/format/segment.js';
import { mapLimit, SegmentReader } from '../src/storage/segmentReader.js';
import { startAzurite } from '../test/helpers.js';
import { ProfileGenerator } from './lib/profileGenerator.js';
import { RssSampler } from './lib/rssSampler.js';
import { shiftSegment } from './lib/shiftSegment.js';

const CONTAINER = 'bench-query';
const DAY_MS = 24 * HOUR_MS;
/** The generated day: 2025-01-12 UTC (fixed, so every run stores the same data). */
const DAY = Date.UTC(2025, 0, 12);
const INTERVAL_MS = 15_000;
const PROFILES = Number(process.env.BENCH_QUERY_PROFILES ?? DAY_MS / INTERVAL_MS);
const WEEK_DAYS = 7;
const CONCURRENCY = 16;
const MAX_NODES = 16_384;
const POINTS = 1_500;
const WARM_RUNS = Number(process.env.BENCH_QUERY_WARM_RUNS ?? 5);
const PROFILE_TYPE = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const SELECTOR = '{service_name="checkout"}';
const MIB = 1024 * 1024;
const LIMIT_BYTES = 2 * 1024 * MIB;
// tenants of equal length, so a block's meta keeps its size when moved from one to the other
const T_DAY = 'day1';
const T_WEEK = 'week';

function azureStore(connectionString: string): AzureStore {
  const cfg = loadConfig([
    '-storage.backend=azure',
    `-storage.azure.connection-string=${connectionString}`,
    `-storage.azure.container-name=${CONTAINER}`,
  ]);
  return new AzureStore(cfg.storage.azure);
}

const limits = loadConfig(['-querier.max-query-length=0', '-querier.max-query-lookback=0']).limits;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

// ---------------------------------------------------------------------------------------------------------------
// child modes

/** One segment per 15 s batch (each batch holds the one profile of that interval), uploaded at concurrency 16. */
async function setupDay(conn: string, tenant = T_DAY): Promise<Record<string, number>> {
  const store = azureStore(conn);
  await store.init();
  const gen = new ProfileGenerator();
  let bytes = 0;
  let genMs = 0;
  const t0 = performance.now();
  await mapLimit(
    Array.from({ length: PROFILES }, (_, i) => i),
    CONCURRENCY,
    async (i) => {
      const g0 = performance.now();
      const time = DAY + i * INTERVAL_MS;
      const b = new SegmentBuilder(tenant);
      b.add(gen.ingestProfile(time));
      const data = b.encode(time + INTERVAL_MS);
      genMs += performance.now() - g0;
      bytes += data.length;
      const key = segmentKey('', tenant, hourOf(time), b.minTime, b.maxTime, time + INTERVAL_MS);
      await store.put(key, data, { ifAbsent: true });
    }
  );
  return { objects: PROFILES, bytes, ms: performance.now() - t0, genMs };
}

async function compact(conn: string, rss: RssSampler): Promise<Record<string, number>> {
  const store = azureStore(conn);
  const reader = new SegmentReader(store);
  const index = new IndexStore(store, '');
  const compactor = new Compactor(store, index, new Catalog(store, '', index, reader), {
    prefix: '',
    retentionMs: 0,
    deletionDelayMs: 0,
  });
  // the day was written in the layout before storage format 2: compaction moves each hour into one block
  const r = await rss.phase(() => compactor.runOnce());
  return { blocks: r.value.length, sources: r.value.reduce((a, x) => a + x.sources, 0), ms: r.ms, peakRss: r.peakRss };
}

/** Copies the day's blocks to the week tenant, moved back by 0..6 days: 168 hourly blocks. */
async function cloneWeek(conn: string): Promise<Record<string, number>> {
  const store = azureStore(conn);
  const t0 = performance.now();
  const index = new IndexStore(store, '');
  const blocks = (
    await Promise.all(Array.from({ length: 25 }, (_, h) => store.list(blocksPrefix('', T_DAY, hourOf(DAY) + h))))
  )
    .flat()
    .filter((o) => o.key.endsWith('.blk'));
  let bytes = 0;
  await mapLimit(blocks, 4, async (o) => {
    const raw = await store.get(o.key);
    await mapLimit(
      Array.from({ length: WEEK_DAYS }, (_, d) => d),
      4,
      async (d) => {
        const data = shiftSegment(raw, -d * DAY_MS, T_WEEK);
        const meta = decodeMeta(data);
        if ('need' in meta) {
          throw new Error('bad block');
        }
        bytes += data.length;
        const hour = hourOf(meta.minTime);
        const key = blockKey('', T_WEEK, hour, meta.minTime, meta.maxTime);
        await store.put(key, data, { ifAbsent: true });
        await index.update(T_WEEK, hour, (doc) => {
          addBlock(doc, { key, size: data.length, window: [hour * HOUR_MS, (hour + 1) * HOUR_MS], meta });
          return true;
        });
      }
    );
  });
  return { objects: blocks.length * WEEK_DAYS, bytes, ms: performance.now() - t0 };
}

interface QueryResult {
  objects: number;
  bytes: number;
  profiles: number;
  samples: number;
  total: number;
  fgNodes: number;
  points: number;
  coldMerge: number;
  coldSeries: number;
  warmMerge: number;
  warmSeries: number;
  rssCold: number;
  rssWarm: number;
}

async function query(conn: string, tenant: string, start: number, end: number, rss: RssSampler): Promise<QueryResult> {
  const fresh = () => {
    const store = azureStore(conn);
    const reader = new SegmentReader(store);
    const catalog = new Catalog(store, '', new IndexStore(store, ''), reader);
    return { reader, querier: new Querier(reader, catalog, () => limits) };
  };
  const sel = { profileType: PROFILE_TYPE, selector: SELECTOR, start, end };
  const seriesParams = {
    ...sel,
    stepSeconds: (end - start + 1) / POINTS / 1000,
    groupBy: [],
    aggregation: 'sum' as const,
  };
  const merge = async (q: Querier) => {
    const { tree, stats } = await q.selectMergeTree(tenant, sel);
    const fg = toFlameGraph(tree, MAX_NODES);
    return { fg, stats };
  };
  // compile the hot path first (a server has), on the first hour, with a reader thrown away afterwards
  {
    const w = fresh();
    await merge(w.querier);
    await w.querier.selectSeries(tenant, { ...seriesParams, end: Math.min(end, start + HOUR_MS - 1) });
  }
  (globalThis as { gc?: () => void }).gc?.();

  // cold: a fresh reader and querier; the flame graph and the series are asked at once, as a UI page does
  const cold = fresh();
  rss.reset();
  const timed = async <T>(fn: () => Promise<T>) => {
    const t0 = performance.now();
    const value = await fn();
    return { value, ms: performance.now() - t0 };
  };
  const [cm, cs] = await Promise.all([
    timed(() => merge(cold.querier)),
    timed(() => cold.querier.selectSeries(tenant, seriesParams)),
  ]);
  const rssCold = rss.peakBytes();
  // warm: the same querier, caches hot; every call merges again (there is no result cache)
  rss.reset();
  const wm: number[] = [];
  const ws: number[] = [];
  for (let i = 0; i < WARM_RUNS; i++) {
    wm.push((await timed(() => merge(cold.querier))).ms);
    ws.push((await timed(() => cold.querier.selectSeries(tenant, seriesParams))).ms);
  }
  const rssWarm = rss.peakBytes();
  const { stats } = cm.value;
  return {
    objects: stats.objectsRead,
    bytes: stats.bytesRead,
    profiles: stats.profiles,
    samples: stats.samples,
    total: cm.value.fg.total,
    fgNodes: cm.value.fg.levels.reduce((a, l) => a + l.length / 4, 0),
    points: cs.value.series.reduce((a, s) => a + s.timestamps.length, 0),
    coldMerge: cm.ms,
    coldSeries: cs.ms,
    warmMerge: median(wm),
    warmSeries: median(ws),
    rssCold,
    rssWarm,
  };
}

async function child(): Promise<void> {
  const [mode, conn, ...rest] = process.argv.slice(2);
  const rss = new RssSampler();
  let out: unknown;
  if (mode === 'setup-day') {
    out = { ...(await setupDay(conn, rest[0])), peakRss: rss.peakBytes() };
  } else if (mode === 'compact') {
    out = await compact(conn, rss);
  } else if (mode === 'clone-week') {
    out = await cloneWeek(conn);
  } else if (mode === 'query') {
    out = await query(conn, rest[0], Number(rest[1]), Number(rest[2]), rss);
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  await rss.stop();
  process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
}

// ---------------------------------------------------------------------------------------------------------------
// the orchestrating process

function runChild<T>(args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) {
        reject(new Error(`bench-query ${args[0]} failed (exit ${code}): ${out}`));
        return;
      }
      resolve(JSON.parse(line.slice(7)) as T);
    });
  });
}

interface Floor {
  cold: number;
  warm: number;
  objects: number;
  bytes: number;
  total: number;
}

/** The floor: the objects' bytes fetched at the reader's concurrency (cold) or in memory (warm), values summed. */
async function floor(conn: string, tenant: string, start: number, end: number): Promise<Floor> {
  const st = azureStore(conn);
  const reader = new SegmentReader(st);
  const refs = await new Catalog(st, '', new IndexStore(st, ''), reader).objects(tenant, start, end);
  const sum = (buf: Buffer): number => {
    let acc = 0;
    for (const d of decodeObject('floor', buf).datasets) {
      const v = d.sampleValue;
      for (let i = 0; i < v.length; i++) {
        acc += v[i];
      }
    }
    return acc;
  };
  const store = azureStore(conn);
  let total = 0;
  let bytes = 0;
  const t0 = performance.now();
  // one ranged GET per object (its size known from the listing): the fewest requests that fetch its bytes
  const bufs = await mapLimit(refs, CONCURRENCY, async (ref) => {
    const b = await store.getRange(ref.key, 0, ref.size);
    total += sum(b);
    bytes += b.length;
    return b;
  });
  const cold = performance.now() - t0;
  const warm: number[] = [];
  for (let r = 0; r < WARM_RUNS; r++) {
    const t1 = performance.now();
    let acc = 0;
    for (const b of bufs) {
      acc += sum(b);
    }
    warm.push(performance.now() - t1);
    if (acc !== total) {
      throw new Error('floor sums differ');
    }
  }
  return { cold, warm: median(warm), objects: refs.length, bytes, total };
}

const fmtMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`);
const fmtMiB = (b: number) => `${(b / MIB).toFixed(0)} MiB`;
const ratio = (a: number, b: number) => `${(a / b).toFixed(a / b < 10 ? 2 : 0)}×`;

interface Row {
  label: string;
  hours: number;
  f: Floor;
  q: QueryResult;
}

function printTables(rows: Row[], raw: Row, comp: Row, curve: Row[], phases: string[]): void {
  console.log(
    `\nquery: one Go service at 15 s (generated, ${PROFILES} profiles a day), Azurite, reads at concurrency ${CONCURRENCY}; ` +
      `flame graph = selectMergeTree + toFlameGraph(${MAX_NODES}), series = selectSeries (${POINTS} points); ` +
      `cold = fresh reader and querier, flame graph and series asked together; warm = median of ${WARM_RUNS}, caches hot, no result cache`
  );
  console.log(
    '| data | objects | stored | profiles | floor cold | flame graph cold | × floor | series cold | × floor | floor warm | flame graph warm | series warm | peak RSS cold / warm |'
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const { label, f, q } of rows) {
    const check = q.total === f.total ? '' : ` ⚠ total ${q.total} ≠ floor ${f.total}`;
    console.log(
      `| ${label} | ${f.objects} | ${fmtMiB(f.bytes)} | ${q.profiles} | ${fmtMs(f.cold)} | ${fmtMs(q.coldMerge)} | ${ratio(q.coldMerge, f.cold)} | ${fmtMs(q.coldSeries)} | ${ratio(q.coldSeries, f.cold)} | ${fmtMs(f.warm)} | ${fmtMs(q.warmMerge)} | ${fmtMs(q.warmSeries)} | ${fmtMiB(q.rssCold)} / ${fmtMiB(q.rssWarm)} |${check}`
    );
  }
  const base = curve[0];
  console.log(
    '\nscale curve over hourly blocks: time per hour of data relative to 1 h (≤ 1.00× = no worse than linear)\n| range | flame graph cold | flame graph warm | series cold | series warm |\n| --- | ---: | ---: | ---: | ---: |'
  );
  for (const r of curve) {
    const per = (v: number, b: number) => ratio(v / r.hours, b / base.hours);
    console.log(
      `| ${r.label.replace('scale: ', '')} | ${per(r.q.coldMerge, base.q.coldMerge)} | ${per(r.q.warmMerge, base.q.warmMerge)} | ${per(r.q.coldSeries, base.q.coldSeries)} | ${per(r.q.warmSeries, base.q.warmSeries)} |`
    );
  }
  const mark = (ok: boolean) => (ok ? 'met' : 'MISSED');
  const coldOk = (r: Row) => Math.max(r.q.coldMerge, r.q.coldSeries) < 3 * r.f.cold;
  const warmOk = (r: Row) => Math.max(r.q.warmMerge, r.q.warmSeries) < 150;
  const rssOf = (r: Row) => Math.max(r.q.rssCold, r.q.rssWarm);
  const last = curve[curve.length - 1];
  const linear = curve.every((r) => r.q.warmMerge / r.hours <= (1.1 * base.q.warmMerge) / base.hours);
  console.log('\ntargets');
  console.log(
    `- warm under 150 ms (24 h): compacted ${fmtMs(Math.max(comp.q.warmMerge, comp.q.warmSeries))} ${mark(warmOk(comp))}; uncompacted ${fmtMs(Math.max(raw.q.warmMerge, raw.q.warmSeries))} ${mark(warmOk(raw))}`
  );
  console.log(
    `- cold under 3× its floor (24 h): compacted ${ratio(Math.max(comp.q.coldMerge, comp.q.coldSeries), comp.f.cold)} ${mark(coldOk(comp))}; uncompacted ${ratio(Math.max(raw.q.coldMerge, raw.q.coldSeries), raw.f.cold)} ${mark(coldOk(raw))}`
  );
  console.log(
    `- compacted faster than uncompacted (24 h): flame graph cold ${ratio(comp.q.coldMerge, raw.q.coldMerge)}, warm ${ratio(comp.q.warmMerge, raw.q.warmMerge)}; series cold ${ratio(comp.q.coldSeries, raw.q.coldSeries)}, warm ${ratio(comp.q.warmSeries, raw.q.warmSeries)} ${mark(comp.q.coldMerge < raw.q.coldMerge && comp.q.warmMerge < raw.q.warmMerge)}`
  );
  console.log(
    `- time no worse than linear in the range (warm flame graph, 10% tolerance): ${mark(linear)}; 7 d took ${ratio(last.q.warmMerge, base.q.warmMerge)} the 1 h time for ${last.hours}× the data`
  );
  console.log(
    `- peak RSS under 1 GiB for the 24 h query (limit 2 GiB): compacted ${fmtMiB(rssOf(comp))}, uncompacted ${fmtMiB(rssOf(raw))} ${mark(Math.max(rssOf(comp), rssOf(raw)) < 1024 * MIB)}; 7 d ${fmtMiB(rssOf(last))} (${ratio(rssOf(last), LIMIT_BYTES)} of the limit)`
  );
  for (const line of phases) {
    console.log(line);
  }
}

async function main(): Promise<void> {
  const tStart = performance.now();
  const load0 = loadavg();
  // Azurite on disk: in memory, a gigabyte of blobs made it stall past the store's 30 s timeout here
  const azDir = mkdtempSync(join(tmpdir(), 'bench-query-azurite-'));
  const az = await startAzurite(azDir);
  const conn = az.connectionString;
  const log = (s: string) => console.error(`[bench-query ${((performance.now() - tStart) / 1000).toFixed(0)}s] ${s}`);
  const phases: string[] = [];
  try {
    const setup = await runChild<Record<string, number>>(['setup-day', conn]);
    phases.push(
      `- set-up: ${setup.objects} segments (${fmtMiB(setup.bytes)}) generated, encoded and stored in ${fmtMs(setup.ms)}, peak RSS ${fmtMiB(setup.peakRss)}`
    );
    log(phases[phases.length - 1]);
    const rows: Row[] = [];
    const scenario = async (label: string, tenant: string, hours: number, end: number): Promise<Row> => {
      const start = end + 1 - hours * HOUR_MS;
      const f = await floor(conn, tenant, start, end);
      const q = await runChild<QueryResult>(['query', conn, tenant, String(start), String(end)]);
      log(`${label}: ${JSON.stringify({ floor: f, query: q })}`);
      const row = { label, hours, f, q };
      rows.push(row);
      return row;
    };
    const dayEnd = DAY + DAY_MS - 1;
    const raw = await scenario('24 h, segments (uncompacted)', T_DAY, 24, dayEnd);
    const c = await runChild<Record<string, number>>(['compact', conn]);
    phases.push(
      `- compaction (Compactor.runOnce: each hour of the old layout into one block): ${c.sources} segments into ${c.blocks} blocks in ${fmtMs(c.ms)}, peak RSS ${fmtMiB(c.peakRss)}`
    );
    log(phases[phases.length - 1]);
    const comp = await scenario('24 h, hourly blocks (compacted)', T_DAY, 24, dayEnd);
    const wk = await runChild<Record<string, number>>(['clone-week', conn]);
    phases.push(`- 7 d of hourly blocks: ${wk.objects} blocks (${fmtMiB(wk.bytes)}) stored in ${fmtMs(wk.ms)}`);
    log(phases[phases.length - 1]);
    const curve: Row[] = [];
    for (const hours of [1, 6, 24, WEEK_DAYS * 24]) {
      const label = hours < 24 * WEEK_DAYS ? `${hours} h` : `${WEEK_DAYS} d`;
      curve.push(await scenario(`scale: ${label} of blocks`, T_WEEK, hours, dayEnd));
    }
    const load1 = loadavg();
    phases.push(
      `- machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}, ${fmtMiB(totalmem())} RAM (${fmtMiB(freemem())} free), node ${process.version}; ` +
        `load average ${load0[0].toFixed(2)} at start, ${load1[0].toFixed(2)} at end; the bench took ${fmtMs(performance.now() - tStart)}`
    );
    printTables(rows, raw, comp, curve, phases);
  } finally {
    await az.stop();
    rmSync(azDir, { recursive: true, force: true });
  }
}

if (process.argv.length > 2) {
  child().catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
