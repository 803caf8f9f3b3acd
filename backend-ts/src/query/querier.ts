// The read path: finds the segments a query needs (by tenant, hour and time range from object names, then by
// series from their headers) and merges their samples. Objects are read ahead at bounded concurrency while
// earlier ones merge. Flame graphs merge by call path (callPaths.ts): each segment maps a stack to a
// process-wide path id once, so a query adds sample values into an array by path id and builds the tree from
// the paths it touched, at the end.
import type { Limits } from '../config/config.js';
import {
  compareLabelSets,
  labelsKey,
  parseProfileTypeId,
  sortLabels,
  type LabelSet,
  type ProfileTypeId,
} from '../model/labels.js';
import { matches, parseMatchers, SelectorError, type Matcher } from '../model/selector.js';
import { FlameTree } from '../model/tree.js';
import { NotFoundError } from '../storage/objectStore.js';
import type { Segment, SegmentMeta } from '../storage/segment.js';
import {
  READ_CONCURRENCY,
  headerReadBytes,
  mapLimit,
  readAhead,
  type SegmentReader,
  type SegmentRef,
} from '../storage/segmentReader.js';
import { LRUCache } from 'lru-cache';
import { CallPaths } from './callPaths.js';
import { QueryError } from './errors.js';
import { SegmentView } from './segmentView.js';

/**
 * An hour is settled this long after reject-older-than has passed its end (as the compactor waits, see
 * server.ts): no replica can still be writing profiles of it.
 */
const SETTLE_MARGIN_MS = 10 * 60_000;

/** Default bound of the call path table (callPaths.ts): about 2M distinct paths of ordinary names. */
const CALL_PATH_BYTES = 64 * 1024 * 1024;

/** labelsKey of a series' label set, computed once per set (label sets of a cached meta are never mutated). */
const seriesKeys = new WeakMap<LabelSet, string>();
function seriesKey(ls: LabelSet): string {
  let k = seriesKeys.get(ls);
  if (k === undefined) {
    k = labelsKey(ls);
    seriesKeys.set(ls, k);
  }
  return k;
}

export interface TimeRange {
  start: number;
  end: number;
  /** Aborts the query (timeout, client gone): checked between objects and every few thousand profiles. */
  signal?: AbortSignal;
}

export interface SelectParams extends TimeRange {
  profileType: string;
  selector: string;
  /** span ids (16 hex digits) to keep; empty = all samples */
  spans?: string[];
  /** function names root first: keep stacks that begin with this call site */
  callSite?: string[];
}

export interface SeriesParams extends SelectParams {
  groupBy: string[];
  stepSeconds: number;
  aggregation: 'sum' | 'average';
  limit?: number;
}

export interface SeriesResult {
  labels: LabelSet;
  points: Array<{ timestamp: number; value: number }>;
}

/**
 * What a query reads. objectsRead/bytesRead count every object of the range the query touches, as a query with
 * cold caches reads it (so a repeated query, and AnalyzeQuery, report the same): an object holding wanted
 * series, or small enough to be read in one request (SegmentReader.readsWhole), costs its whole size; any
 * other object the bytes of its header read. Profiles, samples and series count only what was selected.
 */
export interface QueryStats {
  objectsListed: number;
  objectsRead: number;
  bytesRead: number;
  profiles: number;
  samples: number;
  series: number;
}

export interface MergedStack {
  /** Frames leaf first, each [function name, file name, line, start line, system name]. */
  frames: Array<[string, string, number, number, string]>;
  value: number;
}

function parseSelectorOrThrow(sel: string): Matcher[] {
  try {
    return parseMatchers(sel);
  } catch (e) {
    throw new QueryError((e as SelectorError).message);
  }
}

/** Default bound of the cache of segment views (segmentView.ts): a day of 15 s segments takes ~25 MiB. */
const VIEW_CACHE_BYTES = 256 * 1024 * 1024;

