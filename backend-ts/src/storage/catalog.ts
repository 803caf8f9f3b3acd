// Which objects hold a tenant's profiles of a time range: the blocks the index documents of its hours name (with
// their metas, so no header is read), the level-0 segments the index does not hold yet (a listing of only the
// minute folders from the watermark on: what replicas acknowledged a moment ago), and objects of the layout
// before storage format 2 until compaction has moved them into blocks. A query reads each object once per hour
// it plans it for (SegmentRef.hour), so a level-0 segment already in the index for one hour and not yet for the
// next is read for the second only.
import { LRUCache } from 'lru-cache';
import { RecentCalls } from './recentCalls.js';
import { hoursOf, metaOfEntry, type IndexDoc, type IndexStore } from './index.js';
import {
  HOUR_MS,
  indexPrefix,
  l0Prefix,
  legacyPrefix,
  MINUTE_MS,
  minuteDir,
  minuteOf,
  parseSegmentKey,
} from './keys.js';
import type { ObjectInfo, ObjectStore } from './objectStore.js';
import { mapLimit, READ_CONCURRENCY, type SegmentReader, type SegmentRef } from './segmentReader.js';

/** From the watermark to now, up to this many minute folders are listed one by one (else the folder list first). */
const PROBE_MINUTES = 10;
/**
 * How old a head a query may use. An older head only has an older watermark (more minute folders listed, whose
 * compacted segments the documents, read after it, skip): never less data. So queries need not read the one
 * blob every query of a tenant shares each time (Azure takes ~500 requests/s per blob). Hour documents read
 * after the head are reused as long (see objects()): safe while sources outlive the index write that replaced
 * them by more than this, which the deletion delay (at least the query timeout + 30 s) makes sure of.
 */
export const HEAD_MAX_AGE_MS = 1000;
/**
 * How old a head a query uses without waiting for it to be read again (which it then is, for the next query): the
 * watermark is all a query takes from it, and an older one costs at most a folder more to list (one that is
 * final by then, whose listing is kept), never data, while the documents are still read after it. The head read
 * and the document reads after it were two round trips in a row on every query past HEAD_MAX_AGE_MS.
 */
export const HEAD_REUSE_MS = 10_000;

/**
 * A minute folder this long past its end gets no new segment (a write names its folder when it starts and
 * lands within the store timeout; the compactor's watermark waits as long), so its listing is kept and reused:
 * a query lists only the newest folders afresh. Compaction then only removes objects from it, which the index
 * documents (read fresh) mark as covered first; a query whose planned object vanished runs again on a fresh listing.
 */
const FINAL_LISTING_MS = 30_000;
/**
 * A query may use a listing of a minute folder that another query began at most this long ago: it holds every
 * object stored before it began, so every profile acknowledged a second before the query is still in the answer.
 */
const JOIN_LISTING_MS = 250;

export interface CatalogStats {
  listings: number;
  docReads: number;
}

/** Listings of minute folders begun before a query knew its head: when each began, and its promise. */
type EarlyListings = Map<number, { at: number; p: Promise<ObjectInfo[]> }>;

export class Catalog {
  readonly stats: CatalogStats = { listings: 0, docReads: 0 };
  /** Listings of minute folders past FINAL_LISTING_MS, by tenant and minute. */
  private readonly finalListings = new LRUCache<string, ObjectInfo[]>({ max: 256 });
  /** Listings in flight, by prefix, with when they began. */
  private readonly listing = new RecentCalls<ObjectInfo[]>(JOIN_LISTING_MS);

  constructor(
    private readonly store: ObjectStore,
    private readonly prefix: string,
    private readonly index: IndexStore,
    private readonly reader: SegmentReader,
    private readonly now: () => number = Date.now
  ) {}

  /**
   * This process stored the level-0 segment `key`: a listing of its folder in flight (begun before the object
   * landed, maybe) is not joined any more, so a profile this process acknowledged is in every answer it gives
   * afterwards.
   */
  stored(key: string): void {
    this.listing.forget(key.slice(0, key.lastIndexOf('/') + 1));
  }

  /** A key relative to the tenant's folder, as the index records covered sources. */
  relKey(tenant: string, key: string): string {
    return key.slice(this.prefix.length + tenant.length + 1);
  }

