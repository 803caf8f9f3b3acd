// Series numbers: one per distinct label set whatever object it comes from, kept per meta, and a numbering a
// query began with is never swapped under it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LabelSet } from '../src/model/labels.js';
import { SeriesFlags, SeriesIds, seriesIdsForQuery } from '../src/query/seriesIds.js';
import type { SegmentMeta } from '../src/storage/format/meta.js';

function meta(sets: LabelSet[]): SegmentMeta {
  return {
    version: 2,
    tenant: 't',
    minTime: 0,
    maxTime: 1,
    createdAt: 0,
    profiles: sets.length,
    samples: 0,
    level: 0,
    series: sets.map((labels) => ({ labels, profileType: 'p', profiles: 1, total: 1, minTime: 0, maxTime: 1 })),
  } as SegmentMeta;
}

test('the same label set in two objects gets one number; different sets different numbers', () => {
  const ids = new SeriesIds();
  // equal sets as different arrays (two objects' metas decode their own)
  const a = meta([[['service_name', 'a']], [['service_name', 'b']]]);
  const b = meta([[['service_name', 'b']], [['service_name', 'c']], [['service_name', 'a']]]);
  const ia = ids.of(a);
  const ib = ids.of(b);
  assert.deepEqual([...ia], [0, 1]);
  assert.deepEqual([...ib], [1, 2, 0]);
  assert.equal(ids.size, 3);
  // kept with the meta
  assert.equal(ids.of(a), ia);
  // a value that only looks alike is another series
  assert.notEqual(ids.id([['service_name', 'a\u0000']]), ids.id([['service_name', 'a']]));
});

test('a numbering full at its limit is replaced for later queries, never for one that holds it', () => {
  const first = seriesIdsForQuery(4);
  const base = first.size;
  const held = seriesIdsForQuery(base + 4);
  assert.equal(held, first);
  const m = meta(Array.from({ length: 4 }, (_, i): LabelSet => [['service_name', `rollover-${i}`]]));
  const before = [...held.of(m)];
  const next = seriesIdsForQuery(base + 4);
  assert.notEqual(next, held);
  assert.equal(next.size, 0);
  // the query that began with the old numbering still reads its numbers
  assert.deepEqual([...held.of(m)], before);
});

test('flags grow as numbers come and read 0 past their end', () => {
  const f = new SeriesFlags();
  assert.equal(f.get(1_000_000), 0);
  f.set(5, 2);
  f.set(70_000, 1);
  assert.equal(f.get(5), 2);
  assert.equal(f.get(70_000), 1);
  assert.equal(f.get(69_999), 0);
});
