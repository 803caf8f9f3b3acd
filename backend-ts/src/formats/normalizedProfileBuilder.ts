// Builds a NormalizedProfile from readers that see stacks one at a time (folded, lines, speedscope, OTLP).
// Everything is deduplicated through Maps keyed by ids, so a body that repeats the same stack a million
// times costs one stack, and samples that share stack, label set and span are summed into one.
import { Interner } from '../model/interner.js';
import type { IngestProfile, NormalizedProfile, ValueType } from '../model/profile.js';

/** What every format reader returns: one entry per series-to-be, the caller adds time and request labels. */
export type FormatOutput = Pick<IngestProfile, 'labels' | 'profile'>;

export interface BuilderOptions {
  sampleTypes: ValueType[];
  periodType?: ValueType;
  period?: number;
  timeMs?: number;
  durationNanos?: number;
}

/** Labels never kept in a sample's label set: they travel per sample (span) or are dropped (trace). */
const PER_SAMPLE_ONLY = new Set(['span_id', 'trace_id']);

export class NormalizedProfileBuilder {
  private readonly stringIds = new Interner(['']);
  private readonly strings = this.stringIds.strings;

  private readonly fnName: number[] = [];
  private readonly fnSystemName: number[] = [];
  private readonly fnFilename: number[] = [];
  private readonly fnStartLine: number[] = [];
  private readonly fnIds = new Map<string, number>();

  private readonly frameFn: number[] = [];
  private readonly frameLine: number[] = [];
  private readonly frameIds = new Map<string, number>();
  private readonly nameFrames = new Map<string, number>();

  private readonly stackOffsets: number[] = [0];
  private readonly stackFrames: number[] = [];
  private readonly stackIds = new Map<string, number>();

  private readonly labelSets: Array<Array<[string, string]>> = [[]];
  private readonly labelSetIds = new Map<string, number>([['[]', 0]]);

  private readonly sampleStack: number[] = [];
  private readonly sampleLabelSet: number[] = [];
  private readonly sampleSpan: number[] = [];
  private readonly sampleTrace: number[] = [];
  private readonly sampleValues: number[][];
  private readonly sampleIds = new Map<number | string, number>();

  constructor(private readonly opts: BuilderOptions) {
    this.sampleValues = opts.sampleTypes.map(() => []);
  }

  string(s: string): number {
    return this.stringIds.id(s);
  }

  function(name: string, systemName = name, filename = '', startLine = 0): number {
    const n = this.string(name);
    const s = this.string(systemName);
    const f = this.string(filename);
    const key = `${n},${s},${f},${startLine}`;
    let id = this.fnIds.get(key);
    if (id === undefined) {
      id = this.fnName.length;
      this.fnName.push(n);
      this.fnSystemName.push(s);
      this.fnFilename.push(f);
      this.fnStartLine.push(startLine);
      this.fnIds.set(key, id);
    }
    return id;
  }

  frame(fnId: number, line = 0): number {
    const key = `${fnId},${line}`;
    let id = this.frameIds.get(key);
    if (id === undefined) {
      id = this.frameFn.length;
      this.frameFn.push(fnId);
      this.frameLine.push(line);
      this.frameIds.set(key, id);
    }
    return id;
  }

  /** Frame of a function known only by its name (the text formats, where this is the per-frame hot path). */
  nameFrame(name: string): number {
    let id = this.nameFrames.get(name);
    if (id === undefined) {
      id = this.frame(this.function(name));
      this.nameFrames.set(name, id);
    }
    return id;
  }

  /** Stack id for frame ids given leaf first. */
  stack(framesLeafFirst: readonly number[]): number {
    const key = framesLeafFirst.join(',');
    let id = this.stackIds.get(key);
    if (id === undefined) {
      id = this.stackOffsets.length - 1;
      for (const f of framesLeafFirst) {
        this.stackFrames.push(f);
      }
      this.stackOffsets.push(this.stackFrames.length);
      this.stackIds.set(key, id);
    }
    return id;
  }