  /**
   * A listing and when it began; `join`: one of the same folder begun at most JOIN_LISTING_MS ago and not ended
   * yet will do.
   */
  private list(prefix: string, join = false): { at: number; p: Promise<ObjectInfo[]> } {
    return this.listing.start(prefix, this.now(), join, () => {
      this.stats.listings++;
      return this.store.list(prefix);
    });
  }

  /**
   * Level-0 segments in minute folders from `w` on (every earlier one is in the index). `fresh`: every folder
   * listed now (a re-plan), not from the listings kept of final folders.
   */
  async l0Since(tenant: string, w: number, fresh = false, early?: EarlyListings): Promise<ObjectInfo[]> {
    const base = l0Prefix(this.prefix, tenant);
    // a replica whose clock runs ahead writes into a later folder: one more minute is listed
    const last = minuteOf(this.now()) + 1;
    let minutes: number[];
    if (w > 0 && last - w < PROBE_MINUTES) {
      minutes = [];
      for (let m = Math.max(w, 0); m <= last; m++) {
        minutes.push(m);
      }
    } else {
      this.stats.listings++;
      minutes = (await this.store.listPrefixes(base)).map(Number).filter((m) => Number.isFinite(m) && m >= w);
    }
    const lists = await mapLimit(minutes, READ_CONCURRENCY, async (m) => {
      const k = `${tenant}/${m}`;
      const kept = fresh ? undefined : this.finalListings.get(k);
      if (kept) {
        return kept;
      }
      // queries that start together share a listing begun a moment ago; a re-plan lists afresh
      const begun = early?.get(m) ?? this.list(`${base}${minuteDir(m)}/`, !fresh);
      // final only if the listing began after the folder became final
      const final = begun.at >= (m + 1) * MINUTE_MS + FINAL_LISTING_MS;
      const listed = await begun.p;
      if (final) {
        this.finalListings.set(k, listed);
      }
      return listed;
    });
    return lists.flat();
  }

  /**
   * The newest minute folders (from the minute before, or the last watermark seen, to the next), listed before
   * the head is known: the watermark lags the newest segments by 30-90 s, so a query lists these whatever the
   * head says, and listing them meanwhile takes a round trip off every query. Each listing begins at most
   * JOIN_LISTING_MS before its query, so it holds every object acknowledged a second before (and this process's
   * own, see stored()); the watermark only grows, so none below
   * the last one seen is needed. Before any head was seen (a new process, a store without compaction), none.
   */
  private l0Early(tenant: string): EarlyListings {
    const base = l0Prefix(this.prefix, tenant);
    const early: EarlyListings = new Map();
    const w = this.index.knownWatermark(tenant);
    if (w <= 0) {
      return early;
    }
    const now = this.now();
    for (let m = Math.max(w, minuteOf(now) - 1); m <= minuteOf(now) + 1; m++) {
      if (this.finalListings.has(`${tenant}/${m}`)) {
        continue;
      }
      const listed = this.list(`${base}${minuteDir(m)}/`, true);
      // a listing failure fails the query that uses it (as a listing after the head would), not the process
      listed.p.catch(() => undefined);
      early.set(m, listed);
    }
    return early;
  }

  /** Hours of the old layout that still hold objects. */
  async legacyHours(tenant: string): Promise<number[]> {
    this.stats.listings++;
    const dirs = await this.store.listPrefixes(legacyPrefix(this.prefix, tenant));
    return dirs.map(Number).filter((h) => Number.isFinite(h));
  }

  /**
   * The live objects of one hour of the old layout: its segments and blocks minus the objects a block lists as
   * its sources (left behind by a compaction of that layout that stopped before deleting them).
   */
  async legacyHour(tenant: string, hour: number): Promise<Array<SegmentRef & { replaced: boolean }>> {
    const listed = await this.list(legacyPrefix(this.prefix, tenant, hour)).p;
    const refs: Array<SegmentRef & { replaced: boolean }> = [];
    for (const o of listed) {
      const t = parseSegmentKey(o.key);
      if (t) {
        refs.push({ key: o.key, size: o.size, ...t, hour, replaced: false });
      }
    }
    const replaced = new Set<string>();
    for (const b of refs.filter((r) => r.block)) {
      for (const src of (await this.reader.meta(b.key)).sources ?? []) {
        replaced.add(src);
      }
    }
    for (const r of refs) {
      r.replaced = replaced.has(r.key);
    }
    return refs;
  }

