// Wire shapes of the Pyroscope API as the data-source proxy returns them (Connect JSON: int64 as strings).
export type Int64 = string | number;

export interface LabelPair {
  name: string;
  value: string;
}

export interface SeriesResponse {
  labelsSet?: Array<{ labels: LabelPair[] }>;
}

export interface NamesResponse {
  names?: string[];
}

/** types.v1.Exemplar: one stored profile (or one span of it) standing for a point or a heatmap cell. */
export interface ExemplarJson {
  /** ms */
  timestamp?: Int64;
  profileId?: string;
  spanId?: string;
  value?: Int64;
  labels?: LabelPair[];
  traceId?: string;
}

export interface SelectSeriesResponse {
  series?: Array<{
    labels?: LabelPair[];
    points?: Array<{ value?: number; timestamp?: Int64; exemplars?: ExemplarJson[] }>;
  }>;
}

/** types.v1.HeatmapSlot: the right edge of a time slot, the lower bound and count of each value bucket. */
export interface HeatmapSlotJson {
  timestamp?: Int64;
  yMin?: number[];
  counts?: number[];
  /** the highest-value exemplar of each non-empty bucket, in bucket order */
  exemplars?: ExemplarJson[];
}

export interface SelectHeatmapResponse {
  series?: Array<{ labels?: LabelPair[]; slots?: HeatmapSlotJson[] }>;
}

export interface Flamebearer {
  names: string[];
  levels: number[][];
  numTicks: number;
  maxSelf: number;
}

export interface RenderMetadata {
  format: 'single' | 'double';
  spyName?: string;
  sampleRate?: number;
  units?: string;
  name?: string;
}

export interface RenderResponse {
  version?: number;
  flamebearer: Flamebearer;
  metadata: RenderMetadata;
  timeline?: { startTime: number; samples: number[]; durationDelta: number } | null;
  leftTicks?: number;
  rightTicks?: number;
}

export interface ProfileStatsResponse {
  dataIngested?: boolean;
  oldestProfileTime?: Int64;
  newestProfileTime?: Int64;
}

/** types.v1.FlameGraph in Connect JSON (SelectMergeStacktraces, SelectMergeSpanProfile). */
export interface ConnectFlameGraph {
  names?: string[];
  levels?: Array<{ values?: Int64[] }>;
  total?: Int64;
  maxSelf?: Int64;
}

export interface SelectMergeSpanProfileResponse {
  flamegraph?: ConnectFlameGraph;
}

/** google.v1.Profile (pprof) in Connect JSON: zero values left out, int64 as strings. */
export interface PprofJson {
  sampleType?: Array<{ type?: Int64; unit?: Int64 }>;
  sample?: Array<{ locationId?: Int64[]; value?: Int64[] }>;
  location?: Array<{ id?: Int64; line?: Array<{ functionId?: Int64; line?: Int64 }> }>;
  function?: Array<{ id?: Int64; name?: Int64; systemName?: Int64; filename?: Int64; startLine?: Int64 }>;
  stringTable?: string[];
}
