// `npm run bench-compaction`: what compaction costs and what it leaves a reader, at a push rate (default 10x: 300
// services, one CPU profile each every 15 s = 20 requests/s, ~2 requests per level-0 object as the bounded
// writer makes them), on a simulated clock over an in-memory store, so only compaction's own CPU is measured
// (no store round trips, no waiting: a 12-minute run takes about a minute). Each variant runs the compactor as
// start() schedules it. The baseline (minute folders only, no early steps) is measured in the same run; timings
// are printed, never asserted.
//   BENCH_COMPACTION_MIN      simulated minutes (default 12)
//   BENCH_COMPACTION_SERVICES services (default 300)
import { cpus, loadavg, totalmem } from 'node:os';
import { Catalog } from '../src/storage/catalog.js';
import { Compactor, type CompactorOptions } from '../src/storage/compactor.js';
import { SegmentBuilder } from '../src/storage/format/builder.js';
import { IndexStore } from '../src/storage/index.js';
import { HOUR_MS, idTime, l0Key, MINUTE_MS } from '../src/storage/keys.js';
import type { ObjectStore } from '../src/storage/objectStore.js';
import { SegmentReader } from '../src/storage/segmentReader.js';
import { MemoryStore } from '../test/faultyStore.js';
import { profileMaker } from './lib/benchProfiles.js';

const TENANT = 'anonymous';
const MINUTES = Number(process.env.BENCH_COMPACTION_MIN ?? 12);
const SERVICES = Number(process.env.BENCH_COMPACTION_SERVICES ?? 300);
const PER_SECOND = SERVICES / 15;
/** Requests per level-0 object: the writer bounded at 10 objects/s (bench-recent's BENCH_RECENT_MAX_OBJECTS). */
const PER_OBJECT = Math.max(1, Math.ceil(PER_SECOND / 10));
const INTERVAL_MS = 15_000;

interface Variant {
  name: string;
  opts: Partial<CompactorOptions>;
  /** The level-0 loop's period, as start() picks it. */
  level0EveryMs: number;
}

const variants: Variant[] = [
  { name: 'minute folders only (earlySources 0)', opts: { earlySources: 0 }, level0EveryMs: INTERVAL_MS },
  { name: 'early steps (default)', opts: {}, level0EveryMs: 10_000 },
];

interface Result {
  cpuSeconds: number;
  blocks: number;
  indexPuts: number;
  /** Per simulated second: level-0 objects the index does not hold yet (what a fresh reader reads one by one). */
  uncovered: number[];
  /** Per simulated second: blocks of the current hour's document (a reader's requests for blocks). */
  blocksLive: number[];
  wallMs: number;
}

const make = profileMaker(TENANT);

async function run(v: Variant): Promise<Result> {
  const inner = new MemoryStore();
  let indexPuts = 0;
  const store: ObjectStore = Object.assign(Object.create(inner) as ObjectStore, {
    put: (key: string, data: Uint8Array, opts?: { ifAbsent?: boolean; ifVersion?: string | null }) => {
      if (key.includes('/index/')) {
        indexPuts++;
      }
      return inner.put(key, data, opts);
    },
  });
  // a quarter past an hour three hours ago: the run stays inside one hour
  const start = (Math.floor(Date.now() / HOUR_MS) - 3) * HOUR_MS + 15 * MINUTE_MS;
  const clock = { now: start };
  const index = new IndexStore(store, '');
  const compactor = new Compactor(store, index, new Catalog(store, '', index, new SegmentReader(store)), {
    prefix: '',
    retentionMs: 0,
    deletionDelayMs: 5 * 60_000,
    now: () => clock.now,
    ...v.opts,
  });
  const reader = new IndexStore(store, '');
  const uncovered: number[] = [];
  const blocksLive: number[] = [];
  let req = 0;
  const t0 = performance.now();
  for (let s = 1; s <= MINUTES * 60; s++) {
    // this second's requests, as the writer batches them
    for (let o = 0; o * PER_OBJECT < PER_SECOND; o++) {
      const at = clock.now + Math.floor((o * 1000) / (PER_SECOND / PER_OBJECT));
      const b = new SegmentBuilder(TENANT);
      for (let i = 0; i < PER_OBJECT && o * PER_OBJECT + i < PER_SECOND; i++, req++) {
        for (const p of await make(req % SERVICES, Math.floor(req / SERVICES), at - 300)) {
          b.add({ ...p, timeMs: at - 300 });
        }
      }
      await store.put(l0Key('', TENANT, b.minTime, b.maxTime, at), b.encode(at), { ifAbsent: true });
    }
    clock.now = start + s * 1000;
    const inMinute = (clock.now % MINUTE_MS) / 1000;
    if ((s * 1000) % v.level0EveryMs === 0 || inMinute === 5) {
      await compactor.runLevel0();
    }
    if ((s * 1000) % INTERVAL_MS === 0) {
      await compactor.runOnce();
    }
    // what a reader would find now
    const doc = await reader.doc(TENANT, Math.floor(clock.now / HOUR_MS), 0);
    // (the run stays inside one hour: that document records every source)
    const n = (await inner.list(`${TENANT}/l0/`)).filter(
      (o) => idTime(o.key) <= clock.now && doc.covered[o.key.slice(TENANT.length + 1)] === undefined
    ).length;
    uncovered.push(n);
    blocksLive.push(doc.blocks.length);
  }
  return {
    cpuSeconds: compactor.stats.cpuSeconds,
    blocks: compactor.stats.blocksWritten,
    indexPuts,
    uncovered,
    blocksLive,
    wallMs: performance.now() - t0,
  };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

console.log(
  `bench-compaction: ${SERVICES} services, ${PER_SECOND.toFixed(1)} requests/s, ${PER_OBJECT} per level-0 object, ` +
    `${MINUTES} simulated minutes; ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ` +
    `${(totalmem() / 2 ** 30).toFixed(0)} GiB, load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`
);
// the first minutes fill the store; the figures below are of the rest (a reader's view once compaction runs)
const skip = Math.min(180, Math.floor((MINUTES * 60) / 3));
const results: Array<[Variant, Result]> = [];
for (const v of variants) {
  results.push([v, await run(v)]);
}
const base = results[0][1];
console.log(
  '| variant | compaction CPU | vs baseline | blocks written | index writes/min | level-0 objects not in the index p50 / p99 / max | blocks in the hour document p50 / max |'
);
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const [v, r] of results) {
  const u = r.uncovered.slice(skip);
  const b = r.blocksLive.slice(skip);
  console.log(
    `| ${v.name} | ${r.cpuSeconds.toFixed(2)} s | ${(r.cpuSeconds / base.cpuSeconds).toFixed(2)} | ${r.blocks} | ` +
      `${(r.indexPuts / MINUTES).toFixed(1)} | ${pct(u, 50)} / ${pct(u, 99)} / ${Math.max(...u)} | ${pct(b, 50)} / ${Math.max(...b)} |`
  );
}
console.log(
  `compaction CPU: the main thread's CPU around compaction's synchronous work (Compactor.stats.cpuSeconds); ` +
    `wall ${results.map(([, r]) => (r.wallMs / 1000).toFixed(0) + ' s').join(', ')} (profile generation included); ` +
    `load average at end ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`
);
