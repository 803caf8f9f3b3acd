// Wire bytes written by hand from the published field numbers (pprof's profile.proto, Pyroscope's push.v1), so
// the durability and bad-input tests depend on none of our own encoders.
import { gzipSync } from 'node:zlib';

function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  const out: number[] = [];
  while (v > 127n) {
    out.push(Number(v & 127n) | 128);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

const bytesField = (num: number, payload: Buffer): Buffer =>
  Buffer.concat([Buffer.from([...varint((num << 3) | 2), ...varint(payload.length)]), payload]);
const intField = (num: number, v: number | bigint): Buffer => Buffer.from([...varint(num << 3), ...varint(v)]);
const packed = (num: number, vs: number[]): Buffer => bytesField(num, Buffer.from(vs.flatMap((v) => varint(v))));

export interface TinyProfile {
  /** Leaf function name of the one stack. */
  fn?: string;
  /** Value of the one sample (cpu nanoseconds). */
  value?: number;
  /** pprof time_nanos; omitted when 0 so that the server stamps the profile with the request time. */
  timeNanos?: bigint;
  /** pprof sample labels (string-valued). */
  labels?: Record<string, string>;
  gzip?: boolean;
}

/**
 * A one-sample CPU profile: sample type cpu/nanoseconds, period type cpu/nanoseconds, so the server reports it as
 * `process_cpu:cpu:nanoseconds:cpu:nanoseconds` and its total is exactly `value`.
 */
export function tinyPprof(p: TinyProfile = {}): Buffer {
  const strings = ['', 'cpu', 'nanoseconds', p.fn ?? 'main.work', 'main.go'];
  const str = (s: string): number => {
    let i = strings.indexOf(s);
    if (i < 0) {
      i = strings.push(s) - 1;
    }
    return i;
  };
  const labels = Object.entries(p.labels ?? {}).map(([k, v]) =>
    bytesField(3, Buffer.concat([intField(1, str(k)), intField(2, str(v))]))
  );
  const parts = [
    bytesField(1, Buffer.concat([intField(1, 1), intField(2, 2)])),
    bytesField(2, Buffer.concat([packed(1, [1]), packed(2, [p.value ?? 1]), ...labels])),
    bytesField(4, Buffer.concat([intField(1, 1), bytesField(4, Buffer.concat([intField(1, 1), intField(2, 10)]))])),
    bytesField(5, Buffer.concat([intField(1, 1), intField(2, 3), intField(4, 4)])),
    ...strings.map((s) => bytesField(6, Buffer.from(s))),
    ...(p.timeNanos ? [intField(9, p.timeNanos)] : []),
    bytesField(11, Buffer.concat([intField(1, 1), intField(2, 2)])),
    intField(12, 10_000_000),
  ];
  const raw = Buffer.concat(parts);
  return p.gzip === false ? raw : gzipSync(raw);
}

export interface PushSeries {
  labels: Record<string, string>;
  samples: Array<{ raw: Buffer; id?: string }>;
}

/** push.v1.PushRequest{series=1: RawProfileSeries{labels=1: LabelPair{name=1,value=2}, samples=2: RawSample{raw_profile=1, ID=2}}}. */
export function encodePush(series: PushSeries[]): Buffer {
  return Buffer.concat(
    series.map((s) =>
      bytesField(
        1,
        Buffer.concat([
          ...Object.entries(s.labels).map(([k, v]) =>
            bytesField(1, Buffer.concat([bytesField(1, Buffer.from(k)), bytesField(2, Buffer.from(v))]))
          ),
          ...s.samples.map((x) =>
            bytesField(2, Buffer.concat([bytesField(1, x.raw), ...(x.id ? [bytesField(2, Buffer.from(x.id))] : [])]))
          ),
        ])
      )
    )
  );
}

/** POST /push.v1.PusherService/Push as Alloy sends it (binary proto), optionally gzipped as pyroscope-rs does. */
export function push(
  url: string,
  body: Buffer,
  opts: { tenant?: string; gzip?: boolean; signal?: AbortSignal } = {}
): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/proto', 'connect-protocol-version': '1' };
  if (opts.gzip) {
    headers['content-encoding'] = 'gzip';
  }
  if (opts.tenant) {
    headers['x-scope-orgid'] = opts.tenant;
  }
  return fetch(`${url}/push.v1.PusherService/Push`, {
    method: 'POST',
    headers,
    body: new Uint8Array(opts.gzip ? gzipSync(body) : body),
    signal: opts.signal,
  });
}

export const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
