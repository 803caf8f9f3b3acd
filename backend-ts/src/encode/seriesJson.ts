// SelectSeriesResponse as Connect JSON, written directly. The All services page asks for every service's series
// at once (300 services x 120 points = 36,000 points at the 10x), and protobuf-es builds a message per
// point and then reflects over its fields to write JSON: about 40 % of a warm query's CPU. The output is exactly
// what `toJsonString(SelectSeriesResponseSchema, …)` writes (test/seriesJson.test.ts compares them): proto3 JSON,
// lowerCamelCase names in declaration order, fields at their zero value left out, int64 as a decimal string,
// doubles as numbers except NaN and ±Infinity (strings).
import type { LabelSet } from '../model/labels.js';
import type { ProfilePoint } from '../model/profilePoints.js';

/** A series as the query gives it: its points as columns. */
export interface SeriesJsonIn {
  labels: LabelSet;
  timestamps: ArrayLike<number>;
  values: ArrayLike<number>;
  exemplars?: ReadonlyArray<ProfilePoint | undefined>;
}

function double(v: number): string {
  if (Number.isFinite(v)) {
    return JSON.stringify(v);
  }
  return Number.isNaN(v) ? '"NaN"' : v > 0 ? '"Infinity"' : '"-Infinity"';
}

/** An int64 field from a JS number, as the handlers convert it (BigInt of the rounded value). */
function int64(v: number): string {
  const n = Math.round(v);
  return Number.isSafeInteger(n) ? String(n) : BigInt(n).toString();
}

function labelsJson(labels: LabelSet): string {
  let s = '';
  for (let i = 0; i < labels.length; i++) {
    const [name, value] = labels[i];
    let f = '';
    if (name !== '') {
      f = `"name":${JSON.stringify(name)}`;
    }
    if (value !== '') {
      f += `${f ? ',' : ''}"value":${JSON.stringify(value)}`;
    }
    s += `${i > 0 ? ',' : ''}{${f}}`;
  }
  return s;
}

function exemplarJson(e: ProfilePoint): string {
  const f: string[] = [];
  const ts = Math.round(e.ts);
  if (ts !== 0) {
    f.push(`"timestamp":"${int64(ts)}"`);
  }
  if (e.profileId !== '') {
    f.push(`"profileId":${JSON.stringify(e.profileId)}`);
  }
  if (e.spanId !== '') {
    f.push(`"spanId":${JSON.stringify(e.spanId)}`);
  }
  const value = Math.round(e.value);
  if (value !== 0) {
    f.push(`"value":"${int64(value)}"`);
  }
  if (e.labels.length > 0) {
    f.push(`"labels":[${labelsJson(e.labels)}]`);
  }
  if (e.traceId !== '') {
    f.push(`"traceId":${JSON.stringify(e.traceId)}`);
  }
  return `{${f.join(',')}}`;
}

/**
 * The answer's bytes, written as they are made: concatenating ~100,000 small strings and converting the rope to a
 * Buffer cost more than writing them (7 of 20 ms at 300 series x 120 points).
 */
class JsonBytes {
  buf: Buffer;
  pos = 0;

  /** `expect`: the size foreseen, so that the buffer is rarely grown (each growth copies it all). */
  constructor(expect: number) {
    this.buf = Buffer.allocUnsafe(Math.max(1024, expect));
  }

  /** Room for `n` more bytes: the points' loop asks once per run of points, then writes into `buf` unchecked. */
  room(n: number): void {
    if (this.pos + n > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
      this.buf.copy(next, 0, 0, this.pos);
      this.buf = next;
    }
  }

  /** Text known to be ASCII and short: copied in JS, no call into C++ per piece. */
  ascii(s: string): void {
    this.room(s.length);
    const { buf } = this;
    let { pos } = this;
    for (let i = 0; i < s.length; i++) {
      buf[pos++] = s.charCodeAt(i);
    }
    this.pos = pos;
  }

