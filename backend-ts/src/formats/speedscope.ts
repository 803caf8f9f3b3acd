// speedscope JSON (https://www.speedscope.app/file-format-schema.json), `/ingest?format=speedscope`.
// Follows Pyroscope's converter (pkg/og/convert/speedscope):
// - profiles with the same (name, type, unit, startValue) are merged, then ordered by startValue (merged
//   evented profiles keep one timeline each: Pyroscope concatenates their events and then fails its own
//   event-order check);
// - one series per remaining profile, labelled `profile_name`; with more than one, the app name gets the
//   profile's unit as suffix (`app.seconds`, `app.bytes`), which then picks the type (textTypes.ts);
// - a sampleRate of 100 (the default) is replaced by one derived from the unit, so time units end up as
//   nanoseconds of cpu/wall.
// Where Pyroscope loses data we do not: it truncates each weight to an integer before scaling (0.5 ms → 0),
// forgets the precision factor on time spent before an "open" event, and overflows uint32 for nanoseconds;
// here weights are scaled first and rounded last, so times come out exact in nanoseconds.
import { FormatError } from './formatError.js';
import { clip } from './folded.js';
import { NormalizedProfileBuilder, type FormatOutput } from './normalizedProfileBuilder.js';
import {
  DEFAULT_SAMPLE_RATE,
  isSpanProfileUpload,
  parseSampleRate,
  profileTypeForRate,
  textSeriesLabels,
  type TextIngestParams,
} from './textTypes.js';

export const SPEEDSCOPE_SCHEMA = 'https://www.speedscope.app/file-format-schema.json';

type Unit = 'none' | 'nanoseconds' | 'microseconds' | 'milliseconds' | 'seconds' | 'bytes';

/** Pyroscope keeps two decimals of a time weight: values are multiplied by this before the rate applies. */
const PRECISION = 100;

// Rates Pyroscope assumes per unit: PRECISION ticks per unit, turned into Hz (`none` = samples at 100 Hz).
const UNIT_RATE: Record<Unit, number> = {
  nanoseconds: PRECISION * 1e9,
  microseconds: PRECISION * 1e6,
  milliseconds: PRECISION * 1e3,
  seconds: PRECISION,
  none: PRECISION * 100,
  bytes: 0,
};

interface Frame {
  name: string;
  file: string;
  line: number;
}

interface SpeedscopeEvent {
  type: 'O' | 'C';
  frame: number;
  at: number;
}

interface SpeedscopeProfile {
  type: 'evented' | 'sampled';
  name: string;
  unit: Unit;
  startValue: number;
  /** One event list per source profile: merged evented profiles each restart at startValue. */
  eventLists: SpeedscopeEvent[][];
  samples: number[][];
  weights: number[];
}

/** Parsed and checked speedscope file, profiles merged as Pyroscope merges them. */
export interface SpeedscopeFile {
  frames: Frame[];
  profiles: SpeedscopeProfile[];
}

/** Parses and validates a speedscope file; every structural problem is a FormatError naming the path. */
function parseSpeedscope(body: Uint8Array | string): SpeedscopeFile {
  const text = typeof body === 'string' ? body : new TextDecoder('utf-8').decode(body);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new FormatError(`speedscope: invalid JSON: ${(e as Error).message}`);
  }
  const root = obj(doc, '(root)');
  if (root.$schema !== SPEEDSCOPE_SCHEMA) {
    throw new FormatError(
      `speedscope: unknown $schema ${JSON.stringify(root.$schema)}: expected "${SPEEDSCOPE_SCHEMA}"`
    );
  }
  const shared = obj(root.shared, 'shared');
  const frames = arr(shared.frames, 'shared.frames').map((f, i): Frame => {
    const o = obj(f, `shared.frames[${i}]`);
    if (typeof o.name !== 'string') {
      throw new FormatError(`speedscope: shared.frames[${i}].name must be a string`);
    }
    const line = o.line === undefined || o.line === null ? 0 : num(o.line, `shared.frames[${i}].line`);
    const file = o.file === undefined || o.file === null ? '' : str(o.file, `shared.frames[${i}].file`);
    return { name: o.name, file, line: Number.isInteger(line) ? line : 0 };
  });
  const profiles = arr(root.profiles, 'profiles').map((p, i) => readProfile(p, `profiles[${i}]`, frames.length));
  return { frames, profiles: mergeProfiles(profiles) };
}

