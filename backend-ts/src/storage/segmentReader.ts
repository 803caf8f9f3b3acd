// The read side of the store: reads objects and their headers, and keeps them in byte-bounded LRU caches (objects
// are immutable, so entries never go stale). Which objects a query reads is the catalog's (catalog.ts).
import { LRUCache } from 'lru-cache';
import type { ObjectStore } from './objectStore.js';
import { decodeMeta, HEADER_FIXED, type SegmentMeta } from './format/meta.js';
import { decodeObject, type DecodedObject } from './format/segment.js';

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

export interface ReadStats {
  objectsRead: number;
  bytesRead: number;
}

/** Object reads a query keeps in flight: enough to hide a store's round trip, few enough to bound memory. */
export const READ_CONCURRENCY = 16;

export class SegmentReader {
  private readonly segments: LRUCache<string, DecodedObject>;
  private readonly metas: LRUCache<string, SegmentMeta>;
  /** Reads in progress, so that concurrent queries (a flame graph and its time series) fetch an object once. */
  private readonly loading = new Map<string, Promise<DecodedObject>>();
  readonly stats: ReadStats = { objectsRead: 0, bytesRead: 0 };

  constructor(
    private readonly store: ObjectStore,
    cacheBytes = 256 * 1024 * 1024
  ) {
    this.segments = new LRUCache<string, DecodedObject>({
      maxSize: cacheBytes,
      sizeCalculation: (o) => Math.max(1, objectCacheBytes(o)),
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
    return this.metas.get(key) ?? this.segments.get(key)?.meta;
  }

  async meta(key: string): Promise<SegmentMeta> {
    const cached = this.cachedMeta(key);
    if (cached) {
      return cached;
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
    const cached = this.segments.get(key);
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
