// Compaction with storage format 2 (docs/storage.md): level-0 segments become blocks whatever the hour, with the
// same query results; a compaction stopped at any step leaves the store readable without double counting; late
// data is found and compacted; a query planned before a compaction finished still answers right; concurrent
// index writers lose no entry; three backend processes on one Azurite container answer identically.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../src/config/config.js';
import { createService } from '../src/server.js';
import { AzureStore } from '../src/storage/azure.js';
import { Catalog, HEAD_MAX_AGE_MS } from '../src/storage/catalog.js';
import { Compactor, type CompactionStep, type CompactorOptions } from '../src/storage/compactor.js';
import { FilesystemStore } from '../src/storage/filesystem.js';
import { addBlock, hoursOf, IndexStore } from '../src/storage/index.js';
import { blocksPrefix, hourOf, l0Prefix, MINUTE_MS, parseSegmentKey } from '../src/storage/keys.js';
import type { SegmentMeta } from '../src/storage/format/meta.js';
import type { ObjectStore } from '../src/storage/objectStore.js';
import { SegmentReader } from '../src/storage/segmentReader.js';
import {
  connectJson,
  FIXTURES,
  ingest,
  NO_FIXTURES,
  readFixture,
  sleep,
  startAzurite,
  startChild,
  startInProcess,
  withoutTime,
  type Azurite,
  type Child,
  type Running,
} from './helpers.js';
import { tinyPprof } from './wire.js';

const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const HOUR = 3_600_000;
const T = 'anonymous';
const past = hourOf(Date.now()) - 3; // an hour that ended
/** Profile times (s), one in each of the hour's six ten-minute windows, then again a second later. */
/** The fixture holds two sample types (samples, cpu): each ingest stores two profiles. */
const PER = 2;
const at = (i: number) => Math.floor((past * HOUR + 60_000 + (i % 6) * 10 * 60_000 + Math.floor(i / 6) * 1000) / 1000);

/** When a compactor of compactorOn last ran (see there). */
let compactedAt = 0;

/** Waits out the index documents a server may reuse from before a compactorOn pass. */
async function afterReuse(): Promise<void> {
  const wait = compactedAt + HEAD_MAX_AGE_MS + 50 - Date.now();
  if (wait > 0) {
    await new Promise((r) => setTimeout(r, wait));
  }
}

async function state(url: string, range = { start: past * HOUR, end: (past + 1) * HOUR - 1 }) {
  await afterReuse();
  const fg = await connectJson<{ flamegraph?: { total: string } }>(url, 'SelectMergeStacktraces', {
    profileTypeID: CPU,
    labelSelector: '{}',
    ...range,
  });
  assert.equal(fg.status, 200, JSON.stringify(fg.json));
  const s = await connectJson<{ labelsSet?: unknown[] }>(url, 'Series', {
    ...range,
    labelNames: ['service_name', '__profile_type__'],
    matchers: [],
  });
  assert.equal(s.status, 200, JSON.stringify(s.json));
  return { total: Number(fg.json.flamegraph?.total ?? 0), series: JSON.stringify(s.json.labelsSet ?? []) };
}

/**
 * A compactor as a test drives it: the level-0 minute being written may be compacted, sources go at once. No
 * server would delete that early (its delay is at least the query timeout + 30 s), and queries rely on it: they
 * reuse index documents up to HEAD_MAX_AGE_MS, so state() waits that long after this compactor ran.
 */
function compactorOn(store: ObjectStore, opts: Partial<CompactorOptions> = {}): Compactor {
  const index = new IndexStore(store, '');
  const catalog = new Catalog(store, '', index, new SegmentReader(store));
  const c = new Compactor(store, index, catalog, {
    prefix: '',
    retentionMs: 0,
    deletionDelayMs: 0,
    l0SettleMs: -MINUTE_MS,
    ...opts,
  });
  for (const run of ['runOnce', 'runLevel0'] as const) {
    const inner = c[run].bind(c);
    c[run] = (now?: number) => inner(now).finally(() => (compactedAt = Date.now()));
  }
  return c;
}

