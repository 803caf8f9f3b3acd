// What flame graph and time series queries need of one dataset of an object, with its stacks already resolved to
// call paths (callPaths.ts): per profile its series, time, total, client id, UUID and sample range; per sample
// its call path, value, span and trace. No symbols: a view of one 15 s segment is ~4 KB where the object is
// ~140 KB, so a day of uncompacted segments stays cached, and a warm query never resolves a stack again.
import type { SegmentMeta } from '../storage/format/meta.js';
import { formatUuid, type Segment } from '../storage/format/segment.js';
import { type CallPaths, SegmentPaths } from './callPaths.js';
import { Slicer } from './slicer.js';

export class SegmentView {
  readonly key: string;
  readonly dataset: number;
  readonly meta: SegmentMeta;
  /** Bytes of the object read for it (query stats report bytes read). */
  readonly objectBytes: number;
  readonly profSeries: Int32Array;
  readonly profTime: Float64Array;
  readonly profTotal: Float64Array;
  readonly profSampleOffsets: Int32Array;
  /** 16 bytes per profile, or empty when the object carries no UUIDs (version 1). */
  readonly profUuid: Uint8Array;
  readonly samplePath: Int32Array;
  readonly sampleValue: Float64Array;
  readonly sampleSpan: Int32Array;
  readonly sampleTrace: Int32Array;
  /** Client ids of the profiles that have one. */
  private readonly ids = new Map<number, string>();
  /** The strings span ids and trace ids refer to (all other strings are left behind). */
  private readonly strings = new Map<number, string>();
  readonly byteSize: number;

  /**
   * Builds the view in slices. A view is shared by every query that needs it, so no one query's signal stops
   * the build (the slicer has none): a query that gives up leaves a finished view behind for the others.
   */
  static async build(seg: Segment, paths: CallPaths): Promise<SegmentView> {
    const slicer = new Slicer();
    const n = seg.sampleStack.length;
    const samplePath = new Int32Array(n);
    const index = new SegmentPaths(seg, paths);
    for (let s = 0; s < n; s++) {
      const st = seg.sampleStack[s];
      const known = index.stackPath[st] >= 0;
      samplePath[s] = index.path(st);
      if (slicer.due(known ? 1 : 1 + seg.stackOffsets[st + 1] - seg.stackOffsets[st])) {
        await slicer.pause();
      }
    }
    return new SegmentView(seg, paths, samplePath);
  }

  private constructor(
    seg: Segment,
    readonly paths: CallPaths,
    samplePath: Int32Array
  ) {
    this.key = seg.key;
    this.dataset = seg.dataset;
    this.meta = seg.meta;
    this.objectBytes = seg.byteSize;
    // copies, so that the object's bytes (mostly symbols) can be freed
    this.profSeries = seg.profSeries.slice();
    this.profTime = seg.profTime.slice();
    this.profTotal = seg.profTotal.slice();
    this.profSampleOffsets = seg.profSampleOffsets.slice();
    this.profUuid = seg.profUuid.some((b) => b !== 0) ? seg.profUuid.slice() : new Uint8Array(0);
    this.sampleValue = seg.sampleValue.slice();
    const n = seg.sampleStack.length;
    this.samplePath = samplePath;
    this.sampleSpan = seg.sampleSpan.some((x) => x !== 0) ? seg.sampleSpan.slice() : new Int32Array(0);
    this.sampleTrace = seg.sampleTrace.some((x) => x !== 0) ? seg.sampleTrace.slice() : new Int32Array(0);
    let stringBytes = 0;
    for (let p = 0; p < this.profSeries.length; p++) {
      const id = seg.profIdString(p);
      if (id !== '') {
        this.ids.set(p, id);
        stringBytes += 2 * id.length + 64;
      }
    }
    const keep = (id: number) => {
      if (id !== 0 && !this.strings.has(id)) {
        const s = seg.decodeString(id);
        this.strings.set(id, s);
        stringBytes += 2 * s.length + 64;
      }
    };
    this.sampleSpan.forEach(keep);
    this.sampleTrace.forEach(keep);
    this.byteSize =
      this.profSeries.byteLength +
      this.profTime.byteLength +
      this.profTotal.byteLength +
      this.profSampleOffsets.byteLength +
      this.profUuid.byteLength +
      this.samplePath.byteLength +
      this.sampleValue.byteLength +
      this.sampleSpan.byteLength +
      this.sampleTrace.byteLength +
      stringBytes +
      // the meta is shared with the reader's meta cache, which counts it; this is the object itself
      512;
  }

  /** Span id of sample s as a string id (0 = none). */
  spanOf(s: number): number {
    return this.sampleSpan.length === 0 ? 0 : this.sampleSpan[s];
  }

  /** Trace id of sample s as a string id (0 = none); string() gives it as lowercase hex. */
  traceOf(s: number): number {
    return this.sampleTrace.length === 0 ? 0 : this.sampleTrace[s];
  }

  /** The client id of profile p, '' when it has none. */
  profIdString(p: number): string {
    return this.ids.get(p) ?? '';
  }

  get hasProfileIds(): boolean {
    return this.ids.size > 0;
  }

  /** The UUID of profile p (lowercase canonical), '' when it has none. */
  uuidOf(p: number): string {
    return this.profUuid.length === 0 ? '' : formatUuid(this.profUuid, 16 * p);
  }

  /** A span id or trace id string. */
  string(id: number): string {
    return this.strings.get(id) ?? '';
  }
}
