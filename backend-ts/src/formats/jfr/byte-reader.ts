import { JfrParseError } from './jfr-parse-error.js';

// JFR string encodings (first byte of every java.lang.String value).
export const STRING_NULL = 0;
export const STRING_EMPTY = 1;
export const STRING_CONSTANT_POOL = 2;
export const STRING_UTF8 = 3;
export const STRING_CHAR_ARRAY = 4;
export const STRING_LATIN1 = 5;

const TWO_POW_32 = 4294967296;
/** Above this high word a 64-bit value no longer fits a double exactly. */
const EXACT_HI_LIMIT = 0x200000;

/**
 * A bounds-checked cursor over the recording bytes. `end` is the limit of the structure being read (an event,
 * a chunk), so a corrupt length can never make a read run into the next structure or past the buffer: every
 * overrun becomes a JfrParseError.
 *
 * 64-bit values are read as two unsigned 32-bit halves (`hi`, `lo`) to stay off BigInt on the hot path; ids go
 * through `id()`, which keeps them exact by interning the rare ids above 2^53 as negative numbers.
 */
export class ByteReader {
  readonly buf: Uint8Array;
  pos: number;
  end: number;
  hi = 0;
  lo = 0;
  /** Strings behind STRING_CONSTANT_POOL references, once the chunk's pools are known. */
  stringPool: Map<number, string> | null = null;
  private readonly bigIds: Map<string, number>;
  /** The same bytes as a Buffer: its UTF-8 decoding is markedly faster than TextDecoder for short strings. */
  private readonly nodeBuf: Buffer;

  constructor(buf: Uint8Array, bigIds: Map<string, number> = new Map()) {
    this.buf = buf;
    this.nodeBuf = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = 0;
    this.end = buf.length;
    this.bigIds = bigIds;
  }

  fail(message: string, at: number = this.pos): never {
    throw new JfrParseError(message, at);
  }

  need(n: number): void {
    if (n < 0 || this.pos + n > this.end) {
      this.fail(`unexpected end of data: need ${n} bytes, ${this.end - this.pos} left`);
    }
  }

