// The read side of the store: reads objects and their headers, and keeps them in byte-bounded LRU caches (objects
// are immutable, so entries never go stale). Which objects a query reads is the catalog's (catalog.ts).
import { LRUCache } from 'lru-cache';
import type { ObjectStore } from './objectStore.js';
import { decodeMeta, FORMAT_V2, HEADER_FIXED, SegmentFormatError, type SegmentMeta } from './format/meta.js';
import {
  decodeDataset,
  decodeObject,
  decodeTable,
  ProfileTable,
  Segment,
  type DecodedObject,
} from './format/segment.js';

/** One object as a query plans it: an object of the index, a level-0 segment or an object of the old layout. */
export interface SegmentRef {
  key: string;
  size: number;
  minTime: number;
  maxTime: number;
  block: boolean;
  /**
   * The profile-time hour the query reads of it: a query reads an object once per hour it plans it for, each
   * time only that hour's profiles (a level-0 segment can span two hours and be in the index for one already).
   */
  hour: number;
  /** Its meta from the index, when the index has it (no header read then). */
  meta?: SegmentMeta;
}

/**
 * Objects up to this size are read from Azure with one ranged GET of their listed size: a whole-blob download
 * asks for the blob's properties first, a second round trip for every small segment of a cold query.
 */
const RANGED_READ_BYTES = 1 << 20;
/** Objects up to this size are read whole by queries, without reading their header first (see readsWhole). */
export const WHOLE_READ_BYTES = 256 * 1024;
/** The first read of an object's header (SegmentReader.meta); a longer header takes a second read. */
const HEADER_READ_BYTES = 64 * 1024;

/** Bytes a cold header read of an object costs (both reads when its header is longer than the first). */
const headerCosts = new WeakMap<SegmentMeta, number>();

/**
 * What reading the header of the object with this meta costs a query with cold caches: the bytes of its one
 * or two range reads. Known for every meta the reader decoded (from a header read or from the whole object).
 */
export function headerReadBytes(meta: SegmentMeta, objectSize: number): number {
  return headerCosts.get(meta) ?? Math.min(objectSize, HEADER_READ_BYTES);
}

/**
 * A block is read in ranges (its wanted datasets' sections) only when they skip at least half of it: past that,
 * one whole read costs fewer round trips for about the same bytes.
 */
const RANGED_MAX_SHARE = 0.5;
/** Wanted sections closer than this are read as one range: a round trip costs more than these bytes. */
const RANGE_GAP_BYTES = 64 * 1024;

/** What a query reads of a dataset: its profile table only (time series), or table and data (stacks). */
export type PartKind = 'table' | 'dataset';

/**
 * The parts of one object read in ranges, by dataset number: whole datasets, and tables read alone (for time
 * series). One cache entry per object rather than per part: a query of 3,000 services finds a block's 3,000 parts
 * with one lookup, not a key string and an LRU lookup each. Adding a part makes a new entry over the same
 * arrays, so that the LRU counts the grown size (it recounts only a new value).
 */
class ObjectParts {
  constructor(
    readonly datasets: Array<Segment | undefined>,
    readonly tables: Array<ProfileTable | undefined>,
    readonly bytes: number
  ) {}

  /** Part d as `kind` asks for it, when held (a table is also found in its held dataset). */
  get(d: number, kind: PartKind): Segment | ProfileTable | undefined {
    const seg = this.datasets[d];
    return kind === 'dataset' ? seg : (seg?.table ?? this.tables[d]);
  }

  with(d: number, kind: PartKind, part: Segment | ProfileTable): ObjectParts {
    let bytes = this.bytes + partBytes(part);
    if (kind === 'dataset') {
      this.datasets[d] = part as Segment;
      // the dataset holds its table: a table held alone is no longer counted
      const alone = this.tables[d];
      if (alone) {
        bytes -= partBytes(alone);
        this.tables[d] = undefined;
      }
    } else {
      this.tables[d] = part as ProfileTable;
    }
    return new ObjectParts(this.datasets, this.tables, bytes);
  }
}

/** A cached entry: a whole object, or the parts of one read in ranges (under partsKey). */
type Cached = DecodedObject | ObjectParts;

const partBytes = (p: Segment | ProfileTable): number => (p instanceof Segment ? p.cacheBytes : p.byteSize + 256);

