import { FieldType, createDataFrame } from '@grafana/data';
import { seriesMaxima } from './seriesMaxima';

const series = (name: string, points: Array<[number, number]>) =>
  createDataFrame({
    name,
    fields: [
      { name: 'time', type: FieldType.time, values: points.map((p) => p[0]) },
      {
        name: 'value',
        type: FieldType.number,
        values: points.map((p) => p[1]),
        config: { unit: 'ns', displayNameFromDS: name },
      },
    ],
  });

describe('series maxima', () => {
  it('one row per series: its peak and when, highest first', () => {
    const t = seriesMaxima([
      series('a', [
        [1, 5],
        [2, 9],
        [3, 7],
      ]),
      series('b', [[1, 20]]),
      series('empty', []),
    ]);
    expect(t.fields.map((f) => f.values)).toEqual([
      ['b', 'a'],
      [20, 9],
      [1, 2],
    ]);
    expect(t.fields[1].config.unit).toBe('ns');
  });
});
