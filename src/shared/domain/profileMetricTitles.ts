import { parseProfileMetricId } from './profileMetrics';

// What each known profile type measures, in the official app's words (its profile-metrics table): the main
// series panel is titled with it, so the same service reads the same in both apps.
const TITLES: Record<string, string> = {
  'block:contentions:count:contentions:count': 'Number of blocking contentions',
  'block:delay:nanoseconds:contentions:count': 'Time spent in blocking delays',
  'goroutine:goroutine:count:goroutine:count': 'Number of goroutines',
  'goroutines:goroutine:count:goroutine:count': 'Number of goroutines',
  'memory:alloc_in_new_tlab_bytes:bytes::': 'Size of memory allocated inside Thread-Local Allocation Buffers (TLAB)',
  'memory:alloc_in_new_tlab_objects:count::':
    'Number of objects allocated inside Thread-Local Allocation Buffers (TLAB)',
  'memory:alloc_objects:count:space:bytes': 'Number of objects allocated',
  'memory:alloc_space:bytes:space:bytes': 'Size of memory allocated in the heap',
  'memory:inuse_objects:count:space:bytes': 'Number of objects currently in use',
  'memory:inuse_space:bytes:space:bytes': 'Size of memory currently in use',
  'mutex:contentions:count:contentions:count': 'Number of observed mutex contentions',
  'mutex:delay:nanoseconds:contentions:count': 'Time spent waiting due to mutex contentions',
  'process_cpu:alloc_samples:count:cpu:nanoseconds': 'Number of memory allocation samples during CPU time',
  'process_cpu:alloc_size:bytes:cpu:nanoseconds': 'Size of memory allocated during CPU time',
  'process_cpu:cpu:nanoseconds:cpu:nanoseconds': 'CPU time consumed',
  'process_cpu:exception:count:cpu:nanoseconds': 'Number of exceptions within the sampled CPU time',
  'process_cpu:lock_count:count:cpu:nanoseconds': 'Number of lock acquisitions attempted during CPU time',
  'process_cpu:lock_time:nanoseconds:cpu:nanoseconds': 'Cumulative time spent acquiring locks',
  'process_cpu:samples:count::milliseconds': 'Number of process samples collected',
  'process_cpu:samples:count:cpu:nanoseconds': 'Number of samples collected over CPU time',
};

/**
 * The main series panel's title: what the type measures, or `type (group)` for a type the table lacks; with the
 * label its series are grouped by, when there is one, worded as the official labels view words it.
 */
export function profileMetricTitle(profileMetricId: string, groupBy?: string): string {
  const title = TITLES[profileMetricId] ?? parseProfileMetricId(profileMetricId).label;
  return groupBy ? `${title}, grouped by ${groupBy}` : title;
}
