// A profile type id is `name:sample_type:sample_unit:period_type:period_unit`,
// e.g. `process_cpu:cpu:nanoseconds:cpu:nanoseconds`.
export interface ProfileMetric {
  id: string;
  group: string;
  type: string;
  unit: string;
  /** as the official app titles a panel: `cpu (process_cpu)` */
  label: string;
  /** as the official app's picker shows it: `process_cpu/cpu` */
  pickerLabel: string;
}

export const DEFAULT_PROFILE_METRIC_ID = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';

export function parseProfileMetricId(id: string): ProfileMetric {
  const [group = '', type = '', unit = ''] = id.split(':');
  return { id, group, type, unit, label: `${type} (${group})`, pickerLabel: `${group}/${type}` };
}

/**
 * Profile types in the official app's order: groups in reverse alphabetical order (process_cpu, mutex, memory,
 * goroutine, block …), the types of a group in the order the data source lists them.
 */
export function sortProfileMetricIds(ids: string[]): string[] {
  const group = (id: string) => id.split(':')[0] ?? '';
  return ids
    .map((id, i) => ({ id, i }))
    .sort((a, b) => group(b.id).localeCompare(group(a.id)) || a.i - b.i)
    .map((x) => x.id);
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
