// The read path: finds the segments a query needs (by tenant, hour and time range from object names, then by
// series from their headers) and merges their samples. Merging works on integer ids per segment and maps to
// global names once per distinct stack, never per sample.
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
import type { Segment, SegmentMeta } from '../storage/segment.js';
import type { SegmentReader, SegmentRef } from '../storage/segmentReader.js';
import { QueryError } from './errors.js';

export interface TimeRange {
  start: number;
  end: number;
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

export class Querier {
  constructor(
    private readonly reader: SegmentReader,
    private readonly limitsFor: (tenant: string) => Limits,
    private readonly now: () => number = Date.now
  ) {}

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
    const refs = await this.reader.list(tenant, r.start, r.end);
    const metas = await Promise.all(refs.map((ref) => this.reader.meta(ref.key)));
    return refs.map((ref, i) => ({ ref, meta: metas[i] }));
  }

  /** Every distinct series (label set) in range matching any of the selectors (none = all). */
  private async seriesIn(tenant: string, selectors: string[], range: TimeRange): Promise<LabelSet[]> {
    const r = this.normalizeRange(range);
    const ms = selectors.filter((s) => s.trim() !== '').map(parseSelectorOrThrow);
    const seen = new Map<string, LabelSet>();
    for (const { meta } of await this.metas(tenant, r)) {
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
    for (const { meta } of await this.metas(tenant, r)) {
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
    const candidates = await this.metas(tenant, r);
    stats.objectsListed = candidates.length;
    const spans = p.spans && p.spans.length > 0 ? new Set(p.spans) : null;
    const seenIds = new Set<string>();
    const seenSeries = new Set<string>();
    for (const { ref, meta } of candidates) {
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
      if (!any) {
        continue;
      }
      const seg = await this.reader.segment(ref.key);
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
      for (let prof = 0; prof < seg.profSeries.length; prof++) {
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
          const k = seg.string(seg.profId[prof]) + '\u0002' + labelsKey(labels);
          if (seenIds.has(k)) {
            continue;
          }
          seenIds.add(k);
        }
        seenSeries.add(labelsKey(labels));
        stats.profiles++;
        stats.samples += seg.profSampleOffsets[prof + 1] - seg.profSampleOffsets[prof];
        visit(seg, prof, spanOk, labels);
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

  /** The merged call tree by function name (flame graphs, TREE, DOT, diffs). */
  async selectMergeTree(tenant: string, p: SelectParams): Promise<{ tree: FlameTree; stats: QueryStats }> {
    const tree = new FlameTree();
    let lastSeg: Segment | null = null;
    let frameName = new Int32Array(0);
    const callSite = p.callSite && p.callSite.length > 0 ? p.callSite.map((n) => tree.nameId(n)) : null;
    let ids = new Int32Array(256);
    const stats = await this.mergeStacks(tenant, p, (seg, st, value) => {
      if (seg !== lastSeg) {
        lastSeg = seg;
        frameName = new Int32Array(seg.frameFn.length).fill(-1);
      }
      const from = seg.stackOffsets[st];
      const to = seg.stackOffsets[st + 1];
      const depth = to - from;
      if (ids.length < depth) {
        ids = new Int32Array(depth * 2);
      }
      // root first
      for (let i = 0; i < depth; i++) {
        const f = seg.stackFrames[to - 1 - i];
        let n = frameName[f];
        if (n < 0) {
          n = tree.nameId(seg.string(seg.fnName[seg.frameFn[f]]));
          frameName[f] = n;
        }
        ids[i] = n;
      }
      if (callSite) {
        if (depth < callSite.length) {
          return;
        }
        for (let i = 0; i < callSite.length; i++) {
          if (ids[i] !== callSite[i]) {
            return;
          }
        }
      }
      tree.insert(ids, value, 0, depth);
    });
    return { tree, stats };
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
    const groups = new Map<
      string,
      { labels: LabelSet; buckets: Map<number, { sum: number; n: number }>; total: number }
    >();
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
      const proj = sortLabels(labels.filter(([n]) => p.groupBy.includes(n)));
      const k = labelsKey(proj);
      let g = groups.get(k);
      if (!g) {
        g = { labels: proj, buckets: new Map(), total: 0 };
        groups.set(k, g);
      }
      // a point at T holds the profiles in (T - step, T] on the grid start + k * step
      const t = seg.profTime[prof];
      const ts = r.start + Math.max(0, Math.ceil((t - r.start) / stepMs)) * stepMs;
      const b = g.buckets.get(ts);
      if (b) {
        b.sum += value;
        b.n++;
      } else {
        g.buckets.set(ts, { sum: value, n: 1 });
      }
      g.total += value;
    });
    let list = [...groups.values()];
    if (p.limit && p.limit > 0 && list.length > p.limit) {
      list = list.sort((a, b) => b.total - a.total).slice(0, p.limit);
    }
    list.sort((a, b) => compareLabelSets(a.labels, b.labels));
    const series = list.map((g) => ({
      labels: g.labels,
      points: [...g.buckets.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([timestamp, b]) => ({ timestamp, value: p.aggregation === 'average' ? b.sum / b.n : b.sum })),
    }));
    return { series, stats };
  }

  /**
   * What a query would read: the same selection as the real query, without merging. An empty profile type
   * analyses the label selector over every type, as Pyroscope's AnalyzeQuery takes a bare selector too.
   */
  async analyze(tenant: string, p: SelectParams): Promise<QueryStats & { bytesInRange: number }> {
    const r = this.normalizeRange(p);
    const refs = await this.reader.list(tenant, r.start, r.end);
    const stats = await this.scan(tenant, p, () => {}, p.profileType === '');
    return { ...stats, bytesInRange: refs.reduce((a, x) => a + x.size, 0) };
  }
}
