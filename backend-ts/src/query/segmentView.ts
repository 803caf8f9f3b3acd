// What flame graph and time series queries need of a segment, with its stacks already resolved to call paths
// (callPaths.ts): per profile its series, time, total, client id and sample range; per sample its call path,
// value and span. No symbols: a view of one 15 s segment is ~4 KB where the object is ~140 KB, so a day of
// uncompacted segments stays cached, and a warm query never resolves a stack again.
import type { Segment, SegmentMeta } from '../storage/segment.js';
import { type CallPaths, SegmentPaths } from './callPaths.js';

export class SegmentView {
  readonly key: string;
  readonly meta: SegmentMeta;
  /** Size of the object in the store (query stats report bytes read). */
  readonly objectBytes: number;
  readonly profSeries: Int32Array;
  readonly profTime: Float64Array;
  readonly profTotal: Float64Array;
  readonly profId: Int32Array;
  readonly profSampleOffsets: Int32Array;
  readonly samplePath: Int32Array;
  readonly sampleValue: Float64Array;
  readonly sampleSpan: Int32Array;
  /** Empty when no sample has a trace id. */
  readonly sampleTrace: Int32Array;
  /** Empty when no profile has a UUID. */
  readonly profUuid: string[];
  /** The strings profile ids, span ids and trace ids refer to (all other strings are left behind). */
  private readonly strings = new Map<number, string>();
  readonly byteSize: number;

  constructor(
    seg: Segment,
    readonly paths: CallPaths
  ) {
    this.key = seg.key;
    this.meta = seg.meta;
    this.objectBytes = seg.byteSize;
    // copies, so that the object's bytes (mostly symbols) can be freed
    this.profSeries = seg.profSeries.slice();
    this.profTime = seg.profTime.slice();
    this.profTotal = seg.profTotal.slice();
    this.profId = seg.profId.slice();
    this.profSampleOffsets = seg.profSampleOffsets.slice();
    this.sampleValue = seg.sampleValue.slice();
    const n = seg.sampleStack.length;
    this.samplePath = new Int32Array(n);
    const index = new SegmentPaths(seg, paths);
    for (let s = 0; s < n; s++) {
      this.samplePath[s] = index.path(seg.sampleStack[s]);
    }
    let spans = false;
    for (let s = 0; s < n && !spans; s++) {
      spans = seg.sampleSpan[s] !== 0;
    }
    this.sampleSpan = spans ? seg.sampleSpan.slice() : new Int32Array(0);
    let traces = false;
    for (let s = 0; s < n && !traces; s++) {
      traces = seg.traceOf(s) !== 0;
    }
    this.sampleTrace = traces ? Int32Array.from({ length: n }, (_, s) => seg.traceOf(s)) : new Int32Array(0);
    const profiles = this.profSeries.length;
    let uuids = false;
    for (let p = 0; p < profiles && !uuids; p++) {
      uuids = seg.uuidOf(p) !== '';
    }
    this.profUuid = uuids ? Array.from({ length: profiles }, (_, p) => seg.uuidOf(p)) : [];
    let stringBytes = 0;
    const keep = (id: number) => {
      if (id !== 0 && !this.strings.has(id)) {
        const s = seg.decodeString(id);
        this.strings.set(id, s);
        stringBytes += 2 * s.length + 64;
      }
    };
    this.profId.forEach(keep);
    this.sampleSpan.forEach(keep);
    this.sampleTrace.forEach(keep);
    this.byteSize =
      this.profSeries.byteLength +
      this.profTime.byteLength +
      this.profTotal.byteLength +
      this.profId.byteLength +
      this.profSampleOffsets.byteLength +
      this.samplePath.byteLength +
      this.sampleValue.byteLength +
      this.sampleSpan.byteLength +
      this.sampleTrace.byteLength +
      // a canonical UUID: 36 UTF-16 units and the string's header
      this.profUuid.length * 100 +
      stringBytes +
      // the meta is shared with the reader's meta cache, which counts it; this is the object itself
      512;
  }

  /** Span id of sample s as a string id (0 = none). */
  spanOf(s: number): number {
    return this.sampleSpan.length === 0 ? 0 : this.sampleSpan[s];
  }

  /** Trace id of sample s as a string id (0 = none). */
  traceOf(s: number): number {
    return this.sampleTrace.length === 0 ? 0 : this.sampleTrace[s];
  }

  /** The server-assigned UUID of profile p ('' = none). */
  uuidOf(p: number): string {
    return this.profUuid.length === 0 ? '' : this.profUuid[p];
  }

  /** A profile id, span id or trace id string. */
  string(id: number): string {
    return this.strings.get(id) ?? '';
  }
}