async function l0Objects(store: ObjectStore): Promise<string[]> {
  return (await store.list(l0Prefix('', T))).map((o) => o.key);
}

/** Level-0 segments some hour of which no index document records as held by a block. */
async function uncovered(store: ObjectStore): Promise<string[]> {
  const index = new IndexStore(store, '');
  const out: string[] = [];
  for (const key of await l0Objects(store)) {
    const t = parseSegmentKey(key)!;
    for (const h of hoursOf(t.minTime, t.maxTime)) {
      if ((await index.doc(T, h)).covered[key.slice(T.length + 1)] === undefined) {
        out.push(key);
        break;
      }
    }
  }
  return out;
}

/** `inner` with `beforeRead(key)` awaited before each object read and `beforeList(prefix)` before each listing. */
function withHooks(
  inner: ObjectStore,
  beforeRead: (key: string) => Promise<void>,
  beforeList: (prefix: string) => Promise<void> = async () => {}
): ObjectStore {
  return Object.assign(Object.create(inner) as ObjectStore, {
    list: async (prefix: string) => {
      await beforeList(prefix);
      return inner.list(prefix);
    },
    get: async (key: string) => {
      await beforeRead(key);
      return inner.get(key);
    },
    getRange: async (key: string, offset: number, length: number) => {
      await beforeRead(key);
      return inner.getRange(key, offset, length);
    },
  });
}

/**
 * A writer replica on `dir` and another replica, cold (nothing cached), reading the same folder through `store`
 * (a test's wrapper of it); neither compacts by itself.
 */
async function writerAndReader(
  dir: string,
  store: ObjectStore
): Promise<{ writer: Running; url: string; close: () => Promise<void> }> {
  const flags = [
    '-validation.reject-older-than=0',
    '-compactor.compaction-interval=0',
    '-querier.max-query-lookback=0',
  ];
  const writer = await startInProcess(flags, dir);
  const cfg = loadConfig(['-storage.backend=filesystem', `-storage.filesystem.dir=${dir}`, ...flags]);
  const svc = await createService(cfg, { logLevel: 'warn', store });
  await svc.app.listen({ port: 0, host: '127.0.0.1' });
  return {
    writer,
    url: `http://127.0.0.1:${(svc.app.server.address() as { port: number }).port}`,
    close: async () => {
      await svc.close();
      await writer.stop();
    },
  };
}