export interface QuerierOptions {
  /** Memory bound of the call path table shared by every flame graph query. */
  callPathBytes?: number;
  /** Memory bound of the cache of segment views. */
  viewCacheBytes?: number;
}

/** What scan reads of an object: a decoded segment, or a view of it. */
interface ProfileSource {
  readonly meta: SegmentMeta;
  readonly objectBytes: number;
  readonly profSeries: Int32Array;
  readonly profTime: Float64Array;
  readonly profId: Int32Array;
  readonly profSampleOffsets: Int32Array;
  string(id: number): string;
  spanOf(s: number): number;
}

/** How scan gets an object's meta without I/O when it can, and the object itself. */
interface SourceOf<T extends ProfileSource> {
  cachedMeta(key: string): SegmentMeta | undefined;
  /** The source's form of the object; `seg`, when given, is the object already read. */
  open(ref: SegmentRef, seg?: Segment): Promise<T>;
  /** Whether an object read for this source belongs in the reader's cache. */
  keepsSegments: boolean;
}

export class Querier {
  private paths = new CallPaths();
  private readonly callPathBytes: number;
  private readonly views: LRUCache<string, SegmentView>;
  private readonly viewLoading = new Map<string, Promise<SegmentView>>();
  /** Full segments from the reader's cache (pprof output needs every symbol). */
  private readonly segmentSource: SourceOf<Segment>;

  constructor(
    private readonly reader: SegmentReader,
    private readonly limitsFor: (tenant: string) => Limits,
    private readonly now: () => number = Date.now,
    opts: QuerierOptions = {}
  ) {
    this.callPathBytes = opts.callPathBytes ?? CALL_PATH_BYTES;
    this.views = new LRUCache<string, SegmentView>({
      maxSize: opts.viewCacheBytes ?? VIEW_CACHE_BYTES,
      sizeCalculation: (v) => Math.max(1, v.byteSize),
    });
    this.segmentSource = {
      cachedMeta: (k) => reader.cachedMeta(k),
      open: (ref, seg) => (seg ? Promise.resolve(seg) : reader.segment(ref.key, { size: ref.size })),
      keepsSegments: true,
    };
  }

  /** Views of segments resolved against `paths` (flame graphs, series, analysis). */
  private viewSource(paths: CallPaths): SourceOf<SegmentView> {
    return {
      cachedMeta: (k) => this.views.peek(k)?.meta ?? this.reader.cachedMeta(k),
      open: (ref, seg) => this.view(ref, paths, seg),
      keepsSegments: false,
    };
  }

  /**
   * The view of an object for `paths`: cached, being built for another query, or built from the object read
   * without caching it (the view holds what queries need of it in a fraction of the bytes).
   */
  private async view(ref: SegmentRef, paths: CallPaths, seg?: Segment): Promise<SegmentView> {
    const key = ref.key;
    const cached = this.views.get(key);
    if (cached && cached.paths === paths) {
      return cached;
    }
    const pending = this.viewLoading.get(key);
    if (pending) {
      const v = await pending;
      if (v.paths === paths) {
        return v;
      }
    }
    const building = (seg ? Promise.resolve(seg) : this.reader.segment(key, { cache: false, size: ref.size })).then(
      (s) => new SegmentView(s, paths)
    );
    this.viewLoading.set(key, building);
    try {
      const v = await building;
      // a view of a table already replaced would only keep that table alive
      if (v.paths === this.paths) {
        this.views.set(key, v);
      }
      return v;
    } finally {
      if (this.viewLoading.get(key) === building) {
        this.viewLoading.delete(key);
      }
    }
  }

  /** Bytes held by the querier's own caches (for /metrics and the memory budget). */
  cacheBytes(): Record<'views' | 'call_paths', number> {
    return { views: this.views.calculatedSize, call_paths: this.paths.byteSize };
  }

