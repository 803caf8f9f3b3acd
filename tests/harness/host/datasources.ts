// Grafana's data-source side, for the one data source of this Grafana: the data-source service (with template
// variables as data-source references), Grafana's Pyroscope data source front end (its queries go to
// `/api/ds/query`, where the harness server plays the data source's Go back end), `runRequest` and the query
// runner behind `createQueryRunner()`.
import {
  AdHocVariableFilter,
  CoreApp,
  DataFrame,
  DataQuery,
  DataQueryRequest,
  DataQueryResponse,
  DataSourceApi,
  DataSourceGetTagKeysOptions,
  DataSourceGetTagValuesOptions,
  DataSourceInstanceSettings,
  DataSourceRef,
  LoadingState,
  MetricFindValue,
  PanelData,
  QueryRunner,
  QueryRunnerOptions,
  ScopedVars,
  rangeUtil,
  toDataFrame,
} from '@grafana/data';
import { DataSourceWithBackend, config, getTemplateSrv } from '@grafana/runtime';
import { cloneDeep } from 'lodash';
import { Observable, ReplaySubject, Subscription, from, isObservable, of } from 'rxjs';

export const PYROSCOPE_TYPE = 'grafana-pyroscope-datasource';

/** The query model of grafana-pyroscope-datasource (Grafana's dataquery.cue). */
export interface PyroscopeQuery extends DataQuery {
  queryType?: 'metrics' | 'profile' | 'both';
  profileTypeId: string;
  labelSelector: string;
  groupBy?: string[];
  spanSelector?: string[];
  limit?: number;
  maxNodes?: number;
}

const DEFAULT_QUERY: Partial<PyroscopeQuery> = {
  groupBy: [],
  labelSelector: '{}',
  spanSelector: [],
  queryType: 'both',
};

const MATCHER = /([A-Za-z_][A-Za-z0-9_.]*)\s*(=~|!~|!=|=)\s*"((?:\\.|[^\\"])*)"/g;

/** A label selector with `key op "value"` set (replacing any matcher on that key), as Grafana adds ad hoc filters. */
export function addLabelToSelector(selector: string, key: string, value: string, operator = '='): string {
  const op = ['=', '!=', '=~', '!~'].includes(operator) ? operator : '=';
  const inner = /\{([^}]*)\}?/.exec(selector)?.[1] ?? '';
  const kept = [...inner.matchAll(MATCHER)].filter((m) => m[1] !== key).map((m) => `${m[1]}${m[2]}"${m[3]}"`);
  kept.push(`${key}${op}"${value}"`);
  return `{${kept.join(', ')}}`;
}

export class PyroscopeDataSource extends DataSourceWithBackend<PyroscopeQuery> {
  query(request: DataQueryRequest<PyroscopeQuery>): Observable<DataQueryResponse> {
    const targets = request.targets
      .filter((t) => t.profileTypeId)
      .map((t) => {
        // as Grafana's: an empty selector becomes `{}` and skips the defaults
        if (t.labelSelector === '') {
          return { ...t, labelSelector: '{}' };
        }
        const q = { ...DEFAULT_QUERY, ...t };
        // outside Explore a panel shows one visualisation: `both` becomes a flame graph
        return request.app !== CoreApp.Explore && q.queryType === 'both' ? { ...q, queryType: 'profile' as const } : q;
      });
    if (!targets.length) {
      return of({ data: [] });
    }
    return super.query({ ...request, targets });
  }

  applyTemplateVariables(query: PyroscopeQuery, scopedVars: ScopedVars, filters?: AdHocVariableFilter[]) {
    const tpl = getTemplateSrv();
    let labelSelector = tpl.replace(query.labelSelector ?? '', scopedVars);
    if (filters && labelSelector) {
      for (const f of filters) {
        labelSelector = addLabelToSelector(labelSelector, f.key, f.value, f.operator);
      }
    }
    return { ...query, labelSelector, profileTypeId: tpl.replace(query.profileTypeId ?? '', scopedVars) };
  }

  getDefaultQuery(): Partial<PyroscopeQuery> {
    return DEFAULT_QUERY;
  }

  // The data source's resources, as Grafana's front end reads them (query editor, ad hoc filter variables).
  getProfileTypes(start: number, end: number): Promise<Array<{ id: string; label: string }>> {
    return this.getResource('profileTypes', { start, end });
  }

