// A block holds many services (datasets); a query reads only the byte ranges of what it needs (issue 14): a
// flame graph of one service reads that service's table and data sections, time series read the profile
// tables alone, and a query wanting most of a block reads it whole. Answers are the same either way.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../src/config/config.js';
import { createService, type Service } from '../src/server.js';
import { Catalog } from '../src/storage/catalog.js';
import { Compactor } from '../src/storage/compactor.js';
import { FilesystemStore } from '../src/storage/filesystem.js';
import { IndexStore } from '../src/storage/index.js';
import { blocksPrefix, hourOf, MINUTE_MS } from '../src/storage/keys.js';
import { SegmentReader } from '../src/storage/segmentReader.js';
import { CountingStore } from './countingStore.js';
import { connectJson, ingest } from './helpers.js';

const INUSE = 'memory:inuse_objects:count::';
const SERVICES = 40;
const FRAMES = 300;
/** Each service's total: sum of (j + 1) * (i + 1) over its frames. */
const totalOf = (i: number) => ((FRAMES * (FRAMES + 1)) / 2) * (i + 1);
const svc = (i: number) => `ranged-${String(i).padStart(2, '0')}`;

/** A folded profile with many distinct, long frame names, so that each service's dataset is sizeable. */
function folded(i: number): string {
  const lines: string[] = [];
  for (let j = 0; j < FRAMES; j++) {
    lines.push(`main;${svc(i)}_module_${j}_handler_with_a_long_name;${svc(i)}_leaf_function_${j} ${(j + 1) * (i + 1)}`);
  }
  return lines.join('\n') + '\n';
}

async function start(dir: string, store: CountingStore, compaction: boolean): Promise<{ svc: Service; url: string }> {
  const cfg = loadConfig([
    '-storage.backend=filesystem',
    `-storage.filesystem.dir=${dir}`,
    '-validation.reject-older-than=0',
    '-querier.max-query-lookback=0',
    `-compactor.compaction-interval=${compaction ? '15s' : '0'}`,
  ]);
  const s = await createService(cfg, { logLevel: 'warn', store });
  await s.app.listen({ port: 0, host: '127.0.0.1' });
  return { svc: s, url: `http://127.0.0.1:${(s.app.server.address() as { port: number }).port}` };
}

