import { grafanaUnit, parseProfileMetricId } from './profileMetrics';

describe('profile metric ids', () => {
  it('parses the five parts and labels the group', () => {
    expect(parseProfileMetricId('process_cpu:cpu:nanoseconds:cpu:nanoseconds')).toEqual({
      id: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
      group: 'process_cpu',
      type: 'cpu',
      unit: 'nanoseconds',
      label: 'CPU cpu',
    });
    expect(parseProfileMetricId('memory:alloc_space:bytes:space:bytes').label).toBe('Memory alloc space');
  });

  it('maps sample units to Grafana units', () => {
    expect(grafanaUnit('nanoseconds')).toBe('ns');
    expect(grafanaUnit('bytes')).toBe('bytes');
    expect(grafanaUnit('count')).toBe('short');
  });
});
