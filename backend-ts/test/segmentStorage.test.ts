// Storage of issue 2: symbols and stacks de-duplicated inside each segment object, and the write path's batching
// (-segment-writer.segment-duration): concurrent ingests share few objects, and no request is acknowledged
// before the object holding its profiles is in the store.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../src/config/config.js';
import { parsePprof } from '../src/formats/pprof.js';
import { createService, type Service } from '../src/server.js';
import { FilesystemStore } from '../src/storage/filesystem.js';
import { StoreUnavailableError, type ObjectStore } from '../src/storage/objectStore.js';
import { SegmentWriter } from '../src/storage/segmentWriter.js';
import { SegmentBuilder } from '../src/storage/format/builder.js';
import { decodeObject, type Segment } from '../src/storage/format/segment.js';
import { MemoryStore } from './faultyStore.js';
import { ingest } from './helpers.js';
import { handPprof, type HandProfile } from './wire.js';

const CPU_TYPES: Pick<HandProfile, 'sampleTypes' | 'periodType' | 'period'> = {
  sampleTypes: [['cpu', 'nanoseconds']],
  periodType: ['cpu', 'nanoseconds'],
  period: 10_000_000,
};

/**
 * Two profiles that share frames, from encoders that number things differently (B's functions and locations
 * start at id 100 and are listed in reverse): A has main>a>b and main>a>c, B has main>a>b again and main>d.
 */
const PROFILE_A = (): Buffer =>
  handPprof({
    ...CPU_TYPES,
    samples: [
      { stack: ['main.b', 'main.a', 'main.main'], values: [10] },
      { stack: ['main.c', 'main.a', 'main.main'], values: [20] },
    ],
  });
const PROFILE_B = (): Buffer =>
  handPprof({
    ...CPU_TYPES,
    firstId: 100,
    reverse: true,
    samples: [
      { stack: ['main.b', 'main.a', 'main.main'], values: [30] },
      { stack: ['main.d', 'main.main'], values: [40] },
    ],
  });

/** Each string, function, frame and stack of the object once; returns the stacks as root-first name paths. */
function assertDeduplicated(seg: Segment): string[] {
  const strings = Array.from({ length: seg.stringCount }, (_, i) => seg.string(i));
  assert.equal(new Set(strings).size, strings.length, `strings repeat: ${JSON.stringify(strings)}`);
  const fns = Array.from(seg.fnName, (_, i) =>
    [seg.fnName[i], seg.fnSystemName[i], seg.fnFilename[i], seg.fnStartLine[i]].join()
  );
  assert.equal(new Set(fns).size, fns.length, `functions repeat: ${fns.join(' | ')}`);
  const frames = Array.from(seg.frameFn, (_, i) => `${seg.frameFn[i]}@${seg.frameLine[i]}`);
  assert.equal(new Set(frames).size, frames.length, `frames repeat: ${frames.join(' ')}`);
  const stacks: string[] = [];
  for (let s = 0; s < seg.stackCount; s++) {
    const path: string[] = [];
    for (let i = seg.stackOffsets[s]; i < seg.stackOffsets[s + 1]; i++) {
      path.push(seg.string(seg.fnName[seg.frameFn[seg.stackFrames[i]]]));
    }
    stacks.push(path.reverse().join('>'));
  }
  assert.equal(new Set(stacks).size, stacks.length, `stacks repeat: ${stacks.join(' | ')}`);
  return stacks;
}

describe('a dataset keeps symbols and stacks once', () => {
  // a dataset holds one service's profiles (storage format 2): symbols are shared within it
  test('two profiles sharing frames: each string, function, frame (location) and stack appears once', () => {
    const b = new SegmentBuilder('anonymous');
    const t = Date.now();
    for (const [svc, buf] of [
      ['svc-a', PROFILE_A()],
      ['svc-a', PROFILE_B()],
    ] as const) {
      b.add({
        labels: [
          ['service_name', svc],
          ['__name__', 'process_cpu'],
        ],
        profile: parsePprof(buf),
        timeMs: t,
      });
    }
    const { datasets } = decodeObject('test.seg', b.encode());
    assert.equal(datasets.length, 1);
    const seg = datasets[0]!;
    const stacks = assertDeduplicated(seg);
    // and exactly what the two profiles hold between them
    assert.deepEqual(stacks.sort(), ['main.main>main.a>main.b', 'main.main>main.a>main.c', 'main.main>main.d']);
    const names = Array.from(seg.fnName, (n) => seg.string(n)).sort();
    assert.deepEqual(names, ['main.a', 'main.b', 'main.c', 'main.d', 'main.main']);
    assert.equal(seg.frameFn.length, 5, 'frames: b@10, a@11, main@12, c@13, d@13');
    const strings = Array.from({ length: seg.stringCount }, (_, i) => seg.string(i)).sort();
    assert.deepEqual(strings, ['', 'main.a', 'main.b', 'main.c', 'main.d', 'main.go', 'main.main']);
    // the samples still add up per profile
    assert.deepEqual(Array.from(seg.profTotal), [30, 70]);
  });
});

