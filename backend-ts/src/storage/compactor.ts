// Compaction: level-0 segments (one per write batch, by write-time minute) become level-1 blocks within a minute
// or two of being written, whatever the hour; the blocks of a ten-minute window of profile time merge into one
// level-2 block once the window has settled, and an hour's blocks into one level-3 block once it has ended.
// Late data is just a new level-0 segment: its level-1 block lands in its own window and is merged again.
// The index (index.ts) is the record of what is live: a block enters an hour's document in the same conditional
// write that records the sources it holds for that hour, and a merge swaps its sources for its block in one
// write. So a compaction stopped at any step leaves the store readable and counts nothing twice: before that
// write nothing changed for readers; after it they read the block and skip the sources. Sources are deleted only
// after the deletion delay (longer than the query timeout): a query planned before the swap still finds them,
// and a query whose object did vanish runs again from a fresh plan. Leases keep one worker per window across
// processes; the conditional writes keep the index right even when a lease lapsed.
import { SegmentBuilder, SourceMaps } from './format/builder.js';
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
import { mapLimit } from './segmentReader.js';
import { cpuSecondsNow } from './threadCpu.js';

export type CompactionStep = 'locked' | 'written' | 'indexed' | 'deleting';

export interface CompactorOptions {
  prefix: string;
  /** Delete data whose newest profile is older than this; 0 = keep forever. */
  retentionMs: number;
  /** How long a source outlives the index write that replaced it (longer than the query timeout). */
  deletionDelayMs: number;
  /**
   * A level-0 minute folder is compacted this long after the minute ended (default 5 s). A write still in flight
   * then lands as a segment the next pass compacts into a block of its own: nothing waits for it.
   */
  l0SettleMs?: number;
  /**
   * The watermark passes a minute only this long after it ended (default 30 s): readers stop listing a folder
   * there, so every write named in it must have landed (and been compacted) by then.
   */
  watermarkSettleMs?: number;
  /** A ten-minute window's blocks merge this long after it ended; an hour's likewise (hourSettleMs). */
  windowSettleMs?: number;
  hourSettleMs?: number;
  lockTtlMs?: number;
  /** Level-0 segments per step of a minute's compaction (default SOURCES_PER_STEP). */
  maxSourcesPerStep?: number;
  /**
   * A minute folder still open (or not settled) is compacted early once it holds this many segments the index
   * does not hold yet (default EARLY_SOURCES; 0 = never, wait for the minute to settle).
   */
  earlySources?: number;
  /** A ten-minute window not settled yet has its level-1 blocks merged once this many wait (default EARLY_BLOCKS). */
  earlyBlocks?: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** Every level-0 compaction's lag, by where the time went (metrics). */
  observe?: (lag: LagSample) => void;
  /** Test hook: called between the steps of a compaction, to crash or stall it there. */
  onStep?: (step: CompactionStep) => Promise<void> | void;
  now?: () => number;
}

/**
 * Where a level-0 segment's time went between its write and the index write that made a block of it, for the
 * oldest segment of one compaction (ms). `minute`: its minute folder closing plus the settle period; `schedule`:
 * waiting for a pass to start after that (the interval, or a pass still busy); `queue`: the pass's earlier work
 * (listing, other minutes); `work`: the compaction itself (lease, reads, merge, block, index).
 */
