import { Interner } from '../../model/interner.js';
import type { NormalizedProfile, ValueType } from '../../model/profile.js';
import type { ChunkPools } from './constant-pools.js';
import { IntPairMap } from './id-index.js';
import type { SampleCorrelation } from './labels-snapshot.js';

/** One output profile type: what the Pyroscope Java agent's recordings turn into (as grafana/jfr-parser names them). */
export interface JfrProfileType {
  /** `__name__` of the series. */
  name: string;
  sampleTypes: ValueType[];
  periodType: ValueType;
}

export const PT_CPU = 0;
export const PT_WALL = 1;
export const PT_ALLOC_IN_NEW_TLAB = 2;
export const PT_ALLOC_OUTSIDE_TLAB = 3;
export const PT_LOCK = 4;
export const PT_THREAD_PARK = 5;
export const PT_LIVE_OBJECT = 6;
export const PT_ALLOC_SAMPLE = 7;
export const PT_MALLOC = 8;

const vt = (type: string, unit: string): ValueType => ({ type, unit });

const JFR_PROFILE_TYPES: readonly JfrProfileType[] = [
  { name: 'process_cpu', sampleTypes: [vt('cpu', 'nanoseconds')], periodType: vt('cpu', 'nanoseconds') },
  { name: 'wall', sampleTypes: [vt('wall', 'nanoseconds')], periodType: vt('wall', 'nanoseconds') },
  {
    name: 'memory',
    sampleTypes: [vt('alloc_in_new_tlab_objects', 'count'), vt('alloc_in_new_tlab_bytes', 'bytes')],
    periodType: vt('space', 'bytes'),
  },
  {
    name: 'memory',
    sampleTypes: [vt('alloc_outside_tlab_objects', 'count'), vt('alloc_outside_tlab_bytes', 'bytes')],
    periodType: vt('space', 'bytes'),
  },
  {
    name: 'mutex',
    sampleTypes: [vt('contentions', 'count'), vt('delay', 'nanoseconds')],
    periodType: vt('mutex', 'count'),
  },
  {
    name: 'block',
    sampleTypes: [vt('contentions', 'count'), vt('delay', 'nanoseconds')],
    periodType: vt('block', 'count'),
  },
  { name: 'memory', sampleTypes: [vt('live', 'count')], periodType: vt('objects', 'count') },
  {
    name: 'memory',
    sampleTypes: [vt('alloc_sample_objects', 'count'), vt('alloc_sample_bytes', 'bytes')],
    periodType: vt('space', 'bytes'),
  },
  // Pyroscope's reader gives malloc profiles no period type; keep its profile type id (memory:malloc_*:…::).
  { name: 'memory', sampleTypes: [vt('malloc_objects', 'count'), vt('malloc_bytes', 'bytes')], periodType: vt('', '') },
];

/** A growable column of int32. */
class IntColumn {
  a: Int32Array;
  n = 0;
  constructor(cap = 256) {
    this.a = new Int32Array(cap);
  }
  push(v: number): void {
    if (this.n === this.a.length) {
      this.reserve(1);
    }
    this.a[this.n++] = v;
  }
  /** Makes room for `k` more values, so a hot loop can write `a` directly. */
  reserve(k: number): void {
    if (this.n + k <= this.a.length) {
      return;
    }
    let cap = this.a.length * 2;
    while (cap < this.n + k) {
      cap *= 2;
    }
    const b = new Int32Array(cap);
    b.set(this.a.subarray(0, this.n));
    this.a = b;
  }
}

class FloatColumn {
  a: Float64Array;
  n = 0;
  constructor(cap = 256) {
    this.a = new Float64Array(cap);
  }
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
}

// Sample keys pack (correlation, stack) into one exact double: stack ids are int32, so correlations below 2^21
// fit in 53 bits. Beyond that (millions of distinct span ids) keys become strings.
const STACK_KEY_RANGE = 2 ** 32;
const MAX_PACKED_CORR = 2 ** 21;

/** Samples of one profile type, aggregated by (stack, correlation). */
class SampleSet {
  readonly type: JfrProfileType;
  readonly stack = new IntColumn();
  readonly corr = new IntColumn();
  readonly values: FloatColumn[];
  /** stack id -> sample index + 1, for samples without correlation (the common case). */
  private plain = new Int32Array(1024);
  private readonly keyed = new Map<number | string, number>();

