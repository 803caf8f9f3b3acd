import { summedSeriesPoints } from './summedSeriesPoints';

describe('summed series points', () => {
  it('sums every series per timestamp and fills steps without profiles with zero', () => {
    const points = summedSeriesPoints(
      {
        series: [
          {
            labels: [{ name: 'region', value: 'eu' }],
            points: [
              { timestamp: '15000', value: 2 },
              { timestamp: 45000, value: 1 },
            ],
          },
          { labels: [{ name: 'region', value: 'us' }], points: [{ timestamp: 15000, value: 3 }] },
        ],
      },
      { start: 10_000, end: 60_000, step: 15 }
    );
    expect(points).toEqual([
      [15000, 5],
      [30000, 0],
      [45000, 1],
      [60000, 0],
    ]);
  });

  it('gives an empty grid for an empty answer and keeps points off the grid', () => {
    expect(summedSeriesPoints({}, { start: 0, end: 30_000, step: 15 })).toEqual([
      [0, 0],
      [15000, 0],
      [30000, 0],
    ]);
    expect(
      summedSeriesPoints({ series: [{ points: [{ timestamp: 7000, value: 4 }] }] }, { start: 0, end: 10_000, step: 15 })
    ).toEqual([
      [0, 0],
      [7000, 4],
    ]);
  });

  it('fills a bounded number of empty steps', () => {
    expect(summedSeriesPoints({}, { start: 0, end: 10 ** 12, step: 1 }).length).toBe(5000);
  });
});
