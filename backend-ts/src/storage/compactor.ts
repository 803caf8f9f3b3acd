// Compaction: level-0 segments (one per write batch, by write-time minute) become level-1 blocks within a minute
// or two of being written, whatever the hour; the blocks of a ten-minute window of profile time merge into one
// level-2 block once the window has settled, and an hour's blocks into one level-3 block once it has ended.
// Late data is just a new level-0 segment: its level-1 block lands in its own window and is merged again.
// The index (index.ts) is the record of what is live: a block enters an hour's document in the same conditional
// write that records the sources it holds for that hour, and a merge swaps its sources for its block in one
// write. So a compaction stopped at any step leaves the store readable and counts nothing twice: before that
// write nothing changed for readers; after it they read the block and skip the sources. Sources are deleted only
// after the deletion delay (longer than the query timeout): a query planned before the swap still finds them,
// and a reader whose object did vanish plans that hour again. Leases keep one worker per window across
// processes; the conditional writes keep the index right even when a lease lapsed.
import { SegmentBuilder, type SourceMaps } from './format/builder.js';
import { decodeMeta, type SegmentMeta } from './format/meta.js';
import { decodeObject, type DecodedObject } from './format/segment.js';
import type { Catalog } from './catalog.js';
import { addBlock, hoursOf, IndexUpdateAborted, type IndexDoc, type IndexStore } from './index.js';
import {
  blockKey,
  blocksPrefix,
  compactionLockKey,
  hourOf,
  HOUR_MS,
  idTime,
  indexKey,
  indexPrefix,
  l0MinuteOf,
  l0Prefix,
  legacyPrefix,
  minuteDir,
  minuteOf,
  MINUTE_MS,
  parseSegmentKey,
  windowOf,
  WINDOW_MS,
} from './keys.js';
import { NotFoundError, type Lease, type ObjectInfo, type ObjectStore } from './objectStore.js';

export type CompactionStep = 'locked' | 'written' | 'indexed' | 'deleting';

export interface CompactorOptions {
  prefix: string;
  /** Delete data whose newest profile is older than this; 0 = keep forever. */
  retentionMs: number;
  /** How long a source outlives the index write that replaced it (longer than the query timeout). */
  deletionDelayMs: number;
  /** A level-0 minute folder is compacted this long after the minute ended (writes still in flight land). */
  l0SettleMs?: number;
  /** A ten-minute window's blocks merge this long after it ended; an hour's likewise (hourSettleMs). */
  windowSettleMs?: number;
  hourSettleMs?: number;
  lockTtlMs?: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** Test hook: called between the steps of a compaction, to crash or stall it there. */
  onStep?: (step: CompactionStep) => Promise<void> | void;
  now?: () => number;
}

export interface CompactionResult {
  tenant: string;
  hour: number;
  level: number;
  sources: number;
  profiles: number;
  key: string;
}

export interface CompactorStats {
  /** CPU seconds of compaction's own work (decoding, merging, encoding, index documents), see meter(). */
  cpuSeconds: number;
  /** Age of the oldest level-0 segment the index did not hold yet, at the end of the last pass (ms). */
  lagMs: number;
  passes: number;
  blocksWritten: number;
  objectsDeleted: number;
}

/** An hour that ended has its late blocks merged again once this many wait, or once the oldest is this old. */
const LATE_BLOCKS = 8;
const LATE_WAIT_MS = 30 * 60_000;
/** A block written but never entered into the index (a crash between the two) is deleted once this old. */
const ORPHAN_AGE_MS = HOUR_MS;
const RETENTION_EVERY_MS = 10 * 60_000;
/** Source objects fetched ahead of the one being merged. */
const READ_AHEAD = 8;

export class Compactor {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private lastRetention = 0;
  readonly stats: CompactorStats = { cpuSeconds: 0, lagMs: 0, passes: 0, blocksWritten: 0, objectsDeleted: 0 };
  private readonly now: () => number;