  constructor(type: JfrProfileType) {
    this.type = type;
    this.values = type.sampleTypes.map(() => new FloatColumn());
  }

  add(stackId: number, corrId: number, v0: number, v1: number): void {
    let idx: number;
    if (corrId === 0) {
      if (stackId >= this.plain.length) {
        const b = new Int32Array(Math.max(this.plain.length * 2, stackId + 1));
        b.set(this.plain);
        this.plain = b;
      }
      idx = this.plain[stackId]! - 1;
      if (idx < 0) {
        idx = this.newSample(stackId, 0);
        this.plain[stackId] = idx + 1;
      }
    } else {
      const key: number | string =
        corrId < MAX_PACKED_CORR ? corrId * STACK_KEY_RANGE + stackId : `${corrId}:${stackId}`;
      const found = this.keyed.get(key);
      if (found === undefined) {
        idx = this.newSample(stackId, corrId);
        this.keyed.set(key, idx);
      } else {
        idx = found;
      }
    }
    this.values[0]!.a[idx]! += v0;
    if (this.values.length > 1) {
      this.values[1]!.a[idx]! += v1;
    }
  }

  private newSample(stackId: number, corrId: number): number {
    this.stack.push(stackId);
    this.corr.push(corrId);
    for (const col of this.values) {
      col.push(0);
    }
    return this.stack.n - 1;
  }
}

/**
 * Turns JFR samples into normalized profiles. Functions, frames and stacks are shared by all profile types
 * while reading (and across chunks, where constant-pool ids restart); each profile gets its own compacted tables
 * at the end.
 */
export class JfrProfileBuilder {
  private readonly stringIds = new Interner(['']);
  private readonly strings = this.stringIds.strings;
  private readonly fnName = new IntColumn();
  private readonly fnByName = new Map<number, number>();
  private readonly frameFn = new IntColumn();
  private readonly frameLine = new IntColumn();
  private readonly frameByKey = new IntPairMap();
  private readonly stackOffsets = new IntColumn();
  private readonly stackFrames = new IntColumn(4096);
  /** Stack dedup: hash of the frame sequence -> first stack id with it; collisions chain through stackNext. */
  private readonly stackByHash = new Map<number, number>();
  private readonly stackNext = new IntColumn();
  private readonly corrLabelSet: number[] = [0];
  private readonly corrSpan: number[] = [0];
  private readonly corrByKey = new Map<string, number>();
  private readonly labelSets: Array<Array<[string, string]>> = [[]];
  private readonly labelSetByKey = new Map<string, number>([['', 0]]);
  private readonly sets: Array<SampleSet | null> = JFR_PROFILE_TYPES.map(() => null);

  // Per-chunk caches: pool ids are only meaningful inside their chunk.
  private chunkPools: ChunkPools | null = null;
  /** Method index (in the chunk's pools) -> function id + 1; -1 for methods that resolve to no frame. */
  private methodFn = new Int32Array(0);
  private chunkStack = new Int32Array(0);
  private readonly frameScratch = new IntColumn(256);

  constructor() {
    this.stackOffsets.push(0);
  }

  startChunk(pools: ChunkPools): void {
    this.chunkPools = pools;
    this.methodFn = new Int32Array(pools.methodClass.length);
    this.chunkStack = new Int32Array(pools.nStacks);
  }

  /** Interns a correlation (labels + span) and returns its id; 0 is "no labels, no span". */
  correlation(c: SampleCorrelation): number {
    if (c.labels.length === 0 && c.span === '') {
      return 0;
    }
    let labelKey = '';
    for (const [k, v] of c.labels) {
      labelKey += `${k}\u0000${v}\u0000`;
    }
    let ls = this.labelSetByKey.get(labelKey);
    if (ls === undefined) {
      ls = this.labelSets.length;
      this.labelSets.push(c.labels);
      this.labelSetByKey.set(labelKey, ls);
    }
    const span = c.span === '' ? 0 : this.str(c.span);
    const key = `${ls}:${span}`;
    let id = this.corrByKey.get(key);
    if (id === undefined) {
      id = this.corrLabelSet.length;
      this.corrLabelSet.push(ls);
      this.corrSpan.push(span);
      this.corrByKey.set(key, id);
    }
    return id;
  }