describe('compaction on the filesystem store', { skip: NO_FIXTURES }, () => {
  let be: Running;
  let cpu: Buffer;
  before(async () => {
    be = await startInProcess([
      '-validation.reject-older-than=0',
      '-compactor.compaction-interval=0',
      '-querier.max-query-lookback=0',
    ]);
    cpu = withoutTime(readFixture(join(FIXTURES, 'pprof/cpu.pb.gz')));
  });
  after(async () => be?.stop());

  test('level-0 segments become blocks with identical results; an ended hour ends as one block', async () => {
    for (let i = 0; i < 6; i++) {
      const r = await ingest(be.url, cpu, `svc-${i % 2}{pod=p${i % 3}}`, { from: at(i) });
      assert.equal(r.status, 200, await r.text());
    }
    assert.equal((await l0Objects(be.svc.store)).length, 6);
    const want = await state(be.url);
    assert.equal(want.total, 6 * 470_000_000);
    const c = compactorOn(be.svc.store);
    const done = await c.runOnce();
    // one level-1 block per ten-minute window, then (the hour ended) one level-3 block of them all
    assert.deepEqual(
      done.filter((r) => r.level === 1).map((r) => r.profiles),
      [PER, PER, PER, PER, PER, PER]
    );
    assert.deepEqual(
      done.filter((r) => r.level === 3).map((r) => [r.sources, r.profiles]),
      [[6, 6 * PER]]
    );
    assert.deepEqual(await l0Objects(be.svc.store), [], 'sources past the deletion delay are deleted');
    assert.deepEqual(await state(be.url), want);
    const doc = await new IndexStore(be.svc.store, '').doc(T, past);
    assert.equal(doc.blocks.length, 1);
    assert.equal(doc.blocks[0].level, 3);
    // the replaced level-1 blocks are garbage until the next pass
    await c.runOnce();
    const blocks = await be.svc.store.list(blocksPrefix('', T, past));
    assert.deepEqual(
      blocks.map((o) => o.key),
      [doc.blocks[0].key]
    );
    assert.deepEqual(await state(be.url), want);
  });

  test('a compaction stopped at every step counts nothing twice and misses nothing', async () => {
    const want = await state(be.url);
    let n = 0;
    for (const step of ['locked', 'written', 'indexed', 'deleting'] as CompactionStep[]) {
      for (let i = 0; i < 2; i++, n++) {
        assert.equal((await ingest(be.url, cpu, `svc-late{step=${step}}`, { from: at(6 + n) })).status, 200);
      }
      want.total += 2 * 470_000_000;
      want.series = (await state(be.url)).series;
      assert.deepEqual(await state(be.url), want);
      let stopped = false;
      const crashing = compactorOn(be.svc.store, {
        onStep: (s) => {
          if (s === step) {
            stopped = true;
            throw new Error(`crash at ${s}`);
          }
        },
      });
      await assert.rejects(crashing.runOnce(), /crash at/);
      assert.ok(stopped);
      assert.deepEqual(await state(be.url), want, `after a crash at "${step}"`);
      // the crashed compactor's lease was released by its finally; a real crash leaves it to expire
      await compactorOn(be.svc.store).runOnce();
      assert.deepEqual(await state(be.url), want, `after the pass that followed a crash at "${step}"`);
    }
    const c = compactorOn(be.svc.store);
    await c.runOnce();
    await c.runOnce();
    assert.deepEqual(await l0Objects(be.svc.store), []);
    const doc = await new IndexStore(be.svc.store, '').doc(T, past);
    assert.equal(doc.blocks.length, 1, 'the hour is one block again');
    assert.equal(doc.blocks[0].profiles, (6 + 8) * PER);
    assert.deepEqual(Object.keys(doc.covered), [], 'covered entries of deleted sources are dropped');
    assert.deepEqual(await state(be.url), want);
  });
});

