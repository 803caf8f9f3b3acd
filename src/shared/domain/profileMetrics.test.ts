import { grafanaUnit, parseProfileMetricId, seriesDisplay, sortProfileMetricIds } from './profileMetrics';

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

  it('names the types the official table names apart from their id by that table', () => {
    const goroutines = parseProfileMetricId('goroutines:goroutine:count:goroutine:count');
    expect([goroutines.label, goroutines.pickerLabel]).toEqual(['goroutine (goroutine)', 'goroutine/goroutine']);
    // the id's own parts stay what the data is queried and shown by
    expect([goroutines.group, goroutines.type]).toEqual(['goroutines', 'goroutine']);
    expect(parseProfileMetricId('process_cpu:lock_count:count:cpu:nanoseconds').label).toBe('lock_count (locks)');
    expect(parseProfileMetricId('process_cpu:exception:count:cpu:nanoseconds').pickerLabel).toBe(
      'exceptions/exceptions'
    );
    expect(parseProfileMetricId('process_cpu:alloc_samples:count:cpu:nanoseconds').label).toBe(
      'alloc_samples (memory)'
    );
  });

  it('orders the Java agent`s types by the groups the official app shows them in', () => {
    expect(
      sortProfileMetricIds([
        'process_cpu:alloc_samples:count:cpu:nanoseconds',
        'process_cpu:lock_count:count:cpu:nanoseconds',
        'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
        'process_cpu:exception:count:cpu:nanoseconds',
      ])
    ).toEqual([
      'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
      'process_cpu:alloc_samples:count:cpu:nanoseconds',
      'process_cpu:lock_count:count:cpu:nanoseconds',
      'process_cpu:exception:count:cpu:nanoseconds',
    ]);
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

describe('series display', () => {
  it('shows CPU time as cores: the step sum per second of the step, over 1e9 ns', () => {
    const d = seriesDisplay('process_cpu:cpu:nanoseconds:cpu:nanoseconds', 15);
    expect(d.unit).toBe('cores');
    expect(d.rate).toBe(true);
    expect(d.toDisplay(3e9)).toBeCloseTo(0.2, 12);
    // the same load at another step is the same number of cores
    expect(seriesDisplay('process_cpu:cpu:nanoseconds:cpu:nanoseconds', 60).toDisplay(12e9)).toBeCloseTo(0.2, 12);
  });

  it('shows other cumulative types per second and instant ones as stored', () => {
    const alloc = seriesDisplay('memory:alloc_space:bytes:space:bytes', 10);
    expect([alloc.unit, alloc.rate, alloc.toDisplay(1000)]).toEqual(['Bps', true, 100]);
    const contentions = seriesDisplay('mutex:contentions:count:contentions:count', 20);
    expect([contentions.unit, contentions.toDisplay(40)]).toEqual(['ops', 2]);
    const delay = seriesDisplay('mutex:delay:nanoseconds:contentions:count', 20);
    expect([delay.unit, delay.toDisplay(40)]).toEqual(['ns', 2]);
    for (const id of [
      'memory:inuse_space:bytes:space:bytes',
      'memory:inuse_objects:count:space:bytes',
      'goroutine:goroutine:count:goroutine:count',
      'process_cpu:samples:count:cpu:nanoseconds',
    ]) {
      const d = seriesDisplay(id, 15);
      expect([id, d.rate, d.toDisplay(7)]).toEqual([id, false, 7]);
    }
    expect(seriesDisplay('memory:inuse_space:bytes:space:bytes', 15).unit).toBe('bytes');
  });
});