  /**
   * Adds one sample of `profileType` on JFR stack `stackRef` of the current chunk. Samples whose stack is not in
   * the constant pools are dropped, as Pyroscope does.
   */
  add(profileType: number, stackRef: number, corrId: number, v0: number, v1: number): void {
    const pools = this.chunkPools!;
    const jfrStack = pools.stacks.get(stackRef);
    if (jfrStack < 0) {
      return;
    }
    let stackId = this.chunkStack[jfrStack]! - 1;
    if (stackId < 0) {
      stackId = this.resolveStack(pools, jfrStack);
      this.chunkStack[jfrStack] = stackId + 1;
    }
    let set = this.sets[profileType];
    if (set === null || set === undefined) {
      set = new SampleSet(JFR_PROFILE_TYPES[profileType]!);
      this.sets[profileType] = set;
    }
    set.add(stackId, corrId, v0, v1);
  }

  private resolveStack(pools: ChunkPools, jfrStack: number): number {
    const from = pools.stackStart[jfrStack]!;
    const to = pools.stackStart[jfrStack + 1]!;
    const scratch = this.frameScratch;
    scratch.n = 0;
    scratch.reserve(to - from);
    const out = scratch.a;
    let n = 0;
    let hash = 0x811c9dc5;
    const methods = pools.frameMethod;
    const lines = pools.frameLine;
    const methodIndex = pools.methods;
    const methodFn = this.methodFn;
    const frameByKey = this.frameByKey;
    // The per-frame path is kept free of calls where it can be: most recordings are read by cold code.
    for (let i = from; i < to; i++) {
      const methodId = methods[i]!;
      const m = methodId === 0 ? -1 : methodIndex.get(methodId);
      // Frames whose method or class is not in the pools are left out, as Pyroscope does.
      if (m < 0) {
        continue;
      }
      const cached = methodFn[m]!;
      const fn = cached > 0 ? cached - 1 : cached < 0 ? -1 : this.methodFunction(pools, m);
      if (fn < 0) {
        continue;
      }
      const line = lines[i]!;
      const next = this.frameFn.n;
      const frame = frameByKey.getOrInsert(fn, line, next);
      if (frame === next) {
        this.frameFn.push(fn);
        this.frameLine.push(line);
      }
      out[n++] = frame;
      hash = Math.imul(hash ^ frame, 0x01000193);
    }
    scratch.n = n;
    const head = this.stackByHash.get(hash);
    for (let id = head === undefined ? -1 : head; id >= 0; id = this.stackNext.a[id]!) {
      if (this.sameFrames(id, scratch)) {
        return id;
      }
    }
    const id = this.stackOffsets.n - 1;
    const frames = this.stackFrames;
    frames.reserve(n);
    frames.a.set(out.subarray(0, n), frames.n);
    frames.n += n;
    this.stackOffsets.push(frames.n);
    this.stackNext.push(head === undefined ? -1 : head);
    this.stackByHash.set(hash, id);
    return id;
  }

  private sameFrames(id: number, frames: IntColumn): boolean {
    const from = this.stackOffsets.a[id]!;
    if (this.stackOffsets.a[id + 1]! - from !== frames.n) {
      return false;
    }
    const a = this.stackFrames.a;
    for (let i = 0; i < frames.n; i++) {
      if (a[from + i] !== frames.a[i]) {
        return false;
      }
    }
    return true;
  }

  /** Resolves method `m` (an index into the chunk's method pool) to a function id, or -1; cached in methodFn. */
  private methodFunction(pools: ChunkPools, m: number): number {
    let fn = -1;
    const cls = pools.classes.get(pools.methodClass[m]!);
    if (cls >= 0) {
      const clsName = pools.symbol(pools.className[cls]!) ?? '';
      const method = pools.symbol(pools.methodName[m]!) ?? '';
      const name = this.str(`${clsName}.${method}`);
      const existing = this.fnByName.get(name);
      if (existing === undefined) {
        fn = this.fnName.n;
        this.fnName.push(name);
        this.fnByName.set(name, fn);
      } else {
        fn = existing;
      }
    }
    this.methodFn[m] = fn < 0 ? -1 : fn + 1;
    return fn;
  }

  private str(s: string): number {
    return this.stringIds.id(s);
  }

