// Heatmap cells from individual profile (or span) points, as Pyroscope's heatmap model builds them
// (pkg/model/heatmap RangeHeatmap and TopSeries): time slots on the grid start + k * step, each covering
// (timestamp - step, timestamp]; 20 linear value buckets from the smallest to the largest point value across
// every series; per cell the number of points and, with exemplars, the highest-value point.
import { compareLabelSets, type LabelSet } from './labels.js';
import { comparePoints, type ProfilePoint } from './profilePoints.js';

export const Y_BUCKETS = 20;

export interface HeatmapSeriesIn {
  labels: LabelSet;
  points: ProfilePoint[];
}

export interface HeatmapSlot {
  /** Right edge of the slot, ms. */
  timestamp: number;
  /** Lower bound of every value bucket (the same for every slot of a query). */
  yMin: number[];
  counts: number[];
  /** With exemplars: the highest-value point of each non-empty bucket, in bucket order. */
  exemplars: ProfilePoint[];
}

export interface HeatmapSeries {
  labels: LabelSet;
  slots: HeatmapSlot[];
}

interface Bucket {
  min: number;
  max: number;
}

/** Evenly spaced buckets; bounds truncated to integers as Pyroscope's int64 arithmetic does. */
function yBuckets(min: number, max: number, n: number): Bucket[] {
  const size = (max - min) / n;
  const out: Bucket[] = [];
  for (let i = 0; i < n; i++) {
    out.push({ min: min + Math.trunc(i * size), max: min + Math.trunc((i + 1) * size) });
  }
  out[n - 1].max = max;
  return out;
}

function bucketOf(v: number, buckets: Bucket[]): number {
  for (let i = 0; i < buckets.length; i++) {
    if (v >= buckets[i].min && v < buckets[i].max) {
      return i;
    }
  }
  return v >= buckets[buckets.length - 1].min ? buckets.length - 1 : -1;
}

/** The right edge of the slot a time falls into, on the grid start + k * step, clamped to the query's slots. */
export function slotOf(ts: number, start: number, end: number, step: number): number {
  const up = (t: number) => {
    const k = Math.ceil((t - start) / step);
    return start + k * step;
  };
  const t = up(ts);
  if (t < start) {
    return start;
  }
  const last = up(end);
  return t > last ? last : t;
}

/** Cells of every series over the shared value buckets; series without points are left out. */
export function rangeHeatmap(
  series: HeatmapSeriesIn[],
  start: number,
  end: number,
  step: number,
  exemplars: boolean
): HeatmapSeries[] {
  let lo = Infinity;
  let hi = -Infinity;
  const used = series.filter((s) => s.points.length > 0);
  for (const s of used) {
    for (const p of s.points) {
      lo = Math.min(lo, p.value);
      hi = Math.max(hi, p.value);
    }
  }
  if (used.length === 0) {
    return [];
  }
  // as Pyroscope: the maximum starts at 0, so all-negative values (never seen in profiles) still bucket
  hi = Math.max(hi, 0);
  if (lo === hi) {
    hi = lo + 1;
  }
  const buckets = yBuckets(lo, hi, Y_BUCKETS);
  const yMin = buckets.map((b) => b.min);
  return used.map((s) => {
    const slots = new Map<number, { counts: number[]; best: Array<ProfilePoint | undefined> }>();
    for (const p of s.points) {
      const y = bucketOf(p.value, buckets);
      if (y < 0) {
        continue;
      }
      const ts = slotOf(p.ts, start, end, step);
      let slot = slots.get(ts);
      if (!slot) {
        slot = { counts: new Array<number>(Y_BUCKETS).fill(0), best: new Array(Y_BUCKETS) };
        slots.set(ts, slot);
      }
      slot.counts[y]++;
      const b = slot.best[y];
      if (!b || p.value > b.value || (p.value === b.value && comparePoints(p, b) < 0)) {
        slot.best[y] = p;
      }
    }
    return {
      labels: s.labels,
      slots: [...slots.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([timestamp, c]) => ({
          timestamp,
          yMin: [...yMin],
          counts: c.counts,
          exemplars: exemplars ? c.best.filter((p): p is ProfilePoint => p !== undefined) : [],
        })),
    };
  });
}

/**
 * The k series with the most points (ties by labels), largest first, as Pyroscope's TopSeries answers them;
 * every series, in their order, when k is 0 or not smaller than their number.
 */
export function topHeatmapSeries(series: HeatmapSeries[], k: number): HeatmapSeries[] {
  if (k <= 0 || series.length <= k) {
    return series;
  }
  const total = (s: HeatmapSeries) => s.slots.reduce((a, slot) => a + slot.counts.reduce((x, y) => x + y, 0), 0);
  return series
    .map((s) => ({ s, n: total(s) }))
    .sort((a, b) => b.n - a.n || compareLabelSets(a.s.labels, b.s.labels))
    .slice(0, k)
    .map((x) => x.s);
}