describe('late data and queries during compaction', { skip: NO_FIXTURES }, () => {
  test('a profile 50 minutes old is found at once and compacted into its window', async () => {
    const be = await startInProcess(['-compactor.compaction-interval=0', '-querier.max-query-lookback=0']);
    try {
      const cpu = withoutTime(readFixture(join(FIXTURES, 'pprof/cpu.pb.gz')));
      const t = Math.floor((Date.now() - 50 * 60_000) / 1000);
      const range = { start: t * 1000 - 1000, end: t * 1000 + 5000 };
      const c = compactorOn(be.svc.store);
      assert.equal((await ingest(be.url, cpu, 'svc-late50', { from: t })).status, 200);
      assert.equal((await state(be.url, range)).total, 470_000_000);
      await c.runOnce();
      assert.equal((await state(be.url, range)).total, 470_000_000);
      // a second late profile of the same window: a block of its own, merged with the first (the window ended)
      assert.equal((await ingest(be.url, cpu, 'svc-late50', { from: t + 1 })).status, 200);
      assert.equal((await state(be.url, range)).total, 2 * 470_000_000);
      await c.runOnce();
      assert.deepEqual(await l0Objects(be.svc.store), []);
      const doc = await new IndexStore(be.svc.store, '').doc(T, hourOf(t * 1000));
      const holding = doc.blocks.filter((b) => b.minTime <= t * 1000 && b.maxTime >= t * 1000);
      assert.equal(holding.length, 1, JSON.stringify(doc.blocks.map((b) => [b.level, b.window])));
      assert.ok(holding[0].level >= 2);
      assert.equal(holding[0].profiles, 2 * PER);
      assert.equal((await state(be.url, range)).total, 2 * 470_000_000);
    } finally {
      await be.stop();
    }
  });

  test('a query planned before a compaction deleted its objects plans again and answers the same', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bts-gate-'));
    const inner = new FilesystemStore(dir);
    let gate: { hit: () => void; open: Promise<void> } | null = null;
    const data = /\/(l0|blocks)\//;
    const gated = withHooks(inner, async (key) => {
      if (gate && data.test(key)) {
        gate.hit();
        await gate.open;
      }
    });
    // one replica ingests and answers first; another, cold (nothing cached), reads through the gate
    const { writer, url, close } = await writerAndReader(dir, gated);
    try {
      const tiny = tinyPprof();
      for (let i = 0; i < 3; i++) {
        assert.equal((await ingest(writer.url, tiny, 'svc-planned', { from: at(i) })).status, 200);
      }
      const want = await state(writer.url);
      assert.ok(want.total > 0);
      const sources = await l0Objects(inner);
      assert.equal(sources.length, 3);
      let hit!: () => void;
      const reached = new Promise<void>((r) => (hit = r));
      let open!: () => void;
      gate = { hit, open: new Promise<void>((r) => (open = r)) };
      const answer = state(url);
      await reached;
      // the query has planned the level-0 segments and is reading them: compaction replaces and deletes them
      const c = compactorOn(inner);
      await c.runOnce();
      await c.runOnce();
      for (const k of sources) {
        await assert.rejects(inner.get(k), /not found|ENOENT|no such/i);
      }
      open();
      gate = null;
      assert.deepEqual(await answer, want);
      assert.deepEqual(await state(writer.url), want);
    } finally {
      await close();
    }
  });

  test("a query merges the index's blocks while the newest folders are listed; a listed segment gone runs it again", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bts-staged-'));
    const inner = new FilesystemStore(dir);
    const events: string[] = [];
    let listGate: Promise<void> | null = null;
    let readGate: { hit: () => void; open: Promise<void> } | null = null;
    const read = async (key: string) => {
      if (key.includes('/blocks/')) {
        events.push('block read');
      }
      if (readGate && key.includes('/l0/')) {
        readGate.hit();
        await readGate.open;
      }
    };
    const gated = withHooks(inner, read, async (prefix) => {
      if (listGate && prefix.includes('/l0/')) {
        events.push('l0 listing held');
        await listGate;
      }
    });
    const { writer, url, close } = await writerAndReader(dir, gated);
    try {
      const tiny = tinyPprof();
      for (let i = 0; i < 3; i++) {
        assert.equal((await ingest(writer.url, tiny, 'svc-staged', { from: at(i) })).status, 200);
      }
      await compactorOn(inner).runOnce();
      assert.deepEqual(await l0Objects(inner), [], 'the first three are in blocks');
      for (let i = 3; i < 5; i++) {
        assert.equal((await ingest(writer.url, tiny, 'svc-staged', { from: at(i) })).status, 200);
      }
      const sources = await l0Objects(inner);
      assert.equal(sources.length, 2);
      const want = await state(writer.url);
      assert.ok(want.total > 0);

      // a fresh process: its query reads the blocks the index names while the level-0 listing is held
      let openList!: () => void;
      listGate = new Promise<void>((r) => (openList = r));
      let hit!: () => void;
      const reached = new Promise<void>((r) => (hit = r));
      let openRead!: () => void;
      readGate = { hit, open: new Promise<void>((r) => (openRead = r)) };
      const answer = state(url);
      // a failing assertion below must be the report, not the query cut off when the server closes
      answer.catch(() => undefined);
      const deadline = Date.now() + 10_000;
      while (!events.includes('block read') && Date.now() < deadline) {
        await sleep(20);
      }
      assert.ok(events.includes('l0 listing held'), events.join(', '));
      assert.ok(events.includes('block read'), `blocks read before the listing ended: ${events.join(', ')}`);
      listGate = null;
      openList();
      // the listed segments are being read: compaction replaces and deletes them. The blocks already merged must
      // not count again against the fresh plan's new block
      await reached;
      await compactorOn(inner).runOnce();
      await compactorOn(inner).runOnce();
      for (const k of sources) {
        await assert.rejects(inner.get(k), /not found|ENOENT|no such/i);
      }
      readGate = null;
      openRead();
      assert.deepEqual(await answer, want);
    } finally {
      await close();
    }
  });

  test('an object acknowledged while a pass lists its minute is kept, not taken for a source', async () => {
    // A pass lists a minute folder; meanwhile another replica acknowledges a profile into the same folder. Only
    // what the pass merged may be recorded as held (and later deleted): the new object must stay live.
    const be = await startInProcess([
      '-validation.reject-older-than=0',
      '-compactor.compaction-interval=0',
      '-querier.max-query-lookback=0',
    ]);
    try {
      const tiny = tinyPprof();
      for (let i = 0; i < 2; i++) {
        assert.equal((await ingest(be.url, tiny, 'svc-race', { from: at(i) })).status, 200);
      }
      const store = be.svc.store;
      let late: Promise<Response> | undefined;
      const racing: ObjectStore = Object.assign(Object.create(store) as ObjectStore, {
        list: async (prefix: string) => {
          const got = await store.list(prefix);
          // the listing of one minute folder (the pass first lists all of level 0)
          if (!late && /\/l0\/\d+\/$/.test(prefix)) {
            late = ingest(be.url, tiny, 'svc-race', { from: at(2) });
            assert.equal((await late).status, 200);
          }
          return got;
        },
      });
      const compactor = compactorOn(racing);
      await compactor.runOnce();
      assert.ok(late, 'the late profile was sent during the pass');
      const total = async (range: { start: number; end: number }) => {
        await afterReuse();
        return Number(
          (
            await connectJson<{ flamegraph?: { total?: string } }>(be.url, 'SelectMergeStacktraces', {
              profileTypeID: CPU,
              labelSelector: '{service_name="svc-race"}',
              ...range,
            })
          ).json.flamegraph?.total ?? 0
        );
      };
      const one = await total({ start: at(0) * 1000 - 1, end: at(0) * 1000 + 5_000 });
      assert.ok(one > 0);
      const hour = { start: past * HOUR, end: (past + 1) * HOUR - 1 };
      assert.equal(await total(hour), 3 * one, 'all three acknowledged profiles are stored');
      // a later pass compacts the late one too: a block of its own next to the hour's (late blocks of an ended
      // hour wait for company before the hour's block is rewritten)
      await compactor.runOnce();
      await compactor.runOnce();
      assert.deepEqual(await l0Objects(store), []);
      const doc = await new IndexStore(store, '').doc(T, past);
      assert.deepEqual(
        doc.blocks.map((b) => [b.level, b.profiles]),
        [
          [3, 2],
          [1, 1],
        ]
      );
      assert.equal(await total(hour), 3 * one);
    } finally {
      await be.stop();
    }
  });
});

