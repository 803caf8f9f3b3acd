import type { ByteReader } from './byte-reader.js';
import type { ChunkHeader } from './chunk-header.js';
import { IdIndex } from './id-index.js';
import type { JfrMetadata } from './metadata.js';
import { normalizeSymbol } from './symbols.js';
import {
  bindPlan,
  K_CP,
  K_OBJECT,
  K_VARINT,
  readBound,
  skipOne,
  skipValue,
  SlotValues,
  type BoundPlan,
  type FieldWant,
  type TypePlans,
} from './value-plan.js';

const CHECKPOINT_EVENT_TYPE = 1;

/**
 * The constants of one chunk that profiles need, keyed by their (exact) pool index. Stack traces are kept in
 * CSR form, leaf first as JFR writes them: frames of stack s are [stackStart[s], stackStart[s + 1]).
 */
export class ChunkPools {
  /** Where the chunk's checkpoint events are, so the event loop can step over them by position. */
  readonly checkpointOffsets = new Set<number>();
  /** Symbol id -> index into symbolText (already normalized, see symbols.ts). */
  readonly symbols = new IdIndex();
  readonly symbolText: string[] = [];
  readonly strings = new Map<number, string>();
  /** Class id -> index into className (the symbol id of the class name). */
  readonly classes = new IdIndex();
  readonly className: number[] = [];
  /** Method id -> index into methodClass/methodName (class id, symbol id). */
  readonly methods = new IdIndex();
  readonly methodClass: number[] = [];
  readonly methodName: number[] = [];
  /** Thread state id -> index into threadStateName (STATE_RUNNABLE, ...): decides whether a sample is CPU time. */
  readonly threadStates = new IdIndex();
  readonly threadStateName: string[] = [];
  readonly stacks = new IdIndex();
  // Small to start with: a recording can be thousands of tiny chunks, each with pools of its own.
  stackStart = new Int32Array(64);
  nStacks = 0;
  frameMethod = new Float64Array(256);
  frameLine = new Int32Array(256);
  nFrames = 0;

  setSymbol(id: number, text: string): void {
    this.symbols.set(id, this.symbolText.length);
    this.symbolText.push(text);
  }

  symbol(id: number): string | undefined {
    const i = this.symbols.get(id);
    return i < 0 ? undefined : this.symbolText[i];
  }

  setThreadState(id: number, name: string): void {
    this.threadStates.set(id, this.threadStateName.length);
    this.threadStateName.push(name);
  }

  threadState(id: number): string | undefined {
    const i = this.threadStates.get(id);
    return i < 0 ? undefined : this.threadStateName[i];
  }

  addFrame(method: number, line: number): void {
    if (this.nFrames === this.frameMethod.length) {
      this.reserveFrames(1);
    }
    this.frameMethod[this.nFrames] = method;
    this.frameLine[this.nFrames] = line;
    this.nFrames++;
  }

  /** Room for `k` more frames, so a decoder can write frameMethod/frameLine directly. */
  reserveFrames(k: number): void {
    if (this.nFrames + k <= this.frameMethod.length) {
      return;
    }
    let cap = this.frameMethod.length * 2;
    while (cap < this.nFrames + k) {
      cap *= 2;
    }
    const m = new Float64Array(cap);
    m.set(this.frameMethod.subarray(0, this.nFrames));
    this.frameMethod = m;
    const l = new Int32Array(cap);
    l.set(this.frameLine.subarray(0, this.nFrames));
    this.frameLine = l;
  }

  /** Opens stack `id`; its frames are the addFrame calls until the next beginStack/finish. */
  beginStack(id: number): void {
    if (this.nStacks + 1 >= this.stackStart.length) {
      const s = new Int32Array(this.stackStart.length * 2);
      s.set(this.stackStart);
      this.stackStart = s;
    }
    this.stacks.set(id, this.nStacks);
    this.stackStart[this.nStacks] = this.nFrames;
    this.nStacks++;
    this.stackStart[this.nStacks] = this.nFrames;
  }

  endStack(): void {
    this.stackStart[this.nStacks] = this.nFrames;
  }
}

