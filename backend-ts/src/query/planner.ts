// The planning half of a query: the tenant's limits applied to the range, the request checked, and the objects
// of the range listed. A plan is plain data (no closures, no compiled regexes), so it could be handed to another
// thread; the merger (merger.ts) reads what it names. A query itself runs a staged plan: the objects the index
// names at once, the level-0 segments it does not hold yet once the newest listings are in, so that the first
// merge while the second are listed.
import type { Limits } from '../config/config.js';
import { parseTraceId, parseUuid } from '../model/ids.js';
import { parseProfileTypeId } from '../model/labels.js';
import { parseMatchers, SelectorError, type Matcher } from '../model/selector.js';
import type { SegmentMeta } from '../storage/format/meta.js';
import type { Catalog } from '../storage/catalog.js';
import { HOUR_MS } from '../storage/keys.js';
import { mapLimit, READ_CONCURRENCY, type SegmentReader, type SegmentRef } from '../storage/segmentReader.js';
import { QueryError } from './errors.js';

/**
 * An hour is settled this long after reject-older-than has passed its end: no replica can still be writing
 * profiles of it, so its index document changes only by merges (which keep what it holds).
 */
const SETTLE_MARGIN_MS = 10 * 60_000;
/**
 * How long a settled hour's index document is used without asking the store again. Merges swap blocks for a
 * block holding the same profiles, and a reader that finds a block gone plans its hour again, so this bounds
 * only how long retention's deletions go unseen.
 */
const SETTLED_DOC_AGE_MS = 60_000;

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
  /** trace ids (32 hex digits) to keep; empty = all samples. Not together with spans. */
  traces?: string[];
  /** profile UUIDs (server-assigned at ingest) to keep; empty = all profiles */
  profileIds?: string[];
  /** function names root first: keep stacks that begin with this call site */
  callSite?: string[];
}

export interface SeriesParams extends SelectParams {
  groupBy: string[];
  stepSeconds: number;
  aggregation: 'sum' | 'average';
  limit?: number;
  /** One exemplar per point: its highest-value profile, or span. */
  exemplars?: 'individual' | 'span';
}

export interface HeatmapParams extends SelectParams {
  groupBy: string[];
  stepSeconds: number;
  /** A point per profile, or per span of a profile. */
  kind: 'individual' | 'span';
  /** The highest-value point of each cell. */
  exemplars: boolean;
  /** The series with the most points; 0 or absent: all. */
  limit?: number;
}

/** What a select query reads: serializable, so that the merge could run elsewhere. */
export interface QueryPlan {
  tenant: string;
  /** The range after the tenant's limits. */
  start: number;
  end: number;
  /** The profile type selected; null selects every type (AnalyzeQuery without one). */
  profileType: string | null;
  /** The label selector, checked; the merger compiles it once per query. */
  selector: string;
  spans: string[];
  /** Lowercase hex. */
  traces: string[];
  /** Lowercase canonical UUIDs. */
  profileIds: string[];
  callSite: string[];
  /** The live objects whose time range overlaps the range, in listing order (grouped by hour). */
  objects: SegmentRef[];
}

/**
 * A plan as a query runs it: `objects` are the blocks of the range's index documents, `newest` the level-0
 * segments (and objects of the old layout) they do not hold yet, known once the newest minute folders are
 * listed. Together they are what plan() names.
 */
export interface StagedPlan extends QueryPlan {
  newest: Promise<SegmentRef[]>;
}

/** The objects of a staged plan still being listed; none for a plain plan. */
export function newestOf(plan: QueryPlan): Promise<SegmentRef[]> | undefined {
  return (plan as Partial<StagedPlan>).newest;
}

export function parseSelectorOrThrow(sel: string): Matcher[] {
  try {
    return parseMatchers(sel);
  } catch (e) {
    throw new QueryError((e as SelectorError).message);
  }
}

/** Trace ids as lowercase hex; one that is not 32 hex digits is the client's error. */
function traceIds(ids: string[] | undefined): string[] {
  return (ids ?? []).map((id) => {
    const t = parseTraceId(id);
    if (t === null) {
      throw new QueryError(`invalid trace id ${JSON.stringify(id)}: want 32 hex digits`);
    }
    return t;
  });
}

/** Profile ids as canonical UUIDs; one that is not a UUID is the client's error, as in Pyroscope. */
function profileIds(ids: string[] | undefined): string[] {
  return (ids ?? []).map((id) => {
    const u = parseUuid(id);
    if (u === null) {
      throw new QueryError(`invalid profile id ${JSON.stringify(id)}: want a UUID`);
    }
    return u;
  });
}

/**
 * The selectors of a query, parsed within the tenant's caps: their length is checked before anything is parsed
 * (so a huge selector costs nothing), the number of matchers after.
 */