function cachedBytes(c: Cached): number {
  return c instanceof ObjectParts ? c.bytes : objectCacheBytes(c);
}

const partsKey = (key: string) => `${key}\u0000parts`;
/** A ranged read of one part in flight. */
const loadingKey = (key: string, kind: PartKind, d: number) => `${key}\u0000${kind === 'table' ? 't' : 'd'}${d}`;

/** Sorted byte ranges merged where they touch or lie closer than `gap`. */
function coalesce(ranges: Array<[number, number]>, gap: number): Array<[number, number]> {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [off, len] of sorted) {
    const last = out[out.length - 1];
    if (last && off <= last[0] + last[1] + gap) {
      last[1] = Math.max(last[1], off + len - last[0]);
    } else {
      out.push([off, len]);
    }
  }
  return out;
}

export interface ReadStats {
  objectsRead: number;
  bytesRead: number;
}

/** Object reads a query keeps in flight: enough to hide a store's round trip, few enough to bound memory. */
export const READ_CONCURRENCY = 16;

export class SegmentReader {
  /** Whole objects under their key, the parts of objects read in ranges under partsKey. */
  private readonly segments: LRUCache<string, Cached>;
  private readonly metas: LRUCache<string, SegmentMeta>;
  /** Reads in progress, so that concurrent queries (a flame graph and its time series) fetch an object once. */
  private readonly loading = new Map<string, Promise<DecodedObject>>();
  /** Ranged reads in progress, by loadingKey. */
  private readonly partsLoading = new Map<string, Promise<Segment | ProfileTable>>();
  readonly stats: ReadStats = { objectsRead: 0, bytesRead: 0 };

  constructor(
    private readonly store: ObjectStore,
    cacheBytes = 256 * 1024 * 1024
  ) {
    this.segments = new LRUCache<string, Cached>({
      maxSize: cacheBytes,
      sizeCalculation: (o) => Math.max(1, cachedBytes(o)),
    });
    this.metas = new LRUCache<string, SegmentMeta>({
      maxSize: Math.max(64 << 10, Math.floor(cacheBytes / 8)),
      sizeCalculation: (m) => 256 + m.series.length * 256 + m.datasets.length * 128,
    });
  }

  /** Bytes each cache holds now, as its LRU counts them (for /metrics and the memory budget). */
  cacheBytes(): Record<'segments' | 'metas', number> {
    return { segments: this.segments.calculatedSize, metas: this.metas.calculatedSize };
  }

  /** What the caches may hold together at most: the object cache's bound plus the metas'. */
  static footprint(cacheBytes: number): number {
    return cacheBytes + Math.max(64 << 10, Math.floor(cacheBytes / 8));
  }

  /**
   * Whether a query reads an object of this listed size whole, without reading its header first: one round trip
   * instead of two for an object it wants, and at most 4x the bytes of a header read (64 KiB) for one it does not.
   */
  readsWhole(size: number): boolean {
    return size > 0 && size <= WHOLE_READ_BYTES;
  }

  /** The meta of an object when it is cached (alone or with its segment), without reading anything. */
  cachedMeta(key: string): SegmentMeta | undefined {
    return this.metas.get(key) ?? this.whole(key)?.meta;
  }

  private whole(key: string): DecodedObject | undefined {
    const c = this.segments.get(key);
    return c && !(c instanceof ObjectParts) ? c : undefined;
  }

  /**
   * The meta of an object. `size` (from the listing): an object a select would read whole is read whole here
   * too, through the same in-flight read, so that the All services page's Series and SelectSeries, sent
   * together, fetch each new level-0 segment once and not as a header and then again whole.
   */
  async meta(key: string, size = 0): Promise<SegmentMeta> {
    const cached = this.cachedMeta(key);
    if (cached) {
      return cached;
    }
    if (this.readsWhole(size)) {
      return (await this.segment(key, { size })).meta;
    }
    let head = await this.store.getRange(key, 0, HEADER_READ_BYTES);
    let m = decodeMeta(head);
    let cost = head.length;
    if ('need' in m) {
      head = await this.store.getRange(key, 0, m.need);
      cost += head.length;
      m = decodeMeta(head);
      if ('need' in m) {
        throw new Error(`segment ${key} is truncated`);
      }
    }
    this.stats.objectsRead++;
    this.stats.bytesRead += cost;
    headerCosts.set(m, cost);
    this.metas.set(key, m);
    return m;
  }