/** A block entry's meta, enough for an index document. */
function fakeMeta(i: number): SegmentMeta {
  const t = past * HOUR + i * 1000;
  return {
    version: 2,
    tenant: T,
    minTime: t,
    maxTime: t,
    createdAt: t,
    profiles: 1,
    samples: 1,
    level: 1,
    series: [
      { labels: [['service_name', `w-${i % 7}`]], profileType: CPU, profiles: 1, total: 1, minTime: t, maxTime: t },
    ],
    datasets: [],
  };
}

async function racingWriters(stores: ObjectStore[], perWriter: number): Promise<void> {
  await Promise.all(
    stores.map(async (store, w) => {
      const index = new IndexStore(store, '');
      for (let i = 0; i < perWriter; i++) {
        const n = w * perWriter + i;
        await index.update(T, past, (doc) => {
          addBlock(doc, { key: `b-${n}`, size: 1, window: [past * HOUR, (past + 1) * HOUR], meta: fakeMeta(n) });
          doc.covered[`l0/x/${n}`] = n;
          return true;
        });
      }
    })
  );
  const doc = await new IndexStore(stores[0], '').doc(T, past);
  const n = stores.length * perWriter;
  assert.deepEqual(doc.blocks.map((b) => b.key).sort(), Array.from({ length: n }, (_, i) => `b-${i}`).sort());
  assert.equal(Object.keys(doc.covered).length, n);
  // the series table is shared: seven distinct label sets, each block pointing at its own
  assert.equal(doc.series.length, 7);
  for (const b of doc.blocks) {
    assert.equal(doc.series[b.series[0][0]][0][0][1], `w-${Number(b.key.slice(2)) % 7}`);
  }
}

