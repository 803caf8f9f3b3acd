// The @grafana/runtime services a plugin finds in Grafana, implemented over the browser and the harness server.
// Nothing here knows about the app: a plugin that needs more than Grafana offers must fail here too.
import {
  DataFrame,
  DataQueryRequest,
  DataQueryResponse,
  DataSourceApi,
  DataSourceInstanceSettings,
  DataSourceRef,
  EventBusSrv,
  LiveChannelAddress,
  LiveChannelEvent,
  LiveChannelEventType,
  LoadingState,
  PanelData,
  ScopedVars,
  toDataFrame,
} from '@grafana/data';
import {
  BackendSrv,
  BackendSrvRequest,
  FetchResponse,
  config,
  setAppEvents,
  setBackendSrv,
  setDataSourceSrv,
  setEchoSrv,
  setGrafanaLiveSrv,
  setPluginComponentHook,
  setPluginComponentsHook,
  setPluginLinksHook,
  setRunRequest,
  setTemplateSrv,
} from '@grafana/runtime';
import { sceneGraph, SceneObject } from '@grafana/scenes';
import { Observable, from, isObservable, lastValueFrom, of } from 'rxjs';

type Json = Record<string, unknown>;

function toUrl(options: BackendSrvRequest): string {
  const url = options.url.startsWith('/') || /^https?:/.test(options.url) ? options.url : `/${options.url}`;
  if (!options.params || !Object.keys(options.params).length) {
    return url;
  }
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(options.params)) {
    if (Array.isArray(v)) {
      v.forEach((x) => q.append(k, String(x)));
    } else if (v !== undefined && v !== null) {
      q.append(k, String(v));
    }
  }
  return `${url}${url.includes('?') ? '&' : '?'}${q}`;
}

// Grafana's BackendSrv: JSON in, parsed body out, a FetchError-shaped throw on non-2xx.
function fetchObservable<T>(options: BackendSrvRequest): Observable<FetchResponse<T>> {
  return new Observable<FetchResponse<T>>((sub) => {
    const controller = new AbortController();
    const headers: Record<string, string> = { 'X-Grafana-Org-Id': '1', ...(options.headers ?? {}) };
    let body: BodyInit | undefined;
    if (options.data !== undefined && options.data !== null) {
      if (typeof options.data === 'string' || options.data instanceof ArrayBuffer || options.data instanceof Blob) {
        body = options.data as BodyInit;
      } else {
        body = JSON.stringify(options.data);
        headers['Content-Type'] = headers['Content-Type'] ?? 'application/json';
      }
    }
    fetch(toUrl(options), { method: options.method ?? 'GET', headers, body, signal: controller.signal })
      .then(async (r) => {
        // As Grafana's BackendSrv: binary bodies when asked for (pprof export), text or JSON otherwise.
        const binary = r.ok && (options.responseType === 'arraybuffer' || options.responseType === 'blob');
        const text = binary ? '' : await r.text();
        let data: unknown = text;
        if (binary) {
          data = options.responseType === 'blob' ? await r.blob() : await r.arrayBuffer();
        } else if (options.responseType !== 'text') {
          try {
            data = text ? JSON.parse(text) : {};
          } catch {
            data = text;
          }
        }
        const response = {
          data: data as T,
          status: r.status,
          statusText: r.statusText,
          ok: r.ok,
          headers: r.headers,
          url: r.url,
          type: r.type,
          redirected: r.redirected,
          config: options,
        };
        if (!r.ok) {
          sub.error({ ...response, isHandled: false });
          return;
        }
        sub.next(response);
        sub.complete();
      })
      .catch((e: unknown) => {
        if (!controller.signal.aborted) {
          sub.error({ status: 0, statusText: String(e), data: { message: String(e) }, config: options });
        }
      });
    return () => controller.abort();
  });
}

const backendSrv = {
  fetch: fetchObservable,
  request: <T>(o: BackendSrvRequest) => lastValueFrom(fetchObservable<T>(o)).then((r) => r.data),
  datasourceRequest: <T>(o: BackendSrvRequest) => lastValueFrom(fetchObservable<T>(o)),
  get: <T>(url: string, params?: Json, _id?: string, o?: Partial<BackendSrvRequest>) =>
    lastValueFrom(fetchObservable<T>({ ...o, url, params, method: 'GET' })).then((r) => r.data),
  delete: <T>(url: string, data?: unknown, o?: Partial<BackendSrvRequest>) =>
    lastValueFrom(fetchObservable<T>({ ...o, url, data, method: 'DELETE' })).then((r) => r.data),
  post: <T>(url: string, data?: unknown, o?: Partial<BackendSrvRequest>) =>
    lastValueFrom(fetchObservable<T>({ ...o, url, data, method: 'POST' })).then((r) => r.data),
  patch: <T>(url: string, data?: unknown, o?: Partial<BackendSrvRequest>) =>
    lastValueFrom(fetchObservable<T>({ ...o, url, data, method: 'PATCH' })).then((r) => r.data),
  put: <T>(url: string, data?: unknown, o?: Partial<BackendSrvRequest>) =>
    lastValueFrom(fetchObservable<T>({ ...o, url, data, method: 'PUT' })).then((r) => r.data),
  resolveCancelerIfExists: () => {},
} as unknown as BackendSrv;

