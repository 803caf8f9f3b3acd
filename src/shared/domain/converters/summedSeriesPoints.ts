import { SelectSeriesResponse } from '../../infrastructure/pyroscope/types';

export interface SeriesGrid {
  /** unix ms */
  start: number;
  /** unix ms */
  end: number;
  /** seconds between points, as asked of SelectSeries */
  step: number;
}

/** At most this many empty steps are filled in: a long range at a short step stays a bounded array. */
const MAX_FILLED_STEPS = 5000;

/**
 * SelectSeries to one line of [time ms, value] points, sorted: every series summed per timestamp (the whole
 * selection, whatever it was grouped by), and steps of the grid without profiles as zero, so a chart draws no
 * line across a gap.
 */
export function summedSeriesPoints(response: SelectSeriesResponse, grid: SeriesGrid): Array<[number, number]> {
  const sums = new Map<number, number>();
  for (const s of response.series ?? []) {
    for (const p of s.points ?? []) {
      const t = Number(p.timestamp ?? 0);
      sums.set(t, (sums.get(t) ?? 0) + (p.value ?? 0));
    }
  }
  const stepMs = grid.step * 1000;
  if (stepMs > 0) {
    const first = Math.ceil(grid.start / stepMs) * stepMs;
    for (let t = first; t <= grid.end && sums.size < MAX_FILLED_STEPS; t += stepMs) {
      if (!sums.has(t)) {
        sums.set(t, 0);
      }
    }
  }
  return [...sums.entries()].sort((a, b) => a[0] - b[0]);
}
