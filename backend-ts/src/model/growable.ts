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
    const need = this.length + extra;
    if (need > this.data.length) {
      let cap = this.data.length * 2;
      while (cap < need) {
        cap *= 2;
      }
      const n = new Int32Array(cap);
      n.set(this.data.subarray(0, this.length));
      this.data = n;
    }
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
    const need = this.length + extra;
    if (need > this.data.length) {
      let cap = this.data.length * 2;
      while (cap < need) {
        cap *= 2;
      }
      const n = new Float64Array(cap);
      n.set(this.data.subarray(0, this.length));
      this.data = n;
    }
  }
  view(): Float64Array {
    return this.data.subarray(0, this.length);
  }
  /** A copy of exactly the pushed values, leaving the spare capacity behind. */
  done(): Float64Array {
    return this.data.slice(0, this.length);
  }
}