describe('segment strings', () => {
  test('any UTF-16 text, one-byte to four-byte UTF-8 and a lone surrogate, reads back as TextEncoder writes it', () => {
    const names = ['main.ascii', 'café.naïve', '日本語.関数', 'emoji.🔥.fn', 'lone.\ud800.half', ''];
    const b = new SegmentBuilder('anonymous');
    const profile = parsePprof(
      handPprof({
        sampleTypes: [['cpu', 'nanoseconds']],
        samples: names.map((n, i) => ({ stack: [n || 'root', 'main'], values: [i + 1] })),
      })
    );
    b.add({
      labels: [
        ['service_name', 'ünïcode'],
        ['__name__', 'process_cpu'],
      ],
      profile,
      timeMs: Date.now(),
    });
    const seg = decodeObject('test.seg', b.encode()).datasets[0]!;
    const strings = new Set(Array.from({ length: seg.stringCount }, (_, i) => seg.string(i)));
    for (const n of names) {
      // what a UTF-8 round trip makes of the text (a lone surrogate becomes U+FFFD)
      const expected = new TextDecoder().decode(new TextEncoder().encode(n || 'root'));
      assert.ok(strings.has(expected), `${JSON.stringify(expected)} in ${JSON.stringify([...strings])}`);
    }
    assert.deepEqual(
      seg.meta.series[0]!.labels.find(([k]) => k === 'service_name'),
      ['service_name', 'ünïcode']
    );
  });
});

/** The filesystem store, with the moment each put finished (performance.now, the clock the test reads too). */
class RecordingStore implements ObjectStore {
  readonly kind = 'filesystem' as const;
  readonly stored = new Map<string, number>();
  constructor(private readonly inner: FilesystemStore) {}
  init() {
    return this.inner.init();
  }
  async put(key: string, data: Uint8Array, opts?: { ifAbsent?: boolean; ifVersion?: string | null }) {
    const v = await this.inner.put(key, data, opts);
    this.stored.set(key, performance.now());
    return v;
  }
  get(key: string) {
    return this.inner.get(key);
  }
  getVersioned(key: string) {
    return this.inner.getVersioned(key);
  }
  getRange(key: string, offset: number, length: number) {
    return this.inner.getRange(key, offset, length);
  }
  list(prefix: string) {
    return this.inner.list(prefix);
  }
  listPrefixes(prefix: string) {
    return this.inner.listPrefixes(prefix);
  }
  delete(key: string) {
    return this.inner.delete(key);
  }
  lease(key: string, ttlMs: number) {
    return this.inner.lease(key, ttlMs);
  }
}

async function startRecording(flags: string[]): Promise<{ url: string; svc: Service; store: RecordingStore }> {
  const dir = mkdtempSync(join(tmpdir(), 'bts-batch-'));
  const store = new RecordingStore(new FilesystemStore(dir));
  const cfg = loadConfig(['-storage.backend=filesystem', `-storage.filesystem.dir=${dir}`, ...flags]);
  const svc = await createService(cfg, { logLevel: 'warn', store });
  await svc.app.listen({ port: 0, host: '127.0.0.1' });
  return { url: `http://127.0.0.1:${(svc.app.server.address() as { port: number }).port}`, svc, store };
}

/**
 * Sends n ingests at once (service batch-i; even ones carry profile A, odd ones B) and returns, per service, when
 * it was acknowledged and which stored segment object holds it.
 */
async function concurrentIngests(
  url: string,
  store: RecordingStore,
  n: number
): Promise<{ sentAt: number; acks: Map<string, number>; objectOf: Map<string, string> }> {
  const sentAt = performance.now();
  const acks = new Map<string, number>();
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const r = await ingest(url, i % 2 ? PROFILE_B() : PROFILE_A(), `batch-${i}`);
      acks.set(`batch-${i}`, performance.now());
      assert.equal(r.status, 200, await r.text());
    })
  );
  const objectOf = new Map<string, string>();
  for (const key of [...store.stored.keys()].filter((k) => k.endsWith('.seg'))) {
    const seg = decodeObject(key, await store.get(key));
    for (const s of seg.meta.series) {
      const svc = s.labels.find(([k]) => k === 'service_name')![1];
      assert.ok(!objectOf.has(svc) || objectOf.get(svc) === key, `${svc} in two objects`);
      objectOf.set(svc, key);
    }
  }
  return { sentAt, acks, objectOf };
}

