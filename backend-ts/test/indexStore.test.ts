// Index documents (storage/index.ts): a writer keeps what it wrote (the next read is a conditional one, not a
// download and a parse of a document that is ~2 MB at 300 services), and an update never changes a document a
// reader already holds, though block entries are shared between versions rather than copied.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SegmentMeta } from '../src/storage/format/meta.js';
import { addBlock, type IndexDoc, IndexStore, serializeDoc } from '../src/storage/index.js';
import { HOUR_MS, indexKey, WINDOW_MS } from '../src/storage/keys.js';
import type { ObjectStore } from '../src/storage/objectStore.js';
import { MemoryStore } from './faultyStore.js';

const T = 'anonymous';
const HOUR = Math.floor(Date.now() / HOUR_MS) - 3;
const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';

function meta(services: string[], at: number): SegmentMeta {
  const t = HOUR * HOUR_MS + at;
  return {
    version: 2,
    tenant: T,
    minTime: t,
    maxTime: t,
    createdAt: t,
    profiles: services.length,
    samples: services.length,
    level: 1,
    series: services.map((s) => ({
      labels: [['service_name', s]] as Array<[string, string]>,
      profileType: CPU,
      profiles: 1,
      total: 1,
      minTime: t,
      maxTime: t,
    })),
    datasets: [],
  };
}

const block = (key: string, services: string[], at: number) => ({
  key,
  size: 100,
  window: [HOUR * HOUR_MS, HOUR * HOUR_MS + WINDOW_MS] as [number, number],
  meta: meta(services, at),
});

/** Counts whole-document downloads (versioned reads answered with data). */
function counting(inner: MemoryStore): { store: ObjectStore; downloads: () => number } {
  let n = 0;
  const store: ObjectStore = Object.assign(Object.create(inner) as ObjectStore, {
    getVersioned: async (key: string) => {
      const got = await inner.getVersioned(key);
      if (got) {
        n++;
      }
      return got;
    },
    getIfChanged: async (key: string, version: string) => {
      const got = await inner.getIfChanged(key, version);
      if (got && got !== 'unchanged') {
        n++;
      }
      return got;
    },
  });
  return { store, downloads: () => n };
}

describe('index documents', () => {
  test("a writer's next read of what it wrote is a conditional one", async () => {
    const { store, downloads } = counting(new MemoryStore());
    // a copy checked within maxAgeMs is used as it is: the clock moves on so that every read below revalidates
    let clock = HOUR * HOUR_MS;
    const index = new IndexStore(store, '', undefined, () => (clock += 10));
    const written = await index.update(T, HOUR, (d) => {
      addBlock(d, block('b1', ['a', 'b'], 1000));
      d.covered['l0/1/x.seg'] = 1;
      return true;
    });
    assert.equal(downloads(), 0);
    const read = await index.doc(T, HOUR, 0);
    assert.equal(read, written);
    assert.equal(downloads(), 0);
    // another writer's change is downloaded
    await new IndexStore(store, '').update(T, HOUR, (d) => {
      addBlock(d, block('b2', ['c'], 2000));
      return true;
    });
    const before = downloads();
    const fresh = await index.doc(T, HOUR, 0);
    assert.equal(downloads(), before + 1);
    assert.deepEqual(
      fresh.blocks.map((b) => b.key),
      ['b1', 'b2']
    );
  });

  test('an update leaves the document a reader holds as it was, when series are renumbered too', async () => {
    const store = new MemoryStore();
    const index = new IndexStore(store, '');
    await index.update(T, HOUR, (d) => {
      addBlock(d, block('b1', ['a', 'b'], 1000));
      addBlock(d, block('b2', ['b', 'c'], 2000));
      addBlock(d, block('b3', ['c', 'd'], 3000));
      return true;
    });
    const held = await index.doc(T, HOUR, 0);
    const snapshot = structuredClone(held);
    // a merge: b1 and b2 replaced by one block (series 'a' first used later now, so every number moves)
    const after = await index.update(T, HOUR, (d) => {
      d.blocks = d.blocks.filter((b) => b.key === 'b3');
      addBlock(d, block('m', ['a', 'b', 'c'], 1500));
      d.garbage.push(['b1', 1], ['b2', 1]);
      d.covered['l0/2/y.seg'] = 2;
      return true;
    });
    assert.deepEqual(held, snapshot);
    // the new version names its series consistently, and only those still used
    const names = (d: typeof after, key: string) =>
      d.blocks.find((b) => b.key === key)!.series.map(([s]) => d.series[s][0][0][1]);
    assert.deepEqual(names(after, 'b3'), ['c', 'd']);
    assert.deepEqual(names(after, 'm'), ['a', 'b', 'c']);
    assert.equal(after.series.length, 4);
    const reread = await new IndexStore(store, '').doc(T, HOUR);
    assert.deepEqual(reread, after);
  });

  test("a document is written as JSON.stringify writes it, its unchanged entries' JSON kept from earlier writes", async () => {
    const store = new MemoryStore();
    const index = new IndexStore(store, '');
    const stored = async () => (await store.get(indexKey('', T, HOUR))).toString('utf8');
    const steps: Array<(d: IndexDoc) => void> = [
      (d) => addBlock(d, block('b1', ['a', 'b'], 1000)),
      (d) => {
        addBlock(d, block('b2', ['b', 'c', 'é "quoted"'], 2000));
        d.covered['l0/1/x.seg'] = 1;
      },
      (d) => addBlock(d, block('b3', ['c', 'd'], 3000)),
      // a merge renumbers the series: new entries, new series table
      (d) => {
        d.blocks = d.blocks.filter((b) => b.key === 'b3');
        addBlock(d, block('m', ['a', 'b', 'c'], 1500));
        d.garbage.push(['b1', 1], ['b2', 1]);
      },
      (d) => {
        delete d.covered['l0/1/x.seg'];
        d.garbage = [];
      },
    ];
    for (const step of steps) {
      const written = await index.update(T, HOUR, (d) => {
        step(d);
        return true;
      });
      const text = await stored();
      assert.equal(text, JSON.stringify(written));
      assert.deepEqual(JSON.parse(text), written);
      // a document read back (new objects, nothing cached for them) serializes the same
      const reread = await new IndexStore(store, '').doc(T, HOUR);
      assert.equal(serializeDoc(reread).toString('utf8'), text);
    }
  });
});
