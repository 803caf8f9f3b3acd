// The agents' wire protocols: Connect Push (Alloy, pyroscope-rs) and the /ingest HTTP API (Go, Java, .NET SDKs).
import { gzipSync } from 'node:zlib';
import { ProtoWriter } from './proto.js';

export interface PushSeries {
  labels: Record<string, string>;
  /** Raw pprof (gzipped) per sample. */
  profiles: Array<Uint8Array<ArrayBuffer>>;
}

/** push.v1.PushRequest{series=1: RawProfileSeries{labels=1: LabelPair{name=1,value=2}, samples=2: RawSample{raw_profile=1, ID=2}}}. */
export function encodePushRequest(series: readonly PushSeries[]): Uint8Array<ArrayBuffer> {
  const w = new ProtoWriter();
  for (const s of series) {
    w.message(1, (sw) => {
      for (const [name, value] of Object.entries(s.labels)) {
        sw.message(1, (l) => l.string(1, name).string(2, value));
      }
      for (const p of s.profiles) {
        sw.message(2, (rs) => rs.bytes(1, p));
      }
    });
  }
  return w.finish();
}

export class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** Agents retry on 429, 408 and 5xx (Alloy's pyroscope.write does); three attempts with a short backoff here. */
async function send(url: string, init: RequestInit): Promise<void> {
  let last: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const r = await fetch(url, { ...init, signal: AbortSignal.timeout(20_000) });
      if (r.ok) {
        await r.arrayBuffer();
        return;
      }
      const text = await r.text();
      last = new HttpError(r.status, `${r.status} ${text.slice(0, 300)}`);
      if (!(r.status === 429 || r.status === 408 || r.status >= 500)) {
        break;
      }
    } catch (e) {
      last = e;
    }
    await new Promise((res) => setTimeout(res, 500 * (attempt + 1)));
  }
  throw last instanceof Error ? last : new Error(String(last));
}

export function push(baseUrl: string, series: readonly PushSeries[], { gzip }: { gzip: boolean }): Promise<void> {
  const body = encodePushRequest(series);
  const headers: Record<string, string> = { 'content-type': 'application/proto', 'connect-protocol-version': '1' };
  if (gzip) {
    // pyroscope-rs compresses the whole request; Alloy sends it plain.
    headers['content-encoding'] = 'gzip';
  }
  return send(`${baseUrl}/push.v1.PusherService/Push`, {
    method: 'POST',
    headers,
    body: gzip ? gzipSync(body) : body,
  });
}

/** `name` as the SDKs build it: app{k=v,...}. */
export function appName(app: string, tags: Record<string, string>): string {
  return `${app}{${Object.entries(tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(',')}}`;
}

export function ingest(
  baseUrl: string,
  params: Record<string, string>,
  body: Uint8Array<ArrayBuffer> | FormData
): Promise<void> {
  const init: RequestInit = { method: 'POST', body };
  if (!(body instanceof FormData)) {
    init.headers = { 'content-type': 'application/octet-stream' };
  }
  return send(`${baseUrl}/ingest?${new URLSearchParams(params)}`, init);
}

export function fileField(form: FormData, name: string, data: Uint8Array<ArrayBuffer>, filename: string): void {
  form.append(name, new Blob([data]), filename);
}
