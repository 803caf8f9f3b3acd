// The level-0 listing a query makes (storage/catalog.ts): minute folders past their final moment are listed once
// and the listing reused; the newest folders are listed afresh every time, so a profile acknowledged a moment
// ago is seen; a re-plan (an object vanished) lists everything again.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Catalog, HEAD_REUSE_MS } from '../src/storage/catalog.js';
import { FilesystemStore } from '../src/storage/filesystem.js';
import { IndexStore } from '../src/storage/index.js';
import { l0Key, l0Prefix, MINUTE_MS, minuteDir, minuteOf } from '../src/storage/keys.js';
import { SegmentReader } from '../src/storage/segmentReader.js';
import { CountingStore } from './countingStore.js';

const T = 'anonymous';

test('final minute folders are listed once; the newest every time; a re-plan lists all afresh', async () => {
  const store = new CountingStore(new FilesystemStore(mkdtempSync(join(tmpdir(), 'bts-cat-'))));
  await store.init();
  let now = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS + 10_000;
  const catalog = new Catalog(store, '', new IndexStore(store, ''), new SegmentReader(store), () => now);
  const m = minuteOf(now);
  const put = (at: number) => store.put(l0Key('', T, at - 5000, at - 5000, at), Buffer.from('x'));
  const folder = (minute: number) => `${l0Prefix('', T)}${minuteDir(minute)}/`;

  await put(now);
  // 10 s into minute m: m and m + 1 (a replica whose clock runs ahead) are listed
  assert.equal((await catalog.l0Since(T, m)).length, 1);
  assert.deepEqual(store.listed.sort(), [folder(m), folder(m + 1)].sort());

  // 20 s into m + 1: m is not final yet (30 s after its end), still listed each time
  now += 70_000;
  await put(now);
  store.reset();
  assert.equal((await catalog.l0Since(T, m)).length, 2);
  assert.deepEqual(store.listed.sort(), [folder(m), folder(m + 1), folder(m + 2)].sort());

  // 35 s into m + 1: m is final; its listing is made once more and then kept
  now += 15_000;
  store.reset();
  assert.equal((await catalog.l0Since(T, m)).length, 2);
  assert.ok(store.listed.includes(folder(m)));
  store.reset();
  await put(now);
  assert.equal((await catalog.l0Since(T, m)).length, 3, 'the new segment of m + 1 is seen at once');
  assert.deepEqual(store.listed.sort(), [folder(m + 1), folder(m + 2)].sort(), 'm from the kept listing');

  // a re-plan lists every folder afresh
  store.reset();
  assert.equal((await catalog.l0Since(T, m, true)).length, 3);
  assert.deepEqual(store.listed.sort(), [folder(m), folder(m + 1), folder(m + 2)].sort());
});

test('queries that start together share the newest listings and document reads; a re-plan does not', async () => {
  const store = new CountingStore(new FilesystemStore(mkdtempSync(join(tmpdir(), 'bts-cat-'))));
  await store.init();
  let now = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS + 10_000;
  const index = new IndexStore(store, '', undefined, () => now);
  const catalog = new Catalog(store, '', index, new SegmentReader(store), () => now);
  const m = minuteOf(now);
  await store.put(l0Key('', T, now - 5000, now - 5000, now), Buffer.from('x'));
  const folder = (minute: number) => `${l0Prefix('', T)}${minuteDir(minute)}/`;

  // the All services page: Series and SelectSeries sent at once
  const a = catalog.objects(T, now - 30 * MINUTE_MS, now);
  now += 100;
  const b = catalog.objects(T, now - 30 * MINUTE_MS, now);
  await Promise.all([a, b]);
  // no watermark yet: the folders that exist are listed (m), once for both queries
  assert.deepEqual(store.listed, [folder(m)], 'the newest folder listed once for both');
  const hours = new Set([Math.floor((now - 30 * MINUTE_MS) / 3_600_000), Math.floor(now / 3_600_000)]).size;
  // the head is read by each (nothing cached yet), every hour document once
  assert.equal(index.stats.docReads + index.stats.docRevalidations, 2 + hours);

  // a query after they ended lists afresh: what was acknowledged since is seen
  store.reset();
  now += 100;
  await store.put(l0Key('', T, now - 1000, now - 1000, now), Buffer.from('y'));
  assert.equal((await catalog.l0Since(T, m)).length, 2);
  assert.deepEqual(store.listed.sort(), [folder(m), folder(m + 1)].sort());

  // a re-plan never joins a listing in flight
  store.reset();
  const c = catalog.l0Since(T, m);
  const d = catalog.l0Since(T, m, true);
  await Promise.all([c, d]);
  assert.equal(store.listed.filter((p) => p === folder(m)).length, 2);
});

