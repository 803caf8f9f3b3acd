// Deduplication of number sequences (pprof location-id lists, segment stacks) on ingest's hot path. Keyed by a
// string per sequence, a Map cost most of the time and garbage of both the pprof decoder and the segment builder.
import { IntList } from './growable.js';

/** A growable list (IntList, FloatList): its `data` is read at each lookup, as it is replaced when the list grows. */
interface Column {
  readonly data: ArrayLike<number>;
}

/**
 * An open-addressing hash index over sequences its owner stores end to end. Values may be any non-negative
 * integers up to 2^53 (pprof ids are uint64).
 */
export class SeqIndex {
  private slots: Int32Array;
  private readonly hashes = new IntList(256);
  private count = 0;

  constructor(expected = 64) {
    let cap = 64;
    while (cap < expected * 2) {
      cap *= 2;
    }
    this.slots = new Int32Array(cap).fill(-1);
  }

  static hash(seq: ArrayLike<number>, n: number): number {
    let h = 0x811c9dc5 ^ n;
    for (let i = 0; i < n; i++) {
      const v = seq[i]!;
      h = Math.imul(h ^ (v >>> 0), 0x01000193);
      // values above 2^32 differ in their high part
      h = Math.imul(h ^ ((v / 4294967296) >>> 0), 0x01000193);
    }
    return h >>> 0;
  }

  /**
   * The number of the stored sequence equal to seq[0..n), or -1; h is SeqIndex.hash(seq, n). The owner keeps
   * sequence e in values[offsets[e] .. offsets[e + 1]).
   */
  find(seq: ArrayLike<number>, n: number, h: number, values: Column, offsets: Column): number {
    const mask = this.slots.length - 1;
    const data = values.data;
    const off = offsets.data;
    const hashes = this.hashes.data;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = this.slots[i]!;
      if (e < 0) {
        return -1;
      }
      const o = off[e]!;
      if (hashes[e] !== (h | 0) || off[e + 1]! - o !== n) {
        continue;
      }
      let j = 0;
      while (j < n && data[o + j] === seq[j]) {
        j++;
      }
      if (j === n) {
        return e;
      }
    }
  }

  /** Registers the owner's next sequence (number `count`, already stored) under hash h. */
  add(h: number): number {
    const e = this.count++;
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