export function parseSelectorsWithin(selectors: string[], limits: Limits): Matcher[][] {
  const bytes = selectors.reduce((n, s) => n + Buffer.byteLength(s), 0);
  if (limits.maxSelectorBytes > 0 && bytes > limits.maxSelectorBytes) {
    throw new QueryError(
      `label selector is ${bytes} bytes long, above the limit of ${limits.maxSelectorBytes} bytes (querier.max-selector-bytes)`
    );
  }
  const parsed = selectors.map(parseSelectorOrThrow);
  const count = parsed.reduce((n, ms) => n + ms.length, 0);
  if (limits.maxSelectorMatchers > 0 && count > limits.maxSelectorMatchers) {
    throw new QueryError(
      `label selector has ${count} matchers, above the limit of ${limits.maxSelectorMatchers} (querier.max-selector-matchers)`
    );
  }
  return parsed;
}

export class Planner {
  constructor(
    private readonly catalog: Catalog,
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

  /**
   * Hours that ended before this time are settled for the tenant: reject-older-than refuses their profiles
   * (plus a margin for writes in flight), so their index documents may be reused for a while. Without the
   * limit nothing settles.
   */
  settledBefore(tenant: string): number {
    const { rejectOlderThanMs } = this.limitsFor(tenant);
    return rejectOlderThanMs > 0 ? this.now() - rejectOlderThanMs - SETTLE_MARGIN_MS : -Infinity;
  }

  /** The selectors of a query, parsed within the tenant's caps (see parseSelectorsWithin). */
  parseSelectors(tenant: string, selectors: string[]): Matcher[][] {
    return parseSelectorsWithin(selectors, this.limitsFor(tenant));
  }

  /** How long the document of an hour may be reused: a settled hour's for a while, any other's not. */
  private docMaxAge(tenant: string): (hour: number) => number {
    const settled = this.settledBefore(tenant);
    return (h) => ((h + 1) * HOUR_MS <= settled ? SETTLED_DOC_AGE_MS : 0);
  }

  /** The live objects of a range (normalized by the caller), grouped by hour. */
  list(tenant: string, r: TimeRange): Promise<SegmentRef[]> {
    return this.catalog.objects(tenant, r.start, r.end, this.docMaxAge(tenant));
  }

  /** The plan of a select query. anyType selects every profile type (AnalyzeQuery without one). */
  async plan(tenant: string, p: SelectParams, anyType = false): Promise<QueryPlan> {
    const { plan, range } = this.checked(tenant, p, anyType);
    if (range) {
      plan.objects = await this.list(tenant, range);
    }
    return plan;
  }

  /**
   * The plan a select query runs (see StagedPlan). `fresh`: the index and every listing read afresh (the query
   * runs again because an object it planned vanished).
   */
  async planStaged(tenant: string, p: SelectParams, anyType = false, fresh = false): Promise<StagedPlan> {
    const { plan, range } = this.checked(tenant, p, anyType);
    if (!range) {
      return { ...plan, newest: Promise.resolve([]) };
    }
    const { indexed, newest } = await this.catalog.objectsStaged(
      tenant,
      range.start,
      range.end,
      this.docMaxAge(tenant),
      fresh
    );
    return { ...plan, objects: indexed, newest };
  }

  /** A select query checked, its range within the tenant's limits (null: nothing to read), no objects yet. */
  private checked(tenant: string, p: SelectParams, anyType: boolean): { plan: QueryPlan; range: TimeRange | null } {
    const r = this.checkLimits(tenant, this.normalizeRange(p));
    if (!anyType) {
      try {
        parseProfileTypeId(p.profileType);
      } catch (e) {
        throw new QueryError((e as Error).message);
      }
    }
    this.parseSelectors(tenant, [p.selector]);
    const traces = traceIds(p.traces);
    if (traces.length > 0 && (p.spans ?? []).length > 0) {
      throw new QueryError('span_selector and trace_id_selector cannot be combined');
    }
    const plan: QueryPlan = {
      tenant,
      start: r?.start ?? 0,
      end: r?.end ?? 0,
      profileType: anyType ? null : p.profileType,
      selector: p.selector,
      spans: p.spans ?? [],
      traces,
      profileIds: profileIds(p.profileIds),
      callSite: p.callSite ?? [],
      objects: [],
    };
    return { plan, range: r };
  }

  /** The objects of a range with their metas (label queries read nothing else). */
  async metas(tenant: string, r: TimeRange): Promise<Array<{ ref: SegmentRef; meta: SegmentMeta }>> {
    const refs = await this.list(tenant, r);
    const metas = await mapLimit(refs, READ_CONCURRENCY, (ref) =>
      ref.meta ? Promise.resolve(ref.meta) : this.reader.meta(ref.key, ref.size)
    );
    return refs.map((ref, i) => ({ ref, meta: metas[i] }));
  }
}
