// Series numbered per process. A query meets each series once per object that holds it (an hour of a busy
// tenant is a hundred objects of the same few thousand series), and matching, counting and grouping them by a
// string key per series per object was a tenth of the reader's CPU at 3,000 services. Each object's meta gets
// the numbers of its series once (kept with the meta, which the reader's caches keep), so a query works on
// them with typed-array reads.
import { labelsKey, type LabelSet } from '../model/labels.js';
import type { SegmentMeta } from '../storage/format/meta.js';

/**
 * Past this many series a numbering is left to the queries using it and a new one begins for later queries: a
 * numbering holds each series' key (~100-200 bytes), so this bounds it to tens of MB when series churn (pods that
 * come and go), at the cost of numbering the metas of the next queries again.
 */
const MAX_SERIES = 1 << 18;

export class SeriesIds {
  private readonly byKey = new Map<string, number>();
  /** Label sets seen before (an hour's index document shares one label set among all its blocks). */
  private readonly bySet = new WeakMap<LabelSet, number>();
  private readonly perMeta = new WeakMap<SegmentMeta, Int32Array>();
  private count = 0;

  /** How many series are numbered: every number is below it. */
  get size(): number {
    return this.count;
  }

  /** The number of each of a meta's series, in the meta's order. */
  of(meta: SegmentMeta): Int32Array {
    let ids = this.perMeta.get(meta);
    if (ids === undefined) {
      ids = new Int32Array(meta.series.length);
      for (let i = 0; i < ids.length; i++) {
        ids[i] = this.id(meta.series[i].labels);
      }
      this.perMeta.set(meta, ids);
    }
    return ids;
  }

  /** The number of a label set (label sets of a cached meta are never mutated). */
  id(labels: LabelSet): number {
    let id = this.bySet.get(labels);
    if (id === undefined) {
      const k = labelsKey(labels);
      id = this.byKey.get(k);
      if (id === undefined) {
        id = this.count++;
        this.byKey.set(k, id);
      }
      this.bySet.set(labels, id);
    }
    return id;
  }
}

let current = new SeriesIds();

/**
 * The numbering a query uses from its start to its end: numbers from two numberings must never meet in one
 * query, so a query keeps the one it began with.
 */
export function seriesIdsForQuery(max = MAX_SERIES): SeriesIds {
  if (current.size >= max) {
    current = new SeriesIds();
  }
  return current;
}

/** A flag per series number, grown as numbers come (a query sees numbers below the numbering's size). */
export class SeriesFlags {
  private data = new Uint8Array(256);

  get(id: number): number {
    return id < this.data.length ? this.data[id] : 0;
  }

  set(id: number, v: number): void {
    if (id >= this.data.length) {
      let n = this.data.length * 2;
      while (n <= id) {
        n *= 2;
      }
      const grown = new Uint8Array(n);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[id] = v;
  }
}