  /** One normalized profile per profile type that received samples, in JFR_PROFILE_TYPES order. */
  build(timeMs: number, durationNanos: number): Array<{ name: string; profile: NormalizedProfile }> {
    const out: Array<{ name: string; profile: NormalizedProfile }> = [];
    for (const set of this.sets) {
      if (set === null || set.stack.n === 0) {
        continue;
      }
      out.push({ name: set.type.name, profile: this.compact(set, timeMs, durationNanos) });
    }
    return out;
  }

  /** Copies out only what `set` uses, renumbered densely. */
  private compact(set: SampleSet, timeMs: number, durationNanos: number): NormalizedProfile {
    const n = set.stack.n;
    const strings: string[] = [''];
    const strMap = new Int32Array(this.strings.length).fill(-1);
    strMap[0] = 0;
    const mapStr = (id: number): number => {
      let m = strMap[id]!;
      if (m < 0) {
        m = strings.length;
        strings.push(this.strings[id]!);
        strMap[id] = m;
      }
      return m;
    };
    const fnMap = new Int32Array(this.fnName.n).fill(-1);
    const fnName = new IntColumn(64);
    const frameMap = new Int32Array(this.frameFn.n).fill(-1);
    const frameFn = new IntColumn(256);
    const frameLine = new IntColumn(256);
    const stackMap = new Int32Array(this.stackOffsets.n).fill(-1);
    const stackOffsets = new IntColumn(256);
    stackOffsets.push(0);
    const stackFrames = new IntColumn(1024);
    const labelSetMap = new Int32Array(this.labelSets.length).fill(-1);
    labelSetMap[0] = 0;
    const labelSets: Array<Array<[string, string]>> = [[]];

    const sampleStack = new Int32Array(n);
    const sampleLabelSet = new Int32Array(n);
    const sampleSpan = new Int32Array(n);
    for (let s = 0; s < n; s++) {
      const gStack = set.stack.a[s]!;
      let st = stackMap[gStack]!;
      if (st < 0) {
        for (let i = this.stackOffsets.a[gStack]!; i < this.stackOffsets.a[gStack + 1]!; i++) {
          const gFrame = this.stackFrames.a[i]!;
          let fr = frameMap[gFrame]!;
          if (fr < 0) {
            const gFn = this.frameFn.a[gFrame]!;
            let fn = fnMap[gFn]!;
            if (fn < 0) {
              fn = fnName.n;
              fnName.push(mapStr(this.fnName.a[gFn]!));
              fnMap[gFn] = fn;
            }
            fr = frameFn.n;
            frameFn.push(fn);
            frameLine.push(this.frameLine.a[gFrame]!);
            frameMap[gFrame] = fr;
          }
          stackFrames.push(fr);
        }
        st = stackOffsets.n - 1;
        stackOffsets.push(stackFrames.n);
        stackMap[gStack] = st;
      }
      sampleStack[s] = st;
      const corr = set.corr.a[s]!;
      if (corr !== 0) {
        const gLs = this.corrLabelSet[corr]!;
        let ls = labelSetMap[gLs]!;
        if (ls < 0) {
          ls = labelSets.length;
          labelSets.push(this.labelSets[gLs]!);
          labelSetMap[gLs] = ls;
        }
        sampleLabelSet[s] = ls;
        const span = this.corrSpan[corr]!;
        sampleSpan[s] = span === 0 ? 0 : mapStr(span);
      }
    }
    const nFn = fnName.n;
    return {
      strings,
      fnName: fnName.a.slice(0, nFn),
      // Pyroscope's reader sets only the function name; system name and file stay empty.
      fnSystemName: new Int32Array(nFn),
      fnFilename: new Int32Array(nFn),
      fnStartLine: new Int32Array(nFn),
      frameFn: frameFn.a.slice(0, frameFn.n),
      frameLine: frameLine.a.slice(0, frameLine.n),
      stackOffsets: stackOffsets.a.slice(0, stackOffsets.n),
      stackFrames: stackFrames.a.slice(0, stackFrames.n),
      sampleTypes: set.type.sampleTypes.map((t) => ({ ...t })),
      periodType: { ...set.type.periodType },
      // Pyroscope leaves the period of JFR profiles unset; values are already in the sample type's unit.
      period: 0,
      sampleStack,
      sampleValues: set.values.map((c) => c.a.slice(0, n)),
      sampleLabelSet,
      sampleSpan,
      labelSets,
      timeMs,
      durationNanos,
    };
  }
}
