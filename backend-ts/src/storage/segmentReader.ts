// The read side of the store: finds the segment objects of a tenant and time range, and keeps decoded
// objects and headers in byte-bounded LRU caches (objects are immutable, so entries never go stale).
import { LRUCache } from 'lru-cache';
import { HOUR_MS, hourDir, hourOf, parseSegmentKey } from './keys.js';
import type { ObjectStore } from './objectStore.js';
import { decodeMeta, HEADER_FIXED, type SegmentMeta } from './format/meta.js';
import { decodeObject, type DecodedObject } from './format/segment.js';

export interface SegmentRef {
  key: string;
  size: number;
  minTime: number;
  maxTime: number;
  block: boolean;
  /** Hour folder the object was listed in. */
  hour: number;
  /** True when the listing came from the cache of settled hours (see list). */
  cachedListing?: boolean;
}

/**
 * How long a settled hour's listing is reused. Nothing new can land in a settled hour; compaction only swaps
 * objects for a block holding the same profiles (a reader that finds an object gone lists the hour again), so
 * this bounds how long retention's deletions can go unseen.
 */
const LISTING_TTL_MS = 60_000;
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

/** More unsettled hours than this in a range: one folder listing finds those that exist, cheaper than probing. */
const PROBE_HOURS = 4;

export interface ReadStats {
  listed: number;
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
  /** Listings of settled hours (tenant + hour), and of each tenant's hour folders, for LISTING_TTL_MS. */
  private readonly hourLists: LRUCache<string, SegmentRef[]>;
  private readonly hourSets: LRUCache<string, number[]>;
  readonly stats: ReadStats = { listed: 0, objectsRead: 0, bytesRead: 0 };

  constructor(
    private readonly store: ObjectStore,
    private readonly prefix: string,
    cacheBytes = 256 * 1024 * 1024
  ) {
    this.segments = new LRUCache<string, DecodedObject>({
      maxSize: cacheBytes,
      sizeCalculation: (o) => Math.max(1, objectCacheBytes(o)),
    });
    // ~200 bytes per listed object; a day of 15 s segments is ~1 MiB
    this.hourLists = new LRUCache<string, SegmentRef[]>({
      maxSize: Math.max(64 << 10, Math.floor(cacheBytes / 32)),
      sizeCalculation: (refs) => 64 + refs.length * 200,
      ttl: LISTING_TTL_MS,
    });
    this.hourSets = new LRUCache<string, number[]>({
      maxSize: Math.max(64 << 10, Math.floor(cacheBytes / 256)),
      sizeCalculation: (hours) => 64 + hours.length * 16,
      ttl: LISTING_TTL_MS,
    });
    this.metas = new LRUCache<string, SegmentMeta>({
      maxSize: Math.max(64 << 10, Math.floor(cacheBytes / 8)),
      sizeCalculation: (m) => 256 + m.series.length * 256,
    });
  }

  /** Bytes each cache holds now, as its LRU counts them (for /metrics and the memory budget). */
  cacheBytes(): Record<'segments' | 'metas' | 'listings', number> {
    return {
      segments: this.segments.calculatedSize,
      metas: this.metas.calculatedSize,
      listings: this.hourLists.calculatedSize + this.hourSets.calculatedSize,
    };
  }

  /** What the caches may hold together at most: the object cache's bound plus its satellites'. */
  static footprint(cacheBytes: number): number {
    return (
      cacheBytes +
      Math.max(64 << 10, Math.floor(cacheBytes / 8)) +
      Math.max(64 << 10, Math.floor(cacheBytes / 32)) +
      Math.max(64 << 10, Math.floor(cacheBytes / 256))
    );
  }

  /**
   * Whether a query reads an object of this listed size whole, without reading its header first: one round trip
   * instead of two for an object it wants, and at most 4x the bytes of a header read (64 KiB) for one it does not.
   */
  readsWhole(size: number): boolean {
    return size > 0 && size <= WHOLE_READ_BYTES;
  }

  /** Hour folders of a tenant that hold data. */
  async hours(tenant: string): Promise<number[]> {
    const dirs = await this.store.listPrefixes(`${this.prefix}${tenant}/segments/`);
    return dirs.map(Number).filter((h) => Number.isFinite(h));
  }

  async tenants(): Promise<string[]> {
    return this.store.listPrefixes(this.prefix);
  }

  /**
   * Every live object of one hour: segments and blocks, minus the objects a block lists as its sources (a
   * compaction that crashed before deleting them must not count them twice).
   */
  async hourObjects(tenant: string, hour: number): Promise<SegmentRef[]> {
    const listed = await this.store.list(`${this.prefix}${tenant}/segments/${hourDir(hour)}/`);
    const refs: SegmentRef[] = [];
    for (const o of listed) {
      const t = parseSegmentKey(o.key);
      if (t) {
        refs.push({ key: o.key, size: o.size, ...t, hour });
      }
    }
    const blocks = refs.filter((r) => r.block);
    let live = refs;
    if (blocks.length > 0) {
      const replaced = new Set<string>();
      for (const b of blocks) {
        for (const src of (await this.meta(b.key)).sources ?? []) {
          replaced.add(src);
        }
      }
      live = refs.filter((r) => !replaced.has(r.key));
    }
    this.hourLists.set(
      `${tenant}\u0000${hour}`,
      live.map((r) => ({ ...r, cachedListing: true }))
    );
    return live;
  }

  /**
   * Live objects whose time range overlaps [start, end] (ms, inclusive). Hours that ended before
   * `settledBefore` can receive no more profiles (the caller knows the tenant's reject-older-than): their
   * listings, and which of them exist, are reused for up to a minute instead of asking the store again.
   */
  async list(tenant: string, start: number, end: number, settledBefore = -Infinity): Promise<SegmentRef[]> {
    const first = hourOf(start);
    const last = hourOf(end);
    // hours h <= settledLast ended by settledBefore
    const settledLast = Math.min(last, Math.floor(settledBefore / HOUR_MS) - 1);
    let hours: number[];
    if (settledLast < first) {
      hours = (await this.hours(tenant)).filter((h) => h >= first && h <= last);
    } else {
      let known = this.hourSets.get(tenant);
      const probe = last - settledLast <= PROBE_HOURS;
      if (!known || !probe) {
        known = await this.hours(tenant);
        this.hourSets.set(tenant, known);
      }
      hours = known.filter((h) => h >= first && h <= (probe ? settledLast : last));
      // hours not yet settled are listed every time (a missing folder lists empty)
      for (let h = Math.max(first, settledLast + 1); probe && h <= last; h++) {
        hours.push(h);
      }
    }
    const lists = await mapLimit(hours, 2 * READ_CONCURRENCY, (h) => {
      if (h <= settledLast) {
        const cached = this.hourLists.get(`${tenant}\u0000${h}`);
        if (cached) {
          return Promise.resolve(cached);
        }
      }
      // listed afresh for every query, never joined to a listing already in flight: that one may have started
      // before a profile another replica acknowledged just before this query began
      return this.hourObjects(tenant, h);
    });
    const out: SegmentRef[] = [];
    for (const l of lists) {
      for (const r of l) {
        if (r.maxTime >= start && r.minTime <= end) {
          out.push(r);
        }
      }
    }
    this.stats.listed += out.length;
    return out;
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