export interface LagSample {
  tenant: string;
  minute: number;
  sources: number;
  stages: { minute: number; schedule: number; queue: number; work: number };
  /** Age of every source of the compaction when the index recorded it (ms). */
  sourceAgesMs: number[];
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
  /** Age of the oldest level-0 segment the index did not hold yet, at the end of the last level-0 pass (ms). */
  lagMs: number;
  passes: number;
  level0Passes: number;
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
/**
 * Sources up to this size (level-0 segments, mostly) are fetched with one ranged GET of their listed size and
 * more of them at once: a whole-blob download asks for the blob's properties first, a second round trip per
 * segment, and a compaction of a busy minute reads thousands of them.
 */
const SMALL_SOURCE_BYTES = 1 << 20;
const SMALL_READ_AHEAD = 32;
/**
 * Level-0 segments merged into one set of blocks and one index write: a backlog (a minute holding thousands)
 * is worked off in steps that each land in the index, so readers and the lag see progress and a stopped pass
 * loses at most one step.
 */
const SOURCES_PER_STEP = 500;
/**
 * A busy minute is compacted in steps before it ends (Pyroscope v2 compacts 20 segments or 36 s): otherwise a
 * reader reads every segment of the last 5-65 s one by one (hundreds at 20 requests/s). The level-0 loop comes
 * back every EARLY_EVERY_MS to look.
 */
const EARLY_SOURCES = 20;
const EARLY_EVERY_MS = 10_000;
/**
 * Early steps leave a window several level-1 blocks a minute; a reader pays a request for each, so a window
 * still open merges them (into one level-2 block) once this many wait, and all of them again once it settled.
 */
const EARLY_BLOCKS = 8;
/** Deletions in flight at once. */
const DELETE_CONCURRENCY = 8;
/** From the watermark to now, up to this many minute folders are listed one by one (else the folder list first). */
const PROBE_MINUTES = 10;

/** The one ten-minute window all these profile times fall in, when it is in `hours`; else null. */
function oneWindow(times: Float64Array, hours: ReadonlySet<number>): number | null {
  if (times.length === 0) {
    return null;
  }
  const win = windowOf(times[0]);
  for (let i = 1; i < times.length; i++) {
    if (windowOf(times[i]) !== win) {
      return null;
    }
  }
  return hours.has(hourOf(times[0])) ? win : null;
}

/**
 * Marks an hour for compactors to visit; whether the head changed. An hour already marked that has not ended
 * keeps its counter: visitors clear only an hour that ended (plus the settle), so a counter bumped for every
 * early step would only cost head writes (several a minute at any load).
 */
function markDirty(d: { dirty: Record<string, number> }, h: number, now: number): boolean {
  if (d.dirty[h] !== undefined && now < (h + 1) * HOUR_MS) {
    return false;
  }
  d.dirty[h] = (d.dirty[h] ?? 0) + 1;
  return true;
}

export class Compactor {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly active = new Set<Promise<unknown>>();
  private stopped = true;
  private lastRetention = 0;
  readonly stats: CompactorStats = {
    cpuSeconds: 0,
    lagMs: 0,
    passes: 0,
    level0Passes: 0,
    blocksWritten: 0,
    objectsDeleted: 0,
  };
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

  private get l0SettleMs(): number {
    return this.opts.l0SettleMs ?? 5_000;
  }

  private get earlySources(): number {
    return this.opts.earlySources ?? EARLY_SOURCES;
  }

  private get watermarkSettleMs(): number {
    return this.opts.watermarkSettleMs ?? 30_000;
  }

  /**
   * Runs synchronous compaction work and counts its CPU time: decoding sources, merging them and encoding the
   * block, and the index documents' JSON. The main thread's time (threadCpu.ts), not the process's: the decode
   * workers go on meanwhile. The store round trips it waits for are not counted (other work runs on the thread
   * meanwhile, so a count around an await would count that work too).
   */
  private meter<T>(fn: () => T): T {
    const c0 = cpuSecondsNow();
    try {
      return fn();
    } finally {
      this.stats.cpuSeconds += cpuSecondsNow() - c0;
    }
  }

  /**
   * Two loops that never wait for each other: level 0 (the newest minute folders into blocks, the watermark)
   * every interval and right after each minute settles; and the full pass (all of level 0, so stragglers too,
   * then deletions, merges of hours, retention) every interval. A long merge of an ended hour or thousands of
   * deletions thus never hold up the newest data.
   */
  start(intervalMs: number): void {
    this.stopped = false;
    this.loop(
      () => this.runLevel0(),
      () => {
        const now = this.now();
        const due = (minuteOf(now - this.l0SettleMs) + 1) * MINUTE_MS + this.l0SettleMs - now;
        const every = this.earlySources > 0 ? Math.min(intervalMs, EARLY_EVERY_MS) : intervalMs;
        return Math.min(every, due > 0 ? due + 50 : every);
      }
    );
    this.loop(
      () => this.runOnce(),
      () => intervalMs
    );
  }