  /** Pyroscope's defaults: start=end=0 means the last hour. */
  normalizeRange(r: TimeRange): TimeRange {
    const start = Number(r.start) || 0;
    const end = Number(r.end) || 0;
    if (start === 0 && end === 0) {
      const now = this.now();
      return { start: now - 3_600_000, end: now };
    }
    if (end < start) {
      throw new QueryError(`invalid time range: end (${end}) is before start (${start})`);
    }
    return { start, end: end || this.now() };
  }

  /**
   * Applies the tenant's lookback and query-length limits to a select query, as Pyroscope's
   * ValidateRangeRequest does: the start is moved up to the lookback, a range wholly before it selects nothing
   * (null), and a range still longer than the query length is an error.
   */
  private checkLimits(tenant: string, r: TimeRange): TimeRange | null {
    const limits = this.limitsFor(tenant);
    let { start } = r;
    const { end } = r;
    if (limits.maxQueryLookbackMs > 0) {
      const min = this.now() - limits.maxQueryLookbackMs;
      if (end < min) {
        return null;
      }
      start = Math.max(start, min);
    }
    if (limits.maxQueryLengthMs > 0 && end - start > limits.maxQueryLengthMs) {
      throw new QueryError(
        `the query time range exceeds the limit (query length: ${((end - start) / 3_600_000).toFixed(1)}h, limit: ${limits.maxQueryLengthMs / 3_600_000}h) (querier.max-query-length)`
      );
    }
    return { start, end };
  }

  private async metas(tenant: string, r: TimeRange): Promise<Array<{ ref: SegmentRef; meta: SegmentMeta }>> {
    const refs = await this.reader.list(tenant, r.start, r.end, this.settledBefore(tenant));
    const metas = await mapLimit(refs, READ_CONCURRENCY, (ref) => this.reader.meta(ref.key));
    return refs.map((ref, i) => ({ ref, meta: metas[i] }));
  }

  /** Every distinct series (label set) in range matching any of the selectors (none = all). */
  private async seriesIn(tenant: string, selectors: string[], range: TimeRange): Promise<LabelSet[]> {
    const r = this.normalizeRange(range);
    const ms = selectors.filter((s) => s.trim() !== '').map(parseSelectorOrThrow);
    const seen = new Map<string, LabelSet>();
    const metas = await this.metas(tenant, r);
    range.signal?.throwIfAborted();
    for (const { meta } of metas) {
      for (const s of meta.series) {
        if (s.maxTime < r.start || s.minTime > r.end) {
          continue;
        }
        if (ms.length > 0 && !ms.some((m) => matches(m, s.labels))) {
          continue;
        }
        const k = labelsKey(s.labels);
        if (!seen.has(k)) {
          seen.set(k, s.labels);
        }
      }
    }
    return [...seen.values()];
  }

  async profileTypes(tenant: string, range: TimeRange): Promise<ProfileTypeId[]> {
    const r = this.normalizeRange(range);
    const ids = new Set<string>();
    const metas = await this.metas(tenant, r);
    range.signal?.throwIfAborted();
    for (const { meta } of metas) {
      for (const s of meta.series) {
        if (s.maxTime >= r.start && s.minTime <= r.end) {
          ids.add(s.profileType);
        }
      }
    }
    return [...ids].sort().map((id) => parseProfileTypeId(id));
  }

  async labelNames(tenant: string, selectors: string[], range: TimeRange): Promise<string[]> {
    const names = new Set<string>();
    for (const ls of await this.seriesIn(tenant, selectors, range)) {
      for (const [n] of ls) {
        names.add(n);
      }
    }
    return [...names].sort();
  }

  async labelValues(tenant: string, name: string, selectors: string[], range: TimeRange): Promise<string[]> {
    const values = new Set<string>();
    for (const ls of await this.seriesIn(tenant, selectors, range)) {
      for (const [n, v] of ls) {
        if (n === name && v !== '') {
          values.add(v);
        }
      }
    }
    return [...values].sort();
  }

