// The index: per tenant and profile-time hour, one document naming every live block of the hour (key, size,
// level, time bounds, and per dataset its service, series and byte ranges), which level-0 segments (and objects
// of the layout before storage format 2) the hour's blocks already hold, and the replaced objects waiting for
// their deletion. Plus one small head document per tenant: the level-0 watermark (every level-0 segment of an
// earlier minute is in the index), the hours a compactor must still visit, and whether objects of the old
// layout remain. Written only by compactors, with conditional writes (If-Match on Azure, a version checked
// under a lock on the filesystem) retried on conflict, so that concurrent writers never lose an entry. Readers
// cache documents and revalidate them by version (a conditional GET). Layout in docs/storage.md.
import { LRUCache } from 'lru-cache';
import { RecentCalls } from './recentCalls.js';
import { labelsKey, type LabelSet } from '../model/labels.js';
import type { DatasetMeta, SegmentMeta } from './format/meta.js';
import { headKey, HOUR_MS, indexKey } from './keys.js';
import { ConflictError, type ObjectStore } from './objectStore.js';

/** One block of an hour, with what a query needs to read it without its header. */
export interface BlockEntry {
  key: string;
  size: number;
  level: number;
  /** The profile-time window [start, end) the block covers: ten minutes (levels 1-2) or the hour (level 3). */
  window: [number, number];
  minTime: number;
  maxTime: number;
  createdAt: number;
  version: number;
  profiles: number;
  samples: number;
  /** The block's series in its own order: [series of the document, profiles, total, minTime, maxTime]. */
  series: Array<[number, number, number, number, number]>;
  /** Its datasets; their `series` are ids into the block's own series. */
  datasets: DatasetMeta[];
}

export interface IndexDoc {
  v: 1;
  hour: number;
  /** Label set and profile type of each series the blocks refer to by number. */
  series: Array<[LabelSet, string]>;
  blocks: BlockEntry[];
  /**
   * Source objects (keys relative to the tenant's folder: `l0/...`, `segments/...`) whose profiles of this hour
   * are in a block of this document, and when that was recorded. Readers skip those objects for this hour; a
   * compactor deletes a source once every hour it spans records it, after the deletion delay.
   */
  covered: Record<string, number>;
  /** Blocks replaced by a merge: [key, when]; deleted after the deletion delay (queries planned before it). */
  garbage: Array<[string, number]>;
}

export interface HeadDoc {
  v: 1;
  /** Level-0 watermark: every level-0 segment in a minute folder before this one is recorded in the index. */
  w: number;
  /** Hours a compactor must still visit (merges, garbage, covered entries to drop), with a change counter. */
  dirty: Record<string, number>;
  /** True once no object of the layout before storage format 2 is left. */
  legacyDone: boolean;
}

export function emptyDoc(hour: number): IndexDoc {
  return { v: 1, hour, series: [], blocks: [], covered: {}, garbage: [] };
}

function emptyHead(): HeadDoc {
  return { v: 1, w: 0, dirty: {}, legacyDone: false };
}

/**
 * Metas made from entries, kept as long as the entry: every query plans with the cached document's entries, and
 * rebuilding each block's series objects (hundreds a block) for every query was a tenth of a warm page's CPU.
 * An entry always names the same series: renumbering makes new entries (pack), and ids only ever grow otherwise.
 */
const entryMetas = new WeakMap<BlockEntry, SegmentMeta>();

/** The meta of a block as its header has it, rebuilt from its index entry (no read of the block). */
export function metaOfEntry(doc: IndexDoc, e: BlockEntry, tenant: string): SegmentMeta {
  let meta = entryMetas.get(e);
  if (meta === undefined || meta.tenant !== tenant) {
    meta = buildMeta(doc, e, tenant);
    entryMetas.set(e, meta);
  }
  return meta;
}

function buildMeta(doc: IndexDoc, e: BlockEntry, tenant: string): SegmentMeta {
  return {
    version: e.version,
    tenant,
    minTime: e.minTime,
    maxTime: e.maxTime,
    createdAt: e.createdAt,
    profiles: e.profiles,
    samples: e.samples,
    level: e.level,
    series: e.series.map(([s, profiles, total, minTime, maxTime]) => ({
      labels: doc.series[s][0],
      profileType: doc.series[s][1],
      profiles,
      total,
      minTime,
      maxTime,
    })),
    datasets: e.datasets,
  };
}

/**
 * The key of a document's series, kept as long as the entry: entries are shared between a document and its
 * updated copies, and each block added (every few seconds at 3,000 series) looked every key up again.
 */
const seriesKeys = new WeakMap<object, string>();

