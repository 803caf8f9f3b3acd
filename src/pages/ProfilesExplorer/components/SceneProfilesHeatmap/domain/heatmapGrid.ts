import type {
  ExemplarJson,
  HeatmapSlotJson,
  LabelPair,
  SelectHeatmapResponse,
  SelectSeriesResponse,
} from '../../../../../shared/infrastructure/pyroscope/types';

/** One stored profile, or one span of it, that a click can open as a flame graph. */
export interface ProfileExemplar {
  /** ms */
  time: number;
  value: number;
  profileId: string;
  spanId: string;
  traceId: string;
  labels: LabelPair[];
}

export interface HeatmapCell {
  /** the slot covers (start, end], ms */
  start: number;
  end: number;
  /** the value bucket covers [low, high) */
  low: number;
  high: number;
  bucket: number;
  count: number;
  exemplar?: ProfileExemplar;
}

export interface HeatmapGrid {
  cells: HeatmapCell[];
  /** the value axis: the lowest bucket's lower bound to the highest bucket's upper bound */
  low: number;
  high: number;
  buckets: number;
  maxCount: number;
}

export function toExemplar(e: ExemplarJson): ProfileExemplar {
  return {
    time: Number(e.timestamp ?? 0),
    value: Number(e.value ?? 0),
    profileId: e.profileId ?? '',
    spanId: e.spanId ?? '',
    traceId: e.traceId ?? '',
    labels: e.labels ?? [],
  };
}

/** Bounds of every bucket; the top one ends one bucket width above its start (the server sends lower bounds only). */
function bucketBounds(yMin: number[]): Array<[number, number]> {
  const width = yMin.length > 1 ? yMin[1] - yMin[0] : 1;
  return yMin.map((low, i) => [low, i + 1 < yMin.length ? yMin[i + 1] : low + Math.max(width, 1)]);
}

/** Which bucket each exemplar of a slot belongs to: in bucket order over the non-empty buckets, as sent. */
function exemplarBuckets(slot: HeatmapSlotJson, bounds: Array<[number, number]>): Map<number, ProfileExemplar> {
  const out = new Map<number, ProfileExemplar>();
  const counts = slot.counts ?? [];
  const nonEmpty = counts.map((c, i) => (c > 0 ? i : -1)).filter((i) => i >= 0);
  const exemplars = (slot.exemplars ?? []).map(toExemplar);
  if (exemplars.length === nonEmpty.length) {
    exemplars.forEach((e, k) => out.set(nonEmpty[k], e));
    return out;
  }
  // a server that leaves some out: place each by its value
  for (const e of exemplars) {
    let i = bounds.findIndex(([lo, hi]) => e.value >= lo && e.value < hi);
    if (i < 0 && bounds.length && e.value >= bounds[bounds.length - 1][0]) {
      i = bounds.length - 1;
    }
    const had = out.get(i);
    if (i >= 0 && (!had || e.value > had.value)) {
      out.set(i, e);
    }
  }
  return out;
}

/**
 * SelectHeatmap's series as one grid of cells: series (group-by values) on the same slot and bucket are added
 * up, keeping the highest-value exemplar. Empty cells are left out.
 */
export function heatmapGrid(response: SelectHeatmapResponse, stepMs: number): HeatmapGrid {
  const byCell = new Map<string, HeatmapCell>();
  let low = Infinity;
  let high = -Infinity;
  let buckets = 0;
  for (const series of response.series ?? []) {
    for (const slot of series.slots ?? []) {
      const end = Number(slot.timestamp ?? 0);
      const bounds = bucketBounds(slot.yMin ?? []);
      buckets = Math.max(buckets, bounds.length);
      if (bounds.length) {
        low = Math.min(low, bounds[0][0]);
        high = Math.max(high, bounds[bounds.length - 1][1]);
      }
      const exemplars = exemplarBuckets(slot, bounds);
      (slot.counts ?? []).forEach((count, i) => {
        if (!(count > 0) || !bounds[i]) {
          return;
        }
        const key = `${end}/${i}`;
        const cell = byCell.get(key) ?? {
          start: end - stepMs,
          end,
          low: bounds[i][0],
          high: bounds[i][1],
          bucket: i,
          count: 0,
        };
        cell.count += count;
        const e = exemplars.get(i);
        if (e && (!cell.exemplar || e.value > cell.exemplar.value)) {
          cell.exemplar = e;
          high = Math.max(high, e.value);
        }
        byCell.set(key, cell);
      });
    }
  }
  const cells = [...byCell.values()].sort((a, b) => a.end - b.end || a.bucket - b.bucket);
  return {
    cells,
    low: Number.isFinite(low) ? low : 0,
    high: Number.isFinite(high) ? high : 1,
    buckets,
    maxCount: cells.reduce((m, c) => Math.max(m, c.count), 0),
  };
}

export interface SeriesPoint {
  time: number;
  value: number;
  exemplars: ProfileExemplar[];
}

/** SelectSeries asked with exemplars: one line summed per timestamp, each point with the exemplars of every series. */
export function seriesWithExemplars(response: SelectSeriesResponse): SeriesPoint[] {
  const byTime = new Map<number, SeriesPoint>();
  for (const s of response.series ?? []) {
    for (const p of s.points ?? []) {
      const time = Number(p.timestamp ?? 0);
      const point = byTime.get(time) ?? { time, value: 0, exemplars: [] };
      point.value += p.value ?? 0;
      point.exemplars.push(...(p.exemplars ?? []).map(toExemplar));
      byTime.set(time, point);
    }
  }
  return [...byTime.values()].sort((a, b) => a.time - b.time);
}

/**
 * The fill of a cell: from the panel's faint end to full orange by the square root of its share of the busiest
 * cell, so a slot with a few profiles still shows next to one with hundreds.
 */
export function cellColor(count: number, maxCount: number): string {
  const t = maxCount > 0 ? Math.sqrt(Math.min(count, maxCount) / maxCount) : 0;
  // Grafana's heatmap default ("Oranges"), from its light end to its dark end
  const from = [254, 230, 206];
  const to = [217, 72, 1];
  const mix = from.map((c, i) => Math.round(c + (to[i] - c) * t));
  return `rgb(${mix[0]}, ${mix[1]}, ${mix[2]})`;
}
