// The slot table shared by the open-addressing indexes on hot paths (SeqIndex, TupleIndex, ByteInterner): each
// entry is numbered as added and kept with its hash; the owner probes `slots` with its own equality test.
import { IntList, type Slab } from './growable.js';

export class HashSlots {
  /** Entry numbers by slot, -1 where empty; a power of two long, at most half full. */
  slots: Int32Array;
  /** Hash of each entry (as int32), by entry number. */
  readonly hashes: IntList;
  count = 0;

  constructor(expected = 32, slab?: Slab) {
    let cap = 64;
    while (cap < expected * 2) {
      cap *= 2;
    }
    this.slots = (slab ? slab.int32(cap) : new Int32Array(cap)).fill(-1);
    this.hashes = new IntList(Math.max(16, expected), slab);
  }

  /** Registers the owner's next entry (number `count`, already stored) under hash h; returns its number. */
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