  /**
   * The objects of [start, end] (ms, inclusive), grouped by hour. Index documents younger than
   * `docMaxAgeMs(hour)` are used from the cache; the head is read first unless one read at most HEAD_REUSE_MS ago
   * is at hand, the documents after it, the level-0 listing always fresh. `fresh`: everything read afresh (a
   * query one of whose objects vanished).
   */
  async objects(
    tenant: string,
    start: number,
    end: number,
    docMaxAgeMs: (hour: number) => number = () => 0,
    fresh = false
  ): Promise<SegmentRef[]> {
    const { indexed, newest } = await this.objectsStaged(tenant, start, end, docMaxAgeMs, fresh);
    return byHourAndKey([...indexed, ...(await newest)]);
  }

  /**
   * objects() in two parts: the blocks the index documents name, as soon as the documents are in (a warm query:
   * at once), and the level-0 segments they do not hold yet, once the newest minute folders are listed (the one
   * round trip a warm query waits for). A query merges the first while the listing is in flight.
   */
  async objectsStaged(
    tenant: string,
    start: number,
    end: number,
    docMaxAgeMs: (hour: number) => number = () => 0,
    fresh = false
  ): Promise<{ indexed: SegmentRef[]; newest: Promise<SegmentRef[]> }> {
    const hours = hoursOf(start, end);
    const early = fresh ? undefined : this.l0Early(tenant);
    // the head before the documents: a watermark newer than a document could skip segments it does not hold yet
    const { head, doneAt } =
      (fresh ? null : this.index.recentHead(tenant, HEAD_REUSE_MS, HEAD_MAX_AGE_MS)) ??
      (await this.index.headRead(tenant, fresh ? 0 : HEAD_MAX_AGE_MS));
    // documents and listings only need to start after the head: together, they cost one round trip, not two.
    // A document read after this head (up to a second ago, like the head) will do: it holds every block of the
    // segments below the head's watermark, and is consistent in itself (a segment it does not record as held is
    // read from level 0, where it stays for the deletion delay), so only the listing must be fresh
    const l0 = this.l0Since(tenant, head.w, fresh, early);
    const legacy = head.legacyDone ? Promise.resolve([] as number[]) : this.legacyHours(tenant);
    // awaited below, after the documents; a failure is the query's, reported there
    l0.catch(() => undefined);
    legacy.catch(() => undefined);
    const docs = await mapLimit(hours, READ_CONCURRENCY, (h) => {
      if (fresh) {
        return this.index.doc(tenant, h, 0);
      }
      // a settled hour changes no more (nothing that old is accepted): its own, longer reuse
      const settled = docMaxAgeMs(h);
      return settled > 0
        ? this.index.doc(tenant, h, settled, true)
        : this.index.doc(tenant, h, HEAD_MAX_AGE_MS, true, doneAt);
    });
    this.stats.docReads += 1 + hours.length;
    const byHour = new Map<number, IndexDoc>(hours.map((h, i) => [h, docs[i]]));
    const newest = (async () => {
      const legacyInRange = (await legacy).filter((h) => byHour.has(h));
      const legacyRefs = await mapLimit(legacyInRange, READ_CONCURRENCY, (h) => this.legacyHour(tenant, h));
      return this.unindexed(tenant, start, end, byHour, await l0, legacyRefs.flat());
    })();
    // a query that fails before it gets here (its blocks did) must not leave a rejection nobody handles
    newest.catch(() => undefined);
    return { indexed: this.indexed(tenant, start, end, byHour), newest };
  }