  async series(tenant: string, selectors: string[], labelNames: string[], range: TimeRange): Promise<LabelSet[]> {
    const out = new Map<string, LabelSet>();
    for (const ls of await this.seriesIn(tenant, selectors, range)) {
      const proj = labelNames.length > 0 ? ls.filter(([n]) => labelNames.includes(n)) : ls;
      const k = labelsKey(proj);
      if (!out.has(k)) {
        out.set(k, proj);
      }
    }
    return [...out.values()].sort(compareLabelSets);
  }

  async profileStats(tenant: string): Promise<{ dataIngested: boolean; oldest: number; newest: number }> {
    const hours = await this.reader.hours(tenant);
    if (hours.length === 0) {
      return { dataIngested: false, oldest: 0, newest: 0 };
    }
    const first = hours[0];
    const last = hours[hours.length - 1];
    const lo = await this.reader.list(tenant, first * 3_600_000, (first + 1) * 3_600_000 - 1);
    const hi = await this.reader.list(tenant, last * 3_600_000, (last + 1) * 3_600_000 - 1);
    const oldest = Math.min(...lo.map((r) => r.minTime));
    const newest = Math.max(...hi.map((r) => r.maxTime));
    return {
      dataIngested: lo.length + hi.length > 0,
      oldest: Number.isFinite(oldest) ? oldest : 0,
      newest: Number.isFinite(newest) ? newest : 0,
    };
  }

  /**
   * Hours that ended before this time are settled for the tenant: reject-older-than refuses their profiles
   * (plus a margin for writes in flight), so their listings may be reused. Without the limit nothing settles.
   */
  private settledBefore(tenant: string): number {
    const { rejectOlderThanMs } = this.limitsFor(tenant);
    return rejectOlderThanMs > 0 ? this.now() - rejectOlderThanMs - SETTLE_MARGIN_MS : -Infinity;
  }