  constructor(
    private readonly store: ObjectStore,
    private readonly index: IndexStore,
    private readonly catalog: Catalog,
    private readonly opts: CompactorOptions
  ) {
    this.now = opts.now ?? Date.now;
    index.meter = (fn) => this.meter(fn);
  }

  /**
   * Runs synchronous compaction work and counts its CPU time: decoding sources, merging them and encoding the
   * block, and the index documents' JSON. The store round trips it waits for are not counted (other work runs
   * on the thread meanwhile, so a process-wide count around an await would count that work too).
   */
  private meter<T>(fn: () => T): T {
    const c0 = process.cpuUsage();
    try {
      return fn();
    } finally {
      const d = process.cpuUsage(c0);
      this.stats.cpuSeconds += (d.user + d.system) / 1e6;
    }
  }

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

  /** One pass over every tenant. */
  async runOnce(now = this.now()): Promise<CompactionResult[]> {
    const done: CompactionResult[] = [];
    let lag = 0;
    for (const tenant of await this.store.listPrefixes(this.opts.prefix)) {
      const r = await this.runTenant(tenant, now);
      done.push(...r.results);
      lag = Math.max(lag, r.lagMs);
    }
    this.stats.lagMs = lag;
    this.stats.passes++;
    if (this.opts.retentionMs > 0 && now - this.lastRetention >= RETENTION_EVERY_MS) {
      this.lastRetention = now;
      for (const tenant of await this.store.listPrefixes(this.opts.prefix)) {
        await this.expire(tenant, now);
      }
    }
    return done;
  }

  private rel(tenant: string, key: string): string {
    return this.catalog.relKey(tenant, key);
  }

  private async docs(tenant: string, hours: Iterable<number>): Promise<Map<number, IndexDoc>> {
    const out = new Map<number, IndexDoc>();
    for (const h of new Set(hours)) {
      out.set(h, await this.index.doc(tenant, h, 0));
    }
    return out;
  }

  /** Hours of a level-0 key's profiles not yet recorded as held by a block. */
  private uncovered(tenant: string, key: string, docs: Map<number, IndexDoc>): number[] {
    const t = parseSegmentKey(key);
    if (!t) {
      return [];
    }
    const rel = this.rel(tenant, key);
    return hoursOf(t.minTime, t.maxTime).filter((h) => docs.get(h)?.covered[rel] === undefined);
  }

