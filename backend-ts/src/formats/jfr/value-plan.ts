import type { ByteReader } from './byte-reader.js';
import type { JfrClass, JfrMetadata } from './metadata.js';

// How one field is encoded. Everything the chunk's metadata can describe reduces to these.
const K_EMPTY = 0; // a field-less non-primitive type: zero bytes
const K_BYTE = 1; // boolean, byte
export const K_VARINT = 2; // char, short, int, long (compressed)
const K_FLOAT = 3;
const K_DOUBLE = 4;
const K_STRING = 5;
export const K_CP = 6; // constant-pool index
export const K_OBJECT = 7; // inline value of a type with fields

const PRIMITIVE_KINDS: ReadonlyMap<string, number> = new Map([
  ['boolean', K_BYTE],
  ['byte', K_BYTE],
  ['char', K_VARINT],
  ['short', K_VARINT],
  ['int', K_VARINT],
  ['long', K_VARINT],
  ['float', K_FLOAT],
  ['double', K_DOUBLE],
  ['java.lang.String', K_STRING],
]);

// Inline values nest a few levels in real files (event > stack trace > frame); bound it so hostile metadata
// cannot recurse the stack away.
const MAX_VALUE_DEPTH = 16;

/** The encoding of one type, compiled from metadata once per chunk. Fields of zero size are left out. */
export interface ValuePlan {
  cls: JfrClass;
  /** Per encoded field, parallel arrays. */
  names: string[];
  typeNames: string[];
  kinds: Uint8Array;
  arrays: Uint8Array;
  nested: Array<ValuePlan | null>;
}

export class TypePlans {
  private readonly meta: JfrMetadata;
  private readonly plans = new Map<number, ValuePlan>();
  private readonly building = new Set<number>();

  constructor(meta: JfrMetadata) {
    this.meta = meta;
  }

  kindOf(cls: JfrClass): number {
    const prim = PRIMITIVE_KINDS.get(cls.name);
    if (prim !== undefined) {
      return prim;
    }
    return cls.fields.length === 0 ? K_EMPTY : K_OBJECT;
  }

  plan(typeId: number, r: ByteReader): ValuePlan {
    const done = this.plans.get(typeId);
    if (done !== undefined) {
      return done;
    }
    const cls = this.meta.byId.get(typeId);
    if (cls === undefined) {
      return r.fail(`undeclared type ${typeId}`);
    }
    if (this.building.has(typeId)) {
      return r.fail(`type ${cls.name} contains itself inline`);
    }
    if (this.building.size >= MAX_VALUE_DEPTH) {
      return r.fail(`type ${cls.name} nested too deeply`);
    }
    this.building.add(typeId);
    const names: string[] = [];
    const typeNames: string[] = [];
    const kinds: number[] = [];
    const arrays: number[] = [];
    const nested: Array<ValuePlan | null> = [];
    for (const f of cls.fields) {
      const ft = this.meta.byId.get(f.typeId);
      if (ft === undefined) {
        return r.fail(`field ${cls.name}.${f.name} has undeclared type ${f.typeId}`);
      }
      let kind = f.constantPool ? K_CP : this.kindOf(ft);
      if (kind === K_EMPTY && !f.array) {
        continue;
      }
      let sub: ValuePlan | null = null;
      if (kind === K_OBJECT) {
        sub = this.plan(f.typeId, r);
        // A type whose fields are all empty encodes as nothing.
        if (sub.kinds.length === 0) {
          if (!f.array) {
            continue;
          }
          kind = K_EMPTY;
          sub = null;
        }
      }
      names.push(f.name);
      typeNames.push(ft.name);
      kinds.push(kind);
      arrays.push(f.array ? 1 : 0);
      nested.push(sub);
    }
    this.building.delete(typeId);
    const plan: ValuePlan = {
      cls,
      names,
      typeNames,
      kinds: Uint8Array.from(kinds),
      arrays: Uint8Array.from(arrays),
      nested,
    };
    this.plans.set(typeId, plan);
    return plan;
  }
}

/** Skips one inline value of `plan`'s type. */
export function skipValue(r: ByteReader, plan: ValuePlan, depth: number): void {
  if (depth > MAX_VALUE_DEPTH) {
    r.fail('values nested too deeply');
  }
  const kinds = plan.kinds;
  const arrays = plan.arrays;
  for (let i = 0; i < kinds.length; i++) {
    if (arrays[i] === 1) {
      const n = r.count('array length');
      const kind = kinds[i]!;
      if (kind === K_EMPTY) {
        continue;
      }
      for (let j = 0; j < n; j++) {
        skipOne(r, kind, plan.nested[i] ?? null, depth);
      }
    } else {
      skipOne(r, kinds[i]!, plan.nested[i] ?? null, depth);
    }
  }
}

