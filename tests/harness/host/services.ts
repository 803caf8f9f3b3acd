// The @grafana/runtime services a plugin finds in Grafana, implemented over the browser and the harness server.
// Nothing here knows about the app: a plugin that needs more than Grafana offers must fail here too.
import {
  EventBusSrv,
  LiveChannelAddress,
  LiveChannelEvent,
  LiveChannelEventType,
  setTimeZoneResolver,
} from '@grafana/data';
import {
  BackendSrv,
  BackendSrvRequest,
  FetchResponse,
  config,
  locationService,
  setAppEvents,
  setBackendSrv,
  setChromeHeaderHeightHook,
  setCurrentUser,
  setDataSourceSrv,
  setEchoSrv,
  setGrafanaLiveSrv,
  setHelpNavItemHook,
  setLocationSrv,
  setMegaMenuOpenHook,
  setPluginComponentHook,
  setPluginComponentsHook,
  setPluginFunctionsHook,
  setPluginLinksHook,
  setQueryRunnerFactory,
  setReturnToPreviousHook,
  setRunRequest,
  setTemplateSrv,
} from '@grafana/runtime';
import { Observable, lastValueFrom, of } from 'rxjs';
import { HostQueryRunner, dataSourceSrv, runRequest } from './datasources';
import { templateSrv } from './templating';

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
  setQueryRunnerFactory(() => new HostQueryRunner());
  setLocationSrv(locationService);
  setCurrentUser(config.bootData.user as never);
  setTimeZoneResolver(() => config.bootData.user.timezone);
  // The hooks Grafana sets at start; no extension registers anything here, so each hook answers "none".
  setPluginLinksHook(() => ({ links: [], isLoading: false }));
  setPluginComponentsHook(() => ({ components: [], isLoading: false }));
  setPluginComponentHook(() => ({ component: null, isLoading: false }));
  setPluginFunctionsHook(() => ({ functions: [], isLoading: false }));
  // The page has no top bar above the app (Grafana's is in its chrome, which the harness does not draw).
  setChromeHeaderHeightHook(() => 0);
  setReturnToPreviousHook(() => () => {});
  setMegaMenuOpenHook(() => [false, () => {}]);
  setHelpNavItemHook(() => undefined);
  return appEvents;
}