describe('batching: -segment-writer.segment-duration=300ms', () => {
  let be: Awaited<ReturnType<typeof startRecording>>;
  before(async () => {
    be = await startRecording(['-segment-writer.segment-duration=300ms']);
  });
  after(async () => be?.svc.close());

  test('12 concurrent ingests share at most 2 objects; each is acknowledged only after its object is stored', async () => {
    const n = 12;
    const { sentAt, acks, objectOf } = await concurrentIngests(be.url, be.store, n);
    const objects = new Set(objectOf.values());
    assert.equal(objectOf.size, n, 'every request is in some object');
    assert.ok(objects.size <= 2, `${objects.size} objects for ${n} concurrent requests`);
    for (const [svc, ackAt] of acks) {
      const key = objectOf.get(svc)!;
      assert.ok(ackAt >= be.store.stored.get(key)!, `${svc} acknowledged before ${key} was stored`);
    }
    // the window is honoured: the first acknowledgement comes no sooner than 300 ms after the requests left
    const first = Math.min(...acks.values());
    assert.ok(first - sentAt >= 295, `first ack after ${(first - sentAt).toFixed(0)} ms`);
    // a shared object keeps the shared frames once
    for (const key of objects) {
      for (const d of decodeObject(key, await be.store.get(key)).datasets) {
        assertDeduplicated(d);
      }
    }
  });
});

describe('batching: the default window (2ms, group commit)', () => {
  let be: Awaited<ReturnType<typeof startRecording>>;
  before(async () => {
    be = await startRecording([]);
  });
  after(async () => be?.svc.close());

  test('12 concurrent ingests: each acknowledged only after its object is stored', async () => {
    const n = 12;
    const { acks, objectOf } = await concurrentIngests(be.url, be.store, n);
    assert.equal(objectOf.size, n, 'every request is in some object');
    assert.ok(new Set(objectOf.values()).size <= n);
    for (const [svc, ackAt] of acks) {
      const key = objectOf.get(svc)!;
      assert.ok(ackAt >= be.store.stored.get(key)!, `${svc} acknowledged before ${key} was stored`);
    }
  });
});

