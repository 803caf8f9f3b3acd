// Compaction: the small segment objects of one tenant and hour are merged into one block (symbols and stacks
// re-deduplicated), written create-once, and only then are the sources deleted. The block names its sources,
// and readers skip any object a block names, so a crash at any step leaves the store readable and nothing is
// counted twice. One compactor works on a window at a time, across processes (lease or lock file).
import { hourOf, HOUR_MS, blockKey, compactionLockKey } from './keys.js';
import type { ObjectStore } from './objectStore.js';
import { SegmentBuilder, type SourceMaps } from './format/builder.js';
import type { SegmentReader, SegmentRef } from './segmentReader.js';

export interface CompactorOptions {
  prefix: string;
  /** An hour is compacted once it ended this long ago (late profiles are accepted up to reject-older-than). */
  settleMs: number;
  /** Delete objects whose newest profile is older than this; 0 = keep forever. */
  retentionMs: number;
  lockTtlMs?: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** Test hook: called between the steps of a compaction, to crash or stall it there. */
  onStep?: (step: 'locked' | 'written' | 'deleted') => Promise<void> | void;
}

export interface CompactionResult {
  tenant: string;
  hour: number;
  sources: number;
  profiles: number;
  key: string;
}

export class Compactor {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly store: ObjectStore,
    private readonly reader: SegmentReader,
    private readonly opts: CompactorOptions
  ) {}

  start(intervalMs: number): void {
    const tick = () => {
      if (!this.running) {
        this.running = this.runOnce()
          .catch((e) => this.opts.log?.('compaction failed', { err: (e as Error).message }))
          .finally(() => (this.running = null));
      }
    };
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
    await this.running;
  }

  /** One pass over every tenant: retention first, then every settled hour with more than one object. */
  async runOnce(now = Date.now()): Promise<CompactionResult[]> {
    const done: CompactionResult[] = [];
    for (const tenant of await this.reader.tenants()) {
      const hours = await this.reader.hours(tenant);
      for (const hour of hours) {
        if (this.opts.retentionMs > 0 && (hour + 1) * HOUR_MS < now - this.opts.retentionMs) {
          await this.expire(tenant, hour, now);
          continue;
        }
        if ((hour + 1) * HOUR_MS + this.opts.settleMs > now) {
          continue;
        }
        const live = await this.reader.hourObjects(tenant, hour);
        await this.collectReplaced(tenant, hour, live);
        if (live.length < 2) {
          continue;
        }
        const r = await this.compactHour(tenant, hour);
        if (r) {
          done.push(r);
        }
      }
    }
    return done;
  }

  /**
   * Deletes objects that a block already replaced (left behind by a compaction that stopped midway): only those
   * a block of `live` names as its sources. Not "whatever is listed now but was not live a moment ago": an
   * object written between the two listings (a late profile another replica just acknowledged) is live too, and
   * deleting it lost acknowledged data.
   */
  private async collectReplaced(tenant: string, hour: number, live: SegmentRef[]): Promise<void> {
    const replaced = new Set<string>();
    for (const b of live.filter((r) => r.block)) {
      for (const src of (await this.reader.meta(b.key)).sources ?? []) {
        replaced.add(src);
      }
    }
    if (replaced.size === 0) {
      return;
    }
    const listed = await this.store.list(`${this.opts.prefix}${tenant}/segments/${String(hour).padStart(8, '0')}/`);
    for (const o of listed) {
      if (replaced.has(o.key)) {
        await this.store.delete(o.key);
      }
    }
  }

  /** Deletes whole objects past retention (their newest profile is older than the period). */
  private async expire(tenant: string, hour: number, now: number): Promise<void> {
    const objects = await this.store.list(`${this.opts.prefix}${tenant}/segments/${String(hour).padStart(8, '0')}/`);
    for (const o of objects) {
      const m = /-(\d+)\.(seg|blk)$/.exec(o.key);
      if (m && Number(m[1]) < now - this.opts.retentionMs) {
        await this.store.delete(o.key);
      }
    }
  }

  async compactHour(tenant: string, hour: number): Promise<CompactionResult | null> {
    const ttl = this.opts.lockTtlMs ?? 60_000;
    const lock = await this.store.lease(compactionLockKey(this.opts.prefix, tenant, hour), ttl);
    if (!lock) {
      return null;
    }
    const renew = setInterval(() => void lock.renew().catch(() => {}), Math.max(1000, ttl / 3));
    try {
      await this.opts.onStep?.('locked');
      // listed again under the lock: another process may have compacted this hour meanwhile
      const live = await this.reader.hourObjects(tenant, hour);
      if (live.length < 2) {
        return null;
      }
      const builder = new SegmentBuilder(tenant);
      builder.level = 1;
      const sources = new Set<string>();
      let profiles = 0;
      for (const ref of live.sort(byKey)) {
        const obj = await this.reader.segment(ref.key);
        sources.add(ref.key);
        for (const s of obj.meta.sources ?? []) {
          sources.add(s);
        }
        for (const seg of obj.datasets) {
          const maps: SourceMaps = new Map();
          for (let p = 0; p < seg.profSeries.length; p++) {
            builder.addFromSegment(seg, p, maps);
            profiles++;
          }
        }
      }
      builder.sources = [...sources].sort();
      const key = blockKey(this.opts.prefix, tenant, hourOf(builder.minTime), builder.minTime, builder.maxTime);
      await this.store.put(key, builder.encode(), { ifAbsent: true });
      await this.opts.onStep?.('written');
      for (const src of sources) {
        await this.store.delete(src);
      }
      await this.opts.onStep?.('deleted');
      this.opts.log?.('compacted', { tenant, hour, sources: live.length, profiles, key });
      return { tenant, hour, sources: live.length, profiles, key };
    } finally {
      clearInterval(renew);
      await lock.release();
    }
  }
}

function byKey(a: SegmentRef, b: SegmentRef): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}