  getAllProfileTypes(): Promise<Array<{ id: string; label: string }>> {
    return this.getResource('profileTypes');
  }

  getLabelNames(query: string, start: number, end: number): Promise<string[]> {
    return this.getResource('labelNames', { query: getTemplateSrv().replace(query), start, end });
  }

  getLabelValues(query: string, label: string, start: number, end: number): Promise<string[]> {
    const tpl = getTemplateSrv();
    return this.getResource('labelValues', { label: tpl.replace(label), query: tpl.replace(query), start, end });
  }

  async getTagKeys(options: DataSourceGetTagKeysOptions<PyroscopeQuery>): Promise<MetricFindValue[]> {
    const { query, from, to } = adHocSelection(options);
    return (await this.getLabelNames(query, from, to)).map((text) => ({ text }));
  }

  async getTagValues(options: DataSourceGetTagValuesOptions<PyroscopeQuery>): Promise<MetricFindValue[]> {
    const { query, from, to } = adHocSelection(options);
    return (await this.getLabelValues(query, options.key, from, to)).map((text) => ({ text }));
  }
}

// An ad hoc filter variable's other filters as a selector, over its time range (else the last day, as Grafana).
function adHocSelection(options: DataSourceGetTagKeysOptions<PyroscopeQuery>) {
  const to = options.timeRange?.to.valueOf() ?? Date.now();
  const from = options.timeRange?.from.valueOf() ?? to - 24 * 3_600_000;
  const query = `{${options.filters.map((f) => `${f.key}${f.operator}"${f.value}"`).join(',')}}`;
  return { query, from, to };
}

// Grafana would load the data source plugin's code; the harness has Pyroscope's only, so any other type fails loudly.
class UnavailableDataSource extends DataSourceApi {
  query(): Promise<DataQueryResponse> {
    return Promise.reject(new Error(`harness: no query code for data sources of type ${this.type}`));
  }
  testDatasource() {
    return Promise.resolve({ status: 'success', message: 'ok' });
  }
}

function settingsList(): DataSourceInstanceSettings[] {
  return Object.values(config.datasources);
}

function defaultSettings(): DataSourceInstanceSettings | undefined {
  const all = settingsList();
  return all.find((d) => d.name === config.defaultDatasource) ?? all.find((d) => d.isDefault) ?? all[0];
}

function byNameOrUid(key: string): DataSourceInstanceSettings | undefined {
  return settingsList().find((d) => d.uid === key) ?? settingsList().find((d) => d.name === key);
}

// A data-source variable may hold several data sources; as a reference, it means the first.
const firstValue = (v: unknown) => (Array.isArray(v) ? v[0] : v);

function nameOrUidOf(ref?: DataSourceRef | string | null): string | undefined {
  return typeof ref === 'string' ? ref : (ref?.uid ?? undefined);
}

const instances = new Map<string, DataSourceApi>();

export const dataSourceSrv = {
  getList: (filters: { pluginId?: string; type?: string | string[] } = {}) =>
    settingsList().filter((d) => {
      const types = filters.type ? ([] as string[]).concat(filters.type) : undefined;
      return (!filters.pluginId || d.meta.id === filters.pluginId) && (!types || types.includes(d.type));
    }),
  getInstanceSettings(ref?: DataSourceRef | string | null, scopedVars?: ScopedVars) {
    const key = nameOrUidOf(ref);
    if (key === undefined || key === 'default') {
      return defaultSettings();
    }
    if (key.startsWith('$')) {
      const name = getTemplateSrv().replace(key, scopedVars, firstValue);
      const s = name === 'default' ? defaultSettings() : byNameOrUid(name);
      // as Grafana: the variable's own name and uid, the data source it stands for as the raw reference
      return s && { ...s, isDefault: false, name: key, uid: key, rawRef: { type: s.type, uid: s.uid } };
    }
    return byNameOrUid(key);
  },
  async get(ref?: DataSourceRef | string | null, scopedVars?: ScopedVars): Promise<DataSourceApi> {
    let key = nameOrUidOf(ref);
    if (!key) {
      key = defaultSettings()?.uid;
    } else if (key.includes('$')) {
      key = getTemplateSrv().replace(key, scopedVars, firstValue);
    }
    const s = key === 'default' ? defaultSettings() : byNameOrUid(key ?? '');
    if (!s) {
      throw { message: `Datasource ${key} was not found` };
    }
    if (!instances.has(s.uid)) {
      const api = s.type === PYROSCOPE_TYPE ? new PyroscopeDataSource(s) : new UnavailableDataSource(s);
      instances.set(s.uid, api as unknown as DataSourceApi);
    }
    return instances.get(s.uid)!;
  },
  reload: async () => {},
  registerRuntimeDataSource: () => {},
};

