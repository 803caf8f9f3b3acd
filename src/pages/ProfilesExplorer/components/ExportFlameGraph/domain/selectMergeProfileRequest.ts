/** querier.v1.SelectMergeProfileRequest, the fields the export sends. */
export interface SelectMergeProfileParams {
  profileTypeID: string;
  labelSelector: string;
  /** unix ms */
  start: number;
  end: number;
  /** 0 or absent: the whole profile, nothing folded */
  maxNodes?: number;
  profileIdSelector?: string[];
  spanSelector?: string[];
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
  bytesField(out, 1, p.profileTypeID);
  bytesField(out, 2, p.labelSelector);
  intField(out, 3, p.start);
  intField(out, 4, p.end);
  if (p.maxNodes) {
    intField(out, 5, p.maxNodes);
  }
  for (const id of p.profileIdSelector ?? []) {
    bytesField(out, 7, id);
  }
  for (const s of p.spanSelector ?? []) {
    bytesField(out, 8, s);
  }
  return Uint8Array.from(out);
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
