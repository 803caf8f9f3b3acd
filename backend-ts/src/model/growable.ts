// Append-only typed arrays for builders and decoders on hot paths (no object per element).

/**
 * Typed arrays carved out of shared chunks. A merge makes thousands of small lists and hash tables at once (a
 * few dozen per service): each with a buffer of its own cost a call into the allocator and a finalizer, several
 * times what filling it did. A list that outgrows its piece moves to an array of its own; the pieces live as long
 * as the slab's users.
 */
export class Slab {
  private chunk = new ArrayBuffer(0);
  private used = 0;

  constructor(private readonly chunkBytes = 1 << 20) {}

  /** n zeros, as new Int32Array(n) gives. */
  int32(n: number): Int32Array {
    if (4 * n > this.chunkBytes >> 3) {
      return new Int32Array(n);
    }
    const off = this.take(4 * n);
    return new Int32Array(this.chunk, off, n);
  }

  float64(n: number): Float64Array {
    if (8 * n > this.chunkBytes >> 3) {
      return new Float64Array(n);
    }
    const off = this.take(8 * n);
    return new Float64Array(this.chunk, off, n);
  }

  uint8(n: number): Uint8Array {
    if (n > this.chunkBytes >> 3) {
      return new Uint8Array(n);
    }
    const off = this.take(n);
    return new Uint8Array(this.chunk, off, n);
  }

  /** The offset of `bytes` not handed out before (8-byte aligned), in a new chunk when this one is full. */
  private take(bytes: number): number {
    const size = (bytes + 7) & ~7;
    if (this.used + size > this.chunk.byteLength) {
      this.chunk = new ArrayBuffer(this.chunkBytes);
      this.used = 0;
    }
    const off = this.used;
    this.used += size;
    return off;
  }
}

export class IntList {
  data: Int32Array;
  length = 0;
  constructor(cap = 64, slab?: Slab) {
    // never 0: doubling an empty array would stay empty
    const n = Math.max(cap, 16);
    this.data = slab ? slab.int32(n) : new Int32Array(n);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const n = new Int32Array(this.data.length * 2);
      n.set(this.data);
      this.data = n;
    }
    this.data[this.length++] = v;
  }
  /** Room for `extra` more values, so that a bulk writer can fill data[length ..] and then set length. */
  reserve(extra: number): void {
    this.data = withRoom(this.data, this.length, this.length + extra, (n) => new Int32Array(n));
  }
  view(): Int32Array {
    return this.data.subarray(0, this.length);
  }
  /** A copy of exactly the pushed values, leaving the spare capacity behind. */
  done(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

export class FloatList {
  data: Float64Array;
  length = 0;
  constructor(cap = 64, slab?: Slab) {
    // never 0: doubling an empty array would stay empty
    const n = Math.max(cap, 16);
    this.data = slab ? slab.float64(n) : new Float64Array(n);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const n = new Float64Array(this.data.length * 2);
      n.set(this.data);
      this.data = n;
    }
    this.data[this.length++] = v;
  }
  /** Room for `extra` more values, so that a bulk writer can fill data[length ..] and then set length. */
  reserve(extra: number): void {
    this.data = withRoom(this.data, this.length, this.length + extra, (n) => new Float64Array(n));
  }
  view(): Float64Array {
    return this.data.subarray(0, this.length);
  }
  /** A copy of exactly the pushed values, leaving the spare capacity behind. */
  done(): Float64Array {
    return this.data.slice(0, this.length);
  }
}

/** `data` if it holds `need` values, else a copy of its first `length` in an array doubled until it does. */
function withRoom<T extends Int32Array | Float64Array>(
  data: T,
  length: number,
  need: number,
  make: (n: number) => T
): T {
  if (need <= data.length) {
    return data;
  }
  let cap = data.length * 2;
  while (cap < need) {
    cap *= 2;
  }
  const grown = make(cap);
  grown.set(data.subarray(0, length));
  return grown;
}
