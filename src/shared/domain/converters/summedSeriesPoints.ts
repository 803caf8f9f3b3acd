import { SelectSeriesResponse } from '../../infrastructure/pyroscope/types';

/**
 * SelectSeries to one line of [time ms, value] points, sorted: every series summed per timestamp (the whole
 * selection, whatever it was grouped by). Points are plotted as the backend returns them: steps without
 * profiles are not made zero, which drew a saw-tooth whenever profiles arrive less often than the step.
 */
export function summedSeriesPoints(response: SelectSeriesResponse): Array<[number, number]> {
  const sums = new Map<number, number>();
  for (const s of response.series ?? []) {
    for (const p of s.points ?? []) {
      const t = Number(p.timestamp ?? 0);
      sums.set(t, (sums.get(t) ?? 0) + (p.value ?? 0));
    }
  }
  return [...sums.entries()].sort((a, b) => a[0] - b[0]);
}
