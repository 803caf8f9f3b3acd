// The read path's front: a query is planned (planner.ts: limits, checks, the objects of the range) and merged
// (merger.ts: reads what the plan names). Flame graphs merge by call path (callPaths.ts): each segment maps a
// stack to a process-wide path id once, so a query adds sample values into an array by path id and builds the
// tree from the paths it touched, at the end. The caches every query shares live here (segment views, the call
// path table) and in the segment reader (objects, metas, listings).
import type { Limits } from '../config/config.js';
import { compareLabelSets, labelsKey, parseProfileTypeId, type LabelSet, type ProfileTypeId } from '../model/labels.js';
import type { MergedStack } from '../model/profile.js';
import { matches } from '../model/selector.js';
import { rangeHeatmap, topHeatmapSeries, type HeatmapSeries } from '../model/heatmap.js';
import type { FlameTree } from '../model/tree.js';
import type { Segment } from '../storage/format/segment.js';
import type { SegmentReader, SegmentRef } from '../storage/segmentReader.js';
import { LRUCache } from 'lru-cache';
import { CallPaths } from './callPaths.js';
import { QueryError, StoreUnavailableError } from './errors.js';
import { mergeHeatmap } from './heatmap.js';
import type { Catalog } from '../storage/catalog.js';
import {
  mergeSeries,
  mergeStacks,
  mergeTree,
  ObjectsVanishedError,
  scan,
  type QueryStats,
  type ScanIO,
  type SeriesResult,
  type SourceOf,
  TableRows,
} from './merger.js';
import {
  parseSelectorOrThrow,
  Planner,
  type HeatmapParams,
  type QueryPlan,
  type SelectParams,
  type SeriesParams,
  type StagedPlan,
  type TimeRange,
} from './planner.js';
import { SeriesExemplars } from './profilePoints.js';
import { SegmentView } from './segmentView.js';
import { SeriesMatcher } from './seriesMatcher.js';
import { seriesIdsForQuery } from './seriesIds.js';
import { Slicer } from './slicer.js';

export type { HeatmapSeries } from '../model/heatmap.js';
export type { ProfilePoint } from '../model/profilePoints.js';
export type { QueryStats, SeriesResult } from './merger.js';
export { seriesPoints } from './merger.js';
export type { HeatmapParams, QueryPlan, SelectParams, SeriesParams, TimeRange } from './planner.js';

/** Default bound of the call path table (callPaths.ts): about 2M distinct paths of ordinary names. */
const CALL_PATH_BYTES = 64 * 1024 * 1024;

/** Default bound of the cache of segment views (segmentView.ts): a day of 15 s segments takes ~25 MiB. */
const VIEW_CACHE_BYTES = 256 * 1024 * 1024;

export interface QuerierOptions {
  /** Memory bound of the call path table shared by every flame graph query. */
  callPathBytes?: number;
  /** Memory bound of the cache of segment views. */
  viewCacheBytes?: number;
}

export class Querier {
  private paths = new CallPaths();
  private readonly callPathBytes: number;
  private readonly views: LRUCache<string, SegmentView>;
  private readonly viewLoading = new Map<string, Promise<SegmentView>>();
  /** Full segments from the reader's cache (pprof output needs every symbol). */
  private readonly segmentSource: SourceOf<Segment>;
  /** Profile tables alone (time series that sum whole profiles). */
  private readonly tableSource: SourceOf<TableRows>;

  private readonly planner: Planner;
  private readonly io: ScanIO;

  constructor(
    private readonly reader: SegmentReader,
    private readonly catalog: Catalog,
    limitsFor: (tenant: string) => Limits,
    now: () => number = Date.now,
    opts: QuerierOptions = {}
  ) {
    this.planner = new Planner(catalog, reader, limitsFor, now);
    this.io = { reader };
    this.callPathBytes = opts.callPathBytes ?? CALL_PATH_BYTES;
    this.views = new LRUCache<string, SegmentView>({
      maxSize: opts.viewCacheBytes ?? VIEW_CACHE_BYTES,
      sizeCalculation: (v) => Math.max(1, v.byteSize),
    });
    this.segmentSource = {
      cachedMeta: (k) => reader.cachedMeta(k),
      open: async (ref, meta, ds, obj) =>
        obj ? ds.map((d) => obj.datasets[d]) : reader.parts(ref, meta, ds, 'dataset'),
      kind: 'dataset',
      keepsSegments: true,
    };
    this.tableSource = {
      cachedMeta: (k) => reader.cachedMeta(k),
      open: async (ref, meta, ds, obj) =>
        (obj ? ds.map((d) => obj.datasets[d].table) : await reader.parts(ref, meta, ds, 'table')).map(
          (t) => new TableRows(t)
        ),
      kind: 'table',
      // a small object is read whole: kept (within the cache's bound) so that the next query finds its tables
      // without reading it again; a block's tables read in ranges are kept on their own
      keepsSegments: true,
    };
  }