export function skipOne(r: ByteReader, kind: number, nested: ValuePlan | null, depth: number): void {
  switch (kind) {
    case K_VARINT:
    case K_CP:
      r.skipVarint();
      return;
    case K_BYTE:
      r.skip(1);
      return;
    case K_FLOAT:
      r.skip(4);
      return;
    case K_DOUBLE:
      r.skip(8);
      return;
    case K_STRING:
      r.skipString();
      return;
    case K_OBJECT:
      skipValue(r, nested!, depth + 1);
      return;
    default:
      return;
  }
}

/** What a consumer wants from a type: a field name and the encoding it must have to be trusted. */
export interface FieldWant {
  name: string;
  /** 'cp' with the pool's type name, or a primitive type name such as 'long', 'int', 'java.lang.String'. */
  kind: 'cp' | 'long' | 'int' | 'boolean' | 'string';
  poolType?: string;
}

/**
 * A plan with some fields bound to numbered slots. Fields whose name matches but whose encoding differs from
 * what the consumer expects are skipped, so a changed event layout degrades to missing values, not garbage.
 */
export interface BoundPlan {
  plan: ValuePlan;
  slots: Int8Array;
  nSlots: number;
}

export function bindPlan(plan: ValuePlan, wants: readonly FieldWant[]): BoundPlan {
  const slots = new Int8Array(plan.kinds.length).fill(-1);
  for (let i = 0; i < plan.kinds.length; i++) {
    if (plan.arrays[i] === 1) {
      continue;
    }
    const w = wants.findIndex((x) => x.name === plan.names[i]);
    if (w < 0) {
      continue;
    }
    const want = wants[w]!;
    const kind = plan.kinds[i]!;
    const typeName = plan.typeNames[i]!;
    let ok = false;
    switch (want.kind) {
      case 'cp':
        ok = kind === K_CP && (want.poolType === undefined || want.poolType === typeName);
        break;
      case 'long':
        ok = kind === K_VARINT && typeName === 'long';
        break;
      case 'int':
        ok = kind === K_VARINT && typeName === 'int';
        break;
      case 'boolean':
        ok = kind === K_BYTE && typeName === 'boolean';
        break;
      case 'string':
        ok = kind === K_STRING;
        break;
    }
    if (ok) {
      slots[i] = w;
    }
  }
  return { plan, slots, nSlots: wants.length };
}

/** Decoded slot values of one record; reused across records to avoid an object per event. */
export class SlotValues {
  /** Numbers: exact ids for 'cp' (see ByteReader.id), doubles for longs/ints. */
  readonly num: Float64Array;
  /** The two 32-bit halves of longs, for values that must stay exact (span ids). */
  readonly hi: Uint32Array;
  readonly lo: Uint32Array;
  readonly str: Array<string | null>;

  constructor(n: number) {
    this.num = new Float64Array(n);
    this.hi = new Uint32Array(n);
    this.lo = new Uint32Array(n);
    this.str = new Array<string | null>(n).fill(null);
  }

  reset(): void {
    // A plain loop: fill() on arrays this small costs more in call overhead than the stores.
    const { num, hi, lo, str } = this;
    for (let i = 0; i < num.length; i++) {
      num[i] = 0;
      hi[i] = 0;
      lo[i] = 0;
      str[i] = null;
    }
  }
}

/** Reads one inline value of the bound type into `out` (which the caller has reset). */
export function readBound(r: ByteReader, bp: BoundPlan, out: SlotValues, depth: number): void {
  const plan = bp.plan;
  const kinds = plan.kinds;
  const arrays = plan.arrays;
  const slots = bp.slots;
  for (let i = 0; i < kinds.length; i++) {
    const kind = kinds[i]!;
    const slot = slots[i]!;
    if (slot < 0) {
      if (arrays[i] === 1) {
        const n = r.count('array length');
        if (kind === K_EMPTY) {
          continue;
        }
        const sub = plan.nested[i] ?? null;
        for (let j = 0; j < n; j++) {
          skipOne(r, kind, sub, depth);
        }
      } else {
        skipOne(r, kind, plan.nested[i] ?? null, depth);
      }
      continue;
    }
    switch (kind) {
      case K_CP:
        out.num[slot] = r.id();
        break;
      case K_VARINT:
        r.varlongParts();
        out.hi[slot] = r.hi;
        out.lo[slot] = r.lo;
        out.num[slot] = r.hi * 4294967296 + r.lo;
        break;
      case K_BYTE:
        out.num[slot] = r.u8();
        break;
      case K_STRING:
        out.str[slot] = r.string();
        break;
      default:
        skipOne(r, kind, plan.nested[i] ?? null, depth);
    }
  }
}
