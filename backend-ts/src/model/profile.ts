// The normalized profile: what every format reader (pprof, JFR, folded, speedscope, OTLP) produces and what the
// segment writer consumes. Columnar with integer ids, because ingest is a hot path: no object per sample.

/** A sample type as pprof names it, e.g. {type: "cpu", unit: "nanoseconds"}. */
export interface ValueType {
  type: string;
  unit: string;
}

export interface NormalizedProfile {
  /** String table; index 0 is always "". */
  strings: string[];
  /** Functions, indexed by function id: string ids of name, system name, file name, and the start line. */
  fnName: Int32Array;
  fnSystemName: Int32Array;
  fnFilename: Int32Array;
  fnStartLine: Int32Array;
  /** Frames (one per pprof Line, so inlined calls are frames of their own), indexed by frame id. */
  frameFn: Int32Array;
  frameLine: Int32Array;
  /** Stacks in CSR form, leaf first: frames of stack i are stackFrames[stackOffsets[i] .. stackOffsets[i+1]). */
  stackOffsets: Int32Array;
  stackFrames: Int32Array;
  sampleTypes: ValueType[];
  periodType: ValueType;
  period: number;
  /** Samples: stack id, one value column per sample type, label set id, span id (string id, 0 = none). */
  sampleStack: Int32Array;
  sampleValues: Float64Array[];
  sampleLabelSet: Int32Array;
  sampleSpan: Int32Array;
  /** Trace id (string id of lowercase hex, 0 = none) per sample; absent when the format carries none. */
  sampleTrace?: Int32Array;
  /** Label sets of samples (sorted by name, without span_id/trace_id); index 0 is the empty set. */
  labelSets: Array<Array<[string, string]>>;
  /** Profile time in ms since epoch; 0 when the source did not say. */
  timeMs: number;
  durationNanos: number;
}

/**
 * One profile as it enters the write path: the normalized data, the series labels that apply to every
 * sample (service_name, pyroscope_spy, __name__, client tags, ...) and the request-level identity.
 */
export interface IngestProfile {
  labels: Array<[string, string]>;
  profile: NormalizedProfile;
  /** Time of the profile in ms since epoch, already resolved against from/until. */
  timeMs: number;
  /** Client-provided id (push RawSample.ID); profiles with the same id are counted once. */
  id?: string;
  /**
   * The 16-byte UUID the server gave the ingested profile (each RawSample, each /ingest body); every stored
   * profile it becomes shares it.
   */
  uuid?: Uint8Array;
}

/** A stack of a merged query answer with full frame detail (pprof output). */
export interface MergedStack {
  /** Frames leaf first, each [function name, file name, line, start line, system name]. */
  frames: Array<[string, string, number, number, string]>;
  value: number;
}