  /**
   * Visits every selected profile: calls visit(segment, profile index, selected-sample filter).
   * Returns the stats of what was read. anyType selects every profile type (AnalyzeQuery without one).
   */
  private async scan<T extends ProfileSource>(
    tenant: string,
    p: SelectParams,
    source: SourceOf<T>,
    visit: (seg: T, prof: number, sampleOk: ((s: number) => boolean) | null, seriesLabels: LabelSet) => void,
    anyType = false
  ): Promise<QueryStats> {
    const r = this.checkLimits(tenant, this.normalizeRange(p));
    if (!anyType) {
      try {
        parseProfileTypeId(p.profileType);
      } catch (e) {
        throw new QueryError((e as Error).message);
      }
    }
    const ms = parseSelectorOrThrow(p.selector);
    const stats: QueryStats = { objectsListed: 0, objectsRead: 0, bytesRead: 0, profiles: 0, samples: 0, series: 0 };
    if (!r) {
      return stats;
    }
    const refs = await this.reader.list(tenant, r.start, r.end, this.settledBefore(tenant));
    stats.objectsListed = refs.length;
    const wantedOf = (meta: SegmentMeta): Int8Array | null => {
      const wanted = new Int8Array(meta.series.length);
      let any = false;
      meta.series.forEach((s, i) => {
        if (
          (anyType || s.profileType === p.profileType) &&
          s.maxTime >= r.start &&
          s.minTime <= r.end &&
          matches(ms, s.labels)
        ) {
          wanted[i] = 1;
          any = true;
        }
      });
      return any ? wanted : null;
    };
    // the header first (a range read, or the cache): an object without wanted series is not read further. Every
    // object is counted as a query with cold caches reads it (see QueryStats), wanted or not.
    type Loaded =
      { hit: true; seg: T; wanted: Int8Array; ref: SegmentRef } | { hit: false; ref: SegmentRef; meta: SegmentMeta };
    const load = async (ref: SegmentRef): Promise<Loaded> => {
      p.signal?.throwIfAborted();
      const known = source.cachedMeta(ref.key);
      if (!known && this.reader.readsWhole(ref.size)) {
        // a small object read header first costs two round trips where reading it whole costs one (a cold day
        // of 15 s segments is thousands of them); its meta is cached either way
        const seg = await this.reader.segment(ref.key, { cache: source.keepsSegments, size: ref.size });
        const wanted = wantedOf(seg.meta);
        return wanted
          ? { hit: true, seg: await source.open(ref, seg), wanted, ref }
          : { hit: false, ref, meta: seg.meta };
      }
      const meta = known ?? (await this.reader.meta(ref.key));
      const wanted = wantedOf(meta);
      return wanted ? { hit: true, seg: await source.open(ref), wanted, ref } : { hit: false, ref, meta };
    };
    /** What reading an object costs a cold query: the whole object, or (large and unwanted) its header. */
    const countRead = (item: Loaded): void => {
      stats.objectsRead++;
      if (item.hit) {
        stats.bytesRead += item.seg.objectBytes;
      } else {
        stats.bytesRead += this.reader.readsWhole(item.ref.size)
          ? item.ref.size
          : headerReadBytes(item.meta, item.ref.size);
      }
    };
    // An object can vanish between listing and reading: compaction replaced it by a block (a listing reused
    // from the cache makes that likelier). Nothing of an hour is merged until all its objects are read; if one
    // is gone, the hour is listed afresh and read again, so no profile is counted twice or missed.
    const gone = Symbol('gone');
    const loadOrGone = (ref: SegmentRef): Promise<Loaded | typeof gone> =>
      load(ref).catch((e: unknown) => {
        if (e instanceof NotFoundError) {
          return gone;
        }
        throw e;
      });
    const hourItems: Array<Loaded | typeof gone> = [];
    let pos = 0;
    const spans = p.spans && p.spans.length > 0 ? new Set(p.spans) : null;
    const seenIds = new Set<string>();
    const seenSeries = new Set<string>();
    const visitSegment = (seg: T, wanted: Int8Array): void => {
      const meta = seg.meta;
      let spanOk: ((s: number) => boolean) | null = null;
      if (spans) {
        const memo = new Map<number, boolean>();
        spanOk = (s: number) => {
          const id = seg.spanOf(s);
          if (id === 0) {
            return false;
          }
          let m = memo.get(id);
          if (m === undefined) {
            m = spans.has(seg.string(id));
            memo.set(id, m);
          }
          return m;
        };
      }
      let lastSid = -1;
      for (let prof = 0; prof < seg.profSeries.length; prof++) {
        if ((prof & 4095) === 4095) {
          p.signal?.throwIfAborted();
        }
        const sid = seg.profSeries[prof];
        if (!wanted[sid]) {
          continue;
        }
        const t = seg.profTime[prof];
        if (t < r.start || t > r.end) {
          continue;
        }
        const labels = meta.series[sid].labels;
        if (seg.profId[prof] !== 0) {
          const k = seg.string(seg.profId[prof]) + '\u0002' + seriesKey(labels);
          if (seenIds.has(k)) {
            continue;
          }
          seenIds.add(k);
        }
        if (sid !== lastSid) {
          seenSeries.add(seriesKey(labels));
          lastSid = sid;
        }
        stats.profiles++;
        stats.samples += seg.profSampleOffsets[prof + 1] - seg.profSampleOffsets[prof];
        visit(seg, prof, spanOk, labels);
      }
    };
    for await (const loaded of readAhead(refs, READ_CONCURRENCY, loadOrGone)) {
      p.signal?.throwIfAborted();
      const ref = refs[pos++];
      hourItems.push(loaded);
      if (pos < refs.length && refs[pos].hour === ref.hour) {
        continue;
      }
      let items = hourItems.splice(0);
      if (items.includes(gone)) {
        const fresh = (await this.reader.hourObjects(tenant, ref.hour)).filter(
          (x) => x.maxTime >= r.start && x.minTime <= r.end
        );
        items = await mapLimit(fresh, READ_CONCURRENCY, load);
      }
      for (const item of items) {
        if (item !== gone) {
          countRead(item);
          if (item.hit) {
            visitSegment(item.seg, item.wanted);
          }
        }
      }
    }
    stats.series = seenSeries.size;
    return stats;
  }