  private async runTenant(tenant: string, now: number): Promise<{ results: CompactionResult[]; lagMs: number }> {
    const results: CompactionResult[] = [];
    const touched = new Set<number>();
    const listedAt = this.now();
    let l0 = await this.store.list(l0Prefix(this.opts.prefix, tenant));
    const spans = (objs: ObjectInfo[]) =>
      objs.flatMap((o) => {
        const t = parseSegmentKey(o.key);
        return t ? hoursOf(t.minTime, t.maxTime) : [];
      });
    let docs = await this.docs(tenant, spans(l0));

    // 1. level 0: every settled minute holding a segment that is not in the index yet
    const settled = minuteOf(now - (this.opts.l0SettleMs ?? 30_000)) - 1;
    const minutes = new Set<number>();
    for (const o of l0) {
      const m = l0MinuteOf(o.key);
      if (m <= settled && this.uncovered(tenant, o.key, docs).length > 0) {
        minutes.add(m);
      }
    }
    if (minutes.size > 0) {
      // the hours about to change are marked first: a pass that stops after its index write still leaves them
      // for a later pass to merge
      const hours = new Set(
        spans(l0.filter((o) => minutes.has(l0MinuteOf(o.key)) && this.uncovered(tenant, o.key, docs).length > 0))
      );
      await this.index.updateHead(tenant, (d) => {
        for (const h of hours) {
          d.dirty[h] = (d.dirty[h] ?? 0) + 1;
        }
        return hours.size > 0;
      });
    }
    for (const m of [...minutes].sort((a, b) => a - b)) {
      const r = await this.compactMinute(tenant, m, now);
      for (const x of r.results) {
        results.push(x);
      }
      for (const h of r.hours) {
        touched.add(h);
      }
    }
    if (minutes.size > 0) {
      docs = await this.docs(tenant, spans(l0));
    }

    // 2. sources every hour of which is held by a block, past the deletion delay
    const gone = new Set<string>();
    let deleting = false;
    for (const o of l0) {
      const t = parseSegmentKey(o.key);
      if (!t) {
        continue;
      }
      const rel = this.rel(tenant, o.key);
      const ats = hoursOf(t.minTime, t.maxTime).map((h) => docs.get(h)?.covered[rel]);
      if (ats.every((a) => a !== undefined && a <= now - this.opts.deletionDelayMs)) {
        await this.store.delete(o.key);
        this.stats.objectsDeleted++;
        gone.add(o.key);
        if (!deleting) {
          deleting = true;
          await this.opts.onStep?.('deleting');
        }
      }
    }
    l0 = l0.filter((o) => !gone.has(o.key));

    // 3. the watermark: the first minute with a segment not yet in the index (or the first unsettled one), never
    // past the pass's own minute: a writer still names objects in it
    let w = Math.min(settled + 1, minuteOf(now));
    let lagMs = 0;
    for (const o of l0) {
      if (this.uncovered(tenant, o.key, docs).length > 0) {
        w = Math.min(w, l0MinuteOf(o.key));
        lagMs = Math.max(lagMs, now - idTime(o.key));
      }
    }
    const l0Keys = new Set(l0.map((o) => this.rel(tenant, o.key)));

    // 4. objects of the layout before storage format 2 move into blocks
    let head = await this.index.headDoc(tenant, 0);
    if (!head.legacyDone) {
      const hours = await this.catalog.legacyHours(tenant);
      if (hours.length > 0) {
        await this.index.updateHead(tenant, (d) => {
          for (const h of hours) {
            d.dirty[h] = (d.dirty[h] ?? 0) + 1;
          }
          return true;
        });
      }
      for (const h of hours) {
        const r = await this.migrateLegacy(tenant, h, now);
        if (r) {
          results.push(r);
        }
        touched.add(h);
      }
      if (hours.length === 0) {
        head = await this.index.updateHead(tenant, (d) => !d.legacyDone && (d.legacyDone = true));
      }
    }

    // 5. the head: watermark and hours to visit (their counter bumped after the documents were written)
    head = await this.index.updateHead(tenant, (d) => {
      let changed = false;
      if (w > d.w) {
        d.w = w;
        changed = true;
      }
      for (const h of touched) {
        d.dirty[h] = (d.dirty[h] ?? 0) + 1;
        changed = true;
      }
      return changed;
    });

    // 6. every hour still to visit: garbage, covered sources gone, merges
    const clean: Array<[number, number]> = [];
    for (const [hs, gen] of Object.entries(head.dirty)) {
      const h = Number(hs);
      const r = await this.visitHour(tenant, h, l0Keys, listedAt, now);
      results.push(...r.results);
      if (r.clean) {
        clean.push([h, gen]);
      }
    }
    if (clean.length > 0) {
      await this.index.updateHead(tenant, (d) => {
        let changed = false;
        for (const [h, gen] of clean) {
          // a compactor that added a block since bumped the counter: the hour stays
          if (d.dirty[h] === gen) {
            delete d.dirty[h];
            changed = true;
          }
        }
        return changed;
      });
    }
    return { results, lagMs };
  }

  private async withLease<T>(key: string, fn: () => Promise<T>): Promise<T | null> {
    const ttl = this.opts.lockTtlMs ?? 60_000;
    let lock: Lease | null;
    lock = await this.store.lease(key, ttl);
    if (!lock) {
      return null;
    }
    const held = lock;
    const renew = setInterval(() => void held.renew().catch(() => {}), Math.max(1000, ttl / 3));
    try {
      await this.opts.onStep?.('locked');
      return await fn();
    } finally {
      clearInterval(renew);
      await held.release();
      lock = null;
    }
  }

  private async read(key: string): Promise<DecodedObject> {
    const raw = await this.store.get(key);
    return this.meter(() => decodeObject(key, raw));
  }

