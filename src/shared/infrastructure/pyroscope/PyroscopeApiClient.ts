import { getBackendSrv } from '@grafana/runtime';
import { lastValueFrom } from 'rxjs';
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

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message);
  }
}

// The only place the plugin talks to Grafana's backend: every call goes through the data-source proxy of the
// selected Pyroscope data source, so the app needs nothing else from Grafana.
export class PyroscopeApiClient {
  private readonly baseUrl: string;

  constructor(readonly dataSourceUid: string) {
    this.baseUrl = `api/datasources/proxy/uid/${encodeURIComponent(dataSourceUid)}`;
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

  private connect<T>(service: string, method: string, data: object): Promise<T> {
    return this.request<T>({ url: `${this.baseUrl}/${service}/${method}`, method: 'POST', data });
  }

  private get<T>(path: string, params: Record<string, string | number>): Promise<T> {
    return this.request<T>({ url: `${this.baseUrl}/${path}`, method: 'GET', params });
  }

  private async request<T>(options: {
    url: string;
    method: string;
    data?: object;
    params?: Record<string, string | number>;
  }): Promise<T> {
    try {
      const response = await lastValueFrom(
        getBackendSrv().fetch<T>({
          ...options,
          headers: { 'Content-Type': 'application/json' },
          showErrorAlert: false,
          showSuccessAlert: false,
        })
      );
      return response.data;
    } catch (e) {
      const err = e as { status?: number; data?: { message?: string }; statusText?: string; message?: string };
      const message = err.data?.message ?? err.statusText ?? err.message ?? 'request failed';
      throw new ApiError(`${options.url.split('/').slice(-1)[0]}: ${message}`, err.status ?? 0);
    }
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