  u8(): number {
    if (this.pos >= this.end) {
      this.fail('unexpected end of data');
    }
    return this.buf[this.pos++]!;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /** Fixed-width big-endian fields of the chunk header. */
  u16be(): number {
    this.need(2);
    const b = this.buf;
    const p = this.pos;
    this.pos += 2;
    return (b[p]! << 8) | b[p + 1]!;
  }

  u32be(): number {
    this.need(4);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }

  /** A big-endian int64 as a double; header fields (sizes, offsets, times) are far below 2^53 in sane files. */
  i64be(): number {
    const hi = this.u32be();
    const lo = this.u32be();
    return (hi | 0) * TWO_POW_32 + lo;
  }

  /**
   * JFR's compressed integer: LEB128 with at most 9 bytes, the 9th carrying a full 8 bits. Leaves the value in
   * `hi`/`lo`. Ints, shorts and chars use the same encoding with fewer bytes.
   */
  varlongParts(): void {
    const b = this.buf;
    const end = this.end;
    let p = this.pos;
    if (p >= end) {
      this.fail('unexpected end of data in varint');
    }
    let x = b[p++]!;
    let lo = x & 0x7f;
    let hi = 0;
    if (x >= 0x80) {
      if (p >= end) {
        this.fail('unexpected end of data in varint');
      }
      x = b[p++]!;
      lo |= (x & 0x7f) << 7;
      if (x >= 0x80) {
        if (p >= end) {
          this.fail('unexpected end of data in varint');
        }
        x = b[p++]!;
        lo |= (x & 0x7f) << 14;
        if (x >= 0x80) {
          if (p >= end) {
            this.fail('unexpected end of data in varint');
          }
          x = b[p++]!;
          lo |= (x & 0x7f) << 21;
          if (x >= 0x80) {
            if (p >= end) {
              this.fail('unexpected end of data in varint');
            }
            x = b[p++]!;
            lo |= (x & 0x0f) << 28;
            hi = (x & 0x7f) >>> 4;
            if (x >= 0x80) {
              let shift = 3;
              for (let i = 5; ; i++) {
                if (p >= end) {
                  this.fail('unexpected end of data in varint');
                }
                x = b[p++]!;
                if (i === 8) {
                  hi |= x << 24;
                  break;
                }
                hi |= (x & 0x7f) << shift;
                if (x < 0x80) {
                  break;
                }
                shift += 7;
              }
            }
          }
        }
      }
    }
    this.pos = p;
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }

  /** An unsigned 32-bit value (ints, counts, lengths); higher bits of an over-long encoding are dropped. */
  varint(): number {
    const b = this.buf;
    const p = this.pos;
    // Most ints are one byte; keep that path free of the general decoder.
    if (p < this.end) {
      const x = b[p]!;
      if (x < 0x80) {
        this.pos = p + 1;
        return x;
      }
    }
    this.varlongParts();
    return this.lo;
  }

  /** A count or length that must fit in what is left of the current structure (each element takes a byte). */
  count(what: string): number {
    const start = this.pos;
    this.varlongParts();
    if (this.hi !== 0 || this.lo > this.end - this.pos) {
      this.fail(`${what} too large`, start);
    }
    return this.lo;
  }

  /** A long as a double: exact below 2^53, which covers sizes, durations and sample counts. */
  varlong(): number {
    this.varlongParts();
    return this.hi * TWO_POW_32 + this.lo;
  }

  /** A constant-pool index or other 64-bit id, as an exact number key. */
  id(): number {
    const b = this.buf;
    const p = this.pos;
    if (p < this.end) {
      const x = b[p]!;
      if (x < 0x80) {
        this.pos = p + 1;
        return x;
      }
    }
    this.varlongParts();
    return this.hi < EXACT_HI_LIMIT ? this.hi * TWO_POW_32 + this.lo : this.bigId(this.hi, this.lo);
  }

  private bigId(hi: number, lo: number): number {
    const key = `${hi}:${lo}`;
    let v = this.bigIds.get(key);
    if (v === undefined) {
      v = -(this.bigIds.size + 1);
      this.bigIds.set(key, v);
    }
    return v;
  }

  /** Skips one compressed integer of any width. */
  skipVarint(): void {
    const b = this.buf;
    const end = this.end;
    let p = this.pos;
    for (let i = 0; i < 9; i++) {
      if (p >= end) {
        this.fail('unexpected end of data in varint');
      }
      if (b[p++]! < 0x80) {
        break;
      }
    }
    this.pos = p;
  }

  /** A java.lang.String value; null for the null encoding. */
  string(): string | null {
    const at = this.pos;
    const enc = this.u8();
    switch (enc) {
      case STRING_NULL:
        return null;
      case STRING_EMPTY:
        return '';
      case STRING_CONSTANT_POOL: {
        const id = this.id();
        const s = this.stringPool?.get(id);
        return s === undefined ? null : s;
      }
      case STRING_UTF8: {
        const n = this.count('string length');
        const s = this.nodeBuf.toString('utf8', this.pos, this.pos + n);
        this.pos += n;
        return s;
      }
      case STRING_LATIN1: {
        const n = this.count('string length');
        const s = latin1(this.buf, this.pos, this.pos + n);
        this.pos += n;
        return s;
      }
      case STRING_CHAR_ARRAY: {
        const n = this.count('string length');
        const codes = new Array<number>(n);
        for (let i = 0; i < n; i++) {
          codes[i] = this.varint() & 0xffff;
        }
        return charCodes(codes);
      }
      default:
        return this.fail(`unknown string encoding ${enc}`, at);
    }
  }

  /**
   * The constant-pool index of a STRING_CONSTANT_POOL string, or -1 for any other encoding (whose bytes are
   * skipped). Lets the pool reader defer references to strings it has not decoded yet.
   */
  stringRefOrSkip(): number | null {
    const at = this.pos;
    const enc = this.u8();
    switch (enc) {
      case STRING_NULL:
      case STRING_EMPTY:
        return null;
      case STRING_CONSTANT_POOL:
        return this.id();
      case STRING_UTF8:
      case STRING_LATIN1: {
        // Not `this.pos += this.count()`: that would read pos before count() advances it.
        const n = this.count('string length');
        this.pos += n;
        return null;
      }
      case STRING_CHAR_ARRAY: {
        const n = this.count('string length');
        for (let i = 0; i < n; i++) {
          this.skipVarint();
        }
        return null;
      }
      default:
        return this.fail(`unknown string encoding ${enc}`, at);
    }
  }

  skipString(): void {
    this.stringRefOrSkip();
  }
}

function latin1(b: Uint8Array, from: number, to: number): string {
  let s = '';
  // fromCharCode.apply has an argument-count limit; go in slices.
  for (let i = from; i < to; i += 8192) {
    s += String.fromCharCode.apply(null, Array.from(b.subarray(i, Math.min(to, i + 8192))));
  }
  return s;
}

function charCodes(codes: number[]): string {
  let s = '';
  for (let i = 0; i < codes.length; i += 8192) {
    s += String.fromCharCode.apply(null, codes.slice(i, i + 8192));
  }
  return s;
}