  /**
   * Objects handed out in the order of `keys`, each fetched while earlier ones are merged (up to READ_AHEAD
   * fetches in flight): a pass over hundreds of small segments waits for round trips otherwise.
   */
  private readAhead(keys: string[]): { next(): Promise<DecodedObject> } {
    const raws: Array<Promise<Buffer>> = [];
    let started = 0;
    let taken = 0;
    const fill = () => {
      while (started < keys.length && started < taken + READ_AHEAD) {
        const p = this.store.get(keys[started++]);
        // a fetch failing before its turn is reported at its turn
        p.catch(() => {});
        raws.push(p);
      }
    };
    return {
      next: async () => {
        fill();
        const i = taken++;
        const raw = await raws[i];
        raws[i] = Promise.resolve(Buffer.alloc(0));
        fill();
        return this.meter(() => decodeObject(keys[i], raw));
      },
    };
  }

  /** Writes a block create-once; returns its key, size and meta. */
  private async writeBlock(
    tenant: string,
    hour: number,
    b: SegmentBuilder
  ): Promise<{ key: string; size: number; meta: SegmentMeta }> {
    const data = this.meter(() => b.encode(this.now()));
    const key = blockKey(this.opts.prefix, tenant, hour, b.minTime, b.maxTime, this.now());
    await this.store.put(key, data, { ifAbsent: true });
    this.stats.blocksWritten++;
    const meta = decodeMeta(data);
    if ('need' in meta) {
      throw new Error(`block ${key} has no header`);
    }
    return { key, size: data.length, meta };
  }

  /**
   * Level 0 to level 1: the segments of one minute folder whose profiles some hour's document does not hold
   * yet become one block per ten-minute window of profile time; each hour's document then records its blocks
   * and the sources they hold for it, in one conditional write.
   */
  private async compactMinute(
    tenant: string,
    minute: number,
    now: number
  ): Promise<{ results: CompactionResult[]; hours: number[] }> {
    const lock = compactionLockKey(this.opts.prefix, tenant, 'l0', minute);
    const r = await this.withLease(lock, async () => {
      const objs = await this.store.list(`${l0Prefix(this.opts.prefix, tenant)}${minuteDir(minute)}/`);
      const docs = await this.docs(
        tenant,
        objs.flatMap((o) => {
          const t = parseSegmentKey(o.key);
          return t ? hoursOf(t.minTime, t.maxTime) : [];
        })
      );
      const todo = new Map<string, Set<number>>();
      for (const o of objs) {
        const hs = this.uncovered(tenant, o.key, docs);
        if (hs.length > 0) {
          todo.set(o.key, new Set(hs));
        }
      }
      if (todo.size === 0) {
        return { results: [], hours: [] };
      }
      const builders = new Map<number, SegmentBuilder>();
      const sourcesOf = new Map<number, number>();
      const order = [...todo].sort((a, b) => (a[0] < b[0] ? -1 : 1));
      const reads = this.readAhead(order.map(([k]) => k));
      for (const [, hours] of order) {
        const obj = await reads.next();
        this.meter(() => {
          for (const seg of obj.datasets) {
            const maps: SourceMaps = new Map();
            for (let p = 0; p < seg.profSeries.length; p++) {
              const t = seg.profTime[p];
              if (!hours.has(hourOf(t))) {
                continue;
              }
              const win = windowOf(t);
              let b = builders.get(win);
              if (!b) {
                b = new SegmentBuilder(tenant);
                b.level = 1;
                builders.set(win, b);
              }
              b.addFromSegment(seg, p, maps);
            }
          }
        });
      }
      const blocks: Array<{ hour: number; window: [number, number]; key: string; size: number; meta: SegmentMeta }> =
        [];
      for (const [win, b] of [...builders].sort((a, b) => a[0] - b[0])) {
        b.sources = [...todo.keys()].sort();
        const hour = hourOf(win * WINDOW_MS);
        blocks.push({
          hour,
          window: [win * WINDOW_MS, (win + 1) * WINDOW_MS],
          ...(await this.writeBlock(tenant, hour, b)),
        });
        sourcesOf.set(win, b.sources.length);
      }
      await this.opts.onStep?.('written');
      const hours = [...new Set([...todo.values()].flatMap((s) => [...s]))].sort((a, b) => a - b);
      const results: CompactionResult[] = [];
      for (const h of hours) {
        const mine = blocks.filter((b) => b.hour === h);
        const srcs = [...todo].filter(([, hs]) => hs.has(h)).map(([k]) => this.rel(tenant, k));
        try {
          await this.index.update(tenant, h, (d) => {
            if (srcs.some((s) => d.covered[s] !== undefined)) {
              // another compactor (whose lease lapsed) recorded some of them already: its blocks hold them
              throw new IndexUpdateAborted();
            }
            for (const b of mine) {
              addBlock(d, b);
            }
            for (const s of srcs) {
              d.covered[s] = now;
            }
            return true;
          });
        } catch (e) {
          if (!(e instanceof IndexUpdateAborted)) {
            throw e;
          }
          for (const b of mine) {
            await this.store.delete(b.key);
          }
          continue;
        }
        for (const b of mine) {
          results.push({
            tenant,
            hour: h,
            level: 1,
            sources: sourcesOf.get(windowOf(b.window[0])) ?? 0,
            profiles: b.meta.profiles,
            key: b.key,
          });
        }
      }
      await this.opts.onStep?.('indexed');
      this.opts.log?.('compacted level 0', { tenant, minute, sources: todo.size, blocks: blocks.length });
      return { results, hours };
    });
    return r ?? { results: [], hours: [] };
  }

