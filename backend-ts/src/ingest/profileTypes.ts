// How Pyroscope names what a pprof carries: `__name__` from the sample types, one series per sample type.
import type { NormalizedProfile } from '../model/profile.js';

/** sample_type_config as the Go SDK sends it: per sample type, optional display-name, units, aggregation, cumulative. */
export type SampleTypeConfig = Record<
  string,
  { 'display-name'?: string; units?: string; aggregation?: string; cumulative?: boolean; sampled?: boolean }
>;

const DEFAULT_DISPLAY: Record<string, string> = {
  samples: 'cpu',
  goroutine: 'goroutines',
  contentions: 'mutex_count',
  delay: 'mutex_duration',
};

/** Picks `__name__` from the sample type names (display names choose it; the ids keep the pprof's own names). */
export function metricNameFor(sampleTypes: string[], config?: SampleTypeConfig): string {
  const names = sampleTypes.map((t) => config?.[t]?.['display-name'] ?? DEFAULT_DISPLAY[t] ?? t);
  if (names.some((n) => n === 'wall' || n.startsWith('wall'))) {
    return 'wall';
  }
  if (names.some((n) => n.includes('cpu'))) {
    return 'process_cpu';
  }
  if (
    names.some(
      (n) =>
        n.startsWith('alloc_') ||
        n.startsWith('inuse_') ||
        n === 'space' ||
        n === 'objects' ||
        n.includes('space') ||
        n.includes('objects')
    )
  ) {
    return 'memory';
  }
  if (names.some((n) => n.startsWith('mutex_'))) {
    return 'mutex';
  }
  if (names.some((n) => n.startsWith('block_'))) {
    return 'block';
  }
  if (names.some((n) => n === 'goroutines' || n === 'goroutine')) {
    return 'goroutines';
  }
  return names[0] ?? 'unknown';
}

/** Renames and rewrites that depend on the agent (Pyroscope applies them before storing). */
export function applySpyRules(p: NormalizedProfile, spyName: string): void {
  if (spyName === 'dotnetspy') {
    for (const t of p.sampleTypes) {
      t.type = t.type.replace(/-/g, '_');
    }
  }
}