function seriesKeyOf(entry: IndexDoc['series'][number]): string {
  let k = seriesKeys.get(entry);
  if (k === undefined) {
    k = labelsKey(entry[0]);
    seriesKeys.set(entry, k);
  }
  return k;
}

/** Adds a block to a document (its series interned into the document's table). */
export function addBlock(
  doc: IndexDoc,
  b: { key: string; size: number; window: [number, number]; meta: SegmentMeta }
): void {
  const ids = new Map<string, number>(doc.series.map((e, i) => [seriesKeyOf(e), i]));
  const m = b.meta;
  doc.blocks.push({
    key: b.key,
    size: b.size,
    level: m.level ?? 0,
    window: b.window,
    minTime: m.minTime,
    maxTime: m.maxTime,
    createdAt: m.createdAt,
    version: m.version,
    profiles: m.profiles,
    samples: m.samples,
    series: m.series.map((s) => {
      const k = labelsKey(s.labels);
      let id = ids.get(k);
      if (id === undefined) {
        id = doc.series.length;
        const entry: IndexDoc['series'][number] = [s.labels, s.profileType];
        seriesKeys.set(entry, k);
        doc.series.push(entry);
        ids.set(k, id);
      }
      return [id, s.profiles, s.total, s.minTime, s.maxTime];
    }),
    datasets: m.datasets,
  });
}

/**
 * Drops series no block refers to and renumbers the rest (a document only grows with live data). Block entries
 * are shared with the cached document (cloneDoc), so renumbered ones are new objects.
 */
function pack(doc: IndexDoc): void {
  const used = new Int32Array(doc.series.length).fill(-1);
  const series: IndexDoc['series'] = [];
  let same = true;
  for (const b of doc.blocks) {
    for (const s of b.series) {
      if (used[s[0]] < 0) {
        used[s[0]] = series.length;
        same &&= s[0] === series.length;
        series.push(doc.series[s[0]]);
      }
    }
  }
  if (same && series.length === doc.series.length) {
    // blocks only added (new series go to the end): nothing moves
    return;
  }
  doc.series = series;
  doc.blocks = doc.blocks.map((b) => ({
    ...b,
    series: b.series.map(([id, ...rest]) => [used[id], ...rest] as BlockEntry['series'][number]),
  }));
}

/**
 * A copy of a document that an update may change: its lists and maps are copied, block entries and series are
 * shared (updates add, drop or replace them whole, never change one in place). Copying the whole document
 * (a JSON round trip of ~2 MB at 300 services) cost more than the rest of a compaction step's index work.
 */
function cloneDoc(doc: IndexDoc): IndexDoc {
  return {
    ...doc,
    series: doc.series.slice(),
    blocks: doc.blocks.slice(),
    covered: { ...doc.covered },
    garbage: doc.garbage.slice(),
  };
}

/**
 * A block entry's and a series' JSON, kept as long as the object: both are shared between a document and its
 * updated copies and never changed in place, so a write serializes only what the update added. At 3,000 services
 * an hour document is megabytes, and JSON.stringify of all of it plus its UTF-8 encoding was three quarters of a
 * compaction step's index work.
 */
const partJson = new WeakMap<object, Buffer>();

function jsonOf(part: object): Buffer {
  let b = partJson.get(part);
  if (b === undefined) {
    b = Buffer.from(JSON.stringify(part));
    partJson.set(part, b);
  }
  return b;
}

const COMMA = Buffer.from(',');

/** The document's JSON, the same bytes as JSON.stringify(doc), its entries and series from the cache. */
export function serializeDoc(doc: IndexDoc): Buffer {
  const pieces: Buffer[] = [];
  let first = true;
  for (const [k, v] of Object.entries(doc) as Array<[string, unknown]>) {
    if (v === undefined || typeof v === 'function') {
      continue;
    }
    pieces.push(Buffer.from(`${first ? '{' : ','}${JSON.stringify(k)}:`));
    first = false;
    if ((k === 'blocks' || k === 'series') && Array.isArray(v)) {
      pieces.push(Buffer.from('['));
      v.forEach((part: object, i) => {
        if (i > 0) {
          pieces.push(COMMA);
        }
        pieces.push(jsonOf(part));
      });
      pieces.push(Buffer.from(']'));
    } else {
      pieces.push(Buffer.from(JSON.stringify(v)));
    }
  }
  pieces.push(Buffer.from(first ? '{}' : '}'));
  return Buffer.concat(pieces);
}

interface Cached<T> {
  doc: T;
  version: string;
  checkedAt: number;
  /** When the read that last checked it ended: a document read after a head must begin after this. */
  doneAt: number;
  /** Its JSON's length in bytes (what it takes in memory is about twice that: strings and the objects around). */
  bytes: number;
}

