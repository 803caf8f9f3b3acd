// A profile type id is `name:sample_type:sample_unit:period_type:period_unit`,
// e.g. `process_cpu:cpu:nanoseconds:cpu:nanoseconds`.
export interface ProfileMetric {
  id: string;
  group: string;
  type: string;
  unit: string;
  label: string;
}

export const DEFAULT_PROFILE_METRIC_ID = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';

const GROUP_LABELS: Record<string, string> = {
  process_cpu: 'CPU',
  wall: 'Wall',
  memory: 'Memory',
  mutex: 'Mutex',
  block: 'Block',
  goroutines: 'Goroutines',
  goroutine: 'Goroutines',
  off_cpu: 'Off-CPU',
  exceptions: 'Exceptions',
};

export function parseProfileMetricId(id: string): ProfileMetric {
  const [group = '', type = '', unit = ''] = id.split(':');
  const groupLabel = GROUP_LABELS[group] ?? group;
  return { id, group, type, unit, label: `${groupLabel} ${type.replace(/_/g, ' ')}`.trim() };
}

/** Grafana unit id (for getValueFormat) of a profile's sample unit. */
export function grafanaUnit(sampleUnit: string): string {
  switch (sampleUnit) {
    case 'nanoseconds':
      return 'ns';
    case 'microseconds':
      return 'µs';
    case 'milliseconds':
      return 'ms';
    case 'seconds':
      return 's';
    case 'bytes':
      return 'bytes';
    default:
      return 'short';
  }
}