describe('the writer bounds objects per second under many pushers (-segment-writer.max-objects-per-second)', () => {
  const profile = (i: number) => ({
    labels: [
      ['service_name', `w-${i}`],
      ['__name__', 'process_cpu'],
    ] as Array<[string, string]>,
    profile: parsePprof(PROFILE_A()),
    timeMs: 1_700_000_000_000 + i,
  });
  /** Lets every promise settle that can without a timer (the stores here do no I/O). */
  const settle = () => new Promise<void>((r) => setImmediate(r));

  test('200 requests/s from independent pushers: at most 10 objects in any second, each ack within 1 s', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let clock = 0;
    const inner = new MemoryStore();
    const writes: number[] = [];
    // a store round trip of 20 ms (mocked timers)
    const store: ObjectStore = Object.assign(Object.create(inner) as ObjectStore, {
      put: async (key: string, data: Uint8Array, opts?: { ifAbsent?: boolean }) => {
        await new Promise((r) => setTimeout(r, 20));
        writes.push(clock);
        return inner.put(key, data, opts);
      },
    });
    const w = new SegmentWriter(store, {
      prefix: '',
      lingerMs: 2,
      maxBatchProfiles: 10_000,
      maxObjectsPerSecond: 10,
      clock: () => clock,
    });
    const latencies: number[] = [];
    const acks: Array<Promise<void>> = [];
    // every 5 ms a request from another pusher (none waits for its answer before the next arrives): 3 s
    for (let i = 0; i < 600; i++) {
      const sent = clock;
      acks.push(w.write('anonymous', [profile(i)]).then(() => void latencies.push(clock - sent)));
      for (let ms = 0; ms < 5; ms++) {
        clock++;
        t.mock.timers.tick(1);
        await settle();
      }
    }
    for (let ms = 0; ms < 2000 && latencies.length < 600; ms++) {
      clock++;
      t.mock.timers.tick(1);
      await settle();
    }
    await Promise.all(acks);
    assert.equal(latencies.length, 600);
    for (const at of writes) {
      const inSecond = writes.filter((x) => x > at - 1000 && x <= at).length;
      assert.ok(inSecond <= 10, `${inSecond} objects in the second up to ${at} ms: ${writes.join(' ')}`);
    }
    assert.ok(writes.length <= 31, `${writes.length} objects for 600 requests in 3 s`);
    assert.ok(Math.max(...latencies) <= 1000, `slowest ack ${Math.max(...latencies)} ms`);
  });

  test('a write whose first try landed late is acknowledged, not answered 409; another object under the key is not', async () => {
    const inner = new MemoryStore();
    let mode: 'retry landed' | 'someone else' = 'retry landed';
    // the store's client tried again after a first try that did land (its answer came too late): "already exists"
    const store: ObjectStore = Object.assign(Object.create(inner) as ObjectStore, {
      put: async (key: string, data: Uint8Array, opts?: { ifAbsent?: boolean }) => {
        await inner.put(key, mode === 'retry landed' ? data : Buffer.from('other bytes'), opts);
        return inner.put(key, data, opts);
      },
    });
    const w = new SegmentWriter(store, { prefix: '', lingerMs: 0, maxBatchProfiles: 10_000, maxObjectsPerSecond: 0 });
    await w.write('anonymous', [profile(1)]);
    const keys = (await inner.list('')).map((o) => o.key);
    assert.equal(keys.length, 1);
    assert.equal(decodeObject(keys[0], await inner.get(keys[0])).meta.profiles, 1);
    mode = 'someone else';
    await assert.rejects(w.write('anonymous', [profile(2)]), { name: 'ConflictError' });
  });

  test('"already exists" with a store too stalled to read it back is a 503 (retry), never a 409', async () => {
    const inner = new MemoryStore();
    let reads = 0;
    const store: ObjectStore = Object.assign(Object.create(inner) as ObjectStore, {
      put: async (key: string, data: Uint8Array, opts?: { ifAbsent?: boolean }) => {
        await inner.put(key, data, opts);
        return inner.put(key, data, opts);
      },
      get: async () => {
        reads++;
        throw new StoreUnavailableError('the operation was aborted');
      },
    });
    const w = new SegmentWriter(store, { prefix: '', lingerMs: 0, maxBatchProfiles: 10_000, maxObjectsPerSecond: 0 });
    await assert.rejects(w.write('anonymous', [profile(1)]), (e: Error) => {
      assert.equal(e.name, 'StoreUnavailableError');
      assert.match(e.message, /does not answer its read back/);
      return true;
    });
    assert.equal(reads, 3, 'read back three times before giving up');
  });

  test('a lone sequential client is never held for its turn: 100 answers with no timer run', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const store = new MemoryStore();
    const w = new SegmentWriter(store, {
      prefix: '',
      lingerMs: 0,
      maxBatchProfiles: 10_000,
      maxObjectsPerSecond: 10,
      clock: () => 0,
    });
    for (let i = 0; i < 100; i++) {
      let done = false;
      const p = w.write('anonymous', [profile(i)]).then(() => (done = true));
      await settle();
      assert.ok(done, `request ${i} waited for a timer`);
      await p;
    }
    assert.equal((await store.list('')).length, 100);
    assert.equal(w.startsInLastSecond(), 100);
  });

  test('eight clients that each wait for their answer are never held either', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let clock = 0;
    const store = new MemoryStore();
    const w = new SegmentWriter(store, {
      prefix: '',
      lingerMs: 0,
      maxBatchProfiles: 10_000,
      maxObjectsPerSecond: 10,
      clock: () => clock,
    });
    let answered = 0;
    const client = async (c: number) => {
      for (let i = 0; i < 40; i++) {
        await w.write('anonymous', [profile(c * 100 + i)]);
        answered++;
      }
    };
    const all = Promise.all(Array.from({ length: 8 }, (_, c) => client(c)));
    // no timer is ever run: every batch goes as soon as the clients are all in it
    for (let k = 0; k < 1000 && answered < 320; k++) {
      await settle();
    }
    assert.ok(answered >= 300, `${answered} answers without a timer`);
    assert.equal(w.concurrency(), 8);
    assert.ok(w.startsInLastSecond() > 10, `${w.startsInLastSecond()} batches: the bound did not apply`);
    // the clients that finished leave fewer than were seen together: the last batches wait for their turn
    for (let k = 0; k < 20 && answered < 320; k++) {
      clock += 100;
      t.mock.timers.tick(100);
      await settle();
    }
    await all;
    assert.equal(answered, 320);
  });
});