/** Thrown by an update's mutation to give up without writing (its precondition no longer holds). */
export class IndexUpdateAborted extends Error {
  override name = 'IndexUpdateAborted';
}

export interface IndexStats {
  docReads: number;
  docRevalidations: number;
  docWrites: number;
  conflicts: number;
}

/** Reads (cached, revalidated by version) and updates (conditional writes, retried) index documents. */
/**
 * Queries that start together (the All services page sends Series and SelectSeries at once) share a document read
 * begun this recently: a document a moment old is still safe for a query (what it does not hold yet is read from
 * level 0, whose sources stay for the deletion delay), and at 300 services an hour document is ~0.5 MB to fetch
 * and parse.
 */
const JOIN_READ_MS = 250;

export class IndexStore {
  private readonly docs: LRUCache<string, Cached<IndexDoc>>;
  /** Document reads in flight, by key, with when they started. */
  private readonly reading = new RecentCalls<unknown>(JOIN_READ_MS);
  private head: Map<string, Cached<HeadDoc>> = new Map();
  readonly stats: IndexStats = { docReads: 0, docRevalidations: 0, docWrites: 0, conflicts: 0 };

  /** Where the CPU time of parsing, changing and writing out documents is counted (compaction's share). */
  meter: <T>(fn: () => T) => T = (fn) => fn();

  constructor(
    private readonly store: ObjectStore,
    private readonly prefix: string,
    cacheBytes = 32 * 1024 * 1024,
    private readonly now: () => number = Date.now
  ) {
    this.docs = new LRUCache<string, Cached<IndexDoc>>({
      maxSize: Math.max(1 << 20, cacheBytes),
      // from the JSON's length, not a walk of the document: set again by every query and every index update
      sizeCalculation: (c) => Math.max(1, 2 * c.bytes),
    });
  }

  /** Bytes the document cache holds (for /metrics and the memory budget). */
  cacheBytes(): number {
    return this.docs.calculatedSize;
  }

  /**
   * Reads a document through the cache: a copy younger than `maxAgeMs` is used as it is; an older one is
   * revalidated by a conditional read (unchanged: nothing is transferred).
   */
  private async read<T>(
    key: string,
    cached: Cached<T> | undefined,
    maxAgeMs: number,
    parse: (b: Buffer) => T,
    join = false,
    notBefore = -Infinity
  ): Promise<Cached<T> | null> {
    const now = this.now();
    if (cached && now - cached.checkedAt <= maxAgeMs && cached.checkedAt >= notBefore) {
      return cached;
    }
    const got = await this.reading.run(key, now, join, () => this.readNow(key, cached, parse, now), notBefore);
    return got as Cached<T> | null;
  }

  private async readNow<T>(
    key: string,
    cached: Cached<T> | undefined,
    parse: (b: Buffer) => T,
    now: number
  ): Promise<Cached<T> | null> {
    let got: { data: Buffer; version: string } | 'unchanged' | null;
    if (cached && this.store.getIfChanged) {
      this.stats.docRevalidations++;
      got = await this.store.getIfChanged(key, cached.version);
    } else {
      this.stats.docReads++;
      got = await this.store.getVersioned(key);
    }
    if (got === 'unchanged') {
      cached!.checkedAt = now;
      cached!.doneAt = this.now();
      return cached!;
    }
    if (got === null) {
      return null;
    }
    const data = got.data;
    return {
      doc: this.meter(() => parse(data)),
      version: got.version,
      checkedAt: now,
      doneAt: this.now(),
      bytes: data.length,
    };
  }

  /**
   * The document of an hour (an empty one when none exists), at most `maxAgeMs` old. `join`: a read of it that
   * started at most JOIN_READ_MS ago and has not ended will do (queries; never compaction, which decides on it).
   * `notBefore`: only a copy read (or a read begun) at or after this time will do (see headRead).
   */
  async doc(tenant: string, hour: number, maxAgeMs = 0, join = false, notBefore = -Infinity): Promise<IndexDoc> {
    const key = indexKey(this.prefix, tenant, hour);
    const got = await this.read(
      key,
      this.docs.get(key),
      maxAgeMs,
      (b) => JSON.parse(b.toString('utf8')) as IndexDoc,
      join,
      notBefore
    );
    if (!got) {
      this.docs.delete(key);
      return emptyDoc(hour);
    }
    this.docs.set(key, got);
    return got.doc;
  }

  /** The watermark of the last head read, however old (the watermark only grows); 0 before any. */
  knownWatermark(tenant: string): number {
    return this.head.get(tenant)?.doc.w ?? 0;
  }

  async headDoc(tenant: string, maxAgeMs = 0): Promise<HeadDoc> {
    return (await this.headRead(tenant, maxAgeMs)).head;
  }