  /** The merges an hour's document calls for now: settled windows with several blocks, or the ended hour. */
  private merges(doc: IndexDoc, now: number): Array<{ level: number; window: [number, number]; keys: string[] }> {
    const hourStart = doc.hour * HOUR_MS;
    const hourEnd = hourStart + HOUR_MS;
    const blocks = doc.blocks;
    if (blocks.length < 2) {
      return [];
    }
    if (now >= hourEnd + (this.opts.hourSettleMs ?? 5 * 60_000)) {
      const top = blocks.filter((b) => b.level >= 3);
      const late = blocks.filter((b) => b.level < 3);
      const due =
        top.length !== 1 ||
        late.length >= LATE_BLOCKS ||
        Math.min(...late.map((b) => b.createdAt)) <= now - LATE_WAIT_MS;
      return due ? [{ level: 3, window: [hourStart, hourEnd], keys: blocks.map((b) => b.key) }] : [];
    }
    const byWindow = new Map<number, string[]>();
    for (const b of blocks) {
      if (b.window[1] - b.window[0] === WINDOW_MS && b.window[1] + (this.opts.windowSettleMs ?? 2 * 60_000) <= now) {
        const k = byWindow.get(b.window[0]) ?? [];
        k.push(b.key);
        byWindow.set(b.window[0], k);
      }
    }
    return [...byWindow]
      .filter(([, keys]) => keys.length > 1)
      .map(([start, keys]) => ({ level: 2, window: [start, start + WINDOW_MS] as [number, number], keys }));
  }