  /**
   * The oldest and newest profile time a tenant has (GetProfileStats), or null without data: the first and the
   * last hour document holding a block, the level-0 segments not in the index yet, objects of the old layout.
   */
  async timeBounds(tenant: string): Promise<{ oldest: number; newest: number } | null> {
    const head = await this.index.headDoc(tenant, HEAD_MAX_AGE_MS);
    this.stats.listings++;
    const [docKeys, l0, legacy] = await Promise.all([
      this.store.list(indexPrefix(this.prefix, tenant)),
      this.l0Since(tenant, head.w),
      head.legacyDone ? Promise.resolve([] as number[]) : this.legacyHours(tenant),
    ]);
    const hours = docKeys
      .map((o) => /\/(\d+)\.json$/.exec(o.key))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    let oldest = Infinity;
    let newest = -Infinity;
    for (const h of hours) {
      const blocks = (await this.index.doc(tenant, h, 60_000)).blocks;
      if (blocks.length > 0) {
        oldest = Math.min(...blocks.map((b) => b.minTime));
        break;
      }
    }
    for (const h of [...hours].reverse()) {
      const blocks = (await this.index.doc(tenant, h, 0)).blocks;
      if (blocks.length > 0) {
        newest = Math.max(...blocks.map((b) => b.maxTime));
        break;
      }
    }
    for (const o of l0) {
      const t = parseSegmentKey(o.key);
      if (t) {
        oldest = Math.min(oldest, t.minTime);
        newest = Math.max(newest, t.maxTime);
      }
    }
    for (const h of legacy.length > 0 ? [legacy[0], legacy[legacy.length - 1]] : []) {
      for (const r of await this.legacyHour(tenant, h)) {
        if (!r.replaced) {
          oldest = Math.min(oldest, r.minTime);
          newest = Math.max(newest, r.maxTime);
        }
      }
    }
    return Number.isFinite(oldest) ? { oldest, newest } : null;
  }

  /** The blocks the documents name that overlap [start, end], by hour and key. */
  private indexed(tenant: string, start: number, end: number, docs: Map<number, IndexDoc>): SegmentRef[] {
    const out: SegmentRef[] = [];
    for (const [hour, doc] of docs) {
      const hs = Math.max(start, hour * HOUR_MS);
      const he = Math.min(end, (hour + 1) * HOUR_MS - 1);
      for (const b of doc.blocks) {
        if (b.maxTime >= hs && b.minTime <= he) {
          out.push({
            key: b.key,
            size: b.size,
            minTime: b.minTime,
            maxTime: b.maxTime,
            block: true,
            hour,
            meta: metaOfEntry(doc, b, tenant),
          });
        }
      }
    }
    return byHourAndKey(out);
  }

  /**
   * The level-0 segments and objects of the old layout that overlap [start, end] and that no document records as
   * held, once for each hour of the range they hold profiles of, by hour and key.
   */
  private unindexed(
    tenant: string,
    start: number,
    end: number,
    docs: Map<number, IndexDoc>,
    l0: ObjectInfo[],
    legacy: Array<SegmentRef & { replaced: boolean }>
  ): SegmentRef[] {
    const out: SegmentRef[] = [];
    const overlaps = (min: number, max: number) => max >= start && min <= end;
    for (const o of l0) {
      const t = parseSegmentKey(o.key);
      if (!t || !overlaps(t.minTime, t.maxTime)) {
        continue;
      }
      const rel = this.relKey(tenant, o.key);
      for (const hour of hoursOf(t.minTime, t.maxTime)) {
        const doc = docs.get(hour);
        if (
          doc &&
          doc.covered[rel] === undefined &&
          overlaps(Math.max(t.minTime, hour * HOUR_MS), Math.min(t.maxTime, (hour + 1) * HOUR_MS - 1))
        ) {
          out.push({ key: o.key, size: o.size, minTime: t.minTime, maxTime: t.maxTime, block: false, hour });
        }
      }
    }
    for (const r of legacy) {
      const doc = docs.get(r.hour);
      if (
        !r.replaced &&
        doc &&
        doc.covered[this.relKey(tenant, r.key)] === undefined &&
        overlaps(r.minTime, r.maxTime)
      ) {
        out.push({ key: r.key, size: r.size, minTime: r.minTime, maxTime: r.maxTime, block: r.block, hour: r.hour });
      }
    }
    return byHourAndKey(out);
  }
}

/** Objects by hour, then key (blocks before level-0 segments within an hour). */
function byHourAndKey(refs: SegmentRef[]): SegmentRef[] {
  return refs.sort((a, b) => a.hour - b.hour || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