  /**
   * The head as last read, without waiting, when that read checked it at most `maxAgeMs` ago (else null); one
   * checked more than `refreshMs` ago is read again meanwhile (joining a read in flight), for later queries.
   */
  recentHead(tenant: string, maxAgeMs: number, refreshMs: number): { head: HeadDoc; doneAt: number } | null {
    const c = this.head.get(tenant);
    const age = this.now() - (c?.checkedAt ?? -Infinity);
    if (!c || age > maxAgeMs) {
      return null;
    }
    if (age > refreshMs) {
      // a failed read leaves the cached head; a query past maxAgeMs then reads it itself and sees the failure
      this.headRead(tenant, refreshMs, true).catch(() => undefined);
    }
    return { head: c.doc, doneAt: c.doneAt };
  }

  /**
   * The head at most `maxAgeMs` old, and when the read that checked it ended. Documents used with this head
   * must have been read after that (`doc`'s notBefore): the watermark only moves once the documents hold every
   * segment below it, so a document read before the head was could lack blocks of segments no longer listed.
   */
  async headRead(tenant: string, maxAgeMs = 0, join = false): Promise<{ head: HeadDoc; doneAt: number }> {
    const key = headKey(this.prefix, tenant);
    const got = await this.read(
      key,
      this.head.get(tenant),
      maxAgeMs,
      (b) => JSON.parse(b.toString('utf8')) as HeadDoc,
      join
    );
    if (!got) {
      this.head.delete(tenant);
      return { head: emptyHead(), doneAt: this.now() };
    }
    this.head.set(tenant, got);
    return { head: got.doc, doneAt: got.doneAt };
  }

  /**
   * Applies `mutate` to the current document and writes it if the document did not change meanwhile; on a
   * conflict, reads it again and applies `mutate` again. `mutate` returns false to write nothing, or throws
   * IndexUpdateAborted. Returns the document written (or left as it was).
   */
  async update(tenant: string, hour: number, mutate: (doc: IndexDoc) => boolean): Promise<IndexDoc> {
    const key = indexKey(this.prefix, tenant, hour);
    return this.cas(
      key,
      () => this.docs.get(key),
      (c) => (c ? this.docs.set(key, c) : this.docs.delete(key)),
      () => emptyDoc(hour),
      cloneDoc,
      (d) => {
        const changed = mutate(d);
        if (changed) {
          pack(d);
        }
        return changed;
      },
      serializeDoc
    );
  }

  async updateHead(tenant: string, mutate: (head: HeadDoc) => boolean): Promise<HeadDoc> {
    return this.cas(
      headKey(this.prefix, tenant),
      () => this.head.get(tenant),
      (c) => (c ? this.head.set(tenant, c) : this.head.delete(tenant)),
      emptyHead,
      (d) => JSON.parse(JSON.stringify(d)) as HeadDoc,
      mutate
    );
  }

  private async cas<T>(
    key: string,
    getCached: () => Cached<T> | undefined,
    setCached: (c: Cached<T> | null) => void,
    empty: () => T,
    clone: (doc: T) => T,
    mutate: (doc: T) => boolean,
    serialize: (doc: T) => Buffer = (d) => Buffer.from(JSON.stringify(d))
  ): Promise<T> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const cur = await this.read(key, getCached(), 0, (b) => JSON.parse(b.toString('utf8')) as T);
      // mutated on a copy: the cached document stays what the store holds
      const doc = this.meter(() => (cur ? clone(cur.doc) : empty()));
      if (!this.meter(() => mutate(doc))) {
        setCached(cur);
        return cur ? cur.doc : doc;
      }
      try {
        const data = this.meter(() => serialize(doc));
        const version = await this.store.put(key, data, { ifVersion: cur ? cur.version : null });
        this.stats.docWrites++;
        // what was written is what the store holds now: the next read is a conditional one, not a download and
        // a parse (a store that does not say the new version leaves it to the next read)
        const at = this.now();
        setCached(version ? { doc, version, checkedAt: at, doneAt: at, bytes: data.length } : null);
        return doc;
      } catch (e) {
        if (!(e instanceof ConflictError)) {
          throw e;
        }
        this.stats.conflicts++;
        setCached(null);
        // writers that collided spread out before they try again
        await new Promise((r) => setTimeout(r, Math.random() * Math.min(200, 5 * 2 ** Math.min(attempt, 6))));
      }
    }
    throw new ConflictError(`${key}: changed concurrently too often`);
  }
}

/** Hours spanned by [minMs, maxMs]. */
export function hoursOf(minMs: number, maxMs: number): number[] {
  const out: number[] = [];
  for (let h = Math.floor(minMs / HOUR_MS); h <= Math.floor(maxMs / HOUR_MS); h++) {
    out.push(h);
  }
  return out;
}