const SYMBOL_WANTS: readonly FieldWant[] = [{ name: 'string', kind: 'string' }];
const CLASS_WANTS: readonly FieldWant[] = [{ name: 'name', kind: 'cp', poolType: 'jdk.types.Symbol' }];
const METHOD_WANTS: readonly FieldWant[] = [
  { name: 'type', kind: 'cp', poolType: 'java.lang.Class' },
  { name: 'name', kind: 'cp', poolType: 'jdk.types.Symbol' },
];
const THREAD_STATE_WANTS: readonly FieldWant[] = [{ name: 'name', kind: 'string' }];
const FRAME_WANTS: readonly FieldWant[] = [
  { name: 'method', kind: 'cp', poolType: 'jdk.types.Method' },
  { name: 'lineNumber', kind: 'int' },
];

/**
 * Reads every checkpoint event of the chunk, following the delta chain back from the header's offset, and
 * decodes the pools the profile conversion needs; all others are skipped value by value.
 */
export function readConstantPools(r: ByteReader, chunk: ChunkHeader, meta: JfrMetadata, plans: TypePlans): ChunkPools {
  const pools = new ChunkPools();
  const pending = new PendingStrings();
  const seen = pools.checkpointOffsets;
  let at = chunk.constantPoolOffset;
  for (;;) {
    if (seen.has(at)) {
      r.fail('checkpoint chain loops', at);
    }
    seen.add(at);
    r.pos = at;
    r.end = chunk.end;
    const size = r.varint();
    if (size === 0 || at + size > chunk.end) {
      r.fail(`checkpoint size ${size} outside chunk`, at);
    }
    r.end = at + size;
    const type = r.varlong();
    if (type !== CHECKPOINT_EVENT_TYPE) {
      r.fail(`expected checkpoint event, found type ${type}`, at);
    }
    r.skipVarint(); // start time
    r.skipVarint(); // duration
    r.varlongParts();
    // Delta to the previous checkpoint: a signed long, negative in practice.
    const delta = (r.hi | 0) * 4294967296 + r.lo;
    r.skip(1); // flush flag / checkpoint type
    readCheckpointPools(r, meta, plans, pools, pending);
    if (delta === 0) {
      break;
    }
    at += delta;
    if (at < chunk.start || at >= chunk.end) {
      r.fail(`checkpoint delta ${delta} leaves the chunk`, at - delta);
    }
  }
  pending.resolve(pools);
  return pools;
}

/** String-pool references met before the String pool itself was read. */
class PendingStrings {
  readonly symbolIds: number[] = [];
  readonly symbolRefs: number[] = [];
  readonly stateIds: number[] = [];
  readonly stateRefs: number[] = [];

  resolve(pools: ChunkPools): void {
    for (let i = 0; i < this.symbolIds.length; i++) {
      const s = pools.strings.get(this.symbolRefs[i]!);
      if (s !== undefined) {
        pools.setSymbol(this.symbolIds[i]!, normalizeSymbol(s));
      }
    }
    for (let i = 0; i < this.stateIds.length; i++) {
      const s = pools.strings.get(this.stateRefs[i]!);
      if (s !== undefined) {
        pools.setThreadState(this.stateIds[i]!, s);
      }
    }
  }
}

function readCheckpointPools(
  r: ByteReader,
  meta: JfrMetadata,
  plans: TypePlans,
  pools: ChunkPools,
  pending: PendingStrings
): void {
  const nPools = r.count('constant pool count');
  for (let p = 0; p < nPools; p++) {
    const typeAt = r.pos;
    const typeId = r.varlong();
    const cls = meta.byId.get(typeId);
    if (cls === undefined) {
      r.fail(`constant pool of undeclared type ${typeId}`, typeAt);
    }
    const n = r.count('constant count');
    switch (cls.name) {
      case 'jdk.types.Symbol':
        readSymbols(r, plans, typeId, n, pools, pending);
        break;
      case 'java.lang.String':
        for (let i = 0; i < n; i++) {
          const id = r.id();
          const s = r.string();
          if (s !== null) {
            pools.strings.set(id, s);
          }
        }
        break;
      case 'java.lang.Class':
        readPairs(r, plans, typeId, n, CLASS_WANTS, (id, v) => {
          pools.classes.set(id, pools.className.length);
          pools.className.push(v.num[0]!);
        });
        break;
      case 'jdk.types.Method':
        readPairs(r, plans, typeId, n, METHOD_WANTS, (id, v) => {
          pools.methods.set(id, pools.methodClass.length);
          pools.methodClass.push(v.num[0]!);
          pools.methodName.push(v.num[1]!);
        });
        break;
      case 'jdk.types.ThreadState':
        readThreadStates(r, plans, typeId, n, pools, pending);
        break;
      case 'jdk.types.StackTrace':
        readStackTraces(r, plans, typeId, n, pools);
        break;
      default: {
        const kind = plans.kindOf(cls);
        if (kind === K_OBJECT) {
          const plan = plans.plan(typeId, r);
          for (let i = 0; i < n; i++) {
            r.skipVarint();
            skipValue(r, plan, 0);
          }
        } else {
          // Pools of primitive types do not occur in practice; reading them as values keeps us in sync anyway.
          for (let i = 0; i < n; i++) {
            r.skipVarint();
            skipPrimitive(r, cls.name);
          }
        }
      }
    }
  }
}

