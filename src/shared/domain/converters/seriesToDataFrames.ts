import { DataFrame, FieldType, createDataFrame } from '@grafana/data';
import { SelectSeriesResponse } from '../../infrastructure/pyroscope/types';

export interface SeriesFrameOptions {
  unit: string;
  /** Display name when the series has no group-by labels. */
  fallbackName: string;
  /**
   * The legend as the official app shows it: the profile type's sample type alone (`cpu`), followed by the
   * group-by values (`cpu eu`). The frame's own name stays the plain value, for tables and sorting.
   */
  legend?: string;
  refId?: string;
  /** what each stored point becomes on the panel (a rate per second for cumulative types); as stored if absent */
  toDisplay?: (value: number) => number;
}

const same = (v: number) => v;

/** SelectSeries to one time-series frame per series; labels become field labels and the display name. */
export function seriesToDataFrames(response: SelectSeriesResponse, options: SeriesFrameOptions): DataFrame[] {
  return (response.series ?? []).map((s) => {
    const labels: Record<string, string> = {};
    for (const l of s.labels ?? []) {
      labels[l.name] = l.value;
    }
    const points = s.points ?? [];
    const grouped = Object.keys(labels).length > 0;
    const name = grouped ? Object.values(labels).join(', ') : options.fallbackName;
    const legend = options.legend ? (grouped ? `${options.legend} ${name}` : options.legend) : name;
    return createDataFrame({
      refId: options.refId,
      name,
      fields: [
        { name: 'time', type: FieldType.time, values: points.map((p) => Number(p.timestamp ?? 0)) },
        {
          name: 'value',
          type: FieldType.number,
          values: points.map((p) => (options.toDisplay ?? same)(p.value ?? 0)),
          labels,
          config: { unit: options.unit, displayNameFromDS: legend },
        },
      ],
    });
  });
}

/** Sum of every point of every frame: the total a series panel stands for (used to sort and label panels). */
export function framesTotal(frames: DataFrame[]): number {
  let sum = 0;
  for (const f of frames) {
    const v = f.fields.find((x) => x.type === FieldType.number);
    for (const x of v?.values ?? []) {
      sum += Number(x) || 0;
    }
  }
  return sum;
}