  /** Sums the selected samples per stack of each segment, then hands over each distinct stack once. */
  private async mergeStacks(
    tenant: string,
    p: SelectParams,
    onStack: (seg: Segment, stack: number, value: number) => void
  ): Promise<QueryStats> {
    let cur: Segment | null = null;
    let acc = new Float64Array(0);
    let touched: number[] = [];
    const flush = () => {
      if (!cur) {
        return;
      }
      for (const st of touched) {
        const v = acc[st];
        acc[st] = 0;
        if (v !== 0) {
          onStack(cur, st, v);
        }
      }
      touched = [];
    };
    const stats = await this.scan(tenant, p, this.segmentSource, (seg, prof, ok) => {
      if (seg !== cur) {
        flush();
        cur = seg;
        const n = seg.stackOffsets.length - 1;
        if (acc.length < n) {
          acc = new Float64Array(n);
        }
      }
      for (let s = seg.profSampleOffsets[prof]; s < seg.profSampleOffsets[prof + 1]; s++) {
        if (ok && !ok(s)) {
          continue;
        }
        const st = seg.sampleStack[s];
        if (acc[st] === 0) {
          touched.push(st);
        }
        acc[st] += seg.sampleValue[s];
      }
    });
    flush();
    return stats;
  }

  /** The path table for a new query: a fresh one once the current one outgrew its budget. */
  private callPaths(): CallPaths {
    // a query that failed did not trim the table it grew
    this.trimPaths(this.paths);
    return this.paths;
  }

  /**
   * After a query: a table past its share of the budget goes now rather than at the next query, so that the
   * caches are within the budget between queries (a query's own working set is bounded by its data).
   */
  private trimPaths(paths: CallPaths): void {
    if (this.paths === paths && paths.byteSize > this.callPathBytes) {
      // queries still running keep the old table (their indexes name it); it goes once they finish. Views
      // resolved against it would keep it alive and can never serve the new one: they go now.
      this.paths = new CallPaths();
      this.views.clear();
    }
  }

  /** The merged call tree by function name (flame graphs, TREE, DOT, diffs). */
  async selectMergeTree(tenant: string, p: SelectParams): Promise<{ tree: FlameTree; stats: QueryStats }> {
    const paths = this.callPaths();
    // value per leaf path, and the leaf paths touched, in the order first met
    let acc = new Float64Array(Math.max(1024, paths.size));
    let seen = new Uint8Array(acc.length);
    const touched: number[] = [];
    const stats = await this.scan(tenant, p, this.viewSource(paths), (view, prof, ok) => {
      const samplePath = view.samplePath;
      const sampleValue = view.sampleValue;
      for (let s = view.profSampleOffsets[prof], end = view.profSampleOffsets[prof + 1]; s < end; s++) {
        if (ok && !ok(s)) {
          continue;
        }
        const path = samplePath[s];
        if (path >= acc.length) {
          const n = Math.max(path + 1, acc.length * 2);
          const a = new Float64Array(n);
          a.set(acc);
          acc = a;
          const m = new Uint8Array(n);
          m.set(seen);
          seen = m;
        }
        if (seen[path] === 0) {
          seen[path] = 1;
          touched.push(path);
        }
        acc[path] += sampleValue[s];
      }
    });
    const tree = this.treeOf(paths, acc, touched, p.callSite);
    this.trimPaths(paths);
    return { tree, stats };
  }