function skipPrimitive(r: ByteReader, name: string): void {
  switch (name) {
    case 'boolean':
    case 'byte':
      r.skip(1);
      return;
    case 'float':
      r.skip(4);
      return;
    case 'double':
      r.skip(8);
      return;
    case 'char':
    case 'short':
    case 'int':
    case 'long':
      r.skipVarint();
      return;
    default:
      return; // field-less type: nothing encoded
  }
}

function readPairs(
  r: ByteReader,
  plans: TypePlans,
  typeId: number,
  n: number,
  wants: readonly FieldWant[],
  put: (id: number, v: SlotValues) => void
): void {
  const bp = bindPlan(plans.plan(typeId, r), wants);
  const v = new SlotValues(wants.length);
  for (let i = 0; i < n; i++) {
    const id = r.id();
    v.reset();
    readBound(r, bp, v, 0);
    put(id, v);
  }
}

function readSymbols(
  r: ByteReader,
  plans: TypePlans,
  typeId: number,
  n: number,
  pools: ChunkPools,
  pending: PendingStrings
): void {
  const bp = bindPlan(plans.plan(typeId, r), SYMBOL_WANTS);
  const direct = isSingleStringField(bp);
  const v = new SlotValues(1);
  for (let i = 0; i < n; i++) {
    const id = r.id();
    if (direct) {
      // The usual layout (one String field): read it without the generic slot machinery and catch
      // references into the String pool, which may come later in the chunk.
      const ref = peekStringRef(r);
      if (ref !== null) {
        pending.symbolIds.push(id);
        pending.symbolRefs.push(ref);
        continue;
      }
      const s = r.string();
      pools.setSymbol(id, s === null ? '' : normalizeSymbol(s));
    } else {
      v.reset();
      readBound(r, bp, v, 0);
      pools.setSymbol(id, normalizeSymbol(v.str[0] ?? ''));
    }
  }
}

function readThreadStates(
  r: ByteReader,
  plans: TypePlans,
  typeId: number,
  n: number,
  pools: ChunkPools,
  pending: PendingStrings
): void {
  const bp = bindPlan(plans.plan(typeId, r), THREAD_STATE_WANTS);
  const direct = isSingleStringField(bp);
  const v = new SlotValues(1);
  for (let i = 0; i < n; i++) {
    const id = r.id();
    if (direct) {
      const ref = peekStringRef(r);
      if (ref !== null) {
        pending.stateIds.push(id);
        pending.stateRefs.push(ref);
        continue;
      }
    }
    v.reset();
    readBound(r, bp, v, 0);
    const name = v.str[0];
    if (name !== null && name !== undefined) {
      pools.setThreadState(id, name);
    }
  }
}

function isSingleStringField(bp: BoundPlan): boolean {
  return bp.plan.kinds.length === 1 && bp.slots[0] === 0 && bp.plan.arrays[0] === 0;
}

/** If the next value is a String-pool reference, consumes it and returns the index; otherwise reads nothing. */
function peekStringRef(r: ByteReader): number | null {
  const at = r.pos;
  if (at < r.end && r.buf[at] === 2) {
    r.pos = at + 1;
    return r.id();
  }
  return null;
}