// Grafana would load the data source plugin's code; the harness has none, so a query through it fails loudly.
class ProxyOnlyDataSource extends DataSourceApi {
  query(): Promise<DataQueryResponse> {
    return Promise.reject(
      new Error(`harness: ${this.type} has no query code here; the app must go through the data-source proxy`)
    );
  }
  testDatasource() {
    return Promise.resolve({ status: 'success', message: 'ok' });
  }
}

function listDataSources(): DataSourceInstanceSettings[] {
  return Object.values(config.datasources);
}

function findDataSource(ref?: DataSourceRef | string | null): DataSourceInstanceSettings | undefined {
  const all = listDataSources();
  if (ref === null || ref === undefined || ref === 'default') {
    return all.find((d) => d.isDefault) ?? all[0];
  }
  const key = typeof ref === 'string' ? ref : ref.uid;
  return all.find((d) => d.uid === key || d.name === key);
}

const instances = new Map<string, DataSourceApi>();

const dataSourceSrv = {
  getList: (filters: { pluginId?: string; type?: string | string[] } = {}) =>
    listDataSources().filter((d) => {
      const types = filters.type ? ([] as string[]).concat(filters.type) : undefined;
      return (!filters.pluginId || d.meta.id === filters.pluginId) && (!types || types.includes(d.type));
    }),
  getInstanceSettings: (ref?: DataSourceRef | string | null) => findDataSource(ref),
  get: async (ref?: DataSourceRef | string | null) => {
    const s = findDataSource(ref);
    if (!s) {
      throw new Error(`Data source ${JSON.stringify(ref)} was not found`);
    }
    if (!instances.has(s.uid)) {
      instances.set(s.uid, new ProxyOnlyDataSource(s));
    }
    return instances.get(s.uid)!;
  },
  reload: async () => {},
  registerRuntimeDataSource: () => {},
};

// Grafana's runRequest, reduced to what it guarantees panels: a Loading state, then frames or an error.
function runRequest(ds: DataSourceApi, request: DataQueryRequest): Observable<PanelData> {
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
      next: (resp) =>
        sub.next({
          ...base,
          state: resp.state ?? LoadingState.Done,
          series: (resp.data ?? []).map((f: DataFrame) => toDataFrame(f)),
          errors: resp.errors ?? (resp.error ? [resp.error] : undefined),
          error: resp.error ?? resp.errors?.[0],
        }),
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

// As in Grafana: variables of the active scene are interpolated through the scene graph.
const templateSrv = {
  getVariables: () => [],
  replace: (target?: string, scopedVars?: ScopedVars, format?: string | Function) => {
    const scene = (window as unknown as { __grafanaSceneContext?: SceneObject }).__grafanaSceneContext;
    if (!target) {
      return '';
    }
    return scene ? sceneGraph.interpolate(scene, target, scopedVars, format as string) : target;
  },
  containsTemplate: (target?: string) => Boolean(target && /\$|\[\[/.test(target)),
  updateTimeRange: () => {},
};

// Grafana Live, reduced to the one stream @grafana/llm uses: chat completions. The harness server answers
// the same resource over HTTP with server-sent events; each chunk becomes a Live message event.
const liveSrv = {
  getConnectionState: () => of(true),
  getStream: (address: LiveChannelAddress & { data?: unknown }) =>
    new Observable<LiveChannelEvent>((sub) => {
      const controller = new AbortController();
      const path = address.path.replace(/\/[0-9a-f-]{36}$/, '');
      const channel = `${address.scope}/${address.namespace}/${address.path}`;
      fetch(`/api/plugins/${address.namespace}/resources/${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ ...(address.data as Json), stream: true }),
        signal: controller.signal,
      })
        .then(async (r) => {
          if (!r.ok || !r.body) {
            throw new Error(`live: ${r.status} ${await r.text()}`);
          }
          const reader = r.body.getReader();
          const decoder = new TextDecoder();
          let buffered = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) {
              break;
            }
            buffered += decoder.decode(value, { stream: true });
            let nl: number;
            while ((nl = buffered.indexOf('\n')) >= 0) {
              const line = buffered.slice(0, nl).trim();
              buffered = buffered.slice(nl + 1);
              if (line.startsWith('data:') && line !== 'data: [DONE]') {
                sub.next({
                  type: LiveChannelEventType.Message,
                  message: JSON.parse(line.slice(5)),
                } as LiveChannelEvent);
              }
            }
          }
          sub.complete();
        })
        .catch((e: unknown) => {
          if (!controller.signal.aborted) {
            sub.error(new Error(`${channel}: ${String(e)}`));
          }
        });
      return () => controller.abort();
    }),
  getDataStream: () => of({ data: [] }),
  getPresence: () => Promise.resolve({ users: {} }),
  publish: () => Promise.resolve({}),
  getQueryData: () => of({ data: [] }),
};

export function installRuntimeServices(): EventBusSrv {
  const appEvents = new EventBusSrv();
  setBackendSrv(backendSrv);
  setDataSourceSrv(dataSourceSrv as never);
  setRunRequest(runRequest);
  setTemplateSrv(templateSrv as never);
  setAppEvents(appEvents as never);
  setEchoSrv({
    addEvent: () => {},
    addBackend: () => {},
    flush: () => {},
    logDebug: () => {},
    isEnabled: () => false,
  } as never);
  setGrafanaLiveSrv(liveSrv as never);
  setPluginLinksHook(() => ({ links: [], isLoading: false }));
  setPluginComponentsHook(() => ({ components: [], isLoading: false }));
  setPluginComponentHook(() => ({ component: null, isLoading: false }));
  return appEvents;
}