/** speedscope body → one series per (merged) speedscope profile. */
export function readSpeedscope(body: Uint8Array | string, params: TextIngestParams): FormatOutput[] {
  const file = parseSpeedscope(body);
  if (isSpanProfileUpload(params)) {
    return [];
  }
  const userRate = parseSampleRate(params.sampleRate);
  const multi = file.profiles.length > 1;
  const out: FormatOutput[] = [];
  for (const prof of file.profiles) {
    const appName = multi ? `${params.appName}.${prof.unit}` : params.appName;
    // Pyroscope cannot tell an explicit sampleRate=100 from the default, so 100 means "derive from unit".
    const rate = userRate === DEFAULT_SAMPLE_RATE ? UNIT_RATE[prof.unit] : userRate;
    const type = profileTypeForRate(appName, rate);
    // timed: weights become nanoseconds (exactly, see above); otherwise Pyroscope stores the scaled ticks
    const factor = type.timed ? (weightTicks(prof.unit) * 1e9) / rate : weightTicks(prof.unit);
    const period = type.timed ? Math.max(1, Math.round(1e9 / rate)) : 0;
    const b = new NormalizedProfileBuilder({ sampleTypes: [type.sampleType], periodType: type.periodType, period });
    const frameIds = file.frames.map((f) => b.frame(b.function(f.name, f.name, f.file), f.line));
    if (prof.type === 'sampled') {
      addSampled(b, prof, frameIds, factor);
    } else {
      addEvented(b, prof, frameIds, factor);
    }
    if (b.isEmpty()) {
      continue;
    }
    const labels = textSeriesLabels({ ...params, appName }, type);
    if (prof.name !== '') {
      labels.push(['profile_name', prof.name]);
      labels.sort((a, c) => (a[0] < c[0] ? -1 : a[0] > c[0] ? 1 : 0));
    }
    out.push({ labels, profile: b.build() });
  }
  return out;
}

function weightTicks(unit: Unit): number {
  return unit === 'bytes' ? 1 : PRECISION;
}

function addSampled(b: NormalizedProfileBuilder, prof: SpeedscopeProfile, frameIds: number[], factor: number): void {
  const leafFirst: number[] = [];
  for (let i = 0; i < prof.samples.length; i++) {
    const stack = prof.samples[i];
    leafFirst.length = 0;
    for (let j = stack.length - 1; j >= 0; j--) {
      leafFirst.push(frameIds[stack[j]]);
    }
    b.addSample(b.stack(leafFirst), [Math.round(prof.weights[i] * factor)]);
  }
}

// Time between two consecutive events belongs to the stack open during it; frames still open after the
// last event get nothing more (as in Pyroscope, endValue is not used).
function addEvented(b: NormalizedProfileBuilder, prof: SpeedscopeProfile, frameIds: number[], factor: number): void {
  for (const events of prof.eventLists) {
    addEventList(b, prof, events, frameIds, factor);
  }
}

function addEventList(
  b: NormalizedProfileBuilder,
  prof: SpeedscopeProfile,
  events: SpeedscopeEvent[],
  frameIds: number[],
  factor: number
): void {
  const open: number[] = [];
  let last = prof.startValue;
  const flush = (at: number): void => {
    if (open.length > 0 && at > last) {
      const leafFirst = open.map((f) => frameIds[f]).reverse();
      b.addSample(b.stack(leafFirst), [Math.round((at - last) * factor)]);
    }
  };
  events.forEach((ev, i) => {
    if (ev.at < last) {
      throw new FormatError(
        `speedscope: profile "${clip(prof.name)}": events[${i}] at ${ev.at} is before the previous event (${last})`
      );
    }
    flush(ev.at);
    if (ev.type === 'O') {
      open.push(ev.frame);
    } else {
      if (open.length === 0) {
        throw new FormatError(
          `speedscope: profile "${clip(prof.name)}": events[${i}] closes frame ${ev.frame} but no frame is open`
        );
      }
      if (open[open.length - 1] !== ev.frame) {
        throw new FormatError(
          `speedscope: profile "${clip(prof.name)}": events[${i}] closes frame ${ev.frame} but the innermost open frame is ${open[open.length - 1]}`
        );
      }
      open.pop();
    }
    last = ev.at;
  });
}

