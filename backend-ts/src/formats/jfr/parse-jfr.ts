// JFR (Java Flight Recorder) recordings as the Pyroscope Java agent (async-profiler) and JDK Flight Recorder
// write them, read into normalized profiles. A recording is a sequence of self-contained chunks; each chunk is
// read in three passes over its bytes: metadata.ts (the type system), constant-pools.ts (stack traces, methods,
// classes, symbols), events.ts (the samples); profile-builder.ts turns samples into one profile per type.
import type { NormalizedProfile } from '../../model/profile.js';
import { ByteReader } from './byte-reader.js';
import { readChunkHeader } from './chunk-header.js';
import { readConstantPools, type ChunkPools } from './constant-pools.js';
import {
  EV_ACTIVE_SETTING,
  EV_ALLOC_IN_NEW_TLAB,
  EV_ALLOC_OUTSIDE_TLAB,
  EV_ALLOC_SAMPLE,
  EV_EXECUTION_SAMPLE,
  EV_LIVE_OBJECT,
  EV_MALLOC,
  EV_MONITOR_ENTER,
  EV_THREAD_PARK,
  EV_WALL_CLOCK_SAMPLE,
  readEvents,
  S_CONTEXT,
  S_NAME,
  S_SPAN_ID,
  S_SPAN_NAME,
  S_STACK,
  S_STATE,
  S_TEXT,
  S_VALUE,
  type EventSink,
} from './events.js';
import { JfrParseError } from './jfr-parse-error.js';
import { decodeLabelsSnapshot, LabelsResolver } from './labels-snapshot.js';
import { readMetadata } from './metadata.js';
import {
  JfrProfileBuilder,
  PT_ALLOC_IN_NEW_TLAB,
  PT_ALLOC_OUTSIDE_TLAB,
  PT_ALLOC_SAMPLE,
  PT_CPU,
  PT_LIVE_OBJECT,
  PT_LOCK,
  PT_MALLOC,
  PT_THREAD_PARK,
  PT_WALL,
} from './profile-builder.js';
import { TypePlans, type SlotValues } from './value-plan.js';

export interface JfrProfile {
  /** `__name__`: process_cpu, wall, memory, mutex or block. */
  name: string;
  profile: NormalizedProfile;
}

export interface ParseJfrOptions {
  /**
   * The request's `sampleRate`: CPU and wall samples are worth 1e9 / sampleRate nanoseconds each, as in
   * Pyroscope. Default 100 (the Java agent's 10 ms interval).
   */
  sampleRate?: number;
  /** The request's from/until in ms; JFR profiles take their time from the request, not the recording. */
  startTimeMs?: number;
  endTimeMs?: number;
  /**
   * Unit of the mutex and block `delay` values. Pyroscope reports the events' raw durations, which are in JFR
   * ticks (nanoseconds only where the recording's clock ticks at 1 GHz), under "nanoseconds"; 'ticks' (the
   * default) keeps that for compatible series, 'nanoseconds' converts with the chunk's ticks per second.
   */
  delayUnit?: 'ticks' | 'nanoseconds';
}

/**
 * Reads a JFR recording (all chunks) into one normalized profile per profile type it has samples for.
 * `labels` is the Java agent's LabelsSnapshot protobuf (already gunzipped) that maps the events' context ids to
 * labels. Throws JfrParseError for anything that is not a well-formed recording; no partial result is returned.
 */
export function parseJfr(jfr: Uint8Array, labels?: Uint8Array, options: ParseJfrOptions = {}): JfrProfile[] {
  try {
    return parse(jfr, labels, options);
  } catch (e) {
    if (e instanceof JfrParseError) {
      throw e;
    }
    // A bug or an engine limit reached through malformed input: still the client's bad recording to the caller.
    throw new JfrParseError(`malformed JFR recording: ${e instanceof Error ? e.message : String(e)}`, undefined, {
      cause: e,
    });
  }
}

function parse(jfr: Uint8Array, labels: Uint8Array | undefined, options: ParseJfrOptions): JfrProfile[] {
  if (jfr.length === 0) {
    throw new JfrParseError('empty JFR recording');
  }
  // Agents may gzip either part; unpacking (and bounding the unpacked size) is the caller's job.
  if (isGzip(jfr)) {
    throw new JfrParseError('JFR recording is gzip-compressed: gunzip it before parsing');
  }
  if (labels !== undefined && isGzip(labels)) {
    throw new JfrParseError('labels snapshot is gzip-compressed: gunzip it before parsing');
  }
  const resolver = labels === undefined ? null : new LabelsResolver(decodeLabelsSnapshot(labels));
  const sampleRate = options.sampleRate ?? 100;
  const builder = new JfrProfileBuilder();
  const sink = new SampleSink(
    builder,
    resolver,
    sampleRate > 0 ? Math.trunc(1e9 / sampleRate) : 0,
    options.delayUnit === 'nanoseconds'
  );
  const r = new ByteReader(jfr);
  let pos = 0;
  while (pos < jfr.length) {
    r.pos = pos;
    r.stringPool = null;
    const chunk = readChunkHeader(r);
    const meta = readMetadata(r, chunk);
    const plans = new TypePlans(meta);
    const pools = readConstantPools(r, chunk, meta, plans);
    r.stringPool = pools.strings;
    builder.startChunk(pools);
    sink.startChunk(chunk.ticksPerSecond);
    readEvents(r, chunk, meta, plans, pools, sink);
    pos = chunk.end;
  }
  const start = options.startTimeMs ?? 0;
  const end = options.endTimeMs ?? start;
  return builder.build(start, Math.max(0, end - start) * 1e6);
}

