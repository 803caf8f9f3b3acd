import { profileMetricTitle } from './profileMetricTitles';

describe('main panel titles', () => {
  it('say what a known type measures, as the official app does', () => {
    expect(profileMetricTitle('process_cpu:cpu:nanoseconds:cpu:nanoseconds')).toBe('CPU time consumed');
    expect(profileMetricTitle('memory:inuse_space:bytes:space:bytes')).toBe('Size of memory currently in use');
    expect(profileMetricTitle('goroutines:goroutine:count:goroutine:count')).toBe('Number of goroutines');
  });

  it('fall back to the type and its group for a type the table lacks', () => {
    expect(profileMetricTitle('wall:wall:nanoseconds:wall:nanoseconds')).toBe('wall (wall)');
  });

  it('name the group-by label after the measure when the series are grouped', () => {
    expect(profileMetricTitle('process_cpu:cpu:nanoseconds:cpu:nanoseconds', 'region')).toBe(
      'CPU time consumed, grouped by region'
    );
    expect(profileMetricTitle('wall:wall:nanoseconds:wall:nanoseconds', 'pod')).toBe('wall (wall), grouped by pod');
    expect(profileMetricTitle('process_cpu:cpu:nanoseconds:cpu:nanoseconds', '')).toBe('CPU time consumed');
  });
});
