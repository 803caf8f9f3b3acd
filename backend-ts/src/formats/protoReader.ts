// A minimal protobuf wire reader for hot paths (pprof decoding): no object per field, bounds-checked, and
// every malformed input ends in a FormatError rather than a RangeError deep in a loop.
import { FormatError } from './formatError.js';

export class ProtoReader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    public end = buf.length
  ) {
    this.pos = start;
  }

  reset(start: number, end: number): this {
    this.pos = start;
    this.end = end;
    return this;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  /** Reads a varint as a JS number; values above 2^53 lose precision, which no field we read needs. */
  varint(): number {
    const buf = this.buf;
    let b = buf[this.pos++];
    if (b < 0x80) {
      return b;
    }
    let r = b & 0x7f;
    let mul = 128;
    for (let i = 1; i < 10; i++) {
      if (this.pos >= this.end) {
        throw new FormatError('protobuf: truncated varint');
      }
      b = buf[this.pos++];
      r += (b & 0x7f) * mul;
      if (b < 0x80) {
        return r;
      }
      mul *= 128;
    }
    throw new FormatError('protobuf: varint too long');
  }

  /** Signed int64 varint, exact (for time_nanos, whose ms must not be off by one). */
  int64Big(): bigint {
    let r = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) {
        throw new FormatError('protobuf: truncated varint');
      }
      const b = this.buf[this.pos++];
      r |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) {
        return BigInt.asIntN(64, r);
      }
      shift += 7n;
    }
    throw new FormatError('protobuf: varint too long');
  }

  /** Signed int64 varint (two's complement) as a number. */
  int64(): number {
    const start = this.pos;
    const v = this.varint();
    // a negative int64 is 10 bytes long with the top bit set: reinterpret
    if (this.pos - start === 10 && v >= 2 ** 63) {
      return v - 2 ** 64;
    }
    return v;
  }

  /** Returns [fieldNumber, wireType]; fieldNumber*8+wireType packed is avoided to keep it allocation free. */
  tag(): number {
    const t = this.varint();
    if (t < 8) {
      throw new FormatError(`protobuf: invalid field number 0`);
    }
    return t;
  }

  /** Length-delimited payload bounds: returns the end offset; pos is set to the payload start. */
  lenEnd(): number {
    const len = this.varint();
    const end = this.pos + len;
    if (end > this.end) {
      throw new FormatError('protobuf: length-delimited field runs past the end of the message');
    }
    return end;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos += 8;
        break;
      case 2:
        this.pos = this.lenEnd();
        return;
      case 5:
        this.pos += 4;
        break;
      default:
        throw new FormatError(`protobuf: unsupported wire type ${wireType}`);
    }
    if (this.pos > this.end) {
      throw new FormatError('protobuf: truncated fixed-size field');
    }
  }
}
