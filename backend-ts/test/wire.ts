// Wire bytes written by hand from the published field numbers (pprof's profile.proto, Pyroscope's push.v1), so
// the durability and bad-input tests depend on none of our own encoders.
import { constants, deflateRawSync, gzipSync } from 'node:zlib';

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

/**
 * A CPU profile of one sample whose stack is `frames` deep, all of one function (a runaway recursion): the
 * packed location ids take one byte a frame, so 4M frames are a 4 MB pprof and a 4 KB gzip.
 */
export function deepPprof(frames: number, gzip = true): Buffer {
  const strings = ['', 'cpu', 'nanoseconds', 'main.recurse', 'main.go'];
  const raw = Buffer.concat([
    bytesField(1, Buffer.concat([intField(1, 1), intField(2, 2)])),
    bytesField(2, Buffer.concat([bytesField(1, Buffer.alloc(frames, 1)), packed(2, [100])])),
    bytesField(4, Buffer.concat([intField(1, 1), bytesField(4, Buffer.concat([intField(1, 1), intField(2, 10)]))])),
    bytesField(5, Buffer.concat([intField(1, 1), intField(2, 3), intField(4, 4)])),
    ...strings.map((s) => bytesField(6, Buffer.from(s))),
    bytesField(11, Buffer.concat([intField(1, 1), intField(2, 2)])),
    intField(12, 10_000_000),
  ]);
  return gzip ? gzipSync(raw) : raw;
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

export interface HandSample {
  /** Function names, leaf first. */
  stack: string[];
  values: number[];
  /** String-valued pprof sample labels. */
  labels?: Record<string, string>;
}

export interface HandProfile {
  /** [type, unit] per sample type. */
  sampleTypes: Array<[string, string]>;
  periodType?: [string, string];
  period?: number;
  samples: HandSample[];
  /** pprof time_nanos; omitted when 0. */
  timeNanos?: bigint;
  /** Numbers functions and locations from this id up and lists them in reverse, as another encoder might. */
  firstId?: number;
  reverse?: boolean;
  gzip?: boolean;
}

/**
 * Any pprof, written from profile.proto's field numbers: Profile{sample_type=1, sample=2, location=4, function=5,
 * string_table=6, time_nanos=9, period_type=11, period=12}, ValueType{type=1, unit=2}, Sample{location_id=1,
 * value=2, label=3 Label{key=1, str=2}}, Location{id=1, line=4 Line{function_id=1, line=2}},
 * Function{id=1, name=2, filename=4}. One location per function (line 10 + its index), file `main.go`.
 */
export function handPprof(p: HandProfile): Buffer {
  const strings = [''];
  const str = (s: string): number => {
    let i = strings.indexOf(s);
    if (i < 0) {
      i = strings.push(s) - 1;
    }
    return i;
  };
  const first = p.firstId ?? 1;
  const fns: string[] = [];
  for (const s of p.samples) {
    for (const f of s.stack) {
      if (!fns.includes(f)) {
        fns.push(f);
      }
    }
  }
  const idOf = (f: string) => first + fns.indexOf(f);
  const types = p.sampleTypes.map(([t, u]) => bytesField(1, Buffer.concat([intField(1, str(t)), intField(2, str(u))])));
  const samples = p.samples.map((s) =>
    bytesField(
      2,
      Buffer.concat([
        packed(1, s.stack.map(idOf)),
        packed(2, s.values),
        ...Object.entries(s.labels ?? {}).map(([k, v]) =>
          bytesField(3, Buffer.concat([intField(1, str(k)), intField(2, str(v))]))
        ),
      ])
    )
  );
  const order = p.reverse ? [...fns].reverse() : fns;
  const file = str('main.go');
  const locations = order.map((f) =>
    bytesField(
      4,
      Buffer.concat([
        intField(1, idOf(f)),
        bytesField(4, Buffer.concat([intField(1, idOf(f)), intField(2, 10 + fns.indexOf(f))])),
      ])
    )
  );
  const functions = order.map((f) =>
    bytesField(5, Buffer.concat([intField(1, idOf(f)), intField(2, str(f)), intField(4, file)]))
  );
  const period = p.periodType
    ? [bytesField(11, Buffer.concat([intField(1, str(p.periodType[0])), intField(2, str(p.periodType[1]))]))]
    : [];
  const raw = Buffer.concat([
    ...types,
    ...samples,
    ...locations,
    ...functions,
    ...period,
    ...strings.map((s) => bytesField(6, Buffer.from(s))),
    ...(p.timeNanos ? [intField(9, p.timeNanos)] : []),
    ...(p.period ? [intField(12, p.period)] : []),
  ]);
  return p.gzip ? gzipSync(raw) : raw;
}

/** Protobuf writer for hand-encoded requests (field numbers from Pyroscope's published .proto files). */
export class PbWriter {
  private readonly out: number[] = [];

  varint(v: number | bigint): this {
    this.out.push(...varint(BigInt.asUintN(64, BigInt(v))));
    return this;
  }

  int64(field: number, v: number | bigint): this {
    return this.varint(field << 3).varint(v);
  }

  bytes(field: number, b: Uint8Array): this {
    this.varint((field << 3) | 2).varint(b.length);
    for (const x of b) {
      this.out.push(x);
    }
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, Buffer.from(s));
  }

  /** A double: wire type 1, 8 bytes little endian. */
  double(field: number, v: number): this {
    this.varint((field << 3) | 1);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    for (const x of b) {
      this.out.push(x);
    }
    return this;
  }

  finish(): Buffer {
    return Buffer.from(this.out);
  }
}