  /**
   * The decoded object, from the cache or read whole. `cache: false` leaves a newly read object out of the
   * cache, for a caller that keeps what it needs of it in a smaller form (the querier's segment views).
   * `size` (from the listing) lets Azure read a small object in one request (see RANGED_READ_BYTES).
   */
  async segment(key: string, opts: { cache?: boolean; size?: number } = {}): Promise<DecodedObject> {
    const cached = this.whole(key);
    if (cached) {
      return cached;
    }
    let p = this.loading.get(key);
    if (!p) {
      p = this.load(key, opts.cache ?? true, opts.size ?? 0).finally(() => this.loading.delete(key));
      this.loading.set(key, p);
    }
    return p;
  }

  /**
   * Datasets `ds` of an object (`kind` 'table': their profile tables alone). A block of which the query wants a
   * small part (a flame graph of one service, or time series: tables only) is read in ranges; a small object, one
   * of version 1 or a mostly wanted block is read whole (and kept whole when `cache`).
   */
  async parts(
    ref: { key: string; size: number },
    meta: SegmentMeta,
    ds: number[],
    kind: 'dataset',
    opts?: { cache?: boolean }
  ): Promise<Segment[]>;
  async parts(
    ref: { key: string; size: number },
    meta: SegmentMeta,
    ds: number[],
    kind: 'table',
    opts?: { cache?: boolean }
  ): Promise<ProfileTable[]>;
  async parts(
    ref: { key: string; size: number },
    meta: SegmentMeta,
    ds: number[],
    kind: PartKind,
    opts: { cache?: boolean } = {}
  ): Promise<Array<Segment | ProfileTable>> {
    const cache = opts.cache ?? true;
    const pick = (o: DecodedObject) => ds.map((d) => (kind === 'table' ? o.datasets[d].table : o.datasets[d]));
    const whole = this.whole(ref.key);
    if (whole) {
      return pick(whole);
    }
    const held = this.segments.get(partsKey(ref.key));
    const found = new Array<Segment | ProfileTable | undefined>(ds.length);
    const missing: number[] = [];
    for (let i = 0; i < ds.length; i++) {
      const hit = held instanceof ObjectParts ? held.get(ds[i], kind) : undefined;
      found[i] = hit;
      if (!hit) {
        missing.push(i);
      }
    }
    if (missing.length === 0) {
      return found as Array<Segment | ProfileTable>;
    }
    if (this.rangedBytes(ref.size, meta, ds, kind) === null) {
      return pick(await this.segment(ref.key, { cache, size: ref.size }));
    }
    const waits: Array<Promise<unknown>> = [];
    const toRead: number[] = [];
    for (const i of missing) {
      const p = this.partsLoading.get(loadingKey(ref.key, kind, ds[i]));
      if (p) {
        waits.push(p.then((part) => (found[i] = part)));
      } else {
        toRead.push(i);
      }
    }
    if (toRead.length > 0) {
      const batch = this.readParts(
        ref.key,
        meta,
        toRead.map((i) => ds[i]),
        kind,
        cache
      );
      batch.catch(() => {});
      toRead.forEach((i, j) => {
        const k = loadingKey(ref.key, kind, ds[i]);
        const p = batch.then((parts) => parts[j]).finally(() => this.partsLoading.delete(k));
        p.catch(() => {});
        this.partsLoading.set(k, p);
        waits.push(p.then((part) => (found[i] = part)));
      });
    }
    await Promise.all(waits);
    return found as Array<Segment | ProfileTable>;
  }

  /**
   * The bytes a ranged read of datasets `ds` costs, or null when the object is read whole instead (small, of
   * version 1, or the wanted sections are more than half of it once neighbours are merged into one range).
   */
  rangedBytes(size: number, meta: SegmentMeta, ds: number[], kind: PartKind): number | null {
    if (meta.version !== FORMAT_V2 || size <= 0 || this.readsWhole(size)) {
      return null;
    }
    const bytes = coalesce(this.sectionsOf(meta, ds, kind), RANGE_GAP_BYTES).reduce((a, [, len]) => a + len, 0);
    return bytes > RANGED_MAX_SHARE * size ? null : bytes;
  }