  /** Views of segments resolved against `paths` (flame graphs, series, analysis). */
  private viewSource(paths: CallPaths): SourceOf<SegmentView> {
    return {
      cachedMeta: (k) => this.reader.cachedMeta(k),
      open: (ref, meta, ds, obj) => {
        if (obj) {
          return Promise.all(ds.map((d) => this.view(ref, d, paths, () => Promise.resolve(obj.datasets[d]))));
        }
        // the datasets without a view are read together (one ranged read of a block for all of them)
        const need = ds.filter((d) => !this.hasView(ref, d, paths));
        const at = new Map(need.map((d, i) => [d, i]));
        let read: Promise<Segment[]> | undefined;
        const readOnce = () => (read ??= this.reader.parts(ref, meta, need, 'dataset', { cache: false }));
        return Promise.all(
          ds.map((d) => {
            const i = at.get(d);
            return this.view(ref, d, paths, () =>
              i !== undefined
                ? readOnce().then((segs) => segs[i])
                : this.reader.parts(ref, meta, [d], 'dataset', { cache: false }).then((segs) => segs[0])
            );
          })
        );
      },
      kind: 'dataset',
      keepsSegments: false,
    };
  }

  private hasView(ref: SegmentRef, d: number, paths: CallPaths): boolean {
    const key = `${ref.key}\u0000${d}`;
    return this.views.get(key)?.paths === paths || this.viewLoading.has(key);
  }

  /**
   * The view of dataset d of an object for `paths`: cached, being built for another query, or built from the
   * dataset read without caching it (the view holds what queries need of it in a fraction of the bytes).
   */
  private async view(ref: SegmentRef, d: number, paths: CallPaths, read: () => Promise<Segment>): Promise<SegmentView> {
    const key = `${ref.key}\u0000${d}`;
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
    const building = read().then((seg) => SegmentView.build(seg, paths));
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
    return this.planner.normalizeRange(r);
  }

  /** Every distinct series (label set) in range matching any of the selectors (none = all). */
  private async seriesIn(tenant: string, selectors: string[], range: TimeRange): Promise<LabelSet[]> {
    const r = this.normalizeRange(range);
    const slicer = new Slicer(range.signal);
    const matcher = new SeriesMatcher(
      this.planner.parseSelectors(
        tenant,
        selectors.filter((s) => s.trim() !== '')
      ),
      slicer
    );
    const sids = seriesIdsForQuery();
    const seen = new Map<number, LabelSet>();
    const metas = await this.planner.metas(tenant, r);
    slicer.resumed();
    for (const { meta } of metas) {
      const ids = sids.of(meta);
      for (let i = 0; i < meta.series.length; i++) {
        const s = meta.series[i];
        if (s.maxTime < r.start || s.minTime > r.end) {
          continue;
        }
        if (!(matcher.known(ids[i], s.labels) ?? (await matcher.matches(ids[i], s.labels)))) {
          continue;
        }
        if (!seen.has(ids[i])) {
          seen.set(ids[i], s.labels);
        }
        if (slicer.due(s.labels.length)) {
          await slicer.pause();
        }
      }
    }
    return [...seen.values()];
  }

