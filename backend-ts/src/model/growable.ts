// Append-only typed arrays for builders and decoders on hot paths (no object per element).

export class IntList {
  data: Int32Array;
  length = 0;
  constructor(cap = 64) {
    // never 0: doubling an empty array would stay empty
    this.data = new Int32Array(Math.max(cap, 16));
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
  constructor(cap = 64) {
    // never 0: doubling an empty array would stay empty
    this.data = new Float64Array(Math.max(cap, 16));
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
