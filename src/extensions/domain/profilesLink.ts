import { dateMath } from '@grafana/data';
import { PLUGIN_BASE_URL, PYROSCOPE_DATASOURCE_TYPE, ROUTES } from '../../constants';

export const TRACE_VIEW_DETAILS = 'grafana/traceview/details';
export const EXPLORE_TOOLBAR_ACTION = 'grafana/explore/toolbar/action';
/** A span's profile is looked up this much before its start and after its end: profiles are cut every 10-15 s. */
export const SPAN_MARGIN_MS = 30_000;

type RawTime = string | number | { valueOf(): number };

/**
 * What Grafana's trace view passes to `grafana/traceview/details` (its ProfilesButtonContext), plus the span
 * itself where the caller has it (TraceSpan: times in microseconds).
 */
export interface TraceViewLinkContext {
  serviceName?: string;
  profileTypeId?: string;
  spanSelector?: string;
  explorationType?: string;
  timeRange?: { from: RawTime; to: RawTime };
  datasource?: { uid?: string; type?: string };
  span?: { spanID?: string; startTime: number; duration: number; process?: { serviceName?: string } };
}

/** What Explore passes to `grafana/explore/toolbar/action`: the queries of the pane and its time range. */
export interface ExploreLinkContext {
  targets?: Array<{
    datasource?: { uid?: string; type?: string } | null;
    profileTypeId?: string;
    labelSelector?: string;
    spanSelector?: string[];
  }>;
  timeRange?: { from: RawTime; to: RawTime };
}

export type ProfilesLinkContext = TraceViewLinkContext & ExploreLinkContext;

function toMs(t: RawTime | undefined, roundUp: boolean): number | undefined {
  if (t === undefined || t === null || t === '') {
    return undefined;
  }
  if (typeof t === 'number') {
    return t;
  }
  if (typeof t === 'string' && /^\d+$/.test(t)) {
    return Number(t);
  }
  if (typeof t !== 'string') {
    return t.valueOf();
  }
  const d = dateMath.toDateTime(t, { roundUp });
  return d?.isValid() ? d.valueOf() : undefined;
}

function serviceFromSelector(selector: string | undefined): string {
  return selector?.match(/service_name\s*=\s*"((?:[^"\\]|\\.)*)"/)?.[1]?.replace(/\\(.)/g, '$1') ?? '';
}

function explorePath(p: {
  dataSourceUid?: string;
  serviceName: string;
  profileTypeId?: string;
  spanSelector?: string;
  from?: number;
  to?: number;
}): string {
  const q = new URLSearchParams({ explorationType: 'flame-graph' });
  if (p.dataSourceUid) {
    q.set('var-dataSource', p.dataSourceUid);
  }
  q.set('var-serviceName', p.serviceName);
  if (p.profileTypeId) {
    q.set('var-profileMetricId', p.profileTypeId);
  }
  if (p.spanSelector) {
    q.set('var-spanSelector', p.spanSelector);
  }
  if (p.from !== undefined && p.to !== undefined) {
    q.set('from', String(Math.floor(p.from)));
    q.set('to', String(Math.ceil(p.to)));
  }
  return `${PLUGIN_BASE_URL}/${ROUTES.Explore}?${q}`;
}

/**
 * The app URL for a span (trace view) or for the Pyroscope query of an Explore pane; undefined hides the link
 * (no service to show). Span time ± 30 s when the span is known, else the context's time range.
 */
export function profilesLinkPath(context: ProfilesLinkContext | undefined): string | undefined {
  if (!context) {
    return undefined;
  }
  const pyroscope = context.targets?.find((t) => t.datasource?.type === PYROSCOPE_DATASOURCE_TYPE);
  const serviceName =
    context.serviceName || context.span?.process?.serviceName || serviceFromSelector(pyroscope?.labelSelector);
  if (!serviceName) {
    return undefined;
  }
  let from = toMs(context.timeRange?.from, false);
  let to = toMs(context.timeRange?.to, true);
  if (context.span) {
    from = Math.floor(context.span.startTime / 1000) - SPAN_MARGIN_MS;
    to = Math.ceil((context.span.startTime + context.span.duration) / 1000) + SPAN_MARGIN_MS;
  }
  return explorePath({
    dataSourceUid: context.datasource?.uid || pyroscope?.datasource?.uid || undefined,
    serviceName,
    profileTypeId: context.profileTypeId || pyroscope?.profileTypeId,
    spanSelector: context.spanSelector || pyroscope?.spanSelector?.[0],
    from,
    to,
  });
}