  /** Label set id; span_id/trace_id are left out, a repeated name keeps its last value. */
  labelSet(labels: ReadonlyArray<readonly [string, string]>): number {
    if (labels.length === 0) {
      return 0;
    }
    const byName = new Map<string, string>();
    for (const [k, v] of labels) {
      if (!PER_SAMPLE_ONLY.has(k)) {
        byName.set(k, v);
      }
    }
    const sorted = [...byName].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const key = JSON.stringify(sorted);
    let id = this.labelSetIds.get(key);
    if (id === undefined) {
      id = this.labelSets.length;
      this.labelSets.push(sorted);
      this.labelSetIds.set(key, id);
    }
    return id;
  }

  /** Adds values (one per sample type) to the sample of (stack, label set, span, trace), creating it when new. */
  addSample(stackId: number, values: readonly number[], labelSetId = 0, span = '', trace = ''): void {
    const spanId = span === '' ? 0 : this.string(span);
    const traceId = trace === '' ? 0 : this.string(trace.toLowerCase());
    // most samples have neither labels nor span: their stack id alone is the key, and a number hashes free
    const key =
      labelSetId === 0 && spanId === 0 && traceId === 0 ? stackId : `${stackId},${labelSetId},${spanId},${traceId}`;
    let id = this.sampleIds.get(key);
    if (id === undefined) {
      id = this.sampleStack.length;
      this.sampleStack.push(stackId);
      this.sampleLabelSet.push(labelSetId);
      this.sampleSpan.push(spanId);
      this.sampleTrace.push(traceId);
      for (const col of this.sampleValues) {
        col.push(0);
      }
      this.sampleIds.set(key, id);
    }
    for (let t = 0; t < this.sampleValues.length; t++) {
      this.sampleValues[t][id] += values[t] ?? 0;
    }
  }

  /** True when no sample carries a non-zero value: such a body writes nothing. */
  isEmpty(): boolean {
    return !this.sampleValues.some((col) => col.some((v) => v !== 0));
  }

  /** Sum of one value column (tests and logs). */
  total(typeIndex = 0): number {
    let sum = 0;
    for (const v of this.sampleValues[typeIndex] ?? []) {
      sum += v;
    }
    return sum;
  }

  build(): NormalizedProfile {
    // Samples whose values are all zero carry nothing a query could show (Pyroscope drops them too).
    const keep: number[] = [];
    for (let i = 0; i < this.sampleStack.length; i++) {
      if (this.sampleValues.some((col) => col[i] !== 0)) {
        keep.push(i);
      }
    }
    const pick = (src: number[]): Int32Array => Int32Array.from(keep, (i) => src[i]);
    return {
      strings: this.strings.slice(),
      fnName: Int32Array.from(this.fnName),
      fnSystemName: Int32Array.from(this.fnSystemName),
      fnFilename: Int32Array.from(this.fnFilename),
      fnStartLine: Int32Array.from(this.fnStartLine),
      frameFn: Int32Array.from(this.frameFn),
      frameLine: Int32Array.from(this.frameLine),
      stackOffsets: Int32Array.from(this.stackOffsets),
      stackFrames: Int32Array.from(this.stackFrames),
      sampleTypes: this.opts.sampleTypes.map((t) => ({ ...t })),
      periodType: { ...(this.opts.periodType ?? { type: '', unit: '' }) },
      period: this.opts.period ?? 0,
      sampleStack: pick(this.sampleStack),
      sampleValues: this.sampleValues.map((col) => Float64Array.from(keep, (i) => col[i])),
      sampleLabelSet: pick(this.sampleLabelSet),
      sampleSpan: pick(this.sampleSpan),
      ...(this.sampleTrace.some((t) => t !== 0) ? { sampleTrace: pick(this.sampleTrace) } : {}),
      labelSets: this.labelSets.map((ls) => ls.map(([k, v]): [string, string] => [k, v])),
      timeMs: this.opts.timeMs ?? 0,
      durationNanos: this.opts.durationNanos ?? 0,
    };
  }
}
