// A section of a version 2 object: a column directory (u32 column count, then per column u32 byte offset from the
// section's start and u32 element count) followed by the columns, each 8-byte aligned so that they are read as
// zero-copy typed-array views. A section describes itself, so a reader needs only its byte range to decode it.
import { SegmentFormatError } from './meta.js';

export type Column = Int32Array | Float64Array | Uint8Array;

export function align8(n: number): number {
  return (n + 7) & ~7;
}

/** Bytes a section of these columns takes. */
export function sectionSize(cols: readonly Column[]): number {
  let pos = align8(4 + 8 * cols.length);
  for (const c of cols) {
    pos = align8(pos + c.byteLength);
  }
  return pos;
}

/** Writes the section into `out` at `at` (8-aligned); returns its end. */
export function writeSection(out: Buffer, at: number, cols: readonly Column[]): number {
  out.writeUInt32LE(cols.length, at);
  let pos = align8(4 + 8 * cols.length);
  for (let i = 0; i < cols.length; i++) {
    const c = cols[i];
    out.writeUInt32LE(pos, at + 4 + 8 * i);
    out.writeUInt32LE(c.length, at + 8 + 8 * i);
    // a plain byte view and set(): Buffer.from + copy() cost more than the copying for the small columns of the
    // thousands of datasets a block holds
    out.set(c instanceof Uint8Array ? c : new Uint8Array(c.buffer, c.byteOffset, c.byteLength), at + pos);
    pos = align8(pos + c.byteLength);
  }
  return at + pos;
}

/** Reads the columns of a section, checking every one lies inside it. */
export class SectionReader {
  private readonly buf: Buffer;
  private readonly count: number;

  constructor(
    raw: Buffer,
    private readonly what: string
  ) {
    // typed array views need 8-byte alignment of the underlying buffer
    this.buf = raw.byteOffset % 8 === 0 ? raw : Buffer.from(raw);
    if (this.buf.length < 4) {
      throw new SegmentFormatError(`${what}: section is truncated`);
    }
    this.count = this.buf.readUInt32LE(0);
    if (4 + 8 * this.count > this.buf.length) {
      throw new SegmentFormatError(`${what}: section directory is truncated`);
    }
  }

  private at(i: number, elem: number): [number, number] {
    if (i >= this.count) {
      throw new SegmentFormatError(`${this.what}: column ${i} is missing`);
    }
    const pos = this.buf.readUInt32LE(4 + 8 * i);
    const n = this.buf.readUInt32LE(8 + 8 * i);
    if (pos % 8 !== 0 || pos + n * elem > this.buf.length) {
      throw new SegmentFormatError(`${this.what}: column ${i} out of bounds`);
    }
    return [this.buf.byteOffset + pos, n];
  }

  int(i: number): Int32Array {
    const [off, n] = this.at(i, 4);
    return new Int32Array(this.buf.buffer, off, n);
  }

  float(i: number): Float64Array {
    const [off, n] = this.at(i, 8);
    return new Float64Array(this.buf.buffer, off, n);
  }

  bytes(i: number): Buffer {
    const [off, n] = this.at(i, 1);
    return Buffer.from(this.buf.buffer, off, n);
  }
}
