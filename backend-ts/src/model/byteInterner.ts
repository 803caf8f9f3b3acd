// A string interner over UTF-8 bytes for compaction's hot path: a stored dataset's strings are bytes, and so
// are the strings of the dataset being built. Decoding each source string into a JS string to look it up in a
// Map (and encoding the kept ones again when the block is written) was a quarter of what merging cost, and
// most of its garbage.
import { IntList } from './growable.js';
import { HashSlots } from './hashSlots.js';

export class ByteInterner {
  private arena = new Uint8Array(4096);
  private used = 0;
  /** String i is arena[offsets[i] .. offsets[i + 1]). */
  private readonly offsets = new IntList(256);
  private readonly t = new HashSlots(128);

  /** `first` strings get ids 0, 1, ... (profile formats reserve 0 for the empty string). */
  constructor(first: readonly string[] = []) {
    this.offsets.push(0);
    for (const s of first) {
      this.id(s);
    }
  }

  get size(): number {
    return this.t.count;
  }

  static hash(b: Uint8Array, start: number, end: number): number {
    let h = 0x811c9dc5 ^ (end - start);
    for (let i = start; i < end; i++) {
      h = Math.imul(h ^ b[i]!, 0x01000193);
    }
    return (h ^ (h >>> 15)) >>> 0;
  }

  /** The id of the string encoded in b[start .. end), added when new. */
  idOfBytes(b: Uint8Array, start: number, end: number): number {
    // a damaged object's string reference past its table would otherwise loop here (NaN lengths never match)
    if (!(start >= 0 && end >= start && end <= b.length)) {
      throw new RangeError(`string bytes [${start}, ${end}) outside a buffer of ${b.length}`);
    }
    const h = ByteInterner.hash(b, start, end);
    const n = end - start;
    const slots = this.t.slots;
    const mask = slots.length - 1;
    const off = this.offsets.data;
    const hashes = this.t.hashes.data;
    const arena = this.arena;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = slots[i]!;
      if (e < 0) {
        return this.add(b, start, end, h);
      }
      const o = off[e]!;
      if (hashes[e] !== (h | 0) || off[e + 1]! - o !== n) {
        continue;
      }
      let j = 0;
      while (j < n && arena[o + j] === b[start + j]) {
        j++;
      }
      if (j === n) {
        return e;
      }
    }
  }

  /** The id of s (encoded first: the slow path, for strings that do not come as bytes). */
  id(s: string): number {
    const b = Buffer.from(s, 'utf8');
    return this.idOfBytes(b, 0, b.length);
  }

  /** The strings as one UTF-8 buffer and count + 1 offsets into it (views: valid until the next add). */
  columns(): { offsets: Int32Array; bytes: Uint8Array } {
    return { offsets: this.offsets.view(), bytes: this.arena.subarray(0, this.used) };
  }

  private add(b: Uint8Array, start: number, end: number, h: number): number {
    const n = end - start;
    if (this.used + n > this.arena.length) {
      let cap = this.arena.length * 2;
      while (cap < this.used + n) {
        cap *= 2;
      }
      const grown = new Uint8Array(cap);
      grown.set(this.arena.subarray(0, this.used));
      this.arena = grown;
    }
    this.arena.set(b.subarray(start, end), this.used);
    this.used += n;
    this.offsets.push(this.used);
    return this.t.add(h);
  }
}