function readProfile(p: unknown, path: string, frameCount: number): SpeedscopeProfile {
  const o = obj(p, path);
  const type = o.type;
  if (type !== 'evented' && type !== 'sampled') {
    throw new FormatError(
      `speedscope: ${path}.type ${JSON.stringify(type)} is not supported: expected "evented" or "sampled"`
    );
  }
  const unit = o.unit;
  if (typeof unit !== 'string' || !Object.prototype.hasOwnProperty.call(UNIT_RATE, unit)) {
    throw new FormatError(
      `speedscope: ${path}.unit ${JSON.stringify(unit)} is unknown: expected one of ${Object.keys(UNIT_RATE).join(', ')}`
    );
  }
  const name = o.name === undefined || o.name === null ? '' : str(o.name, `${path}.name`);
  const startValue = o.startValue === undefined ? 0 : num(o.startValue, `${path}.startValue`);
  const frameIndex = (v: unknown, where: string): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= frameCount) {
      throw new FormatError(
        `speedscope: ${where} = ${clip(JSON.stringify(v) ?? String(v))} is not a frame index (0..${frameCount - 1})`
      );
    }
    return v;
  };
  const prof: SpeedscopeProfile = {
    type,
    name,
    unit: unit as Unit,
    startValue,
    eventLists: [],
    samples: [],
    weights: [],
  };
  if (type === 'sampled') {
    prof.samples = arr(o.samples, `${path}.samples`).map((s, i) =>
      arr(s, `${path}.samples[${i}]`).map((f, j) => frameIndex(f, `${path}.samples[${i}][${j}]`))
    );
    prof.weights = arr(o.weights, `${path}.weights`).map((w, i) => {
      const v = num(w, `${path}.weights[${i}]`);
      if (v < 0) {
        throw new FormatError(`speedscope: ${path}.weights[${i}] = ${v} is negative`);
      }
      return v;
    });
    if (prof.samples.length !== prof.weights.length) {
      throw new FormatError(
        `speedscope: ${path} has ${prof.samples.length} samples but ${prof.weights.length} weights`
      );
    }
  } else {
    const events = arr(o.events, `${path}.events`).map((e, i): SpeedscopeEvent => {
      const ev = obj(e, `${path}.events[${i}]`);
      if (ev.type !== 'O' && ev.type !== 'C') {
        throw new FormatError(
          `speedscope: ${path}.events[${i}].type ${JSON.stringify(ev.type)} is unknown: expected "O" or "C"`
        );
      }
      return {
        type: ev.type,
        frame: frameIndex(ev.frame, `${path}.events[${i}].frame`),
        at: num(ev.at, `${path}.events[${i}].at`),
      };
    });
    prof.eventLists.push(events);
  }
  return prof;
}

// Two speedscope profiles with the same key would otherwise become two series with identical labels and
// timestamp, which the write path deduplicates: merging keeps both halves.
function mergeProfiles(profiles: SpeedscopeProfile[]): SpeedscopeProfile[] {
  const merged = new Map<string, SpeedscopeProfile>();
  for (const p of profiles) {
    const key = JSON.stringify([p.name, p.type, p.unit, p.startValue]);
    const m = merged.get(key);
    if (m) {
      // loops, not push(...xs): a spread of a large array overflows the argument limit
      for (const s of p.samples) {
        m.samples.push(s);
      }
      for (const w of p.weights) {
        m.weights.push(w);
      }
      for (const l of p.eventLists) {
        m.eventLists.push(l);
      }
    } else {
      merged.set(key, p);
    }
  }
  return [...merged.values()].sort((a, b) => a.startValue - b.startValue);
}

function obj(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new FormatError(`speedscope: ${path} must be an object`);
  }
  return v as Record<string, unknown>;
}

function arr(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) {
    throw new FormatError(`speedscope: ${path} must be an array`);
  }
  return v;
}

function num(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new FormatError(`speedscope: ${path} must be a finite number`);
  }
  return v;
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string') {
    throw new FormatError(`speedscope: ${path} must be a string`);
  }
  return v;
}
