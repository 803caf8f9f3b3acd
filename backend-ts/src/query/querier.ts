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
  mapLimit,
  readAhead,
  type SegmentReader,
  type SegmentRef,
} from '../storage/segmentReader.js';
import { CallPaths, SegmentPaths } from './callPaths.js';
import { QueryError } from './errors.js';

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

export interface QuerierOptions {
  /** Memory bound of the call path table shared by every flame graph query. */
  callPathBytes?: number;
}

export class Querier {
  private paths = new CallPaths();
  /** Each cached segment's index into the current path table; dies with the segment. */
  private readonly segmentPaths = new WeakMap<Segment, SegmentPaths>();
  private readonly callPathBytes: number;

  constructor(
    private readonly reader: SegmentReader,
    private readonly limitsFor: (tenant: string) => Limits,
    private readonly now: () => number = Date.now,
    opts: QuerierOptions = {}
  ) {
    this.callPathBytes = opts.callPathBytes ?? CALL_PATH_BYTES;
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
  private async scan(
    tenant: string,
    p: SelectParams,
    visit: (seg: Segment, prof: number, sampleOk: ((s: number) => boolean) | null, seriesLabels: LabelSet) => void,
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
    // the header first (a range read, or the cache): an object without wanted series is not read further
    type Loaded = { seg: Segment; wanted: Int8Array } | null;
    const load = async (ref: SegmentRef): Promise<Loaded> => {
      p.signal?.throwIfAborted();
      const wanted = wantedOf(await this.reader.meta(ref.key));
      return wanted ? { seg: await this.reader.segment(ref.key), wanted } : null;
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
    const visitSegment = (seg: Segment, wanted: Int8Array): void => {
      const meta = seg.meta;
      stats.objectsRead++;
      stats.bytesRead += seg.byteSize;
      let spanOk: ((s: number) => boolean) | null = null;
      if (spans) {
        const memo = new Int8Array(seg.stringCount);
        spanOk = (s: number) => {
          const id = seg.sampleSpan[s];
          if (id === 0) {
            return false;
          }
          let m = memo[id];
          if (m === 0) {
            m = spans.has(seg.string(id)) ? 1 : -1;
            memo[id] = m;
          }
          return m === 1;
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
        if (item && item !== gone) {
          visitSegment(item.seg, item.wanted);
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
    const stats = await this.scan(tenant, p, (seg, prof, ok) => {
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
    if (this.paths.byteSize > this.callPathBytes) {
      // queries still running keep the old table (their indexes name it); it goes once they finish
      this.paths = new CallPaths();
    }
    return this.paths;
  }

  /** The index of a segment into `paths`, built on first use and kept as long as the segment stays cached. */
  private segmentPathsOf(seg: Segment, paths: CallPaths): SegmentPaths {
    let sp = this.segmentPaths.get(seg);
    if (!sp || sp.paths !== paths) {
      sp = new SegmentPaths(seg, paths);
      this.segmentPaths.set(seg, sp);
    }
    return sp;
  }

  /** The merged call tree by function name (flame graphs, TREE, DOT, diffs). */
  async selectMergeTree(tenant: string, p: SelectParams): Promise<{ tree: FlameTree; stats: QueryStats }> {
    const paths = this.callPaths();
    // value per leaf path, and the leaf paths touched, in the order first met
    let acc = new Float64Array(Math.max(1024, paths.size));
    let seen = new Uint8Array(acc.length);
    const touched: number[] = [];
    let cur: Segment | null = null;
    let sp: SegmentPaths | null = null;
    const stats = await this.scan(tenant, p, (seg, prof, ok) => {
      if (seg !== cur) {
        cur = seg;
        sp = this.segmentPathsOf(seg, paths);
      }
      const index = sp as SegmentPaths;
      const stackPath = index.stackPath;
      const sampleStack = seg.sampleStack;
      const sampleValue = seg.sampleValue;
      for (let s = seg.profSampleOffsets[prof], end = seg.profSampleOffsets[prof + 1]; s < end; s++) {
        if (ok && !ok(s)) {
          continue;
        }
        const st = sampleStack[s];
        let path = stackPath[st];
        if (path < 0) {
          path = index.path(st);
        }
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
    return { tree: this.treeOf(paths, acc, touched, p.callSite), stats };
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
    const callSiteStacks = new Map<Segment, Int8Array>();
    const stackOk = (seg: Segment, st: number): boolean => {
      if (!p.callSite || p.callSite.length === 0) {
        return true;
      }
      let memo = callSiteStacks.get(seg);
      if (!memo) {
        memo = new Int8Array(seg.stackOffsets.length - 1);
        callSiteStacks.set(seg, memo);
      }
      if (memo[st] === 0) {
        const to = seg.stackOffsets[st + 1];
        const from = seg.stackOffsets[st];
        let ok = to - from >= p.callSite.length;
        for (let i = 0; ok && i < p.callSite.length; i++) {
          ok = seg.string(seg.fnName[seg.frameFn[seg.stackFrames[to - 1 - i]]]) === p.callSite[i];
        }
        memo[st] = ok ? 1 : -1;
      }
      return memo[st] === 1;
    };
    const stats = await this.scan(tenant, p, (seg, prof, ok, labels) => {
      let value = seg.profTotal[prof];
      if (needSamples) {
        value = 0;
        for (let s = seg.profSampleOffsets[prof]; s < seg.profSampleOffsets[prof + 1]; s++) {
          if ((ok && !ok(s)) || !stackOk(seg, seg.sampleStack[s])) {
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
    const stats = await this.scan(tenant, p, () => {}, p.profileType === '');
    return { ...stats, bytesInRange: refs.reduce((a, x) => a + x.size, 0) };
  }
}