function readStackTraces(r: ByteReader, plans: TypePlans, typeId: number, n: number, pools: ChunkPools): void {
  const plan = plans.plan(typeId, r);
  const framesIdx = plan.names.indexOf('frames');
  const framesPlan = framesIdx >= 0 && plan.arrays[framesIdx] === 1 ? (plan.nested[framesIdx] ?? null) : null;
  const frameBp =
    framesPlan !== null && framesPlan.cls.name === 'jdk.types.StackFrame' ? bindPlan(framesPlan, FRAME_WANTS) : null;
  const fv = new SlotValues(FRAME_WANTS.length);
  const fast = frameBp !== null && isVarintsOnly(frameBp);
  const methodField = fast ? frameBp.slots.indexOf(0) : -1;
  const lineField = fast ? frameBp.slots.indexOf(1) : -1;
  const nFrameFields = fast ? frameBp.plan.kinds.length : 0;
  for (let i = 0; i < n; i++) {
    const id = r.id();
    pools.beginStack(id);
    for (let f = 0; f < plan.kinds.length; f++) {
      if (f === framesIdx && fast) {
        readFramesFast(r, r.count('stack depth'), nFrameFields, methodField, lineField, pools);
      } else if (f === framesIdx && frameBp !== null) {
        const nFrames = r.count('stack depth');
        for (let k = 0; k < nFrames; k++) {
          fv.num[0] = 0;
          fv.lo[1] = 0;
          readBound(r, frameBp, fv, 1);
          pools.addFrame(fv.num[0]!, fv.lo[1]! | 0);
        }
      } else if (plan.arrays[f] === 1) {
        const cnt = r.count('array length');
        const sub = plan.nested[f] ?? null;
        for (let k = 0; k < cnt; k++) {
          skipOne(r, plan.kinds[f]!, sub, 1);
        }
      } else {
        skipOne(r, plan.kinds[f]!, plan.nested[f] ?? null, 1);
      }
    }
    pools.endStack();
  }
}

/** Every field of the frame type is one compressed integer (the layout of all JDK and async-profiler versions). */
function isVarintsOnly(bp: BoundPlan): boolean {
  const { kinds, arrays } = bp.plan;
  for (let i = 0; i < kinds.length; i++) {
    if (arrays[i] !== 0 || (kinds[i] !== K_VARINT && kinds[i] !== K_CP)) {
      return false;
    }
  }
  return true;
}

/**
 * Stack frames are most of a recording's bytes, and a server sees many recordings on cold (unoptimized) code, so
 * this loop is written for few operations per byte: bounds are checked once per frame (a frame of n varints
 * is at most 9n bytes), values up to 14 bits are decoded inline, and the rest goes through the reader.
 */
function readFramesFast(
  r: ByteReader,
  nFrames: number,
  nFields: number,
  methodField: number,
  lineField: number,
  pools: ChunkPools
): void {
  pools.reserveFrames(nFrames);
  const frameMethod = pools.frameMethod;
  const frameLine = pools.frameLine;
  let at = pools.nFrames;
  const b = r.buf;
  const end = r.end;
  const maxFrameBytes = 9 * nFields;
  let p = r.pos;
  for (let k = 0; k < nFrames; k++) {
    let method = 0;
    let line = 0;
    if (p + maxFrameBytes <= end) {
      for (let f = 0; f < nFields; f++) {
        const x = b[p]!;
        if (f === methodField || f === lineField) {
          let v: number;
          if (x < 0x80) {
            v = x;
            p++;
          } else if (b[p + 1]! < 0x80) {
            v = (x & 0x7f) | (b[p + 1]! << 7);
            p += 2;
          } else {
            r.pos = p;
            if (f === methodField) {
              v = r.id();
            } else {
              r.varlongParts();
              v = r.lo | 0;
            }
            p = r.pos;
          }
          if (f === methodField) {
            method = v;
          } else {
            line = v;
          }
        } else {
          // Skip a varint: at most 9 bytes, the 9th always final.
          let i = 0;
          while (b[p++]! >= 0x80 && ++i < 9) {}
        }
      }
    } else {
      // Near the end of the pool: the checked reader, which reports truncation.
      r.pos = p;
      for (let f = 0; f < nFields; f++) {
        if (f === methodField) {
          method = r.id();
        } else if (f === lineField) {
          r.varlongParts();
          line = r.lo | 0;
        } else {
          r.skipVarint();
        }
      }
      p = r.pos;
    }
    frameMethod[at] = method;
    frameLine[at] = line;
    at++;
  }
  r.pos = p;
  pools.nFrames = at;
}