  private sectionsOf(meta: SegmentMeta, ds: number[], kind: PartKind): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (const d of ds) {
      out.push(meta.datasets[d].table);
      if (kind === 'dataset') {
        out.push(meta.datasets[d].data);
      }
    }
    return out;
  }

  private async readParts(
    key: string,
    meta: SegmentMeta,
    ds: number[],
    kind: PartKind,
    cache: boolean
  ): Promise<Array<Segment | ProfileTable>> {
    const ranges = coalesce(this.sectionsOf(meta, ds, kind), RANGE_GAP_BYTES);
    const bufs = await Promise.all(ranges.map(([off, len]) => this.store.getRange(key, off, len)));
    this.stats.objectsRead++;
    ranges.forEach(([off, len], i) => {
      if (bufs[i].length !== len) {
        throw new SegmentFormatError(`segment ${key}: range [${off}, ${off + len}) read ${bufs[i].length} bytes`);
      }
      this.stats.bytesRead += len;
    });
    const section = ([off, len]: [number, number]): Buffer => {
      const i = ranges.findIndex(([o, l]) => off >= o && off + len <= o + l);
      return bufs[i].subarray(off - ranges[i][0], off - ranges[i][0] + len);
    };
    const parts = ds.map((d) => {
      const table = decodeTable(key, meta, d, section(meta.datasets[d].table));
      return kind === 'table' ? table : decodeDataset(table, section(meta.datasets[d].data));
    });
    if (cache) {
      const held = this.segments.get(partsKey(key));
      let entry =
        held instanceof ObjectParts
          ? held
          : new ObjectParts(new Array(meta.datasets.length), new Array(meta.datasets.length), 256);
      parts.forEach((part, i) => (entry = entry.with(ds[i], kind, part)));
      this.segments.set(partsKey(key), entry);
    }
    return parts;
  }

  private async load(key: string, cache: boolean, size: number): Promise<DecodedObject> {
    // large objects (blocks) keep the whole-object read and its longer timeout (AzureStore.readTimeoutMs)
    const ranged = size > 0 && size <= RANGED_READ_BYTES && this.store.kind === 'azure';
    const raw = ranged ? await this.store.getRange(key, 0, size) : await this.store.get(key);
    this.stats.objectsRead++;
    this.stats.bytesRead += raw.length;
    const s = decodeObject(key, raw);
    // what reading its header alone would have cost (the fixed part, then the meta's reserved length)
    const headerLen = raw.length >= HEADER_FIXED ? HEADER_FIXED + raw.readUInt32LE(8) : raw.length;
    headerCosts.set(
      s.meta,
      Math.min(raw.length, HEADER_READ_BYTES) + (headerLen > HEADER_READ_BYTES ? Math.min(headerLen, raw.length) : 0)
    );
    if (cache) {
      this.segments.set(key, s);
    }
    this.metas.set(key, s.meta);
    return s;
  }
}

/** What the object cache counts for a decoded object: every dataset's share. */
function objectCacheBytes(o: DecodedObject): number {
  let n = 0;
  for (const d of o.datasets) {
    n += d.cacheBytes;
  }
  return n;
}

/**
 * Runs fn over items with up to `window` calls in flight and yields the results in input order: a query reads
 * ahead while it merges what has arrived, and holds at most `window` objects that it has not merged yet.
 */
export async function* readAhead<T, R>(
  items: readonly T[],
  window: number,
  fn: (item: T) => Promise<R>
): AsyncGenerator<R> {
  const pending: Array<Promise<R> | undefined> = new Array(items.length);
  let next = 0;
  const fill = (upTo: number) => {
    for (; next < items.length && next < upTo; next++) {
      const p = fn(items[next]);
      // a read that fails while earlier ones are merged is reported when its turn comes, not as unhandled
      p.catch(() => {});
      pending[next] = p;
    }
  };
  for (let i = 0; i < items.length; i++) {
    fill(i + Math.max(1, window));
    const p = pending[i] as Promise<R>;
    pending[i] = undefined;
    yield await p;
  }
}

/**
 * Maps items through an async function with at most `limit` calls in flight; results in input order. Object
 * stores answer many small requests faster in parallel, but unbounded parallelism would open a connection per
 * object and hold every response in memory at once.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return out;
}
