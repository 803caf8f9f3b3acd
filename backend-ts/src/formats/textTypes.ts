// The legacy /ingest formats that carry bare stacks and counts (folded, lines, speedscope, and the binary
// trie/tree) say nothing about what was measured: Pyroscope reads it from the app-name suffix
// (`app.cpu`, `app.alloc_space`, ...) and the sampleRate. This module is that rule, as Pyroscope's
// ingest adapter (pkg/ingester/pyroscope, convertMetadata + Put) applies it.
import type { ValueType } from '../model/profile.js';
import { FormatError } from './formatError.js';
import { uniqueSortedLabels } from '../model/labels.js';
import { NormalizedProfileBuilder, type FormatOutput } from './normalizedProfileBuilder.js';

/** The /ingest query parameters a text format needs, already split out of `name=app{k=v}` by the caller. */
export interface TextIngestParams {
  /** App part of `name`, suffix included, e.g. `app.cpu`. */
  appName: string;
  /** Labels from the `{...}` part of `name`. */
  labels?: ReadonlyArray<readonly [string, string]>;
  /** `sampleRate` (default 100); a string is parsed the way Pyroscope does (non-numeric → 100). */
  sampleRate?: number | string | null;
  /** `spyName` (default `unknown`); becomes the `pyroscope_spy` label. */
  spyName?: string | null;
  /**
   * `units` and `aggregationType` are accepted for completeness: Pyroscope v1+ no longer derives anything
   * from them (its v0 storage kept them as series metadata), so neither changes the result here.
   */
  units?: string | null;
  aggregationType?: string | null;
}

export interface TextProfileType {
  /** `service_name`: the app name without its type suffix. */
  serviceName: string;
  /** `__name__`, e.g. `process_cpu`. */
  name: string;
  sampleType: ValueType;
  /** `{type: '', unit: ''}` when the type has no period. */
  periodType: ValueType;
  period: number;
  /** Multiplier from counted samples to the sample unit (1e9/sampleRate for cpu and wall, else 1). */
  scale: number;
  /** True when counts are samples turned into nanoseconds by the sample rate (cpu and wall with a rate). */
  timed: boolean;
  /** `name:type:unit:periodType:periodUnit`, the `__profile_type__` of the series. */
  profileTypeId: string;
}

interface SuffixRule {
  name: string;
  type: string;
  unit: string;
  /** cpu and wall profiles count samples; with a sampleRate they are turned into nanoseconds. */
  timed?: 'cpu' | 'wall';
}

const SAMPLES: Omit<SuffixRule, 'name'> = { type: 'samples', unit: 'count' };

// Keyed by the last dot-separated part of the app name.
const SUFFIXES: Record<string, SuffixRule> = {
  cpu: { name: 'process_cpu', ...SAMPLES, timed: 'cpu' },
  itimer: { name: 'process_cpu', ...SAMPLES, timed: 'cpu' },
  wall: { name: 'wall', ...SAMPLES, timed: 'wall' },
  // agents that send durations name the suffix after the unit; Pyroscope files them under wall
  seconds: { name: 'wall', ...SAMPLES, timed: 'wall' },
  milliseconds: { name: 'wall', ...SAMPLES, timed: 'wall' },
  microseconds: { name: 'wall', ...SAMPLES, timed: 'wall' },
  nanoseconds: { name: 'wall', ...SAMPLES, timed: 'wall' },
  inuse_objects: { name: 'memory', type: 'inuse_objects', unit: 'count' },
  inuse_space: { name: 'memory', type: 'inuse_space', unit: 'bytes' },
  alloc_objects: { name: 'memory', type: 'alloc_objects', unit: 'count' },
  alloc_space: { name: 'memory', type: 'alloc_space', unit: 'bytes' },
  alloc_in_new_tlab_objects: { name: 'memory', type: 'alloc_in_new_tlab_objects', unit: 'count' },
  alloc_in_new_tlab_bytes: { name: 'memory', type: 'alloc_in_new_tlab_bytes', unit: 'bytes' },
  alloc_outside_tlab_objects: { name: 'memory', type: 'alloc_outside_tlab_objects', unit: 'count' },
  alloc_outside_tlab_bytes: { name: 'memory', type: 'alloc_outside_tlab_bytes', unit: 'bytes' },
  live: { name: 'memory', type: 'live', unit: 'count' },
  bytes: { name: 'memory', type: 'samples', unit: 'bytes' },
  // Pyroscope names this one `goroutine` (singular), unlike the pprof path's `goroutines`
  goroutines: { name: 'goroutine', type: 'goroutines', unit: 'count' },
  mutex_count: { name: 'mutex', type: 'contentions', unit: 'count' },
  mutex_duration: { name: 'mutex', type: 'delay', unit: 'nanoseconds' },
  block_count: { name: 'block', type: 'contentions', unit: 'count' },
  block_duration: { name: 'block', type: 'delay', unit: 'nanoseconds' },
  // async-profiler's lock events are filed under block, as in Pyroscope
  lock_count: { name: 'block', type: 'contentions', unit: 'count' },
  lock_duration: { name: 'block', type: 'delay', unit: 'nanoseconds' },
  exceptions: { name: 'exceptions', ...SAMPLES },
};

/** The suffixes Pyroscope knows, for error messages and docs. */
const KNOWN_APP_SUFFIXES: readonly string[] = Object.keys(SUFFIXES);

export const DEFAULT_SAMPLE_RATE = 100;

/**
 * sampleRate as the handler reads it: missing or not an integer → 100 (Pyroscope logs and goes on);
 * negative or above 1e9 → error, because Pyroscope would wrap it to uint32 or scale every value to 0.
 */
