// The read side of the store: finds the segment objects of a tenant and time range, and keeps decoded
// objects and headers in byte-bounded LRU caches (objects are immutable, so entries never go stale).
import { LRUCache } from 'lru-cache';
import { hourDir, hourOf, parseSegmentKey } from './keys.js';
import type { ObjectStore } from './objectStore.js';
import { decodeMeta, Segment, type SegmentMeta } from './segment.js';

export interface SegmentRef {
  key: string;
  size: number;
  minTime: number;
  maxTime: number;
  block: boolean;
}

export interface ReadStats {
  listed: number;
  objectsRead: number;
  bytesRead: number;
}

export class SegmentReader {
  private readonly segments: LRUCache<string, Segment>;
  private readonly metas: LRUCache<string, SegmentMeta>;
  readonly stats: ReadStats = { listed: 0, objectsRead: 0, bytesRead: 0 };

  constructor(
    private readonly store: ObjectStore,
    private readonly prefix: string,
    cacheBytes = 512 * 1024 * 1024
  ) {
    this.segments = new LRUCache<string, Segment>({
      maxSize: cacheBytes,
      sizeCalculation: (s) => Math.max(1, s.byteSize),
    });
    this.metas = new LRUCache<string, SegmentMeta>({
      maxSize: Math.max(1 << 20, cacheBytes / 8),
      sizeCalculation: (m) => 256 + m.series.length * 256,
    });
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
        refs.push({ key: o.key, size: o.size, ...t });
      }
    }
    const blocks = refs.filter((r) => r.block);
    if (blocks.length === 0) {
      return refs;
    }
    const replaced = new Set<string>();
    for (const b of blocks) {
      for (const src of (await this.meta(b.key)).sources ?? []) {
        replaced.add(src);
      }
    }
    return refs.filter((r) => !replaced.has(r.key));
  }

  /** Live objects whose time range overlaps [start, end] (ms, inclusive). */
  async list(tenant: string, start: number, end: number): Promise<SegmentRef[]> {
    const first = hourOf(start);
    const last = hourOf(end);
    const hours = (await this.hours(tenant)).filter((h) => h >= first && h <= last);
    const lists = await Promise.all(hours.map((h) => this.hourObjects(tenant, h)));
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

  async meta(key: string): Promise<SegmentMeta> {
    const cached = this.metas.get(key) ?? this.segments.get(key)?.meta;
    if (cached) {
      return cached;
    }
    let head = await this.store.getRange(key, 0, 64 * 1024);
    let m = decodeMeta(head);
    if ('need' in m) {
      head = await this.store.getRange(key, 0, m.need);
      m = decodeMeta(head);
      if ('need' in m) {
        throw new Error(`segment ${key} is truncated`);
      }
    }
    this.stats.objectsRead++;
    this.stats.bytesRead += head.length;
    this.metas.set(key, m);
    return m;
  }

  async segment(key: string): Promise<Segment> {
    const cached = this.segments.get(key);
    if (cached) {
      return cached;
    }
    const raw = await this.store.get(key);
    this.stats.objectsRead++;
    this.stats.bytesRead += raw.length;
    const s = new Segment(key, raw);
    this.segments.set(key, s);
    this.metas.set(key, s.meta);
    return s;
  }
}