  private loop(run: () => Promise<unknown>, delay: () => number): void {
    const next = () => {
      if (this.stopped) {
        return;
      }
      const t = setTimeout(() => {
        this.timers.delete(t);
        const p: Promise<unknown> = run()
          .catch((e) => this.opts.log?.('compaction failed', { err: (e as Error).message }))
          .finally(() => {
            this.active.delete(p);
            next();
          });
        this.active.add(p);
      }, delay());
      t.unref();
      this.timers.add(t);
    };
    next();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) {
      clearTimeout(t);
    }
    this.timers.clear();
    await Promise.all([...this.active]);
  }

  /** Level 0 only, over the minute folders from each tenant's watermark on. */
  async runLevel0(now = this.now()): Promise<CompactionResult[]> {
    const done: CompactionResult[] = [];
    let lag = 0;
    for (const tenant of await this.store.listPrefixes(this.opts.prefix)) {
      const r = await this.level0(tenant, now, 'recent');
      done.push(...r.results);
      lag = Math.max(lag, r.lagMs);
    }
    this.stats.lagMs = lag;
    this.stats.level0Passes++;
    return done;
  }

  /** One full pass over every tenant: level 0 (every folder), deletions, merges, the old layout, retention. */
  async runOnce(now = this.now()): Promise<CompactionResult[]> {
    const done: CompactionResult[] = [];
    let lag = 0;
    for (const tenant of await this.store.listPrefixes(this.opts.prefix)) {
      const r = await this.level0(tenant, now, 'all');
      done.push(...r.results);
      lag = Math.max(lag, r.lagMs);
      // its own clock: the level-0 step above recorded its sources at its end
      done.push(...(await this.housekeep(tenant, r.l0, r.listedAt, Math.max(now, this.now()))));
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

  /** Level-0 segments in the minute folders from `w` on (a writer whose clock runs ahead: one minute more). */
  private async l0From(tenant: string, w: number, now: number): Promise<ObjectInfo[]> {
    const base = l0Prefix(this.opts.prefix, tenant);
    const last = minuteOf(now) + 1;
    let minutes: number[];
    if (w > 0 && last - w < PROBE_MINUTES) {
      minutes = Array.from({ length: last - w + 1 }, (_, i) => w + i);
    } else {
      minutes = (await this.store.listPrefixes(base)).map(Number).filter((m) => Number.isFinite(m) && m >= w);
    }
    const lists = await mapLimit(minutes, 4, (m) => this.store.list(`${base}${minuteDir(m)}/`));
    return lists.flat();
  }

  /**
   * Level 0: every settled minute holding a segment that is not in the index yet becomes blocks, then the
   * watermark moves on. `recent` lists only the folders from the watermark on (the level-0 loop); `all` lists
   * every folder (the full pass: a writer whose clock lagged can leave a segment below the watermark).
   */
  private async level0(
    tenant: string,
    now: number,
    scope: 'recent' | 'all'
  ): Promise<{ results: CompactionResult[]; lagMs: number; l0: ObjectInfo[]; listedAt: number }> {
    const results: CompactionResult[] = [];
    const touched = new Set<number>();
    const listedAt = this.now();
    const l0 =
      scope === 'all'
        ? await this.store.list(l0Prefix(this.opts.prefix, tenant))
        : await this.l0From(tenant, (await this.index.headDoc(tenant, 0)).w, now);
    const spans = (objs: ObjectInfo[]) =>
      objs.flatMap((o) => {
        const t = parseSegmentKey(o.key);
        return t ? hoursOf(t.minTime, t.maxTime) : [];
      });
    let docs = await this.docs(tenant, spans(l0));

    // settled minutes with anything to do, and open ones (the newest) that gathered enough segments for a step
    const settled = minuteOf(now - this.l0SettleMs) - 1;
    const waiting = new Map<number, number>();
    for (const o of l0) {
      if (this.uncovered(tenant, o.key, docs).length > 0) {
        const m = l0MinuteOf(o.key);
        waiting.set(m, (waiting.get(m) ?? 0) + 1);
      }
    }
    const minutes = [...waiting]
      .filter(([m, n]) => m <= settled || (this.earlySources > 0 && n >= this.earlySources))
      .map(([m]) => m);
    for (const m of minutes.sort((a, b) => a - b)) {
      const r = await this.compactMinute(tenant, m, listedAt);
      results.push(...r.results);
      for (const h of r.hours) {
        touched.add(h);
      }
    }
    if (minutes.length > 0) {
      docs = await this.docs(tenant, spans(l0));
    }

    // the watermark: the first minute with a segment not yet in the index (or the first unsettled one), never
    // past the pass's own minute: a writer still names objects in it
    let w = Math.min(minuteOf(now - this.watermarkSettleMs), minuteOf(now));
    let lagMs = 0;
    const end = this.now();
    for (const o of l0) {
      if (this.uncovered(tenant, o.key, docs).length > 0) {
        w = Math.min(w, l0MinuteOf(o.key));
        lagMs = Math.max(lagMs, end - idTime(o.key));
      }
    }
    // the head: watermark, and the hours the blocks went to bumped again after their documents were written (a
    // visitor that read a document before them must not take the hour for clean)
    await this.index.updateHead(tenant, (d) => {
      let changed = false;
      if (w > d.w) {
        d.w = w;
        changed = true;
      }
      for (const h of touched) {
        changed = markDirty(d, h, end) || changed;
      }
      return changed;
    });
    return { results, lagMs, l0, listedAt };
  }

  /**
   * Sources every hour of which a block holds, past the deletion delay; objects of the old layout; every hour
   * still to visit (garbage, covered entries of deleted sources, merges).
   */
  private async housekeep(
    tenant: string,
    listed: ObjectInfo[],
    listedAt: number,
    now: number
  ): Promise<CompactionResult[]> {
    const results: CompactionResult[] = [];
    const touched = new Set<number>();
    const docs = await this.docs(
      tenant,
      listed.flatMap((o) => {
        const t = parseSegmentKey(o.key);
        return t ? hoursOf(t.minTime, t.maxTime) : [];
      })
    );
    const due = listed.filter((o) => {
      const t = parseSegmentKey(o.key);
      if (!t) {
        return false;
      }
      const rel = this.rel(tenant, o.key);
      return hoursOf(t.minTime, t.maxTime).every((h) => {
        const at = docs.get(h)?.covered[rel];
        return at !== undefined && at <= now - this.opts.deletionDelayMs;
      });
    });
    if (due.length > 0) {
      await this.store.delete(due[0].key);
      this.stats.objectsDeleted++;
      await this.opts.onStep?.('deleting');
      await mapLimit(due.slice(1), DELETE_CONCURRENCY, async (o) => {
        await this.store.delete(o.key);
        this.stats.objectsDeleted++;
      });
    }
    const gone = new Set(due.map((o) => o.key));
    const l0Keys = new Set(listed.filter((o) => !gone.has(o.key)).map((o) => this.rel(tenant, o.key)));

    // objects of the layout before storage format 2 move into blocks
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
    head = await this.index.updateHead(tenant, (d) => {
      for (const h of touched) {
        d.dirty[h] = (d.dirty[h] ?? 0) + 1;
      }
      return touched.size > 0;
    });

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
    return results;
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
  private readAhead(keys: string[], sizes?: ReadonlyMap<string, number>): { next(): Promise<DecodedObject> } {
    const raws: Array<Promise<Buffer>> = [];
    let started = 0;
    let taken = 0;
    const sizeOf = (k: string) => sizes?.get(k) ?? 0;
    const small = (k: string) => sizeOf(k) > 0 && sizeOf(k) <= SMALL_SOURCE_BYTES;
    const ahead = keys.every(small) ? SMALL_READ_AHEAD : READ_AHEAD;
    const fetch = (k: string): Promise<Buffer> =>
      this.store.kind === 'azure' && small(k) ? this.store.getRange(k, 0, sizeOf(k)) : this.store.get(k);
    const fill = () => {
      while (started < keys.length && started < taken + ahead) {
        const p = fetch(keys[started++]);
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
   * and the sources they hold for it, in one conditional write. A folder holding more than SOURCES_PER_STEP such
   * segments is done in steps, oldest first.
   */
  private async compactMinute(
    tenant: string,
    minute: number,
    passStart: number
  ): Promise<{ results: CompactionResult[]; hours: number[] }> {
    const lock = compactionLockKey(this.opts.prefix, tenant, 'l0', minute);
    const r = await this.withLease(lock, async () => {
      const startedAt = this.now();
      const objs = await this.store.list(`${l0Prefix(this.opts.prefix, tenant)}${minuteDir(minute)}/`);
      const docs = await this.docs(
        tenant,
        objs.flatMap((o) => {
          const t = parseSegmentKey(o.key);
          return t ? hoursOf(t.minTime, t.maxTime) : [];
        })
      );
      const todo: Array<[string, Set<number>]> = [];
      for (const o of objs) {
        const hs = this.uncovered(tenant, o.key, docs);
        if (hs.length > 0) {
          todo.push([o.key, new Set(hs)]);
        }
      }
      todo.sort((a, b) => (a[0] < b[0] ? -1 : 1));
      const sizes = new Map(objs.map((o) => [o.key, o.size]));
      const results: CompactionResult[] = [];
      const hours = new Set<number>();
      let stepStart = startedAt;
      const per = Math.max(1, this.opts.maxSourcesPerStep ?? SOURCES_PER_STEP);
      for (let i = 0; i < todo.length; i += per) {
        const step = todo.slice(i, i + per);
        const r = await this.compactStep(tenant, step, sizes);
        results.push(...r.results);
        for (const h of r.hours) {
          hours.add(h);
        }
        this.observeLag(tenant, minute, step, { passStart, startedAt: stepStart, indexedAt: r.indexedAt });
        stepStart = this.now();
      }
      if (todo.length > 0) {
        this.opts.log?.('compacted level 0', {
          tenant,
          minute,
          sources: todo.length,
          blocks: results.length,
          ms: this.now() - startedAt,
        });
      }
      return { results, hours: [...hours].sort((a, b) => a - b) };
    });
    return r ?? { results: [], hours: [] };
  }

  private observeLag(
    tenant: string,
    minute: number,
    sources: Array<[string, Set<number>]>,
    at: { passStart: number; startedAt: number; indexedAt: number }
  ): void {
    if (!this.opts.observe || sources.length === 0) {
      return;
    }
    const written = Math.min(...sources.map(([k]) => idTime(k)));
    // a settled minute is due once it settled; a step of an open one when the pass that took it began
    const due = Math.min(
      Math.max(written, (minute + 1) * MINUTE_MS + this.l0SettleMs),
      Math.max(written, at.passStart)
    );
    const picked = Math.max(due, at.passStart);
    const started = Math.max(picked, at.startedAt);
    this.opts.observe({
      tenant,
      minute,
      sources: sources.length,
      stages: {
        minute: due - written,
        schedule: picked - due,
        queue: started - picked,
        work: Math.max(0, at.indexedAt - started),
      },
      sourceAgesMs: sources.map(([k]) => Math.max(0, at.indexedAt - idTime(k))),
    });
  }

  /** One step of a minute: its sources' blocks written, the hours they go to marked first, then indexed. */
  private async compactStep(
    tenant: string,
    todo: Array<[string, Set<number>]>,
    sizes: ReadonlyMap<string, number>
  ): Promise<{ results: CompactionResult[]; hours: number[]; indexedAt: number }> {
    const hours = [...new Set(todo.flatMap(([, s]) => [...s]))].sort((a, b) => a - b);
    // the hours about to change are marked first: a pass that stops after its index write still leaves them for
    // a later pass to merge (one head write per step, by the lease holder only)
    const markedAt = this.now();
    await this.index.updateHead(tenant, (d) => {
      let changed = false;
      for (const h of hours) {
        changed = markDirty(d, h, markedAt) || changed;
      }
      return changed;
    });
    const builders = new Map<number, SegmentBuilder>();
    const reads = this.readAhead(
      todo.map(([k]) => k),
      sizes
    );
    for (const [, inHours] of todo) {
      const obj = await reads.next();
      this.meter(() => {
        const builder = (win: number): SegmentBuilder => {
          let b = builders.get(win);
          if (!b) {
            b = new SegmentBuilder(tenant);
            b.level = 1;
            builders.set(win, b);
          }
          return b;
        };
        for (const seg of obj.datasets) {
          const win = oneWindow(seg.profTime, inHours);
          if (win !== null) {
            builder(win).addDataset(seg);
            continue;
          }
          const maps = new SourceMaps();
          for (let p = 0; p < seg.profSeries.length; p++) {
            const t = seg.profTime[p];
            if (inHours.has(hourOf(t))) {
              builder(windowOf(t)).addFromSegment(seg, p, maps);
            }
          }
        }
      });
    }
    const sources = todo.map(([k]) => k).sort();
    const blocks: Array<{ hour: number; window: [number, number]; key: string; size: number; meta: SegmentMeta }> = [];
    for (const [win, b] of [...builders].sort((a, b) => a[0] - b[0])) {
      b.sources = sources;
      const hour = hourOf(win * WINDOW_MS);
      blocks.push({
        hour,
        window: [win * WINDOW_MS, (win + 1) * WINDOW_MS],
        ...(await this.writeBlock(tenant, hour, b)),
      });
    }
    await this.opts.onStep?.('written');
    const results: CompactionResult[] = [];
    for (const h of hours) {
      const mine = blocks.filter((b) => b.hour === h);
      const srcs = todo.filter(([, hs]) => hs.has(h)).map(([k]) => this.rel(tenant, k));
      try {
        await this.index.update(tenant, h, (d) => {
          if (srcs.some((s) => d.covered[s] !== undefined)) {
            // another compactor (whose lease lapsed) recorded some of them already: its blocks hold them
            throw new IndexUpdateAborted();
          }
          for (const b of mine) {
            addBlock(d, b);
          }
          // recorded when written, after the sources were listed: a pass that lists level 0 later and misses
          // one of them knows it is gone (covered entries are dropped only then)
          const at = this.now();
          for (const s of srcs) {
            d.covered[s] = at;
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
        results.push({ tenant, hour: h, level: 1, sources: sources.length, profiles: b.meta.profiles, key: b.key });
      }
    }
    await this.opts.onStep?.('indexed');
    return { results, hours, indexedAt: this.now() };
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
    const openL1 = new Map<number, string[]>();
    for (const b of blocks) {
      if (b.window[1] - b.window[0] !== WINDOW_MS) {
        continue;
      }
      const into =
        b.window[1] + (this.opts.windowSettleMs ?? 2 * 60_000) <= now ? byWindow : b.level === 1 ? openL1 : null;
      if (into) {
        const k = into.get(b.window[0]) ?? [];
        k.push(b.key);
        into.set(b.window[0], k);
      }
    }
    const early = this.opts.earlyBlocks ?? EARLY_BLOCKS;
    return [
      ...[...byWindow].filter(([, keys]) => keys.length > 1),
      ...(early > 1 ? [...openL1].filter(([, keys]) => keys.length >= early) : []),
    ].map(([start, keys]) => ({ level: 2, window: [start, start + WINDOW_MS] as [number, number], keys }));
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
      const reads = this.readAhead(b.sources, new Map(doc.blocks.map((e) => [e.key, e.size])));
      for (let i = 0; i < b.sources.length; i++) {
        const obj = await reads.next();
        profiles += this.meter(() => {
          let n = 0;
          for (const seg of obj.datasets) {
            b.addDataset(seg);
            n += seg.profSeries.length;
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
            b.addDataset(seg);
            n += seg.profSeries.length;
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
