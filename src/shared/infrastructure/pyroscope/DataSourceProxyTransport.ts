import { BackendSrvRequest, getBackendSrv } from '@grafana/runtime';
import { lastValueFrom } from 'rxjs';

/** A failed call through the data-source proxy: what was called, the server's message and the HTTP status. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message);
  }
}

type Params = Record<string, string | number>;

const QUERIER = 'querier.v1.QuerierService';

// The only place the plugin talks to Grafana's backend: every call goes through the data-source proxy of one
// Pyroscope data source (`api/datasources/proxy/uid/<uid>/...`), so the app needs nothing else from Grafana.
// Connect in JSON or in protobuf binary, the legacy HTTP API with GET; failures become ApiErrors here, and the
// per-API clients (querier, settings, ad hoc profiles, export) only say what to call.
export class DataSourceProxyTransport {
  readonly baseUrl: string;

  constructor(readonly dataSourceUid: string) {
    this.baseUrl = `api/datasources/proxy/uid/${encodeURIComponent(dataSourceUid)}`;
  }

  /** A Connect unary call in JSON (`POST <service>/<method>`). */
  connect<T>(service: string, method: string, data: object): Promise<T> {
    return this.request<T>(
      {
        url: `${this.baseUrl}/${service}/${method}`,
        method: 'POST',
        data,
        headers: { 'Content-Type': 'application/json' },
      },
      callName(service, method)
    );
  }

  /** A Connect unary call in protobuf binary: the encoded request in, the encoded answer out. */
  connectBinary(service: string, method: string, body: Uint8Array): Promise<ArrayBuffer> {
    return this.request<ArrayBuffer>(
      {
        url: `${this.baseUrl}/${service}/${method}`,
        method: 'POST',
        data: new Blob([body as BlobPart], { type: 'application/proto' }),
        headers: { 'Content-Type': 'application/proto', 'Connect-Protocol-Version': '1' },
        responseType: 'arraybuffer',
      },
      callName(service, method)
    );
  }

  /** A GET of the legacy HTTP API (`/pyroscope/render`, ...), answered in JSON. */
  get<T>(path: string, params: Params): Promise<T> {
    return this.request<T>(
      { url: `${this.baseUrl}/${path}`, method: 'GET', params, headers: { 'Content-Type': 'application/json' } },
      path.split('/').slice(-1)[0]
    );
  }

  private async request<T>(options: BackendSrvRequest, name: string): Promise<T> {
    try {
      const response = await lastValueFrom(
        getBackendSrv().fetch<T>({ ...options, showErrorAlert: false, showSuccessAlert: false })
      );
      return response.data;
    } catch (e) {
      const err = e as { status?: number; data?: unknown; statusText?: string; message?: string };
      throw new ApiError(
        `${name}: ${serverMessage(err.data) ?? (err.statusText || err.message || 'request failed')}`,
        err.status ?? 0
      );
    }
  }
}

/** Querier calls are named by their method alone (most calls are); other services carry their package. */
function callName(service: string, method: string): string {
  return service === QUERIER ? method : `${service.split('.').slice(0, 2).join('.')} ${method}`;
}

/** The message of a Connect or Grafana error body, whether it arrived parsed, as text or as bytes. */
export function serverMessage(data: unknown): string | undefined {
  let body = data;
  if (ArrayBuffer.isView(body)) {
    body = new TextDecoder().decode(body);
  } else if (Object.prototype.toString.call(body) === '[object ArrayBuffer]') {
    // (tested by tag, not instanceof: the buffer may come from another realm)
    body = new TextDecoder().decode(new Uint8Array(body as ArrayBuffer));
  }
  if (typeof body === 'string') {
    const text = body;
    try {
      body = JSON.parse(text);
    } catch {
      return text.trim() || undefined;
    }
  }
  const message = (body as { message?: unknown } | null | undefined)?.message;
  return typeof message === 'string' && message ? message : undefined;
}

const transports = new Map<string, DataSourceProxyTransport>();

export function getTransport(dataSourceUid: string): DataSourceProxyTransport {
  let t = transports.get(dataSourceUid);
  if (!t) {
    t = new DataSourceProxyTransport(dataSourceUid);
    transports.set(dataSourceUid, t);
  }
  return t;
}