describe('ranged reads of a block of many services', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bts-ranged-'));
  const store = new CountingStore(new FilesystemStore(dir));
  let reader: { svc: Service; url: string };
  let block: { key: string; size: number };
  // an hour that has ended, so that compaction leaves one level-3 block
  const hourStart = (hourOf(Date.now()) - 2) * 3_600_000;
  const range = { start: hourStart, end: hourStart + 3_600_000 - 1 };

  before(async () => {
    const writer = await start(dir, store, false);
    try {
      for (let i = 0; i < SERVICES; i++) {
        const r = await ingest(writer.url, Buffer.from(folded(i)), `${svc(i)}.inuse_objects`, {
          from: Math.floor((hourStart + 60_000 + i * 1000) / 1000),
          format: 'folded',
          contentType: 'text/plain',
        });
        assert.equal(r.status, 200, await r.text());
      }
    } finally {
      await writer.svc.close();
    }
    const index = new IndexStore(store, '');
    const compactor = new Compactor(store, index, new Catalog(store, '', index, new SegmentReader(store)), {
      prefix: '',
      retentionMs: 0,
      deletionDelayMs: 0,
      l0SettleMs: -MINUTE_MS,
    });
    await compactor.runOnce();
    const blocks = (await store.list(blocksPrefix('', 'anonymous', hourOf(hourStart)))).filter((o) =>
      o.key.endsWith('.blk')
    );
    assert.equal(blocks.length, 1, blocks.map((b) => b.key).join(', '));
    block = blocks[0];
    // a block far larger than one service's share of it
    assert.ok(block.size > 1 << 20, `block of ${block.size} bytes`);
    // a fresh process: nothing cached
    reader = await start(dir, store, false);
  });
  after(async () => reader?.svc.close());

  test('a flame graph of one service reads its sections, not the block', async () => {
    store.reset();
    const r = await connectJson<{ flamegraph: { total: string; names: string[] } }>(
      reader.url,
      'SelectMergeStacktraces',
      { profileTypeID: INUSE, labelSelector: `{service_name="${svc(7)}"}`, ...range }
    );
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(Number(r.json.flamegraph.total), totalOf(7));
    assert.equal(r.json.flamegraph.names.length, 1 + 1 + 2 * FRAMES, 'total, main and the service’s own frames');
    assert.deepEqual(store.gets, [], 'no object read whole');
    assert.ok(store.ranges.includes(block.key));
    assert.ok(store.bytes < block.size / 10, `${store.bytes} bytes read of a ${block.size}-byte block`);
    // the querier counts what a cold query reads: those ranges
    const bytes = store.bytes;
    store.reset();
    const { stats } = await reader.svc.querier.selectMergeTree('anonymous', {
      profileType: INUSE,
      selector: `{service_name="${svc(7)}"}`,
      ...range,
    });
    assert.equal(store.bytes, 0, 'cached');
    assert.equal(stats.bytesRead, bytes);
  });

  test('time series of every service read the profile tables alone', async () => {
    store.reset();
    const r = await connectJson<{
      series: Array<{ labels: Array<{ name: string; value: string }>; points: Array<{ value: number }> }>;
    }>(reader.url, 'SelectSeries', {
      profileTypeID: INUSE,
      labelSelector: '{}',
      groupBy: ['service_name'],
      step: 3600,
      ...range,
    });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const got = new Map(
      r.json.series.map((s) => [
        s.labels.find((l) => l.name === 'service_name')?.value,
        s.points.reduce((a, p) => a + p.value, 0),
      ])
    );
    assert.equal(got.size, SERVICES);
    for (let i = 0; i < SERVICES; i++) {
      assert.equal(got.get(svc(i)), totalOf(i), svc(i));
    }
    assert.deepEqual(store.gets, [], 'no object read whole');
    assert.ok(store.bytes < block.size / 10, `${store.bytes} bytes of tables read of a ${block.size}-byte block`);

    // the tables are kept with the block's other parts (service 7's dataset, from the flame graph above): the
    // same query again reads nothing and answers the same
    store.reset();
    const again = await connectJson(reader.url, 'SelectSeries', {
      profileTypeID: INUSE,
      labelSelector: '{}',
      groupBy: ['service_name'],
      step: 3600,
      ...range,
    });
    assert.equal(again.status, 200);
    assert.deepEqual(again.json, r.json);
    assert.equal(store.bytes, 0, 'cached');
  });

  test('pprof of one service from its sections; a flame graph of all services reads the block whole', async () => {
    store.reset();
    const p = await fetch(`${reader.url}/querier.v1.QuerierService/SelectMergeProfile`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ profileTypeID: INUSE, labelSelector: `{service_name="${svc(3)}"}`, ...range }),
    });
    const prof = (await p.json()) as { sample?: Array<{ value: string[] }> };
    assert.equal(p.status, 200);
    assert.equal(
      (prof.sample ?? []).reduce((a, s) => a + Number(s.value[0]), 0),
      totalOf(3)
    );
    assert.deepEqual(store.gets, []);
    assert.ok(store.bytes < block.size / 10, `${store.bytes} bytes`);

    store.reset();
    const all = await connectJson<{ flamegraph: { total: string } }>(reader.url, 'SelectMergeStacktraces', {
      profileTypeID: INUSE,
      labelSelector: '{}',
      ...range,
    });
    assert.equal(all.status, 200);
    let sum = 0;
    for (let i = 0; i < SERVICES; i++) {
      sum += totalOf(i);
    }
    assert.equal(Number(all.json.flamegraph.total), sum);
    assert.deepEqual(store.gets, [block.key], 'most of the block is wanted: one whole read');
  });
});

describe('level-0 segments a fresh reader reads for the All services page', () => {
  test('Series and SelectSeries sent together read each small segment once, whole', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bts-l0once-'));
    const store = new CountingStore(new FilesystemStore(dir));
    const now = Date.now();
    const writer = await start(dir, store, false);
    try {
      for (let i = 0; i < 6; i++) {
        const r = await ingest(writer.url, Buffer.from(folded(i)), `${svc(i)}.inuse_objects`, {
          from: Math.floor((now - 60_000 + i * 1000) / 1000),
          format: 'folded',
          contentType: 'text/plain',
        });
        assert.equal(r.status, 200, await r.text());
      }
    } finally {
      await writer.svc.close();
    }
    const reader = await start(dir, store, false);
    try {
      store.reset();
      const range = { start: now - 30 * MINUTE_MS, end: now + 10_000 };
      const [series, sel] = await Promise.all([
        connectJson<{ labelsSet?: unknown[] }>(reader.url, 'Series', {
          ...range,
          labelNames: ['service_name', '__profile_type__'],
          matchers: [],
        }),
        connectJson<{ series?: unknown[] }>(reader.url, 'SelectSeries', {
          profileTypeID: INUSE,
          labelSelector: '{}',
          groupBy: ['service_name'],
          step: 15,
          ...range,
        }),
      ]);
      assert.equal(series.status, 200, JSON.stringify(series.json));
      assert.equal(sel.status, 200, JSON.stringify(sel.json));
      assert.equal(series.json.labelsSet?.length, 6);
      assert.equal(sel.json.series?.length, 6);
      const reads = [...store.gets, ...store.ranges].filter((k) => k.includes('/l0/'));
      assert.equal(reads.length, 6, `level-0 reads: ${reads.join(', ')}`);
      assert.equal(new Set(reads).size, 6);
    } finally {
      await reader.svc.close();
    }
  });
});