function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/**
 * The mapping from JFR events to profile samples, as Pyroscope's JFR reader (grafana/jfr-parser) does it, so the
 * same recording yields the same series here as there. One deliberate difference: that reader keeps the sample
 * count of the last wall-clock event in a value shared with later events, so an allocation or execution sample
 * after it would count that many times; here every event counts for itself.
 */
class SampleSink implements EventSink {
  private readonly builder: JfrProfileBuilder;
  private readonly resolver: LabelsResolver | null;
  private readonly period: number;
  /** The recording's `event` setting: async-profiler in wall mode records wall time as execution samples. */
  private event = '';
  // Last correlation looked up: consecutive samples usually share it.
  private lastCtxHi = 0;
  private lastCtxLo = 0;
  private lastSpanHi = 0;
  private lastSpanLo = 0;
  private lastNameHi = 0;
  private lastNameLo = 0;
  private lastCorr = -1;
  private readonly corrCache = new Map<string, number>();

  private readonly delayInNanos: boolean;
  /** Multiplier from the chunk's ticks to the delay unit. */
  private delayScale = 1;

  constructor(builder: JfrProfileBuilder, resolver: LabelsResolver | null, period: number, delayInNanos: boolean) {
    this.builder = builder;
    this.resolver = resolver;
    this.period = period;
    this.delayInNanos = delayInNanos;
  }

  /**
   * Writers repeat their settings in every chunk, so a chunk's `event` is its own; not carrying it over keeps
   * concatenated recordings (one chunk in wall mode, the next not) from leaking one mode into the other.
   */
  startChunk(ticksPerSecond: number): void {
    this.event = '';
    this.delayScale = this.delayInNanos && ticksPerSecond > 0 ? 1e9 / ticksPerSecond : 1;
  }

  onEvent(kind: number, v: SlotValues, pools: ChunkPools): void {
    const stack = v.num[S_STACK]!;
    const b = this.builder;
    switch (kind) {
      case EV_EXECUTION_SAMPLE: {
        const corr = this.correlation(v);
        // Samples without a known thread state are not counted as CPU, nor are sleeping ones.
        const state = pools.threadState(v.num[S_STATE]!);
        if (state !== undefined && state !== 'STATE_SLEEPING') {
          b.add(PT_CPU, stack, corr, this.period, 0);
        }
        if (this.event === 'wall') {
          b.add(PT_WALL, stack, corr, this.period, 0);
        }
        return;
      }
      case EV_WALL_CLOCK_SAMPLE: {
        // One event stands for `samples` consecutive ticks of the thread in the same state.
        const corr = this.correlation(v);
        const value = v.num[S_VALUE]! * this.period;
        if (this.event === 'wall' && pools.threadState(v.num[S_STATE]!) === 'STATE_RUNNABLE') {
          b.add(PT_CPU, stack, corr, value, 0);
        }
        b.add(PT_WALL, stack, corr, value, 0);
        return;
      }
      case EV_ALLOC_IN_NEW_TLAB:
        b.add(PT_ALLOC_IN_NEW_TLAB, stack, this.correlation(v), 1, v.num[S_VALUE]!);
        return;
      case EV_ALLOC_OUTSIDE_TLAB:
        b.add(PT_ALLOC_OUTSIDE_TLAB, stack, this.correlation(v), 1, v.num[S_VALUE]!);
        return;
      case EV_ALLOC_SAMPLE:
        b.add(PT_ALLOC_SAMPLE, stack, 0, 1, v.num[S_VALUE]!);
        return;
      case EV_MONITOR_ENTER:
        b.add(PT_LOCK, stack, this.correlation(v), 1, this.delay(v.num[S_VALUE]!));
        return;
      case EV_THREAD_PARK:
        b.add(PT_THREAD_PARK, stack, 0, 1, this.delay(v.num[S_VALUE]!));
        return;
      case EV_LIVE_OBJECT:
        b.add(PT_LIVE_OBJECT, stack, 0, 1, 0);
        return;
      case EV_MALLOC:
        b.add(PT_MALLOC, stack, 0, 1, v.num[S_VALUE]!);
        return;
      case EV_ACTIVE_SETTING:
        if (v.str[S_NAME] === 'event') {
          this.event = v.str[S_TEXT] ?? '';
        }
        return;
    }
  }

  private delay(ticks: number): number {
    return this.delayScale === 1 ? ticks : Math.round(ticks * this.delayScale);
  }

  private correlation(v: SlotValues): number {
    if (this.resolver === null) {
      return 0;
    }
    const ch = v.hi[S_CONTEXT]!;
    const cl = v.lo[S_CONTEXT]!;
    const sh = v.hi[S_SPAN_ID]!;
    const sl = v.lo[S_SPAN_ID]!;
    const nh = v.hi[S_SPAN_NAME]!;
    const nl = v.lo[S_SPAN_NAME]!;
    if (
      this.lastCorr >= 0 &&
      ch === this.lastCtxHi &&
      cl === this.lastCtxLo &&
      sh === this.lastSpanHi &&
      sl === this.lastSpanLo &&
      nh === this.lastNameHi &&
      nl === this.lastNameLo
    ) {
      return this.lastCorr;
    }
    const key = `${ch}:${cl}:${sh}:${sl}:${nh}:${nl}`;
    let corr = this.corrCache.get(key);
    if (corr === undefined) {
      corr = this.builder.correlation(this.resolver.resolve(ch, cl, sh, sl, nh, nl));
      this.corrCache.set(key, corr);
    }
    this.lastCtxHi = ch;
    this.lastCtxLo = cl;
    this.lastSpanHi = sh;
    this.lastSpanLo = sl;
    this.lastNameHi = nh;
    this.lastNameLo = nl;
    this.lastCorr = corr;
    return corr;
  }
}
