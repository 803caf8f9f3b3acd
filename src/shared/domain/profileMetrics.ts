// A profile type id is `name:sample_type:sample_unit:period_type:period_unit`,
// e.g. `process_cpu:cpu:nanoseconds:cpu:nanoseconds`.
export interface ProfileMetric {
  id: string;
  group: string;
  type: string;
  unit: string;
  /** as the official app titles a panel: `cpu (process_cpu)`, with its names for a few types (`goroutine (goroutine)`) */
  label: string;
  /** as the official app's picker shows it: `process_cpu/cpu` */
  pickerLabel: string;
}

export const DEFAULT_PROFILE_METRIC_ID = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';

// The official app names these types by its profile-metrics table rather than by their id: the Go SDK's
// `goroutines` under `goroutine`, the Java agent's allocation, lock and exception types under their own groups.
const DISPLAY_NAMES: Record<string, { group: string; type: string }> = {
  'goroutines:goroutine:count:goroutine:count': { group: 'goroutine', type: 'goroutine' },
  'process_cpu:alloc_samples:count:cpu:nanoseconds': { group: 'memory', type: 'alloc_samples' },
  'process_cpu:alloc_size:bytes:cpu:nanoseconds': { group: 'alloc_size', type: 'alloc_size' },
  'process_cpu:exception:count:cpu:nanoseconds': { group: 'exceptions', type: 'exceptions' },
  'process_cpu:lock_count:count:cpu:nanoseconds': { group: 'locks', type: 'lock_count' },
  'process_cpu:lock_time:nanoseconds:cpu:nanoseconds': { group: 'locks', type: 'lock_time' },
};

function displayNames(id: string): { group: string; type: string } {
  const [group = '', type = ''] = id.split(':');
  return DISPLAY_NAMES[id] ?? { group, type };
}

export function parseProfileMetricId(id: string): ProfileMetric {
  const [group = '', type = '', unit = ''] = id.split(':');
  const shown = displayNames(id);
  return {
    id,
    group,
    type,
    unit,
    label: `${shown.type} (${shown.group})`,
    pickerLabel: `${shown.group}/${shown.type}`,
  };
}

/**
 * Profile types in the official app's order: groups in reverse alphabetical order (process_cpu, mutex, memory,
 * goroutine, block …), the types of a group in the order the data source lists them.
 */
export function sortProfileMetricIds(ids: string[]): string[] {
  const group = (id: string) => displayNames(id).group;
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

/** How a series panel shows a profile type's points: the Grafana unit and what each point's value becomes. */
export interface SeriesDisplay {
  unit: string;
  /** the value per second of the step rather than the step's sum */
  rate: boolean;
  toDisplay: (value: number) => number;
}

// Sample types that describe a state at the moment of the profile (memory in use, live goroutines), not work done
// since the last one: summed over a step they would grow with the step, so they are shown as stored.
const INSTANT_TYPES = new Set(['inuse_objects', 'inuse_space', 'goroutine', 'goroutines', 'lock_count']);

/**
 * As Grafana's Pyroscope data source shows series: cumulative types as a rate per second of the step (CPU time in
 * cores), so a point means the same at every zoom level; instant types as stored.
 */
export function seriesDisplay(profileMetricId: string, stepSeconds: number): SeriesDisplay {
  const [, type = '', unit = '', periodType = ''] = profileMetricId.split(':');
  const stored = grafanaUnit(unit);
  // CPU samples counted per profile (their period is CPU time) are a sampling rate already
  const instant = INSTANT_TYPES.has(type) || (type === 'samples' && periodType === 'cpu');
  const cumulative = !instant && ['nanoseconds', 'bytes', 'count'].includes(unit);
  if (!cumulative || !(stepSeconds > 0)) {
    return { unit: stored, rate: false, toDisplay: (v) => v };
  }
  if (type === 'cpu' && unit === 'nanoseconds') {
    return { unit: 'cores', rate: true, toDisplay: (v) => v / stepSeconds / 1e9 };
  }
  const perSecond: Record<string, string> = { bytes: 'Bps', short: 'ops' };
  return { unit: perSecond[stored] ?? stored, rate: true, toDisplay: (v) => v / stepSeconds };
}
