// Deduplication of small fixed tuples of int32 (a function's name, system name, file and start line; a frame's
// function and line) on compaction's hot path. A Map keyed by a number packing two ids holds keys past 2^31 as
// heap numbers: each lookup allocated one and hashed it, a fifth of what re-interning a dataset cost.
import { IntList } from './growable.js';

const ARITY = 4;

/** An open-addressing hash index over tuples of up to four int32 values, numbered 0, 1, ... as added. */
export class TupleIndex {
  private slots: Int32Array;
  private readonly rows = new IntList(256);
  private readonly hashes = new IntList(64);
  private count = 0;

  constructor() {
    this.slots = new Int32Array(64).fill(-1);
  }

  get size(): number {
    return this.count;
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
    const mask = this.slots.length - 1;
    const rows = this.rows.data;
    const hashes = this.hashes.data;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = this.slots[i]!;
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
    const e = this.count++;
    this.rows.push(a);
    this.rows.push(b);
    this.rows.push(c);
    this.rows.push(d);
    this.hashes.push(h | 0);
    if (this.count * 2 > this.slots.length) {
      this.slots = new Int32Array(this.slots.length * 2).fill(-1);
      for (let x = 0; x < this.count; x++) {
        this.place(x, this.hashes.data[x]! >>> 0);
      }
    } else {
      this.place(e, h);
    }
    return e;
  }

  private place(e: number, h: number): void {
    const mask = this.slots.length - 1;
    let i = h & mask;
    while (this.slots[i]! >= 0) {
      i = (i + 1) & mask;
    }
    this.slots[i] = e;
  }
}
