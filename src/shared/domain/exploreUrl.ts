import { PYROSCOPE_DATASOURCE_TYPE } from '../../constants';

/** A time-series panel's query with every variable resolved. */
export interface ResolvedSeriesQuery {
  dataSourceUid: string;
  profileMetricId: string;
  labelSelector: string;
  groupBy: string[];
  /** the time range as the picker holds it (`now-1h`, or ms) */
  from: string;
  to: string;
}

/** The query model of Grafana's grafana-pyroscope-datasource, as Explore and dashboards store it. */
export interface PyroscopeDataSourceQuery {
  refId: string;
  datasource: { type: string; uid: string };
  queryType: 'metrics' | 'profile' | 'both';
  profileTypeId: string;
  labelSelector: string;
  groupBy: string[];
  spanSelector: string[];
}

export function pyroscopeQuery(q: ResolvedSeriesQuery): PyroscopeDataSourceQuery {
  return {
    refId: 'A',
    datasource: { type: PYROSCOPE_DATASOURCE_TYPE, uid: q.dataSourceUid },
    // Explore then shows the series and the flame graph of the same selection
    queryType: 'both',
    profileTypeId: q.profileMetricId,
    labelSelector: q.labelSelector,
    groupBy: q.groupBy,
    spanSelector: [],
  };
}

/** Grafana's Explore URL (schema 1: panes keyed by an id), one pane with the panel's query and time range. */
export function exploreUrl(q: ResolvedSeriesQuery, appSubUrl = ''): string {
  const panes = {
    pyroscope: {
      datasource: q.dataSourceUid,
      queries: [pyroscopeQuery(q)],
      range: { from: q.from, to: q.to },
    },
  };
  return `${appSubUrl}/explore?schemaVersion=1&panes=${encodeURIComponent(JSON.stringify(panes))}&orgId=1`;
}

/** What "copy query" puts on the clipboard: the query as Explore's query editor and Pyroscope's API read it. */
export function queryText(q: ResolvedSeriesQuery): string {
  const by = q.groupBy.length ? ` by (${q.groupBy.join(', ')})` : '';
  return `${q.profileMetricId}${q.labelSelector}${by}`;
}

/** Grafana's Explore URL opening one trace in a Tempo data source. */
export function traceExploreUrl(
  traceId: string,
  tempoUid: string,
  range: { from: string; to: string },
  appSubUrl = ''
): string {
  const panes = {
    trace: {
      datasource: tempoUid,
      queries: [{ refId: 'A', datasource: { type: 'tempo', uid: tempoUid }, queryType: 'traceql', query: traceId }],
      range,
    },
  };
  return `${appSubUrl}/explore?schemaVersion=1&panes=${encodeURIComponent(JSON.stringify(panes))}&orgId=1`;
}