test('hour documents read after the head are reused for a second with it, never with a newer head', async () => {
  const store = new CountingStore(new FilesystemStore(mkdtempSync(join(tmpdir(), 'bts-cat-'))));
  await store.init();
  const t0 = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS + 10_000;
  let now = t0;
  const index = new IndexStore(store, '', undefined, () => now);
  const catalog = new Catalog(store, '', index, new SegmentReader(store), () => now);
  const h = Math.floor(now / 3_600_000);
  // one hour in range, with a document, and a head (a compactor ran)
  await index.update(T, h, () => true);
  await index.updateHead(T, (d) => (d.w = minuteOf(now)) > 0);
  const reads = () => index.stats.docReads + index.stats.docRevalidations;
  // within the hour (an hour without a document is read again by every query: not what this test is about)
  const range = () => [Math.max(now - 5 * MINUTE_MS, h * 3_600_000), now] as const;

  await catalog.objects(T, ...range());
  const first = reads();
  // 0.3 s later: head and document as they were, the listing afresh (a profile acknowledged since is seen)
  now = t0 + 300;
  await store.put(l0Key('', T, now - 100, now - 100, now), Buffer.from('x'));
  store.reset();
  const refs = await catalog.objects(T, ...range());
  assert.equal(reads(), first, 'no index read');
  assert.ok(store.listed.length > 0, 'the newest folders listed');
  assert.equal(refs.filter((r) => !r.block).length, 1);

  // the document is read again at 0.5 s (say, by a re-plan); a compactor then moves the watermark on. At 1.1 s
  // the head is older than a second: the query goes on with it (the document read at 0.5 s, after it, will do)
  // and the head is read again meanwhile
  now = t0 + 500;
  await index.doc(T, h, 0);
  // (another process: this one's index would cache the head it wrote)
  await new IndexStore(store, '', undefined, () => now).updateHead(T, (d) => (d.w = minuteOf(now) + 1) > 0);
  now = t0 + 1100;
  const before = reads();
  await catalog.objects(T, ...range());
  assert.equal(reads(), before + 1, 'the head, not the document');
  for (let i = 0; i < 100 && index.knownWatermark(T) !== minuteOf(t0) + 1; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(index.knownWatermark(T), minuteOf(t0) + 1, 'the head read again');
  // with that newer head, the document read before it is read again: never a document older than its head
  now = t0 + 1200;
  const withNewHead = reads();
  await catalog.objects(T, ...range());
  assert.equal(reads(), withNewHead + 1, 'the document');
});

test('a query lists the newest folders while it reads the head, once a head was seen', async () => {
  const events: string[] = [];
  // the head read takes 50 ms: long enough to see what starts meanwhile
  class SlowHead extends CountingStore {
    override async getVersioned(key: string) {
      if (!key.endsWith('head.json')) {
        return super.getVersioned(key);
      }
      events.push('head read');
      await new Promise((r) => setTimeout(r, 50));
      const got = await super.getVersioned(key);
      events.push('head done');
      return got;
    }
    override list(prefix: string) {
      events.push(`list ${prefix}`);
      return super.list(prefix);
    }
  }
  const store = new SlowHead(new FilesystemStore(mkdtempSync(join(tmpdir(), 'bts-cat-'))));
  await store.init();
  const t0 = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS + 10_000;
  let now = t0;
  const index = new IndexStore(store, '', undefined, () => now);
  const catalog = new Catalog(store, '', index, new SegmentReader(store), () => now);
  const m = minuteOf(now);
  const folder = (minute: number) => `${l0Prefix('', T)}${minuteDir(minute)}/`;
  await index.updateHead(T, (d) => (d.w = m) > 0);
  const range = () => [now - 5 * MINUTE_MS, now] as const;

  // a new process has seen no head: it reads it first
  await catalog.objects(T, ...range());
  assert.deepEqual(events.slice(0, 2), ['head read', 'head done']);

  // 11 s later the head (older than HEAD_REUSE_MS) is read again first; meanwhile the folders from the watermark
  // seen on are listed, and a profile acknowledged since the last query is in the answer
  now = t0 + HEAD_REUSE_MS + 1000;
  await store.put(l0Key('', T, now - 100, now - 100, now), Buffer.from('x'));
  events.length = 0;
  const refs = await catalog.objects(T, ...range());
  const headDone = events.indexOf('head done');
  assert.ok(headDone > 0, events.join(', '));
  assert.deepEqual(
    events
      .slice(0, headDone)
      .filter((e) => e.startsWith('list'))
      .sort(),
    [`list ${folder(m)}`, `list ${folder(m + 1)}`].sort(),
    'the newest folders listed before the head read ended'
  );
  assert.equal(events.filter((e) => e.startsWith('list')).length, 2, 'and not again after it');
  assert.equal(refs.filter((r) => !r.block).length, 1);

  // 2 s after that read the query does not wait for the head: it lists, reads the document and answers (with a
  // profile acknowledged since) while the head is read again
  now += 2000;
  await store.put(l0Key('', T, now - 100, now - 100, now), Buffer.from('y'));
  events.length = 0;
  const again = await catalog.objects(T, ...range());
  assert.equal(again.filter((r) => !r.block).length, 2, 'the newest profile is in the answer');
  assert.ok(events.includes('head read'), `the head read again: ${events.join(', ')}`);
  assert.ok(!events.includes('head done'), `the answer did not wait for it: ${events.join(', ')}`);
});

test('a listing in flight is not joined once this process stored a segment in its folder (its own ack is seen)', async () => {
  // listings answer 100 ms after they read the folder: a query joining one begun before a write misses the write
  class LateAnswers extends CountingStore {
    override async list(prefix: string) {
      const got = await super.list(prefix);
      await new Promise((r) => setTimeout(r, 100));
      return got;
    }
  }
  const store = new LateAnswers(new FilesystemStore(mkdtempSync(join(tmpdir(), 'bts-cat-'))));
  await store.init();
  const now = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS + 10_000;
  const catalog = new Catalog(store, '', new IndexStore(store, ''), new SegmentReader(store), () => now);
  const m = minuteOf(now);
  await store.put(l0Key('', T, now - 5000, now - 5000, now), Buffer.from('x'));
  const before = catalog.l0Since(T, m);
  // while that listing is out, this process acknowledges a push: its segment lands, the writer tells the catalog
  await new Promise((r) => setTimeout(r, 20));
  const key = l0Key('', T, now - 1000, now - 1000, now);
  await store.put(key, Buffer.from('y'));
  catalog.stored(key);
  const after = await catalog.l0Since(T, m);
  assert.equal((await before).length, 1, 'the listing begun before the write');
  assert.equal(after.length, 2, 'a query after the ack lists the folder afresh');
});
