// A minimal protobuf writer: the demo speaks the agents' wire formats (pprof, push.v1) without depending on the
// backend's generated code, so the workload can be shipped and run on its own (demo/Dockerfile).

/** Appends protobuf wire-format fields to a growable byte buffer. */
export class ProtoWriter {
  private buf: Uint8Array<ArrayBuffer> = new Uint8Array(256);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) {
      return;
    }
    let cap = this.buf.length * 2;
    while (cap < this.len + n) {
      cap *= 2;
    }
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }

  /** Unsigned varint; values up to 2^53 (ids, counts, nanoseconds since the epoch) are exact as numbers. */
  varint(v: number): this {
    this.ensure(10);
    if (v < 0) {
      // int64 negatives are ten bytes of two's complement: go through BigInt for exactness.
      let b = BigInt.asUintN(64, BigInt(Math.trunc(v)));
      while (b >= 0x80n) {
        this.buf[this.len++] = Number(b & 0x7fn) | 0x80;
        b >>= 7n;
      }
      this.buf[this.len++] = Number(b);
      return this;
    }
    let n = Math.trunc(v);
    while (n >= 0x80) {
      this.buf[this.len++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.len++] = n;
    return this;
  }

  tag(field: number, wireType: number): this {
    return this.varint(field * 8 + wireType);
  }

  uint64(field: number, v: number): this {
    return v === 0 ? this : this.tag(field, 0).varint(v);
  }

  bytes(field: number, data: Uint8Array): this {
    this.tag(field, 2).varint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
    return this;
  }

  /** Always written, even when empty: repeated strings (pprof's string_table[0] is ""). */
  string(field: number, s: string): this {
    return this.bytes(field, Buffer.from(s, 'utf8'));
  }

  packed(field: number, values: readonly number[]): this {
    if (values.length === 0) {
      return this;
    }
    const inner = new ProtoWriter();
    for (const v of values) {
      inner.varint(v);
    }
    return this.bytes(field, inner.finish());
  }

  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array<ArrayBuffer> {
    return this.buf.slice(0, this.len);
  }
}