  /** Garbage past the delay, covered sources that are gone, merges; whether nothing is left to do there. */
  private async visitHour(
    tenant: string,
    hour: number,
    l0Keys: Set<string>,
    listedAt: number,
    now: number
  ): Promise<{ results: CompactionResult[]; clean: boolean }> {
    const results: CompactionResult[] = [];
    let doc = await this.index.doc(tenant, hour, 0);
    const due = doc.garbage.filter(([, at]) => at <= now - this.opts.deletionDelayMs).map(([k]) => k);
    for (const k of due) {
      await this.store.delete(k);
      this.stats.objectsDeleted++;
    }
    // covered entries are dropped only once their source is gone (listed after they were recorded)
    let legacyListed: Set<string> | null = null;
    const prune: string[] = [];
    for (const [k, at] of Object.entries(doc.covered)) {
      if (at >= listedAt) {
        continue;
      }
      if (k.startsWith('l0/')) {
        if (!l0Keys.has(k)) {
          prune.push(k);
        }
      } else {
        legacyListed ??= new Set(
          (await this.store.list(legacyPrefix(this.opts.prefix, tenant, hour))).map((o) => this.rel(tenant, o.key))
        );
        if (!legacyListed.has(k)) {
          prune.push(k);
        }
      }
    }
    if (due.length > 0 || prune.length > 0) {
      const dueSet = new Set(due);
      doc = await this.index.update(tenant, hour, (d) => {
        d.garbage = d.garbage.filter(([k]) => !dueSet.has(k));
        for (const k of prune) {
          delete d.covered[k];
        }
        return true;
      });
    }
    for (const m of this.merges(doc, now)) {
      const r = await this.merge(tenant, hour, m.level, m.window, m.keys, now);
      if (r) {
        results.push(r);
        doc = await this.index.doc(tenant, hour, 0);
      }
    }
    const ended = now >= (hour + 1) * HOUR_MS + (this.opts.hourSettleMs ?? 5 * 60_000);
    const clean =
      ended &&
      doc.blocks.length <= 1 &&
      doc.garbage.length === 0 &&
      Object.keys(doc.covered).length === 0 &&
      this.merges(doc, now).length === 0;
    if (clean) {
      await this.deleteOrphans(tenant, hour, doc, now);
    }
    return { results, clean };
  }

  /** Blocks of an hour that no document names: written by a compaction that stopped before its index write. */
  private async deleteOrphans(tenant: string, hour: number, doc: IndexDoc, now: number): Promise<void> {
    const named = new Set([...doc.blocks.map((b) => b.key), ...doc.garbage.map(([k]) => k)]);
    for (const o of await this.store.list(blocksPrefix(this.opts.prefix, tenant, hour))) {
      if (!named.has(o.key) && idTime(o.key) < now - ORPHAN_AGE_MS) {
        await this.store.delete(o.key);
        this.stats.objectsDeleted++;
      }
    }
  }

  /** Merges blocks of an hour into one; the index swaps them for it in one write, and keeps them as garbage. */
  private async merge(
    tenant: string,
    hour: number,
    level: number,
    window: [number, number],
    keys: string[],
    now: number
  ): Promise<CompactionResult | null> {
    return this.withLease(compactionLockKey(this.opts.prefix, tenant, 'hour', hour), async () => {
      const doc = await this.index.doc(tenant, hour, 0);
      const present = new Set(doc.blocks.map((b) => b.key));
      if (!keys.every((k) => present.has(k))) {
        return null;
      }
      const b = new SegmentBuilder(tenant);
      b.level = level;
      b.sources = [...keys].sort();
      let profiles = 0;
      const reads = this.readAhead(b.sources);
      for (let i = 0; i < b.sources.length; i++) {
        const obj = await reads.next();
        profiles += this.meter(() => {
          let n = 0;
          for (const seg of obj.datasets) {
            const maps: SourceMaps = new Map();
            for (let p = 0; p < seg.profSeries.length; p++) {
              b.addFromSegment(seg, p, maps);
              n++;
            }
          }
          return n;
        });
      }
      const written = await this.writeBlock(tenant, hour, b);
      await this.opts.onStep?.('written');
      const gone = new Set(keys);
      try {
        await this.index.update(tenant, hour, (d) => {
          if (d.blocks.filter((x) => gone.has(x.key)).length !== gone.size) {
            throw new IndexUpdateAborted();
          }
          d.blocks = d.blocks.filter((x) => !gone.has(x.key));
          addBlock(d, { ...written, window });
          for (const k of keys) {
            d.garbage.push([k, now]);
          }
          return true;
        });
      } catch (e) {
        if (e instanceof IndexUpdateAborted) {
          await this.store.delete(written.key);
          return null;
        }
        throw e;
      }
      await this.opts.onStep?.('indexed');
      this.opts.log?.('merged', { tenant, hour, level, sources: keys.length, profiles, key: written.key });
      return { tenant, hour, level, sources: keys.length, profiles, key: written.key };
    });
  }

