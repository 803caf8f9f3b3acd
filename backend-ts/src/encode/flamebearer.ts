// The legacy flamebearer document of /pyroscope/render, /render-diff and ad hoc profiles, as Pyroscope's
// ExportToFlamebearer and timeline.New build it.
import type { FlameGraph } from './flamegraph.js';
import type { FlameGraphDiff } from './flamegraphDiff.js';

/**
 * The timeline step of /pyroscope/render, as Pyroscope's timeline.CalcPointInterval picks it: the range over
 * 1500 points, at least 15 s, else rounded to the step Grafana's interval table gives that length.
 */
export function timelineStepMs(startMs: number, endMs: number): number {
  const ms = (endMs - startMs) / 1500;
  return ms < 15_000 ? 15_000 : roundInterval(ms);
}

// [longest interval, step it rounds to], in ms, from Grafana's (and Pyroscope's) roundInterval
const INTERVALS: ReadonlyArray<readonly [number, number]> = [
  [10, 1],
  [15, 10],
  [35, 20],
  [75, 50],
  [150, 100],
  [350, 200],
  [750, 500],
  [1500, 1000],
  [3500, 2000],
  [7500, 5000],
  [12_500, 10_000],
  [17_500, 15_000],
  [25_000, 20_000],
  [45_000, 30_000],
  [90_000, 60_000],
  [210_000, 120_000],
  [450_000, 300_000],
  [750_000, 600_000],
  [1_050_000, 900_000],
  [1_500_000, 1_200_000],
  [2_700_000, 1_800_000],
  [5_400_000, 3_600_000],
  [9_000_000, 7_200_000],
  [16_200_000, 10_800_000],
  [32_400_000, 21_600_000],
  [86_400_000, 43_200_000],
  [172_800_000, 86_400_000],
  [604_800_000, 86_400_000],
  [1_814_400_000, 604_800_000],
];

/** Grafana-style interval rounding, so the timeline step reads like a step a human would choose. */
function roundInterval(ms: number): number {
  for (const [upTo, step] of INTERVALS) {
    if (ms <= upTo) {
      return step;
    }
  }
  return ms < 3_628_800_000 ? 2_592_000_000 : 31_536_000_000;
}

export interface LegacyTimeline {
  startTime: number;
  samples: number[];
  durationDelta: number;
  watermarks: null;
}

/**
 * The flamebearer timeline as Pyroscope's timeline.New builds it from the SelectSeries points of [start, end]
 * (on the grid start + k*step, a point at T holding the profiles in (T - step, T]):
 * - startTime is start snapped down to the step, and there is one sample per step up to end snapped down
 *   (exclusive); steps without a point are 0;
 * - sample i is the point at startTime + i*step, counted in whole seconds as Pyroscope does, so a profile at
 *   t lands in sample ceil((t - start) / step), and points at or past the snapped end are not drawn.
 */
export function legacyTimeline(
  points: ReadonlyArray<{ timestamp: number; value: number }>,
  startMs: number,
  endMs: number,
  stepMs: number
): LegacyTimeline {
  const stepS = stepMs / 1000;
  const first = Math.floor(startMs / stepMs) * stepMs;
  const last = Math.floor(endMs / stepMs) * stepMs;
  const samples = new Array<number>(Math.max(0, Math.round((last - first) / stepMs))).fill(0);
  for (const p of points) {
    if (p.timestamp >= first && p.timestamp < last) {
      samples[Math.floor((Math.floor(p.timestamp / 1000) - first / 1000) / stepS)] += p.value;
    }
  }
  return { startTime: Math.floor(first / 1000), samples, durationDelta: stepS, watermarks: null };
}

/**
 * units/sampleRate of the legacy flamebearer metadata, as Pyroscope's ExportToFlamebearer sets them
 * (grafana/pyroscope pkg/model/flamegraph.go): the sample unit as it is, except the sample types
 * inuse_objects, alloc_objects, goroutine and samples → "objects", and cpu → "samples" at 1e9; sampleRate
 * 100 otherwise. So mutex contentions:count renders as "count", inuse_space:bytes as "bytes".
 */
export function legacyUnits(sampleType: string, sampleUnit: string): { units: string; sampleRate: number } {
  switch (sampleType) {
    case 'inuse_objects':
    case 'alloc_objects':
    case 'goroutine':
    case 'samples':
      return { units: 'objects', sampleRate: 100 };
    case 'cpu':
      return { units: 'samples', sampleRate: 1_000_000_000 };
    default:
      return { units: sampleUnit, sampleRate: 100 };
  }
}

/** The `single` flamebearer document: a flame graph with its metadata, timeline and groups. */
export function singleFlamebearer(
  fg: FlameGraph,
  meta: { spyName: string; sampleType: string; sampleUnit: string; name: string },
  timeline: LegacyTimeline | null,
  groups: Record<string, LegacyTimeline> | null
) {
  const { units, sampleRate } = legacyUnits(meta.sampleType, meta.sampleUnit);
  return {
    version: 1,
    flamebearer: { names: fg.names, levels: fg.levels, numTicks: fg.total, maxSelf: fg.maxSelf },
    metadata: { format: 'single', spyName: meta.spyName, sampleRate, units, name: meta.name },
    timeline,
    groups,
    heatmap: null,
  };
}

/** The `double` flamebearer document of a diff: 7 numbers per node, both sides' totals. */
export function doubleFlamebearer(
  d: FlameGraphDiff,
  meta: { spyName: string; sampleType: string; sampleUnit: string; name: string }
) {
  const { units, sampleRate } = legacyUnits(meta.sampleType, meta.sampleUnit);
  return {
    version: 1,
    flamebearer: {
      names: d.names,
      levels: d.levels,
      numTicks: d.total,
      maxSelf: d.maxSelf,
      leftTicks: d.leftTicks,
      rightTicks: d.rightTicks,
    },
    metadata: { format: 'double', spyName: meta.spyName, sampleRate, units, name: meta.name },
    leftTicks: d.leftTicks,
    rightTicks: d.rightTicks,
    timeline: null,
    heatmap: null,
  };
}
