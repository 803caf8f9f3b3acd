// The merging half of a query: reads the objects a plan names (header first; objects without wanted series are
// not read further), visits every selected profile once, and sums what the query asks for. Objects are read
// ahead at bounded concurrency while earlier ones merge.
import { compareLabelSets, labelsKey, sortLabels, type LabelSet } from '../model/labels.js';
import type { MergedStack } from '../model/profile.js';
import { FlameTree } from '../model/tree.js';
import { HOUR_MS } from '../storage/keys.js';
import { NotFoundError } from '../storage/objectStore.js';
import { datasetOfSeries, type SegmentMeta } from '../storage/format/meta.js';
import type { DecodedObject, ProfileTable, Segment } from '../storage/format/segment.js';
import {
  READ_CONCURRENCY,
  headerReadBytes,
  mapLimit,
  readAhead,
  type PartKind,
  type SegmentReader,
  type SegmentRef,
} from '../storage/segmentReader.js';
import type { ProfilePoint } from '../model/profilePoints.js';
import type { CallPaths } from './callPaths.js';
import { newestOf, parseSelectorOrThrow, type QueryPlan } from './planner.js';
import type { SeriesExemplars } from './profilePoints.js';
import { SeriesMatcher } from './seriesMatcher.js';
import { SeriesFlags, seriesIdsForQuery, type SeriesIds } from './seriesIds.js';
import type { SegmentView } from './segmentView.js';
import type { Slicer } from './slicer.js';

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

/** What a scan reads of one dataset of an object: the decoded dataset, or a view of it. */
export interface ProfileSource {
  readonly meta: SegmentMeta;
  readonly objectBytes: number;
  readonly profSeries: Int32Array;
  readonly profTime: Float64Array;
  readonly profSampleOffsets: Int32Array;
  /** The client id of a profile ('' = none): profiles with the same id and series are counted once. */
  profIdString(p: number): string;
  /** Whether any profile has a client id: most pushes carry none, and the scan then skips the check. */
  readonly hasProfileIds: boolean;
  string(id: number): string;
  spanOf(s: number): number;
  /** Trace id of sample s as a string id (0 = none; always none in objects written before trace ids). */
  traceOf(s: number): number;
  /** The server-assigned UUID of profile p, canonical lowercase ('' in objects written before UUIDs). */
  uuidOf(p: number): string;
}

/** How a scan gets an object's meta without I/O when it can, and the datasets it wants. */
export interface SourceOf<T extends ProfileSource> {
  cachedMeta(key: string): SegmentMeta | undefined;
  /** The source's form of datasets `ds` of the object; `obj`, when given, is the object already read. */
  open(ref: SegmentRef, meta: SegmentMeta, ds: number[], obj?: DecodedObject): Promise<T[]>;
  /** What the source reads of a dataset: its profile table alone, or table and data. */
  kind: PartKind;
  /** Whether an object read for this source belongs in the reader's cache. */
  keepsSegments: boolean;
}

/** What a scan reads through. */
export interface ScanIO {
  reader: SegmentReader;
}

/**
 * An object the plan named is gone: compaction replaced it and its deletion delay passed while the query ran (a
 * slow query, or a plan from an index that old). What the scan merged so far may count the object's profiles
 * twice against a fresh plan, so the query runs again from one (Querier), once.
 */
export class ObjectsVanishedError extends Error {
  constructor(readonly key: string) {
    super(`object ${key} vanished while the query read it`);
  }
}

/** Called for every selected profile: its object, index, selected-sample filter (null: all) and series labels. */
/**
 * Called per selected profile with its series' label set and number (the same number for the same label set in
 * every object of the query).
 */
export type Visit<T> = (
  seg: T,
  prof: number,
  sampleOk: ((s: number) => boolean) | null,
  labels: LabelSet,
  series: number
) => void;

/** Called once the selected profiles of an object have all been visited (a merge may finish its work there). */
export type SegmentDone<T> = (seg: T) => Promise<void> | void;

type Loaded<T> =
  | { hit: true; parts: T[]; wanted: Int8Array; ref: SegmentRef; meta: SegmentMeta; ds: number[] }
  | { hit: false; ref: SegmentRef; meta: SegmentMeta };