  /** Any text (label names and values, already JSON strings). */
  text(s: string): void {
    this.room(3 * s.length);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  done(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/** Two ASCII digits of 0-99, as the number writer copies them. */
const PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  PAIRS[2 * i] = 48 + Math.floor(i / 10);
  PAIRS[2 * i + 1] = 48 + (i % 10);
}

/** Digits of a non-negative int32 below 10^8. */
function digitCount(x: number): number {
  return x < 10000
    ? x < 100
      ? x < 10
        ? 1
        : 2
      : x < 1000
        ? 3
        : 4
    : x < 1000000
      ? x < 100000
        ? 5
        : 6
      : x < 10000000
        ? 7
        : 8;
}

/** Writes the `n` digits of int32 `x` (below 10^8, leading zeros if n is more) ending at `end`. */
function writeDigits(buf: Buffer, end: number, x: number, n: number): void {
  const start = end - n;
  while (end - start >= 2) {
    // an int32 divided by a constant and truncated: a multiplication once compiled, not a division
    const q = (x / 100) | 0;
    const r = 2 * (x - q * 100);
    buf[--end] = PAIRS[r + 1];
    buf[--end] = PAIRS[r];
    x = q;
  }
  if (end > start) {
    buf[--end] = 48 + (x % 10);
  }
}

/**
 * Writes an integral double in [0, 2^53) at `pos` (room already made); returns the new position. Nearly every
 * point is one (sums of nanoseconds, bytes, counts). A chain of floating-point divisions, one per digit, took
 * ~100 ns a value; this splits it into two int32 halves of eight digits.
 */
function writeInteger(buf: Buffer, pos: number, v: number): number {
  if (v < 1e8) {
    const n = digitCount(v);
    writeDigits(buf, pos + n, v, n);
    return pos + n;
  }
  // below 2^53: the high half has at most eight digits too
  const hi = Math.floor(v / 1e8);
  const lo = v - hi * 1e8;
  const n = digitCount(hi);
  writeDigits(buf, pos + n, hi, n);
  writeDigits(buf, pos + n + 8, lo, 8);
  return pos + n + 8;
}

/** Bytes of ASCII text, for the pieces every point repeats. */
const asciiBytes = (s: string): Uint8Array => Buffer.from(s, 'latin1');

/** A point's start, `{"value":`; the value field is taken back (8 bytes) when the value is zero. */
const POINT_START = asciiBytes('{"value":');
const VALUE_NAME = 8;
/** What follows a point in its series: the next point's start. */
const NEXT_POINT = asciiBytes(',{"value":');
/**
 * The most a point's bytes take: a double's JSON (up to 24 bytes) and its stamp (a 64-bit timestamp's 20 digits
 * and `,"timestamp":""},{"value":`, 26).
 */
const POINT_ROOM = 80;

/**
 * A point's end for one timestamp, with the next point's start already in it: `,"timestamp":"…"},{"value":`
 * (after a value) or `"timestamp":"…"},{"value":` (a zero value has no field), so that the common point is its
 * digits and one copy. Its timestamp field alone (`comma`, `bare`) for a point with an exemplar.
 */
interface Stamp {
  timestamp: number;
  /** Its position in the answer's list of stamps: the next point's guess is the one after. */
  pos: number;
  afterValue: Uint8Array;
  alone: Uint8Array;
  comma: Uint8Array;
  bare: Uint8Array;
}

/**
 * The stamps of an answer. Every series of a query shares one time grid, so 300 series of 120 points make 120
 * stamps, not 36,000; and a series' next point is nearly always the grid's next stamp, so it is tried first
 * (one comparison, not a map lookup).
 */
class Stamps {
  private readonly memo = new Map<number, Stamp>();
  private readonly list: Stamp[] = [];

  /** The stamp of `timestamp`, trying the one at `guess` (a position in the list) first. */
  get(timestamp: number, guess: number): Stamp {
    const g = this.list[guess];
    if (g !== undefined && g.timestamp === timestamp) {
      return g;
    }
    let stamp = this.memo.get(timestamp);
    if (stamp === undefined) {
      const ts = Math.round(timestamp);
      const field = ts === 0 ? '' : `"timestamp":"${int64(ts)}"`;
      const comma = field === '' ? '' : `,${field}`;
      stamp = {
        timestamp,
        pos: this.list.length,
        afterValue: asciiBytes(`${comma}},{"value":`),
        alone: asciiBytes(`${field}},{"value":`),
        comma: asciiBytes(comma),
        bare: asciiBytes(field),
      };
      this.list.push(stamp);
      this.memo.set(timestamp, stamp);
    }
    return stamp;
  }
}

/** Copies `src` into `buf` at `pos` (room already made): one builtin call; a byte loop in JS costs ~2 ns a byte. */
function put(buf: Buffer, pos: number, src: Uint8Array): number {
  buf.set(src, pos);
  return pos + src.length;
}

/** About 50 bytes a point (`{"value":1234567890,"timestamp":"1796570760000"}`), and the labels. */
function expectedBytes(series: readonly SeriesJsonIn[]): number {
  let n = 16;
  for (const s of series) {
    n += 32 + 48 * s.labels.length + 52 * s.timestamps.length;
  }
  return n;
}

/**
 * A series' points: each point writes the next one's start, and the last one's is taken back. The common point
 * (an integral value, no exemplar) is its digits and one copy, written straight into the buffer; room is made
 * once per run of points.
 */
function writePoints(out: JsonBytes, s: SeriesJsonIn, stamps: Stamps): void {
  const { timestamps, values, exemplars } = s;
  out.room(POINT_START.length);
  out.pos = put(out.buf, out.pos, POINT_START);
  let guess = 0;
  for (let i = 0; i < timestamps.length;) {
    const run = Math.min(timestamps.length - i, 256);
    out.room(run * POINT_ROOM);
    let { buf, pos } = out;
    const stop = i + run;
    for (; i < stop; i++) {
      const v = values[i];
      // -0 is not the zero value for protobuf-es: written, as 0. A finite double's JSON is its String().
      const hasValue = v !== 0 || Object.is(v, -0);
      if (!hasValue) {
        pos -= VALUE_NAME;
      } else if (Number.isInteger(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER) {
        pos = writeInteger(buf, pos, v);
      } else {
        const d = Number.isFinite(v) ? String(v) : double(v);
        for (let c = 0; c < d.length; c++) {
          buf[pos++] = d.charCodeAt(c);
        }
      }
      const stamp = stamps.get(timestamps[i], guess);
      guess = stamp.pos + 1;
      const exemplar = exemplars?.[i];
      if (exemplar === undefined) {
        pos = put(buf, pos, hasValue ? stamp.afterValue : stamp.alone);
        continue;
      }
      pos = put(buf, pos, hasValue ? stamp.comma : stamp.bare);
      out.pos = pos;
      out.text(`${hasValue || stamp.bare.length > 0 ? ',' : ''}"exemplars":[${exemplarJson(exemplar)}]}`);
      out.room((stop - i) * POINT_ROOM);
      buf = out.buf;
      pos = put(buf, out.pos, NEXT_POINT);
    }
    out.pos = pos;
  }
  // the start of a point after the last
  out.pos -= NEXT_POINT.length;
}

/** The JSON of a SelectSeriesResponse holding `series`, as UTF-8 bytes. */
export function selectSeriesJson(series: readonly SeriesJsonIn[]): Buffer {
  if (series.length === 0) {
    return Buffer.from('{}');
  }
  const stamps = new Stamps();
  const out = new JsonBytes(expectedBytes(series));
  out.ascii('{"series":[');
  for (let si = 0; si < series.length; si++) {
    const s = series[si];
    out.ascii(si > 0 ? ',{' : '{');
    if (s.labels.length > 0) {
      out.text(`"labels":[${labelsJson(s.labels)}]`);
    }
    if (s.timestamps.length > 0) {
      out.ascii(s.labels.length > 0 ? ',"points":[' : '"points":[');
      writePoints(out, s, stamps);
      out.ascii(']');
    }
    out.ascii('}');
  }
  out.ascii(']}');
  return out.done();
}