describe('three concurrent index writers lose no entry', () => {
  test('on the filesystem (three store instances on one folder)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bts-idx-'));
    await racingWriters(
      [0, 1, 2].map(() => new FilesystemStore(dir)),
      20
    );
  });

  test('on Azure (Azurite: If-Match)', async () => {
    const az = await startAzurite();
    try {
      const stores = [0, 1, 2].map(
        () =>
          new AzureStore({
            connectionString: az.connectionString,
            containerName: 'idx-race',
            accountName: '',
            accountKey: '',
            endpointSuffix: '',
            maxRetries: 2,
          })
      );
      await stores[0].init();
      await racingWriters(stores, 20);
    } finally {
      await az.stop();
    }
  });
});

describe('three backend processes on one Azurite container', { skip: NO_FIXTURES }, () => {
  let az: Azurite;
  const procs: Child[] = [];
  let flags: string[];
  before(async () => {
    az = await startAzurite();
    flags = [
      '-storage.backend=azure',
      `-storage.azure.connection-string=${az.connectionString}`,
      '-validation.reject-older-than=0',
      '-querier.max-query-lookback=0',
      '-compactor.compaction-interval=2s',
    ];
    for (let i = 0; i < 3; i++) {
      procs.push(await startChild(flags));
    }
  });
  after(async () => {
    for (const p of procs) {
      await p.kill();
    }
    await az?.stop();
  });

  test('each pushes and each queries: identical answers, acknowledged profiles seen by all at once', async () => {
    const cpu = withoutTime(readFixture(join(FIXTURES, 'pprof/cpu.pb.gz')));
    const store = new AzureStore({
      connectionString: az.connectionString,
      containerName: 'pyroscope-data',
      accountName: '',
      accountKey: '',
      endpointSuffix: '',
      maxRetries: 2,
    });
    let n = 0;
    for (let round = 0; round < 3; round++) {
      for (const p of procs) {
        assert.equal((await ingest(p.url, cpu, `replica-svc-${n % 4}`, { from: at(n) })).status, 200);
        n++;
        // acknowledged by one process, in every process's answer right away
        const views = await Promise.all(procs.map((q) => state(q.url)));
        assert.equal(views[0].total, n * 470_000_000);
        for (const v of views) {
          assert.deepEqual(v, views[0]);
        }
      }
    }
    const want = await state(procs[1].url);
    // all three compact: kill one at some point of its work, then restart it on the same container
    await procs[0].kill('SIGKILL');
    for (const q of procs.slice(1)) {
      assert.deepEqual(await state(q.url), want);
    }
    procs[0] = await startChild(flags);
    // a level-0 minute is compacted once it settled (30 s after it ended); a lease of the killed process
    // expires within 60 s
    const deadline = Date.now() + 240_000;
    let left = await uncovered(store);
    while (Date.now() < deadline && left.length > 0) {
      for (const q of procs) {
        assert.deepEqual(await state(q.url), want);
      }
      await sleep(1000);
      left = await uncovered(store);
    }
    assert.deepEqual(left, [], 'every level-0 segment was compacted: ' + procs[0].log());
    for (const q of procs) {
      assert.deepEqual(await state(q.url), want);
    }
  });
});