  /**
   * An hour of the layout before storage format 2 becomes one level-3 block; its objects are recorded as held
   * (so readers skip them) and deleted after the delay, like level-0 sources.
   */
  private async migrateLegacy(tenant: string, hour: number, now: number): Promise<CompactionResult | null> {
    return this.withLease(compactionLockKey(this.opts.prefix, tenant, 'legacy', hour), async () => {
      const refs = await this.catalog.legacyHour(tenant, hour);
      let doc = await this.index.doc(tenant, hour, 0);
      const todo = refs.filter((r) => doc.covered[this.rel(tenant, r.key)] === undefined);
      if (todo.length === 0) {
        const old = refs.filter(
          (r) => (doc.covered[this.rel(tenant, r.key)] ?? Infinity) <= now - this.opts.deletionDelayMs
        );
        for (const r of old) {
          await this.store.delete(r.key);
          this.stats.objectsDeleted++;
        }
        return null;
      }
      const b = new SegmentBuilder(tenant);
      b.level = 3;
      b.sources = todo.map((r) => r.key).sort();
      let profiles = 0;
      for (const r of todo.filter((x) => !x.replaced)) {
        let obj: DecodedObject;
        try {
          obj = await this.read(r.key);
        } catch (e) {
          if (e instanceof NotFoundError) {
            return null;
          }
          throw e;
        }
        profiles += this.meter(() => {
          let n = 0;
          for (const seg of obj.datasets) {
            const maps: SourceMaps = new Map();
            for (let p = 0; p < seg.profSeries.length; p++) {
              b.addFromSegment(seg, p, maps);
              n++;
            }
          }
          return n;
        });
      }
      const written = b.profileCount > 0 ? await this.writeBlock(tenant, hour, b) : null;
      await this.opts.onStep?.('written');
      const srcs = todo.map((r) => this.rel(tenant, r.key));
      try {
        doc = await this.index.update(tenant, hour, (d) => {
          if (srcs.some((s) => d.covered[s] !== undefined)) {
            throw new IndexUpdateAborted();
          }
          if (written) {
            addBlock(d, { ...written, window: [hour * HOUR_MS, (hour + 1) * HOUR_MS] });
          }
          for (const s of srcs) {
            d.covered[s] = now;
          }
          return true;
        });
      } catch (e) {
        if (e instanceof IndexUpdateAborted) {
          if (written) {
            await this.store.delete(written.key);
          }
          return null;
        }
        throw e;
      }
      await this.opts.onStep?.('indexed');
      this.opts.log?.('moved objects of the old layout', { tenant, hour, sources: todo.length, profiles });
      return written ? { tenant, hour, level: 3, sources: todo.length, profiles, key: written.key } : null;
    });
  }

  /** Retention: whole hours (documents, blocks) and level-0 segments whose newest profile is past the period. */
  private async expire(tenant: string, now: number): Promise<void> {
    const cutoff = now - this.opts.retentionMs;
    for (const o of await this.store.list(indexPrefix(this.opts.prefix, tenant))) {
      const m = /\/(\d+)\.json$/.exec(o.key);
      const hour = m ? Number(m[1]) : NaN;
      if (!Number.isFinite(hour) || (hour + 1) * HOUR_MS > cutoff) {
        continue;
      }
      for (const b of await this.store.list(blocksPrefix(this.opts.prefix, tenant, hour))) {
        await this.store.delete(b.key);
      }
      await this.store.delete(indexKey(this.opts.prefix, tenant, hour));
    }
    for (const o of await this.store.list(l0Prefix(this.opts.prefix, tenant))) {
      const t = parseSegmentKey(o.key);
      if (t && t.maxTime < cutoff && l0MinuteOf(o.key) * MINUTE_MS < cutoff) {
        await this.store.delete(o.key);
      }
    }
    for (const o of await this.store.list(legacyPrefix(this.opts.prefix, tenant))) {
      const t = parseSegmentKey(o.key);
      if (t && t.maxTime < cutoff) {
        await this.store.delete(o.key);
      }
    }
  }
}
