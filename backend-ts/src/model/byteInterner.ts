// A string interner over UTF-8 bytes for compaction's hot path: a stored dataset's strings are bytes, and so
// are the strings of the dataset being built. Decoding each source string into a JS string to look it up in a
// Map (and encoding the kept ones again when the block is written) was a quarter of what merging cost, and
// most of its garbage.
import { IntList, type Slab } from './growable.js';
import { HashSlots } from './hashSlots.js';

export class ByteInterner {
  private arena: Uint8Array;
  private arenaView: DataView;
  private used = 0;
  /** String i is arena[offsets[i] .. offsets[i + 1]). */
  private readonly offsets: IntList;
  private readonly t: HashSlots;
  /** The source buffer of the last lookup and a view of it (a stored dataset's strings come from one buffer). */
  private lastBytes: Uint8Array | null = null;
  private lastView: DataView | null = null;

  /**
   * `first` strings get ids 0, 1, ... (profile formats reserve 0 for the empty string). `expected`: strings and
   * bytes it will likely hold (room made once instead of by doubling and rehashing).
   */
  constructor(first: readonly string[] = [], expected = { strings: 128, bytes: 4096 }, slab?: Slab) {
    const bytes = Math.max(64, expected.bytes);
    this.arena = slab ? slab.uint8(bytes) : new Uint8Array(bytes);
    this.arenaView = new DataView(this.arena.buffer, this.arena.byteOffset, this.arena.byteLength);
    this.offsets = new IntList(expected.strings + 1, slab);
    this.t = new HashSlots(expected.strings, slab);
    this.offsets.push(0);
    for (const s of first) {
      this.id(s);
    }
  }

  get size(): number {
    return this.t.count;
  }

  /**
   * MurmurHash3 (x86, 32 bit) of b[start .. end), four bytes a step through a DataView: twice as fast as a byte
   * at a time over function names, and hashing is most of interning a string that is new to the table.
   */
  static hash(b: Uint8Array, start: number, end: number, view: DataView = viewOf(b)): number {
    let h = end - start;
    let i = start;
    for (const stop = end - 3; i < stop; i += 4) {
      let k = view.getInt32(i, true);
      k = Math.imul(k, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      h ^= Math.imul(k, 0x1b873593);
      h = (h << 13) | (h >>> 19);
      h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    }
    let k = 0;
    for (let j = end - 1; j >= i; j--) {
      k = (k << 8) | b[j]!;
    }
    if (end > i) {
      k = Math.imul(k, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      h ^= Math.imul(k, 0x1b873593);
    }
    return fmix32(h);
  }

  /** The id of the string encoded in b[start .. end), added when new. */
  idOfBytes(b: Uint8Array, start: number, end: number): number {
    // a damaged object's string reference past its table would otherwise loop here (NaN lengths never match)
    if (!(start >= 0 && end >= start && end <= b.length)) {
      throw new RangeError(`string bytes [${start}, ${end}) outside a buffer of ${b.length}`);
    }
    if (b !== this.lastBytes) {
      this.lastBytes = b;
      this.lastView = viewOf(b);
    }
    const view = this.lastView!;
    const h = ByteInterner.hash(b, start, end, view);
    const n = end - start;
    const slots = this.t.slots;
    const mask = slots.length - 1;
    const off = this.offsets.data;
    const hashes = this.t.hashes.data;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = slots[i]!;
      if (e < 0) {
        return this.add(b, start, end, h);
      }
      const o = off[e]!;
      if (hashes[e] !== (h | 0) || off[e + 1]! - o !== n) {
        continue;
      }
      if (this.same(o, view, start, n)) {
        return e;
      }
    }
  }

  /** Whether arena[o .. o + n) holds the bytes of view[start .. start + n), compared four at a time. */
  private same(o: number, view: DataView, start: number, n: number): boolean {
    const av = this.arenaView;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      if (av.getInt32(o + j, true) !== view.getInt32(start + j, true)) {
        return false;
      }
    }
    for (; j < n; j++) {
      if (av.getUint8(o + j) !== view.getUint8(start + j)) {
        return false;
      }
    }
    return true;
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
      this.arenaView = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
    }
    this.arena.set(b.subarray(start, end), this.used);
    this.used += n;
    this.offsets.push(this.used);
    return this.t.add(h);
  }
}

function viewOf(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** MurmurHash3's finalizer: every input bit moves every output bit (as an unsigned 32-bit integer). */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
