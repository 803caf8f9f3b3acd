/** querier.v1.SelectMergeProfileRequest, the fields the export sends. */
export interface SelectMergeProfileParams {
  profileTypeID: string;
  labelSelector: string;
  /** unix ms */
  start: number;
  end: number;
  /** 0 or absent: the whole profile, nothing folded */
  maxNodes?: number;
}

/** querier.v1.SelectMergeStacktracesRequest asking a span-filtered pprof. */
export interface SpanPprofParams extends SelectMergeProfileParams {
  spanSelector: string[];
}

function varint(out: number[], v: number) {
  // Timestamps in ms exceed 32 bits: divide instead of shifting.
  let n = Math.max(0, Math.floor(v));
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
}

function bytesField(out: number[], field: number, value: string) {
  const bytes = new TextEncoder().encode(value);
  varint(out, (field << 3) | 2);
  varint(out, bytes.length);
  for (const b of bytes) {
    out.push(b);
  }
}

function intField(out: number[], field: number, value: number) {
  varint(out, field << 3);
  varint(out, value);
}

/**
 * The request in protobuf binary: SelectMergeProfile answers a pprof `Profile` message, and asked in binary
 * (`application/proto`) the answer is the pprof file itself, ready to gzip.
 */
export function encodeSelectMergeProfileRequest(p: SelectMergeProfileParams): Uint8Array {
  const out: number[] = [];
  commonFields(out, p);
  return Uint8Array.from(out);
}

function commonFields(out: number[], p: SelectMergeProfileParams) {
  bytesField(out, 1, p.profileTypeID);
  bytesField(out, 2, p.labelSelector);
  intField(out, 3, p.start);
  intField(out, 4, p.end);
  if (p.maxNodes) {
    intField(out, 5, p.maxNodes);
  }
}

/** PROFILE_FORMAT_PPROF in SelectMergeStacktracesRequest.format (field 6). */
const FORMAT_PPROF = 4;

/**
 * A span-filtered pprof, asked as Pyroscope asks it: SelectMergeStacktraces with span_selector (field 11) and
 * format PPROF. SelectMergeProfile has no span selector (its field 8 is trace ids).
 */
export function encodeSpanPprofRequest(p: SpanPprofParams): Uint8Array {
  const out: number[] = [];
  commonFields(out, p);
  intField(out, 6, FORMAT_PPROF);
  for (const s of p.spanSelector) {
    bytesField(out, 11, s);
  }
  return Uint8Array.from(out);
}

/** Reads one length-delimited field out of a message; other fields are skipped. */
function lengthDelimited(buf: Uint8Array, field: number): Uint8Array | undefined {
  let pos = 0;
  const varintAt = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      if (pos >= buf.length) {
        throw new Error('truncated protobuf message');
      }
      const b = buf[pos++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) {
        return v;
      }
      mul *= 0x80;
    }
  };
  let found: Uint8Array | undefined;
  while (pos < buf.length) {
    const key = varintAt();
    const wire = key % 8;
    if (wire === 0) {
      varintAt();
    } else if (wire === 1) {
      pos += 8;
    } else if (wire === 5) {
      pos += 4;
    } else if (wire === 2) {
      const len = varintAt();
      if (Math.floor(key / 8) === field) {
        found = buf.subarray(pos, pos + len);
      }
      pos += len;
    } else {
      throw new Error(`unsupported protobuf wire type ${wire}`);
    }
  }
  return found;
}

/**
 * The pprof of a SelectMergeStacktracesResponse: `pprof` (field 5) is a PprofProfile whose `profile` (field 1) is
 * the pprof message. Empty when the selection had no samples.
 */
export function pprofOfStacktracesResponse(response: Uint8Array): Uint8Array {
  const wrapper = lengthDelimited(response, 5);
  return (wrapper && lengthDelimited(wrapper, 1)) ?? new Uint8Array(0);
}

/** `checkout_process_cpu-cpu_2026-01-01T10-00-00Z` style names: what was exported, and when. */
export function exportFileName(serviceName: string, profileMetricId: string, start: number, ext: string): string {
  const type = profileMetricId.split(':').slice(0, 2).join('-');
  const time = new Date(start)
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_');
  return `${safe(serviceName)}_${safe(type)}_${time}.${ext}`;
}