/** The datasets holding any wanted series. */
function datasetsOf(meta: SegmentMeta, wanted: Int8Array): number[] {
  const of = datasetOfSeries(meta);
  const ds = new Set<number>();
  wanted.forEach((w, sid) => {
    if (w && of[sid] >= 0) {
      ds.add(of[sid]);
    }
  });
  return [...ds].sort((a, b) => a - b);
}

const gone = Symbol('gone');

/** One pass over the objects of a plan. */
class Scan<T extends ProfileSource> {
  readonly stats: QueryStats = { objectsListed: 0, objectsRead: 0, bytesRead: 0, profiles: 0, samples: 0, series: 0 };
  /** Whether a series' label set matches the selector: each distinct set is matched once per query. */
  private readonly matcher: SeriesMatcher;
  private readonly spans: Set<string> | null;
  private readonly traces: Set<string> | null;
  private readonly profileIds: Set<string> | null;
  /** Client ids seen, with the series of their first profile; `seenPairs` for an id seen in more series. */
  private readonly seenIds = new Map<string, number>();
  private readonly seenPairs = new Set<string>();
  /** The query's series numbering, and which numbers were counted in stats.series. */
  private readonly sids: SeriesIds = seriesIdsForQuery();
  private readonly seenSeries = new SeriesFlags();

  constructor(
    private readonly plan: QueryPlan,
    private readonly io: ScanIO,
    private readonly source: SourceOf<T>,
    private readonly visit: Visit<T>,
    private readonly slicer: Slicer,
    private readonly segmentDone?: SegmentDone<T>
  ) {
    this.matcher = new SeriesMatcher([parseSelectorOrThrow(plan.selector)], slicer);
    this.spans = plan.spans.length > 0 ? new Set(plan.spans) : null;
    this.traces = plan.traces.length > 0 ? new Set(plan.traces) : null;
    this.profileIds = plan.profileIds.length > 0 ? new Set(plan.profileIds) : null;
  }

  private get reader(): SegmentReader {
    return this.io.reader;
  }

  /** The part of the range a planned object is read for: its hour. */
  private windowOf(ref: SegmentRef): [number, number] {
    return [this.windowFrom(ref), this.windowTo(ref)];
  }

  // apart, for the per-part visit: ~50,000 parts a page at 3,000 services, an array each was 1.5 MB of garbage
  private windowFrom(ref: SegmentRef): number {
    return Math.max(this.plan.start, ref.hour * HOUR_MS);
  }

  private windowTo(ref: SegmentRef): number {
    return Math.min(this.plan.end, (ref.hour + 1) * HOUR_MS - 1);
  }

  private async wantedOf(meta: SegmentMeta, ref: SegmentRef): Promise<Int8Array | null> {
    const { plan } = this;
    const [from, to] = this.windowOf(ref);
    const wanted = new Int8Array(meta.series.length);
    const ids = this.sids.of(meta);
    let any = false;
    for (let i = 0; i < meta.series.length; i++) {
      const s = meta.series[i];
      if (
        (plan.profileType === null || s.profileType === plan.profileType) &&
        s.maxTime >= from &&
        s.minTime <= to &&
        (this.matcher.known(ids[i], s.labels) ?? (await this.matcher.matches(ids[i], s.labels)))
      ) {
        wanted[i] = 1;
        any = true;
      }
    }
    return any ? wanted : null;
  }

  /**
   * The header first (a range read, or the cache): an object without wanted series is not read further.
   * A small object read header first costs two round trips where reading it whole costs one (a cold day of
   * 15 s segments is thousands of them); its meta is cached either way.
   */
  readonly load = async (ref: SegmentRef): Promise<Loaded<T>> => {
    this.slicer.signal?.throwIfAborted();
    const known = ref.meta ?? this.source.cachedMeta(ref.key);
    if (!known && this.reader.readsWhole(ref.size)) {
      const obj = await this.reader.segment(ref.key, { cache: this.source.keepsSegments, size: ref.size });
      const wanted = await this.wantedOf(obj.meta, ref);
      if (!wanted) {
        return { hit: false, ref, meta: obj.meta };
      }
      const ds = datasetsOf(obj.meta, wanted);
      return { hit: true, parts: await this.source.open(ref, obj.meta, ds, obj), wanted, ref, meta: obj.meta, ds };
    }
    const meta = known ?? (await this.reader.meta(ref.key));
    const wanted = await this.wantedOf(meta, ref);
    if (!wanted) {
      return { hit: false, ref, meta };
    }
    const ds = datasetsOf(meta, wanted);
    return { hit: true, parts: await this.source.open(ref, meta, ds), wanted, ref, meta, ds };
  };

