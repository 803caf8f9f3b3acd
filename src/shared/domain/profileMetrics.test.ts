import { grafanaUnit, parseProfileMetricId, sortProfileMetricIds } from './profileMetrics';

describe('profile metric ids', () => {
  it('parses the five parts and names them as the official app, without repeated words', () => {
    expect(parseProfileMetricId('process_cpu:cpu:nanoseconds:cpu:nanoseconds')).toEqual({
      id: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
      group: 'process_cpu',
      type: 'cpu',
      unit: 'nanoseconds',
      label: 'cpu (process_cpu)',
      pickerLabel: 'process_cpu/cpu',
    });
    expect(parseProfileMetricId('memory:alloc_space:bytes:space:bytes').label).toBe('alloc_space (memory)');
  });

  it('orders groups as the official app (reverse alphabetical), types of a group as listed', () => {
    expect(
      sortProfileMetricIds([
        'block:delay:nanoseconds:contentions:count',
        'memory:inuse_space:bytes:space:bytes',
        'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
        'memory:alloc_space:bytes:space:bytes',
        'goroutines:goroutine:count:goroutine:count',
        'mutex:delay:nanoseconds:contentions:count',
      ])
    ).toEqual([
      'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
      'mutex:delay:nanoseconds:contentions:count',
      'memory:inuse_space:bytes:space:bytes',
      'memory:alloc_space:bytes:space:bytes',
      'goroutines:goroutine:count:goroutine:count',
      'block:delay:nanoseconds:contentions:count',
    ]);
  });

  it('maps sample units to Grafana units', () => {
    expect(grafanaUnit('nanoseconds')).toBe('ns');
    expect(grafanaUnit('bytes')).toBe('bytes');
    expect(grafanaUnit('count')).toBe('short');
  });
});