export function parseSampleRate(v: number | string | null | undefined): number {
  if (v === null || v === undefined || v === '') {
    return DEFAULT_SAMPLE_RATE;
  }
  const n = typeof v === 'number' ? v : /^\s*[+-]?\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n) || !Number.isInteger(n)) {
    return DEFAULT_SAMPLE_RATE;
  }
  if (n < 0 || n > 1e9) {
    throw new FormatError(`invalid sampleRate ${v}: expected an integer between 0 and 1000000000`);
  }
  return n;
}

/**
 * Resolves the profile type of a text-format upload from its app name and sample rate.
 * No dot → cpu; an unknown suffix is an error, as in Pyroscope (`app.foo` is rejected, not stored as `app.foo`).
 */
export function resolveTextProfileType(appName: string, sampleRate?: number | string | null): TextProfileType {
  return profileTypeForRate(appName, parseSampleRate(sampleRate));
}

/** resolveTextProfileType for a rate already checked (speedscope derives rates above 1e9 from its units). */
export function profileTypeForRate(appName: string, rate: number): TextProfileType {
  const dot = appName.lastIndexOf('.');
  const suffix = dot < 0 ? 'cpu' : appName.slice(dot + 1);
  const serviceName = dot < 0 ? appName : appName.slice(0, dot);
  const rule = Object.prototype.hasOwnProperty.call(SUFFIXES, suffix) ? SUFFIXES[suffix] : undefined;
  if (!rule) {
    throw new FormatError(
      `unknown profile type "${suffix}" in app name "${appName}": the suffix after the last "." must be one of ${KNOWN_APP_SUFFIXES.join(', ')}`
    );
  }
  let sampleType: ValueType = { type: rule.type, unit: rule.unit };
  let periodType: ValueType = { type: '', unit: '' };
  let period = 0;
  let scale = 1;
  const timed = rule.timed !== undefined && rate !== 0;
  if (rule.timed && timed) {
    // Go's integer division: the period Pyroscope writes, and the factor every count is multiplied by.
    period = Math.floor(1e9 / rate);
    scale = period;
    // the period type is cpu for wall too: that is what Pyroscope writes, and what queries must match
    periodType = { type: 'cpu', unit: 'nanoseconds' };
    sampleType = { type: rule.timed, unit: 'nanoseconds' };
  }
  const profileTypeId = [rule.name, sampleType.type, sampleType.unit, periodType.type, periodType.unit].join(':');
  return { serviceName, name: rule.name, sampleType, periodType, period, scale, timed, profileTypeId };
}

/**
 * Series labels of a text-format upload: `__name__`, `pyroscope_spy`, the client's labels (reserved `__*`
 * ones dropped, `__session_id__` kept), and `service_name` = app, or `app_name` = app when the client
 * already set a service_name.
 */
export function textSeriesLabels(params: TextIngestParams, type: TextProfileType): Array<[string, string]> {
  const out: Array<[string, string]> = [['__name__', type.name]];
  const spy =
    params.spyName === null || params.spyName === undefined || params.spyName === '' ? 'unknown' : params.spyName;
  out.push(['pyroscope_spy', spy]);
  let hasServiceName = false;
  let hasAppName = false;
  for (const [k, v] of params.labels ?? []) {
    if (k.startsWith('__') && k !== '__session_id__') {
      continue;
    }
    if (k === 'service_name') {
      hasServiceName = true;
    }
    if (k === 'app_name') {
      hasAppName = true;
    }
    out.push([k, v]);
  }
  if (!hasServiceName) {
    out.push(['service_name', type.serviceName]);
  } else if (!hasAppName) {
    out.push(['app_name', type.serviceName]);
  }
  return uniqueSortedLabels(out);
}

/** A stack as the text formats carry it: frame names root first, and its count (or weight). */
export interface StackCount {
  frames: string[];
  value: number;
}

/**
 * Builds the series of a text-format upload: the type from the app name, counts scaled to the sample unit.
 * Returns nothing for an upload without a non-zero count, and nothing for one labelled with a `profile_id`
 * (the v0 span-profile protocol, which Pyroscope accepts and discards).
 */
export function buildTextProfile(stacks: Iterable<StackCount>, params: TextIngestParams): FormatOutput[] {
  const type = resolveTextProfileType(params.appName, params.sampleRate);
  if (isSpanProfileUpload(params)) {
    return [];
  }
  const b = new NormalizedProfileBuilder({
    sampleTypes: [type.sampleType],
    periodType: type.periodType,
    period: type.period,
  });
  addStacks(b, stacks, type.scale);
  if (b.isEmpty()) {
    return [];
  }
  return [{ labels: textSeriesLabels(params, type), profile: b.build() }];
}

/** v0 span profiles were uploads labelled `profile_id`; Pyroscope accepts and discards them. */
export function isSpanProfileUpload(params: TextIngestParams): boolean {
  return (params.labels ?? []).some(([k, v]) => k === 'profile_id' && v !== '');
}

/** Adds root-first named stacks to a builder, multiplying each value by scale. */
function addStacks(b: NormalizedProfileBuilder, stacks: Iterable<StackCount>, scale: number): void {
  const leafFirst: number[] = [];
  for (const s of stacks) {
    leafFirst.length = 0;
    for (let i = s.frames.length - 1; i >= 0; i--) {
      leafFirst.push(b.nameFrame(s.frames[i]));
    }
    b.addSample(b.stack(leafFirst), [s.value * scale]);
  }
}
