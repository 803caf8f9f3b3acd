import { FieldType } from '@grafana/data';
import { framesTotal, seriesToDataFrames } from './seriesToDataFrames';

describe('series to frames', () => {
  it('makes one time series per series, labels as display name', () => {
    const frames = seriesToDataFrames(
      {
        series: [
          {
            labels: [{ name: 'region', value: 'eu' }],
            points: [
              { timestamp: '1000', value: 5 },
              { timestamp: '16000', value: 7 },
            ],
          },
          { labels: [{ name: 'region', value: 'us' }], points: [{ timestamp: '1000', value: 1 }] },
        ],
      },
      { unit: 'ns', fallbackName: 'CPU', refId: 'A' }
    );
    expect(frames).toHaveLength(2);
    expect(frames[0].name).toBe('eu');
    expect(frames[0].refId).toBe('A');
    expect(frames[0].fields[0].type).toBe(FieldType.time);
    expect(frames[0].fields[0].values).toEqual([1000, 16000]);
    expect(frames[0].fields[1].values).toEqual([5, 7]);
    expect(frames[0].fields[1].labels).toEqual({ region: 'eu' });
    expect(frames[0].fields[1].config.unit).toBe('ns');
    expect(framesTotal(frames)).toBe(13);
  });

  it('names an unlabelled series with the fallback and treats a missing value as 0', () => {
    const [f] = seriesToDataFrames(
      { series: [{ points: [{ timestamp: 2 }] }] },
      { unit: 'short', fallbackName: 'go-app' }
    );
    expect(f.name).toBe('go-app');
    expect(f.fields[1].values).toEqual([0]);
  });

  it('returns no frames for an empty response', () => {
    expect(seriesToDataFrames({}, { unit: 'short', fallbackName: 'x' })).toEqual([]);
  });
});

describe('seriesToDataFrames display', () => {
  it('shows each point as the display function makes it (CPU time per step as cores)', () => {
    const [frame] = seriesToDataFrames(
      { series: [{ points: [{ timestamp: '15000', value: 3e9 }] }] },
      { unit: 'cores', fallbackName: 'cpu', toDisplay: (v) => v / 15 / 1e9 }
    );
    expect(frame.fields[1].values[0]).toBeCloseTo(0.2, 12);
    expect(frame.fields[1].config.unit).toBe('cores');
  });

  it('writes the legend as the official app: the sample type, then the group-by values', () => {
    const frames = seriesToDataFrames(
      {
        series: [
          { labels: [{ name: 'region', value: 'eu' }], points: [] },
          { labels: [], points: [] },
        ],
      },
      { unit: 'cores', fallbackName: 'checkout', legend: 'cpu' }
    );
    expect(frames.map((f) => f.fields[1].config.displayNameFromDS)).toEqual(['cpu eu', 'cpu']);
    expect(frames.map((f) => f.name)).toEqual(['eu', 'checkout']);
  });
});