// Grafana's runRequest, reduced to what it guarantees panels: a Loading state, then frames or an error.
export function runRequest(ds: DataSourceApi, request: DataQueryRequest): Observable<PanelData> {
  return new Observable<PanelData>((sub) => {
    const base = { timeRange: request.range, request };
    sub.next({ ...base, state: LoadingState.Loading, series: [] });
    let result: Observable<DataQueryResponse>;
    try {
      const r = ds.query(request) as Observable<DataQueryResponse> | Promise<DataQueryResponse>;
      result = isObservable(r) ? r : from(r);
    } catch (e) {
      result = new Observable((s) => s.error(e));
    }
    const s = result.subscribe({
      next: (resp) => {
        const errors = resp.errors ?? (resp.error ? [resp.error] : undefined);
        sub.next({
          ...base,
          state: errors?.length ? LoadingState.Error : (resp.state ?? LoadingState.Done),
          series: (resp.data ?? []).map((f: DataFrame) => toDataFrame(f)),
          errors,
          error: errors?.[0],
        });
      },
      error: (e: { message?: string; data?: { message?: string }; status?: number }) => {
        const error = { message: e?.data?.message ?? e?.message ?? String(e), status: e?.status };
        sub.next({ ...base, state: LoadingState.Error, series: [], error, errors: [error] });
        sub.complete();
      },
      complete: () => sub.complete(),
    });
    return () => s.unsubscribe();
  });
}

let requestCounter = 100;

/** What `createQueryRunner()` gives plugins in Grafana: queries run with an interval derived from the time range. */
export class HostQueryRunner implements QueryRunner {
  private subject = new ReplaySubject<PanelData>(1);
  private subscription?: Subscription;

  get(): Observable<PanelData> {
    return this.subject.asObservable();
  }

  run(options: QueryRunnerOptions): void {
    this.subscription?.unsubscribe();
    const request: DataQueryRequest = {
      app: options.app ?? CoreApp.Unknown,
      requestId: `Q${requestCounter++}`,
      timezone: options.timezone,
      panelId: options.panelId,
      dashboardUID: options.dashboardUID,
      range: options.timeRange,
      rangeRaw: options.timeRange.raw,
      timeInfo: options.timeInfo,
      interval: '',
      intervalMs: 0,
      targets: cloneDeep(options.queries),
      maxDataPoints: options.maxDataPoints,
      scopedVars: options.scopedVars ?? {},
      cacheTimeout: options.cacheTimeout,
      startTime: Date.now(),
    };
    const ds = options.datasource;
    const dsPromise =
      ds && typeof ds === 'object' && 'query' in ds
        ? Promise.resolve(ds as DataSourceApi)
        : dataSourceSrv.get(ds as DataSourceRef | string | null, request.scopedVars);
    dsPromise.then(
      (api) => {
        request.targets = request.targets.map((q) => (q.datasource ? q : { ...q, datasource: api.getRef() }));
        const lower = options.minInterval
          ? getTemplateSrv().replace(options.minInterval, request.scopedVars)
          : api.interval;
        const norm = rangeUtil.calculateInterval(options.timeRange, options.maxDataPoints, lower);
        request.scopedVars = {
          ...request.scopedVars,
          __interval: { text: norm.interval, value: norm.interval },
          __interval_ms: { text: String(norm.intervalMs), value: norm.intervalMs },
        };
        request.interval = norm.interval;
        request.intervalMs = norm.intervalMs;
        this.subscription = runRequest(api, request).subscribe((data) => this.subject.next(data));
      },
      (e: unknown) => console.error('QueryRunner error', e)
    );
  }

  cancel(): void {
    this.subscription?.unsubscribe();
  }

  destroy(): void {
    this.subject.complete();
    this.subscription?.unsubscribe();
  }
}
