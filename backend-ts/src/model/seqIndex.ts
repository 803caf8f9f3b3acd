// Deduplication of number sequences (pprof location-id lists, segment stacks) on ingest's hot path. Keyed by a
// string per sequence, a Map cost most of the time and garbage of both the pprof decoder and the segment builder.
import type { Slab } from './growable.js';
import { HashSlots } from './hashSlots.js';

/** A growable list (IntList, FloatList): its `data` is read at each lookup, as it is replaced when the list grows. */
interface Column {
  readonly data: ArrayLike<number>;
}

/**
 * An open-addressing hash index over sequences its owner stores end to end. Values may be any non-negative
 * integers up to 2^53 (pprof ids are uint64).
 */
export class SeqIndex {
  private readonly t: HashSlots;

  constructor(expected = 64, slab?: Slab) {
    this.t = new HashSlots(expected, slab);
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
    const slots = this.t.slots;
    const mask = slots.length - 1;
    const data = values.data;
    const off = offsets.data;
    const hashes = this.t.hashes.data;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = slots[i]!;
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
    return this.t.add(h);
  }
}
