import { cellColor, heatmapGrid, seriesWithExemplars } from './heatmapGrid';

const yMin = [0, 10, 20, 30];

describe('heatmapGrid', () => {
  it('makes one cell per non-empty slot and bucket, with the exemplars in bucket order', () => {
    const grid = heatmapGrid(
      {
        series: [
          {
            slots: [
              {
                timestamp: '60000',
                yMin,
                counts: [2, 0, 1, 0],
                exemplars: [
                  { timestamp: '50000', profileId: 'p-a', value: '7' },
                  { timestamp: '55000', profileId: 'p-b', value: '25', traceId: 'ab'.repeat(16) },
                ],
              },
              { timestamp: '75000', yMin, counts: [0, 0, 0, 3] },
            ],
          },
        ],
      },
      15000
    );
    expect(grid.buckets).toBe(4);
    expect(grid.low).toBe(0);
    expect(grid.high).toBe(40);
    expect(grid.maxCount).toBe(3);
    expect(grid.cells.map((c) => [c.start, c.end, c.low, c.high, c.count])).toEqual([
      [45000, 60000, 0, 10, 2],
      [45000, 60000, 20, 30, 1],
      [60000, 75000, 30, 40, 3],
    ]);
    expect(grid.cells[0].exemplar).toEqual({
      time: 50000,
      value: 7,
      profileId: 'p-a',
      spanId: '',
      traceId: '',
      labels: [],
    });
    expect(grid.cells[1].exemplar?.profileId).toBe('p-b');
    expect(grid.cells[1].exemplar?.traceId).toBe('ab'.repeat(16));
    expect(grid.cells[2].exemplar).toBeUndefined();
  });

  it('adds up the series of one slot and bucket and keeps the highest exemplar', () => {
    const slot = (count: number, id: string, value: string) => ({
      timestamp: 30000,
      yMin,
      counts: [0, count, 0, 0],
      exemplars: [{ timestamp: 29000, spanId: id, value }],
    });
    const grid = heatmapGrid(
      {
        series: [
          { labels: [{ name: 'pod', value: 'a' }], slots: [slot(2, '01', '12')] },
          { labels: [{ name: 'pod', value: 'b' }], slots: [slot(5, '02', '19')] },
        ],
      },
      15000
    );
    expect(grid.cells).toHaveLength(1);
    expect(grid.cells[0].count).toBe(7);
    expect(grid.cells[0].exemplar?.spanId).toBe('02');
    expect(grid.cells[0].exemplar?.value).toBe(19);
  });

  it('places exemplars by value when fewer are sent than non-empty buckets', () => {
    const grid = heatmapGrid(
      {
        series: [
          {
            slots: [{ timestamp: 15000, yMin, counts: [1, 1, 1, 0], exemplars: [{ profileId: 'x', value: '21' }] }],
          },
        ],
      },
      15000
    );
    expect(grid.cells.map((c) => c.exemplar?.profileId ?? '')).toEqual(['', '', 'x']);
  });

  it('is empty for an empty answer', () => {
    expect(heatmapGrid({}, 15000)).toEqual({ cells: [], low: 0, high: 1, buckets: 0, maxCount: 0 });
  });
});

describe('seriesWithExemplars', () => {
  it('sums the series per timestamp and gathers their exemplars', () => {
    const points = seriesWithExemplars({
      series: [
        {
          points: [
            { timestamp: '30000', value: 4, exemplars: [{ timestamp: '29000', profileId: 'a', value: '3' }] },
            { timestamp: '15000', value: 1 },
          ],
        },
        { points: [{ timestamp: '30000', value: 2, exemplars: [{ timestamp: '28000', profileId: 'b', value: '2' }] }] },
      ],
    });
    expect(points.map((p) => [p.time, p.value, p.exemplars.map((e) => e.profileId)])).toEqual([
      [15000, 1, []],
      [30000, 6, ['a', 'b']],
    ]);
  });
});

describe('cellColor', () => {
  it('runs from the light end for few profiles to the dark end for the busiest cell', () => {
    expect(cellColor(0, 10)).toBe('rgb(254, 230, 206)');
    expect(cellColor(10, 10)).toBe('rgb(217, 72, 1)');
    const mid = cellColor(1, 4);
    expect(mid).not.toBe(cellColor(0, 4));
    expect(mid).not.toBe(cellColor(4, 4));
  });
});