/** Protobuf reader for hand-decoded responses: fields as (number, wire type, value). */
export class PbReader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): bigint {
    let r = 0n;
    let shift = 0n;
    let b: number;
    do {
      b = this.buf[this.pos++];
      r |= BigInt(b & 0x7f) << shift;
      shift += 7n;
    } while (b & 0x80);
    return r;
  }

  key(): [number, number] {
    const k = Number(this.varint());
    return [k >>> 3, k & 7];
  }

  double(): number {
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  bytes(): Buffer {
    const n = Number(this.varint());
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  skip(wt: number): void {
    if (wt === 0) {
      this.varint();
    } else if (wt === 2) {
      this.bytes();
    } else if (wt === 1) {
      this.pos += 8;
    } else if (wt === 5) {
      this.pos += 4;
    } else {
      throw new Error(`unexpected wire type ${wt}`);
    }
  }

  /** Every field of the message: length-delimited ones as bytes, varints as bigint. */
  fields(): Array<{ f: number; v: Buffer | bigint }> {
    const out: Array<{ f: number; v: Buffer | bigint }> = [];
    while (!this.done()) {
      const [f, wt] = this.key();
      if (wt === 2) {
        out.push({ f, v: this.bytes() });
      } else if (wt === 0) {
        out.push({ f, v: this.varint() });
      } else {
        this.skip(wt);
      }
    }
    return out;
  }
}

/** POST a hand-encoded binary protobuf Connect request; the body of the answer, undecoded. */
export async function connectProto(
  url: string,
  path: string,
  body: Buffer,
  headers: Record<string, string> = {}
): Promise<{ status: number; body: Buffer }> {
  const r = await fetch(`${url}/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/proto', 'connect-protocol-version': '1', ...headers },
    body: new Uint8Array(body),
  });
  return { status: r.status, body: Buffer.from(await r.arrayBuffer()) };
}

/** A field of a hand-read message: length-delimited as bytes, varints as bigint, 64-bit fixed (double) as number. */
export interface Field {
  f: number;
  v: Buffer | bigint | number;
}

/** Every field of a message, doubles included (PbReader.fields skips fixed-width fields). */
export function readFields(buf: Buffer): Field[] {
  const r = new PbReader(buf);
  const out: Field[] = [];
  while (!r.done()) {
    const [f, wt] = r.key();
    if (wt === 2) {
      out.push({ f, v: r.bytes() });
    } else if (wt === 0) {
      out.push({ f, v: r.varint() });
    } else if (wt === 1) {
      out.push({ f, v: r.double() });
    } else {
      r.skip(wt);
    }
  }
  return out;
}

/**
 * A gzip member inflating to `mib` MiB of zeros in about 1 KB per MiB: one full-flushed deflate block of 1 MiB
 * repeated (each starts afresh), then a final empty block. The trailer's checksum is wrong on purpose: a
 * server that inflates to the end has already lost.
 */
export function gzipBomb(mib: number): Buffer {
  const block = deflateRawSync(Buffer.alloc(1 << 20), { level: 9, finishFlush: constants.Z_FULL_FLUSH });
  return Buffer.concat([
    Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]),
    ...Array.from({ length: mib }, () => block),
    Buffer.from([3, 0]),
    Buffer.alloc(8),
  ]);
}