  /** Every object is counted as a query with cold caches reads it (see QueryStats), wanted or not. */
  private countRead(item: Loaded<T>): void {
    if (!item.hit && item.ref.meta) {
      // the index told the query the object holds nothing it wants: nothing was read
      return;
    }
    this.stats.objectsRead++;
    if (item.hit) {
      // the wanted sections of a block read in ranges, else the object whole (its listed size; a part's own
      // count when the listing has none)
      const ranged = this.reader.rangedBytes(item.ref.size, item.meta, item.ds, this.source.kind);
      this.stats.bytesRead +=
        ranged ?? (item.ref.size > 0 ? item.ref.size : item.parts.reduce((a, p) => a + p.objectBytes, 0));
    } else {
      this.stats.bytesRead += this.reader.readsWhole(item.ref.size)
        ? item.ref.size
        : headerReadBytes(item.meta, item.ref.size);
    }
  }

  /**
   * The samples of the selected spans or traces (a plan has at most one of the two), or null for all. Span ids
   * compare as stored; trace ids case-insensitively, as Pyroscope compares their bytes.
   */
  private sampleFilter(seg: T): ((s: number) => boolean) | null {
    const ids = this.spans ?? this.traces;
    if (!ids) {
      return null;
    }
    const byTrace = this.spans === null;
    const memo = new Map<number, boolean>();
    return (s: number) => {
      const id = byTrace ? seg.traceOf(s) : seg.spanOf(s);
      if (id === 0) {
        return false;
      }
      let m = memo.get(id);
      if (m === undefined) {
        const str = seg.string(id);
        m = ids.has(byTrace ? str.toLowerCase() : str);
        memo.set(id, m);
      }
      return m;
    };
  }

  /**
   * Visits the wanted profiles of one part; a promise only when it gave the loop back meanwhile or has a
   * segmentDone to wait for. The All services page at 3,000 services visits ~10,000 parts, most with a few
   * profiles: an async call each cost a promise and a turn of the microtask queue per part.
   */
  private visitSegment(seg: T, wanted: Int8Array, ref: SegmentRef): Promise<void> | undefined {
    const sampleOk = this.sampleFilter(seg);
    const stop = this.visitFrom(seg, wanted, ref, sampleOk, 0);
    return stop < 0 && !this.segmentDone ? undefined : this.visitRest(seg, wanted, ref, sampleOk, stop);
  }

  private async visitRest(
    seg: T,
    wanted: Int8Array,
    ref: SegmentRef,
    sampleOk: ((s: number) => boolean) | null,
    stop: number
  ): Promise<void> {
    while (stop >= 0) {
      await this.slicer.pause();
      stop = this.visitFrom(seg, wanted, ref, sampleOk, stop);
    }
    await this.segmentDone?.(seg);
  }

  /**
   * Whether a profile with client id `id` ('' = none) was visited in this series already (Pyroscope counts a
   * profile pushed twice with one id once). Alloy sends an id with every profile: keyed by the id alone, as an id
   * names one profile of one series; a string of id and series is made only for an id seen in another series.
   */
  private seenBefore(id: string, series: number): boolean {
    if (id === '') {
      return false;
    }
    const first = this.seenIds.get(id);
    if (first === undefined) {
      this.seenIds.set(id, series);
      return false;
    }
    if (first === series) {
      return true;
    }
    const k = id + '\u0002' + series;
    if (this.seenPairs.has(k)) {
      return true;
    }
    this.seenPairs.add(k);
    return false;
  }