  /**
   * The flame tree of the touched leaf paths: each path becomes a node once (its ancestors first), its value
   * the node's self; totals are summed bottom-up at the end. With a call site, only paths under it are kept.
   */
  private treeOf(paths: CallPaths, acc: Float64Array, touched: number[], callSite?: string[]): FlameTree {
    const tree = new FlameTree(Math.max(1024, touched.length * 2));
    let site = 0;
    if (callSite && callSite.length > 0) {
      for (const name of callSite) {
        const n = paths.findName(name);
        site = n < 0 ? -1 : paths.find(site, n);
        if (site < 0) {
          return tree;
        }
      }
    }
    const nodeOf = new Int32Array(acc.length);
    const treeName = new Int32Array(paths.names.length).fill(-1);
    const chain: number[] = [];
    const parent = paths.parent;
    for (const leaf of touched) {
      const value = acc[leaf];
      if (value === 0) {
        continue;
      }
      if (site > 0) {
        // a path's ancestors have smaller ids: walk up while above the call site
        let a = leaf;
        while (a > site) {
          a = parent[a];
        }
        if (a !== site) {
          continue;
        }
      }
      let q = leaf;
      chain.length = 0;
      while (q !== 0 && nodeOf[q] === 0) {
        chain.push(q);
        q = parent[q];
      }
      let node = nodeOf[q];
      for (let i = chain.length - 1; i >= 0; i--) {
        const path = chain[i];
        const nm = paths.name[path];
        let tn = treeName[nm];
        if (tn < 0) {
          tn = tree.nameId(paths.names[nm]);
          treeName[nm] = tn;
        }
        node = tree.child(node, tn);
        nodeOf[path] = node;
      }
      tree.self[node] += value;
    }
    tree.totalsFromSelf();
    return tree;
  }

  /** Merged stacks with full frame detail (function, file, line), for pprof output. */
  async selectMergeStacks(tenant: string, p: SelectParams): Promise<{ stacks: MergedStack[]; stats: QueryStats }> {
    const byKey = new Map<string, MergedStack>();
    const callSite = p.callSite && p.callSite.length > 0 ? p.callSite : null;
    const stats = await this.mergeStacks(tenant, p, (seg, st, value) => {
      const frames: MergedStack['frames'] = [];
      for (let i = seg.stackOffsets[st]; i < seg.stackOffsets[st + 1]; i++) {
        const f = seg.stackFrames[i];
        const fn = seg.frameFn[f];
        frames.push([
          seg.string(seg.fnName[fn]),
          seg.string(seg.fnFilename[fn]),
          seg.frameLine[f],
          seg.fnStartLine[fn],
          seg.string(seg.fnSystemName[fn]),
        ]);
      }
      if (callSite) {
        if (frames.length < callSite.length) {
          return;
        }
        for (let i = 0; i < callSite.length; i++) {
          if (frames[frames.length - 1 - i][0] !== callSite[i]) {
            return;
          }
        }
      }
      const key = frames.map((f) => f.join('\u0000')).join('\u0001');
      const m = byKey.get(key);
      if (m) {
        m.value += value;
      } else {
        byKey.set(key, { frames, value });
      }
    });
    return { stacks: [...byKey.values()], stats };
  }

