// Deduplication of small fixed tuples of int32 (a function's name, system name, file and start line; a frame's
// function and line) on compaction's hot path. A Map keyed by a number packing two ids holds keys past 2^31 as
// heap numbers: each lookup allocated one and hashed it, a fifth of what re-interning a dataset cost.
import { IntList, type Slab } from './growable.js';
import { HashSlots } from './hashSlots.js';

const ARITY = 4;

/** An open-addressing hash index over tuples of up to four int32 values, numbered 0, 1, ... as added. */
export class TupleIndex {
  private readonly t: HashSlots;
  private readonly rows: IntList;

  /** `expected`: tuples it will likely hold (room made once instead of by doubling and rehashing). */
  constructor(expected = 32, slab?: Slab) {
    this.t = new HashSlots(expected, slab);
    this.rows = new IntList(ARITY * Math.max(expected, 16), slab);
  }

  get size(): number {
    return this.t.count;
  }

  static hash(a: number, b: number, c = 0, d = 0): number {
    let h = Math.imul(0x811c9dc5 ^ a, 0x01000193);
    h = Math.imul(h ^ b, 0x01000193);
    h = Math.imul(h ^ c, 0x01000193);
    h = Math.imul(h ^ d, 0x01000193);
    return (h ^ (h >>> 15)) >>> 0;
  }

  /** The number of tuple (a, b, c, d), or -1; h is TupleIndex.hash(a, b, c, d). */
  find(h: number, a: number, b: number, c = 0, d = 0): number {
    const slots = this.t.slots;
    const mask = slots.length - 1;
    const rows = this.rows.data;
    const hashes = this.t.hashes.data;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = slots[i]!;
      if (e < 0) {
        return -1;
      }
      const o = e * ARITY;
      if (hashes[e] === (h | 0) && rows[o] === a && rows[o + 1] === b && rows[o + 2] === c && rows[o + 3] === d) {
        return e;
      }
    }
  }

  /** Adds a tuple not in the index yet (find said -1); returns its number. */
  add(h: number, a: number, b: number, c = 0, d = 0): number {
    this.rows.push(a);
    this.rows.push(b);
    this.rows.push(c);
    this.rows.push(d);
    return this.t.add(h);
  }
}