  /** Visits profiles from `start` on; returns the profile to go on from once the loop was given back, or -1. */
  private visitFrom(
    seg: T,
    wanted: Int8Array,
    ref: SegmentRef,
    sampleOk: ((s: number) => boolean) | null,
    start: number
  ): number {
    const { stats, slicer, seenSeries } = this;
    const from = this.windowFrom(ref);
    const to = this.windowTo(ref);
    const meta = seg.meta;
    const sids = this.sids.of(meta);
    const ids = this.profileIds;
    const withIds = seg.hasProfileIds;
    // the columns once, not through the source's getters per profile (a time series visits ~100,000 profiles)
    const profSeries = seg.profSeries;
    const profTime = seg.profTime;
    const offsets = seg.profSampleOffsets;
    let profiles = 0;
    let samples = 0;
    let stop = -1;
    for (let prof = start; prof < profSeries.length; prof++) {
      const n = offsets[prof + 1] - offsets[prof];
      if (slicer.due(1 + n)) {
        stop = prof;
        break;
      }
      const sid = profSeries[prof];
      if (!wanted[sid]) {
        continue;
      }
      const t = profTime[prof];
      if (t < from || t > to) {
        continue;
      }
      if (ids && !ids.has(seg.uuidOf(prof))) {
        continue;
      }
      const labels = meta.series[sid].labels;
      const series = sids[sid];
      if (withIds && this.seenBefore(seg.profIdString(prof), series)) {
        continue;
      }
      if (seenSeries.get(series) === 0) {
        seenSeries.set(series, 1);
        stats.series++;
      }
      profiles++;
      samples += n;
      this.visit(seg, prof, sampleOk, labels, series);
    }
    stats.profiles += profiles;
    stats.samples += samples;
    return stop;
  }

  /**
   * The plan's objects, then its newest ones once they are listed (a staged plan): the blocks merge while the
   * newest minute folders are listed. Each object merges as soon as it is read; one that vanished fails the scan
   * (ObjectsVanishedError), and the query runs again from a fresh plan.
   */
  async run(): Promise<QueryStats> {
    await this.pass(this.plan.objects);
    const newest = newestOf(this.plan);
    if (newest) {
      const refs = await newest;
      this.slicer.resumed();
      await this.pass(refs);
    }
    return this.stats;
  }

  private async pass(refs: readonly SegmentRef[]): Promise<void> {
    this.stats.objectsListed += refs.length;
    const loadOrGone = (ref: SegmentRef): Promise<Loaded<T> | typeof gone> =>
      this.load(ref).catch((e: unknown) => {
        if (e instanceof NotFoundError) {
          return gone;
        }
        throw e;
      });
    let pos = 0;
    for await (const item of readAhead(refs, READ_CONCURRENCY, loadOrGone)) {
      this.slicer.resumed();
      const ref = refs[pos++];
      if (item === gone) {
        throw new ObjectsVanishedError(ref.key);
      }
      this.countRead(item);
      if (item.hit) {
        for (const part of item.parts) {
          const visiting = this.visitSegment(part, item.wanted, item.ref);
          if (visiting) {
            await visiting;
          }
        }
      }
    }
  }
}

/** Visits every profile the plan selects; returns the stats of what was read. */
export function scan<T extends ProfileSource>(
  plan: QueryPlan,
  io: ScanIO,
  source: SourceOf<T>,
  visit: Visit<T>,
  slicer: Slicer,
  segmentDone?: SegmentDone<T>
): Promise<QueryStats> {
  return new Scan(plan, io, source, visit, slicer, segmentDone).run();
}

