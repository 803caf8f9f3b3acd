import { DataSourceProxyTransport, getTransport } from './DataSourceProxyTransport';
import {
  NamesResponse,
  PprofJson,
  ProfileStatsResponse,
  RenderResponse,
  SelectMergeSpanProfileResponse,
  SelectSeriesResponse,
  SeriesResponse,
} from './types';

export interface TimeWindow {
  /** unix ms */
  start: number;
  /** unix ms */
  end: number;
}

export interface SelectSeriesParams extends TimeWindow {
  profileTypeID: string;
  labelSelector: string;
  /** seconds */
  step: number;
  groupBy?: string[];
  limit?: number;
}

export interface RenderParams extends TimeWindow {
  query: string;
  maxNodes?: number;
}

// querier.v1 and the legacy render API of one Pyroscope data source, over the shared data-source proxy transport.
export class PyroscopeApiClient {
  private readonly transport: DataSourceProxyTransport;

  constructor(readonly dataSourceUid: string) {
    this.transport = getTransport(dataSourceUid);
  }

  series(p: TimeWindow & { matchers?: string[]; labelNames?: string[] }): Promise<SeriesResponse> {
    return this.connect('querier.v1.QuerierService', 'Series', {
      start: p.start,
      end: p.end,
      matchers: p.matchers ?? [],
      labelNames: p.labelNames ?? [],
    });
  }

  labelNames(p: TimeWindow & { matchers: string[] }): Promise<NamesResponse> {
    return this.connect('querier.v1.QuerierService', 'LabelNames', p);
  }

  labelValues(p: TimeWindow & { name: string; matchers: string[] }): Promise<NamesResponse> {
    return this.connect('querier.v1.QuerierService', 'LabelValues', p);
  }

  selectSeries(p: SelectSeriesParams): Promise<SelectSeriesResponse> {
    return this.connect('querier.v1.QuerierService', 'SelectSeries', {
      profileTypeID: p.profileTypeID,
      labelSelector: p.labelSelector,
      start: p.start,
      end: p.end,
      step: p.step,
      groupBy: p.groupBy ?? [],
      ...(p.limit ? { limit: p.limit } : {}),
    });
  }

  /** The merged profile of the samples recorded under the given span ids (trace to profile). */
  selectMergeSpanProfile(
    p: TimeWindow & { profileTypeID: string; labelSelector: string; spanSelector: string[]; maxNodes?: number }
  ): Promise<SelectMergeSpanProfileResponse> {
    return this.connect('querier.v1.QuerierService', 'SelectMergeSpanProfile', {
      profileTypeID: p.profileTypeID,
      labelSelector: p.labelSelector,
      spanSelector: p.spanSelector,
      start: p.start,
      end: p.end,
      ...(p.maxNodes ? { maxNodes: p.maxNodes } : {}),
    });
  }

  /**
   * The merged pprof of a selection; with a call site (function names, root first) only the stacks that begin
   * with it. Unlimited nodes: the answer feeds exact per-line numbers.
   */
  selectMergeProfile(
    p: TimeWindow & { profileTypeID: string; labelSelector: string; callSite?: string[] }
  ): Promise<PprofJson> {
    return this.connect('querier.v1.QuerierService', 'SelectMergeProfile', {
      profileTypeID: p.profileTypeID,
      labelSelector: p.labelSelector,
      start: p.start,
      end: p.end,
      ...(p.callSite?.length ? { stackTraceSelector: { callSite: p.callSite.map((name) => ({ name })) } } : {}),
    });
  }

  profileStats(): Promise<ProfileStatsResponse> {
    return this.connect('querier.v1.QuerierService', 'GetProfileStats', {});
  }

  render(p: RenderParams): Promise<RenderResponse> {
    return this.get('pyroscope/render', {
      query: p.query,
      from: p.start,
      until: p.end,
      format: 'json',
      ...(p.maxNodes ? { 'max-nodes': p.maxNodes } : {}),
    });
  }

  renderDiff(left: RenderParams, right: RenderParams): Promise<RenderResponse> {
    return this.get('pyroscope/render-diff', {
      leftQuery: left.query,
      leftFrom: left.start,
      leftUntil: left.end,
      rightQuery: right.query,
      rightFrom: right.start,
      rightUntil: right.end,
      ...(left.maxNodes ? { 'max-nodes': left.maxNodes } : {}),
    });
  }

  /** The merged pprof of a selection in protobuf binary (SelectMergeProfile asked in binary): the pprof message. */
  selectMergeProfileBinary(request: Uint8Array): Promise<ArrayBuffer> {
    return this.transport.connectBinary('querier.v1.QuerierService', 'SelectMergeProfile', request);
  }

  /** SelectMergeStacktraces in protobuf binary (a pprof answer, format PPROF): the encoded response. */
  selectMergeStacktracesBinary(request: Uint8Array): Promise<ArrayBuffer> {
    return this.transport.connectBinary('querier.v1.QuerierService', 'SelectMergeStacktraces', request);
  }

  private connect<T>(service: string, method: string, data: object): Promise<T> {
    return this.transport.connect<T>(service, method, data);
  }

  private get<T>(path: string, params: Record<string, string | number>): Promise<T> {
    return this.transport.get<T>(path, params);
  }
}

const clients = new Map<string, PyroscopeApiClient>();

export function getApiClient(dataSourceUid: string): PyroscopeApiClient {
  let c = clients.get(dataSourceUid);
  if (!c) {
    c = new PyroscopeApiClient(dataSourceUid);
    clients.set(dataSourceUid, c);
  }
  return c;
}