  async selectSeries(tenant: string, p: SeriesParams): Promise<{ series: SeriesResult[]; stats: QueryStats }> {
    const r = this.normalizeRange(p);
    const stepMs = Math.max(1, Math.round((p.stepSeconds > 0 ? p.stepSeconds : 15) * 1000));
    if ((r.end - r.start) / stepMs > 11_000) {
      throw new QueryError(`step ${p.stepSeconds}s is too small for the range: more than 11000 points per series`);
    }
    // a point at T holds the profiles in (T - step, T] on the grid start + k * step: bucket k, k >= 0
    const nBuckets = Math.max(1, Math.ceil((r.end - r.start) / stepMs) + 1);
    interface Group {
      labels: LabelSet;
      sum: Float64Array;
      n: Int32Array;
      total: number;
    }
    const groups = new Map<string, Group>();
    // the group of a series' label set, looked up once per label set rather than once per profile
    const groupOfSeries = new Map<LabelSet, Group>();
    const groupOf = (labels: LabelSet): Group => {
      let g = groupOfSeries.get(labels);
      if (!g) {
        const proj = sortLabels(labels.filter(([n]) => p.groupBy.includes(n)));
        const k = labelsKey(proj);
        g = groups.get(k);
        if (!g) {
          g = { labels: proj, sum: new Float64Array(nBuckets), n: new Int32Array(nBuckets), total: 0 };
          groups.set(k, g);
        }
        groupOfSeries.set(labels, g);
      }
      return g;
    };
    const needSamples = (p.spans && p.spans.length > 0) || (p.callSite && p.callSite.length > 0);
    const paths = this.callPaths();
    const onSite = underCallSite(paths, p.callSite);
    const stats = await this.scan(tenant, p, this.viewSource(paths), (seg, prof, ok, labels) => {
      let value = seg.profTotal[prof];
      if (needSamples) {
        value = 0;
        for (let s = seg.profSampleOffsets[prof]; s < seg.profSampleOffsets[prof + 1]; s++) {
          if ((ok && !ok(s)) || (onSite && !onSite(seg.samplePath[s]))) {
            continue;
          }
          value += seg.sampleValue[s];
        }
        if (value === 0) {
          return;
        }
      }
      const g = groupOf(labels);
      const k = Math.max(0, Math.ceil((seg.profTime[prof] - r.start) / stepMs));
      g.sum[k] += value;
      g.n[k]++;
      g.total += value;
    });
    this.trimPaths(paths);
    let list = [...groups.values()];
    if (p.limit && p.limit > 0 && list.length > p.limit) {
      list = list.sort((a, b) => b.total - a.total).slice(0, p.limit);
    }
    list.sort((a, b) => compareLabelSets(a.labels, b.labels));
    const series = list.map((g) => {
      const points: Array<{ timestamp: number; value: number }> = [];
      for (let k = 0; k < nBuckets; k++) {
        if (g.n[k] > 0) {
          points.push({
            timestamp: r.start + k * stepMs,
            value: p.aggregation === 'average' ? g.sum[k] / g.n[k] : g.sum[k],
          });
        }
      }
      return { labels: g.labels, points };
    });
    return { series, stats };
  }

  /**
   * What a query would read: the same selection as the real query, without merging. An empty profile type
   * analyses the label selector over every type, as Pyroscope's AnalyzeQuery takes a bare selector too.
   */
  async analyze(tenant: string, p: SelectParams): Promise<QueryStats & { bytesInRange: number }> {
    const r = this.normalizeRange(p);
    const refs = await this.reader.list(tenant, r.start, r.end, this.settledBefore(tenant));
    const paths = this.callPaths();
    const stats = await this.scan(tenant, p, this.viewSource(paths), () => {}, p.profileType === '');
    this.trimPaths(paths);
    return { ...stats, bytesInRange: refs.reduce((a, x) => a + x.size, 0) };
  }
}

/**
 * A test of whether a call path lies under the call site (function names root first), or null without one. A
 * path's ancestors have smaller ids, so the walk up stops as soon as it passes the site's id. The site is
 * looked up until it exists: a query's views add paths as it goes, and no path exists before its ancestors.
 */
function underCallSite(paths: CallPaths, callSite?: string[]): ((path: number) => boolean) | null {
  if (!callSite || callSite.length === 0) {
    return null;
  }
  let site = -1;
  const resolve = () => {
    let q = 0;
    for (const name of callSite) {
      const n = paths.findName(name);
      q = n < 0 ? -1 : paths.find(q, n);
      if (q < 0) {
        return -1;
      }
    }
    return q;
  };
  const memo = new Map<number, boolean>();
  return (path) => {
    if (site < 0) {
      site = resolve();
      if (site < 0) {
        return false;
      }
    }
    let ok = memo.get(path);
    if (ok === undefined) {
      let a = path;
      while (a > site) {
        a = paths.parent[a];
      }
      ok = a === site;
      memo.set(path, ok);
    }
    return ok;
  };
}
