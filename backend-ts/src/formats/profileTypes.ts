// How Pyroscope names what a pprof carries: `__name__` from the sample types, one series per sample type.
import type { NormalizedProfile } from '../model/profile.js';

/** sample_type_config as the Go SDK sends it: per sample type, optional display-name, units, aggregation, cumulative. */
export type SampleTypeConfig = Record<
  string,
  { 'display-name'?: string; units?: string; aggregation?: string; cumulative?: boolean; sampled?: boolean }
>;

/** Pyroscope's default sample type mapping (display names only: nothing else of it changes what is stored). */
const DEFAULT_DISPLAY: Record<string, string> = {
  samples: 'cpu',
  goroutine: 'goroutines',
  contentions: 'mutex_count',
  delay: 'mutex_duration',
};

/**
 * Picks `__name__` from the sample type names as Pyroscope's /ingest does: a sample type named exactly `wall` →
 * `wall`; else the first sample type (in pprof order) whose display name contains `cpu` → `process_cpu`,
 * `alloc_`/`inuse_` or is `space`/`objects` → `memory`, `mutex_` → `mutex`, `block_` → `block`, `goroutines` →
 * `goroutines`; else the last display name. A client's sample_type_config replaces the default mapping as a
 * whole. Display names choose `__name__` only: the ids keep the pprof's own sample type names.
 */
export function metricNameFor(sampleTypes: string[], config?: SampleTypeConfig): string {
  if (sampleTypes.includes('wall')) {
    return 'wall';
  }
  let st = 'unknown';
  for (const t of sampleTypes) {
    st = (config ? config[t]?.['display-name'] : DEFAULT_DISPLAY[t]) || t;
    if (st.includes('cpu')) {
      return 'process_cpu';
    }
    if (st.includes('alloc_') || st.includes('inuse_') || st === 'space' || st === 'objects') {
      return 'memory';
    }
    if (st.includes('mutex_')) {
      return 'mutex';
    }
    if (st.includes('block_')) {
      return 'block';
    }
    if (st.includes('goroutines')) {
      return 'goroutines';
    }
  }
  return st;
}

/** Renames and rewrites that depend on the agent (Pyroscope applies them before storing). */
export function applySpyRules(p: NormalizedProfile, spyName: string): void {
  if (spyName === 'dotnetspy') {
    for (const t of p.sampleTypes) {
      t.type = t.type.replace(/-/g, '_');
    }
  }
}

/**
 * /ingest from pyspy, rbspy and "scripting" agents: each function is named `<file> <function>`, as Pyroscope's
 * FixFunctionNamesForScriptingLanguages does (the line number stays on the frame).
 */
export function applyScriptingNames(p: NormalizedProfile, spyName: string): void {
  if (spyName !== 'pyspy' && spyName !== 'rbspy' && spyName !== 'scripting') {
    return;
  }
  const ids = new Map<string, number>();
  p.strings.forEach((s, i) => {
    if (!ids.has(s)) {
      ids.set(s, i);
    }
  });
  for (let f = 0; f < p.fnName.length; f++) {
    const name = `${p.strings[p.fnFilename[f]]} ${p.strings[p.fnName[f]]}`;
    let id = ids.get(name);
    if (id === undefined) {
      id = p.strings.push(name) - 1;
      ids.set(name, id);
    }
    p.fnName[f] = id;
  }
}
