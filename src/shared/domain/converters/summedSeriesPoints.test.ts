import { summedSeriesPoints } from './summedSeriesPoints';

describe('summed series points', () => {
  it('sums every series per timestamp and adds no points of its own', () => {
    const points = summedSeriesPoints({
      series: [
        {
          labels: [{ name: 'region', value: 'eu' }],
          points: [
            { timestamp: '45000', value: 1 },
            { timestamp: 15000, value: 2 },
          ],
        },
        { labels: [{ name: 'region', value: 'us' }], points: [{ timestamp: 15000, value: 3 }] },
      ],
    });
    expect(points).toEqual([
      [15000, 5],
      [45000, 1],
    ]);
  });

  it('gives no points for an empty answer', () => {
    expect(summedSeriesPoints({})).toEqual([]);
    expect(summedSeriesPoints({ series: [{ labels: [] }] })).toEqual([]);
  });
});