  async profileTypes(tenant: string, range: TimeRange): Promise<ProfileTypeId[]> {
    const r = this.normalizeRange(range);
    const slicer = new Slicer(range.signal);
    const ids = new Set<string>();
    const metas = await this.planner.metas(tenant, r);
    slicer.resumed();
    for (const { meta } of metas) {
      for (const s of meta.series) {
        if (s.maxTime >= r.start && s.minTime <= r.end) {
          ids.add(s.profileType);
        }
      }
      await slicer.tick(meta.series.length);
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
    const b = await this.catalog.timeBounds(tenant);
    return b ? { dataIngested: true, ...b } : { dataIngested: false, oldest: 0, newest: 0 };
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

  /** The plan of a select query: plain data naming what the merge reads (see planner.ts). */
  plan(tenant: string, p: SelectParams): Promise<QueryPlan> {
    return this.planner.plan(tenant, p);
  }

  /**
   * Runs a select query on a staged plan; if an object it planned vanished meanwhile (see
   * ObjectsVanishedError), runs it once more on a plan read afresh (head, documents, every listing). An object
   * vanishing from that one too is the store's trouble: the client retries.
   */
  private async staged<R>(
    tenant: string,
    p: SelectParams,
    run: (plan: StagedPlan) => Promise<R>,
    anyType = false
  ): Promise<R> {
    try {
      return await run(await this.planner.planStaged(tenant, p, anyType));
    } catch (e) {
      if (!(e instanceof ObjectsVanishedError)) {
        throw e;
      }
    }
    try {
      return await run(await this.planner.planStaged(tenant, p, anyType, true));
    } catch (e) {
      if (e instanceof ObjectsVanishedError) {
        throw new StoreUnavailableError(`objects vanished twice while the query read them (${e.key}): retry`);
      }
      throw e;
    }
  }

  /** The merged call tree by function name (flame graphs, TREE, DOT, diffs). */
  selectMergeTree(tenant: string, p: SelectParams): Promise<{ tree: FlameTree; stats: QueryStats }> {
    return this.staged(tenant, p, async (plan) => {
      const paths = this.callPaths();
      const out = await mergeTree(plan, this.io, this.viewSource(paths), paths, new Slicer(p.signal));
      this.trimPaths(paths);
      return out;
    });
  }

  /** Merged stacks with full frame detail (function, file, line), for pprof output. */
  selectMergeStacks(tenant: string, p: SelectParams): Promise<{ stacks: MergedStack[]; stats: QueryStats }> {
    return this.staged(tenant, p, (plan) => mergeStacks(plan, this.io, this.segmentSource, new Slicer(p.signal)));
  }

  async selectSeries(tenant: string, p: SeriesParams): Promise<{ series: SeriesResult[]; stats: QueryStats }> {
    const r = this.normalizeRange(p);
    const stepMs = Math.max(1, Math.round((p.stepSeconds > 0 ? p.stepSeconds : 15) * 1000));
    if ((r.end - r.start) / stepMs > 11_000) {
      throw new QueryError(`step ${p.stepSeconds}s is too small for the range: more than 11000 points per series`);
    }
    // a point at T holds the profiles in (T - step, T] on the grid start + k * step: bucket k, k >= 0
    const buckets = Math.max(1, Math.ceil((r.end - r.start) / stepMs) + 1);
    return this.staged(tenant, p, async (plan) => {
      const grid = {
        start: r.start,
        stepMs,
        buckets,
        groupBy: p.groupBy,
        aggregation: p.aggregation,
        limit: p.limit,
        exemplars: p.exemplars ? new SeriesExemplars(p.exemplars, p.groupBy) : undefined,
      };
      const paths = this.callPaths();
      const out = await mergeSeries(
        plan,
        this.io,
        { views: this.viewSource(paths), tables: this.tableSource },
        paths,
        grid,
        new Slicer(p.signal)
      );
      this.trimPaths(paths);
      return out;
    });
  }

  /**
   * Heatmap of the profiles (or spans) in range, as Pyroscope's SelectHeatmap answers it: the data from one step
   * before the start, so that the first slot, (start - step, start], is full; cells over 20 value buckets.
   */
  async selectHeatmap(tenant: string, p: HeatmapParams): Promise<{ series: HeatmapSeries[]; stats: QueryStats }> {
    if (!(p.stepSeconds >= 0.001) || !Number.isFinite(p.stepSeconds)) {
      throw new QueryError(`step must be >= 1ms and finite, got ${p.stepSeconds}`);
    }
    if (p.limit !== undefined && p.limit < 0) {
      throw new QueryError(`limit must be non-negative, got ${p.limit}`);
    }
    if (!(p.start < p.end)) {
      throw new QueryError(`start time must be before end time, got start=${p.start} end=${p.end}`);
    }
    const stepMs = Math.trunc(p.stepSeconds * 1000);
    if ((p.end - p.start) / stepMs > 11_000) {
      throw new QueryError(`step ${p.stepSeconds}s is too small for the range: more than 11000 slots per series`);
    }
    const { series, stats } = await this.staged(tenant, { ...p, start: p.start - stepMs }, async (plan) => {
      const paths = this.callPaths();
      const out = await mergeHeatmap(plan, this.io, this.viewSource(paths), p.kind, p.groupBy, new Slicer(p.signal));
      this.trimPaths(paths);
      return out;
    });
    const cells = rangeHeatmap(series, p.start, p.end, stepMs, p.exemplars);
    return { series: topHeatmapSeries(cells, p.limit ?? 0), stats };
  }

  /**
   * What a query would read: the same selection as the real query, without merging. An empty profile type
   * analyses the label selector over every type, as Pyroscope's AnalyzeQuery takes a bare selector too.
   */
  async analyze(tenant: string, p: SelectParams): Promise<QueryStats & { bytesInRange: number }> {
    const r = this.normalizeRange(p);
    const refs = await this.planner.list(tenant, r);
    const stats = await this.staged(
      tenant,
      p,
      async (plan) => {
        const paths = this.callPaths();
        const out = await scan(plan, this.io, this.viewSource(paths), () => {}, new Slicer(p.signal));
        this.trimPaths(paths);
        return out;
      },
      p.profileType === ''
    );
    return { ...stats, bytesInRange: refs.reduce((a, x) => a + x.size, 0) };
  }
}
