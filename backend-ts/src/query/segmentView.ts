// What flame graph and time series queries need of a segment, with its stacks already resolved to call paths
// (callPaths.ts): per profile its series, time, total, client id and sample range; per sample its call path,
// value and span. No symbols: a view of one 15 s segment is ~4 KB where the object is ~140 KB, so a day of
// uncompacted segments stays cached, and a warm query never resolves a stack again.
import type { Segment, SegmentMeta } from '../storage/segment.js';
import { type CallPaths, SegmentPaths } from './callPaths.js';
import { Slicer } from './slicer.js';

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
  /** The strings profile ids and span ids refer to (all other strings are left behind). */
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
    this.samplePath = samplePath;
    let spans = false;
    for (let s = 0; s < n && !spans; s++) {
      spans = seg.sampleSpan[s] !== 0;
    }
    this.sampleSpan = spans ? seg.sampleSpan.slice() : new Int32Array(0);
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
    this.byteSize =
      this.profSeries.byteLength +
      this.profTime.byteLength +
      this.profTotal.byteLength +
      this.profId.byteLength +
      this.profSampleOffsets.byteLength +
      this.samplePath.byteLength +
      this.sampleValue.byteLength +
      this.sampleSpan.byteLength +
      stringBytes +
      // the meta is shared with the reader's meta cache, which counts it; this is the object itself
      512;
  }

  /** Span id of sample s as a string id (0 = none). */
  spanOf(s: number): number {
    return this.sampleSpan.length === 0 ? 0 : this.sampleSpan[s];
  }

  /** A profile id or span id string. */
  string(id: number): string {
    return this.strings.get(id) ?? '';
  }
}