/** Sums the selected samples per stack of each segment, then hands over each distinct stack once. */
async function sumStacks(
  plan: QueryPlan,
  io: ScanIO,
  source: SourceOf<Segment>,
  onStack: (seg: Segment, stack: number, value: number) => number,
  slicer: Slicer
): Promise<QueryStats> {
  let cur: Segment | null = null;
  let acc = new Float64Array(0);
  let touched: number[] = [];
  // once an object's profiles are all visited: its stacks, each once (onStack says how much work it did)
  const flush = async (seg: Segment) => {
    const list = touched;
    touched = [];
    cur = null;
    for (const st of list) {
      const v = acc[st];
      acc[st] = 0;
      if (v !== 0 && slicer.due(onStack(seg, st, v))) {
        await slicer.pause();
      }
    }
  };
  const visit: Visit<Segment> = (seg, prof, ok) => {
    if (seg !== cur) {
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
  };
  return scan(plan, io, source, visit, slicer, flush);
}

/** Merged stacks with full frame detail (function, file, line), for pprof output. */
export async function mergeStacks(
  plan: QueryPlan,
  io: ScanIO,
  source: SourceOf<Segment>,
  slicer: Slicer
): Promise<{ stacks: MergedStack[]; stats: QueryStats }> {
  const byKey = new Map<string, MergedStack>();
  const callSite = plan.callSite.length > 0 ? plan.callSite : null;
  const onStack = (seg: Segment, st: number, value: number): number => {
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
    const work = 1 + frames.length * 4;
    if (callSite) {
      if (frames.length < callSite.length) {
        return work;
      }
      for (let i = 0; i < callSite.length; i++) {
        if (frames[frames.length - 1 - i][0] !== callSite[i]) {
          return work;
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
    return work;
  };
  const stats = await sumStacks(plan, io, source, onStack, slicer);
  return { stacks: [...byKey.values()], stats };
}

/** The merged call tree by function name (flame graphs, TREE, DOT, diffs), over views resolved against paths. */
export async function mergeTree(
  plan: QueryPlan,
  io: ScanIO,
  source: SourceOf<SegmentView>,
  paths: CallPaths,
  slicer: Slicer
): Promise<{ tree: FlameTree; stats: QueryStats }> {
  // value per leaf path, and the leaf paths touched, in the order first met
  let acc = new Float64Array(Math.max(1024, paths.size));
  let seen = new Uint8Array(acc.length);
  const touched: number[] = [];
  const visit: Visit<SegmentView> = (view, prof, ok) => {
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
  };
  const stats = await scan(plan, io, source, visit, slicer);
  return { tree: await treeOf(paths, acc, touched, plan.callSite, slicer), stats };
}

/** The path id of a call site (function names root first) in the table, or -1 while it is not there. */
function callSiteId(paths: CallPaths, callSite: string[]): number {
  let q = 0;
  for (const name of callSite) {
    const n = paths.findName(name);
    q = n < 0 ? -1 : paths.find(q, n);
    if (q < 0) {
      return -1;
    }
  }
  return q;
}

/**
 * The flame tree of the touched leaf paths: each path becomes a node once (its ancestors first), its value
 * the node's self; totals are summed bottom-up at the end. With a call site, only paths under it are kept.
 */
async function treeOf(
  paths: CallPaths,
  acc: Float64Array,
  touched: number[],
  callSite: string[],
  slicer: Slicer
): Promise<FlameTree> {
  const tree = new FlameTree(Math.max(1024, touched.length * 2));
  const site = callSite.length > 0 ? callSiteId(paths, callSite) : 0;
  if (site < 0) {
    return tree;
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
    if (slicer.due(1 + chain.length)) {
      await slicer.pause();
    }
  }
  tree.totalsFromSelf();
  return tree;
}

/**
 * A test of whether a call path lies under the call site (function names root first), or null without one. A
 * path's ancestors have smaller ids, so the walk up stops as soon as it passes the site's id. The site is
 * looked up until it exists: a query's views add paths as it goes, and no path exists before its ancestors.
 */
function underCallSite(paths: CallPaths, callSite: string[]): ((path: number) => boolean) | null {
  if (callSite.length === 0) {
    return null;
  }
  let site = -1;
  const memo = new Map<number, boolean>();
  return (path) => {
    if (site < 0) {
      site = callSiteId(paths, callSite);
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

/**
 * A series' non-empty buckets, as columns: an All services answer is 300 series of 120-240 points, and a
 * point object each was as costly to make (and collect) as the scan behind it.
 */
export interface SeriesResult {
  labels: LabelSet;
  /** bucket times, ascending */
  timestamps: Float64Array;
  values: Float64Array;
  /** with exemplars asked: each point's highest-value profile (or span), when it has one */
  exemplars?: Array<ProfilePoint | undefined>;
}

/** A series' points as objects, for the answers that are not written straight from the columns. */
export function seriesPoints(s: SeriesResult): Array<{ timestamp: number; value: number; exemplar?: ProfilePoint }> {
  const out: Array<{ timestamp: number; value: number; exemplar?: ProfilePoint }> = [];
  for (let i = 0; i < s.timestamps.length; i++) {
    const exemplar = s.exemplars?.[i];
    out.push(
      exemplar
        ? { timestamp: s.timestamps[i], value: s.values[i], exemplar }
        : { timestamp: s.timestamps[i], value: s.values[i] }
    );
  }
  return out;
}

/** The time grid of a series query: a point at T holds the profiles in (T - step, T], T = start + k * step. */
export interface SeriesGrid {
  start: number;
  stepMs: number;
  buckets: number;
  groupBy: string[];
  aggregation: 'sum' | 'average';
  limit?: number;
  /** Collects the profiles behind each point when exemplars are asked. */
  exemplars?: SeriesExemplars;
}

interface Group {
  labels: LabelSet;
  /** Where its buckets start in the query's GroupColumns. */
  at: number;
  total: number;
}

/**
 * Every group's buckets in two columns of the query, not two typed arrays per group: the All services page at
 * 3,000 services made 6,000 small typed arrays per query, each with a backing store of its own (4 ms of a
 * warm query's 80, and as much again for its answer's columns, see seriesOf).
 */
class GroupColumns {
  sum: Float64Array;
  n: Int32Array;
  private used = 0;

  constructor(private readonly buckets: number) {
    this.sum = new Float64Array(buckets * 16);
    this.n = new Int32Array(buckets * 16);
  }

  /** Room for one more group's buckets; where they start. */
  add(): number {
    const at = this.used;
    this.used += this.buckets;
    if (this.used > this.sum.length) {
      const sum = new Float64Array(Math.max(this.used, 2 * this.sum.length));
      sum.set(this.sum);
      this.sum = sum;
      const n = new Int32Array(sum.length);
      n.set(this.n);
      this.n = n;
    }
    return at;
  }
}

/**
 * A dataset's profile table as a scan source: each profile's total, no samples. Time series that sum whole
 * profiles read only these (a block's tables lie together: one range), not the stacks and symbols.
 */
export class TableRows implements ProfileSource {
  constructor(private readonly table: ProfileTable) {}
  get meta(): SegmentMeta {
    return this.table.meta;
  }
  get objectBytes(): number {
    return this.table.byteSize;
  }
  get profSeries(): Int32Array {
    return this.table.profSeries;
  }
  get profTime(): Float64Array {
    return this.table.profTime;
  }
  get profTotal(): Float64Array {
    return this.table.profTotal;
  }
  get profSampleOffsets(): Int32Array {
    return this.table.profSampleOffsets;
  }
  profIdString(p: number): string {
    return this.table.profIdString(p);
  }
  get hasProfileIds(): boolean {
    return this.table.hasProfileIds;
  }
  uuidOf(p: number): string {
    return this.table.uuidOf(p);
  }
  // a scan asks for samples only to filter them by span or trace; plans with those read whole datasets
  string(): string {
    throw new Error('a profile table has no strings: the plan needs datasets');
  }
  spanOf(): number {
    throw new Error('a profile table has no samples: the plan needs datasets');
  }
  traceOf(): number {
    throw new Error('a profile table has no samples: the plan needs datasets');
  }
}

/**
 * Sums the selected profiles per group and time bucket; with spans or a call site, only those samples (read
 * from views); otherwise whole profiles' totals, read from the profile tables alone (unless exemplars are asked
 * for: they name profiles by their samples' spans).
 */
export async function mergeSeries(
  plan: QueryPlan,
  io: ScanIO,
  sources: { views: SourceOf<SegmentView>; tables: SourceOf<TableRows> },
  paths: CallPaths,
  grid: SeriesGrid,
  slicer: Slicer
): Promise<{ series: SeriesResult[]; stats: QueryStats }> {
  const groups = new Map<string, Group>();
  const cols = new GroupColumns(grid.buckets);
  // the group of a series, looked up once per series of the query rather than once per profile
  const groupOfSeries = new Map<number, Group>();
  const groupOf = (labels: LabelSet, series: number): Group => {
    let g = groupOfSeries.get(series);
    if (!g) {
      const proj = sortLabels(labels.filter(([n]) => grid.groupBy.includes(n)));
      const k = labelsKey(proj);
      g = groups.get(k);
      if (!g) {
        g = { labels: proj, at: cols.add(), total: 0 };
        groups.set(k, g);
      }
      groupOfSeries.set(series, g);
    }
    return g;
  };
  // a profile past the grid's last bucket (a range without an end: the plan's "now" came a moment after the
  // grid's) is left out, as it was when each group had arrays of its own; the shared columns would put it into
  // the next group
  const bucketOf = (t: number) => Math.max(0, Math.ceil((t - grid.start) / grid.stepMs));
  const needSamples = plan.spans.length > 0 || plan.traces.length > 0 || plan.callSite.length > 0;
  if (!needSamples && !grid.exemplars) {
    const visitTable: Visit<TableRows> = (rows, prof, _ok, labels, series) => {
      const value = rows.profTotal[prof];
      const b = bucketOf(rows.profTime[prof]);
      if (b >= grid.buckets) {
        return;
      }
      const g = groupOf(labels, series);
      const k = g.at + b;
      cols.sum[k] += value;
      cols.n[k]++;
      g.total += value;
    };
    const stats = await scan(plan, io, sources.tables, visitTable, slicer);
    return { series: seriesOf([...groups.values()], cols, grid), stats };
  }
  const onSite = underCallSite(paths, plan.callSite);
  const visit: Visit<SegmentView> = (seg, prof, ok, labels, series) => {
    let value = seg.profTotal[prof];
    const keep = needSamples ? (s: number) => !((ok && !ok(s)) || (onSite && !onSite(seg.samplePath[s]))) : null;
    if (keep) {
      value = 0;
      for (let s = seg.profSampleOffsets[prof]; s < seg.profSampleOffsets[prof + 1]; s++) {
        if (keep(s)) {
          value += seg.sampleValue[s];
        }
      }
      if (value === 0) {
        return;
      }
    }
    const k = bucketOf(seg.profTime[prof]);
    if (k >= grid.buckets) {
      return;
    }
    const g = groupOf(labels, series);
    cols.sum[g.at + k] += value;
    cols.n[g.at + k]++;
    g.total += value;
    grid.exemplars?.add(g, k, seg, prof, value, labels, keep);
  };
  const stats = await scan(plan, io, sources.views, visit, slicer);
  return { series: seriesOf([...groups.values()], cols, grid), stats };
}

/**
 * The groups as series: the `limit` largest by total, sorted by labels, empty buckets left out. Their columns are
 * views of two arrays for the whole answer (see GroupColumns).
 */
function seriesOf(groups: Group[], cols: GroupColumns, grid: SeriesGrid): SeriesResult[] {
  let list = groups;
  if (grid.limit && grid.limit > 0 && list.length > grid.limit) {
    list = list.sort((a, b) => b.total - a.total).slice(0, grid.limit);
  }
  list.sort((a, b) => compareLabelSets(a.labels, b.labels));
  const { sum, n } = cols;
  let points = 0;
  for (const g of list) {
    for (let k = g.at; k < g.at + grid.buckets; k++) {
      if (n[k] > 0) {
        points++;
      }
    }
  }
  const allTimestamps = new Float64Array(points);
  const allValues = new Float64Array(points);
  let i = 0;
  return list.map((g) => {
    const first = i;
    const exemplars: Array<ProfilePoint | undefined> | undefined = grid.exemplars ? [] : undefined;
    for (let k = 0; k < grid.buckets; k++) {
      const c = g.at + k;
      if (n[c] > 0) {
        allTimestamps[i] = grid.start + k * grid.stepMs;
        allValues[i] = grid.aggregation === 'average' ? sum[c] / n[c] : sum[c];
        exemplars?.push(grid.exemplars?.best(g, k));
        i++;
      }
    }
    const timestamps = allTimestamps.subarray(first, i);
    const values = allValues.subarray(first, i);
    return exemplars ? { labels: g.labels, timestamps, values, exemplars } : { labels: g.labels, timestamps, values };
  });
}
