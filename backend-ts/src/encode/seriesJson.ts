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
  private buf: Buffer;
  private pos = 0;
  private readonly digits = new Uint8Array(16);

  /** `expect`: the size foreseen, so that the buffer is rarely grown (each growth copies it all). */
  constructor(expect: number) {
    this.buf = Buffer.allocUnsafe(Math.max(1024, expect));
  }

  private room(n: number): void {
    if (this.pos + n > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
      this.buf.copy(next, 0, 0, this.pos);
      this.buf = next;
    }
  }

  /**
   * Text known to be ASCII and short (field names, numbers, timestamps): copied in JS, no call into C++ per
   * piece. A flat string (a literal, a number's String()) is read as it is; a concatenation would be flattened.
   */
  ascii(s: string): void {
    this.room(s.length);
    const { buf } = this;
    let { pos } = this;
    for (let i = 0; i < s.length; i++) {
      buf[pos++] = s.charCodeAt(i);
    }
    this.pos = pos;
  }

  /**
   * A finite double as JSON writes it. Integral values (sums of nanoseconds, bytes, counts: nearly every point)
   * are written digit by digit: String() and copying its characters took four times as long.
   */
  number(v: number): void {
    if (!(Number.isInteger(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER)) {
      this.ascii(String(v));
      return;
    }
    const { digits } = this;
    let n = 0;
    do {
      const q = Math.floor(v / 10);
      digits[n++] = 48 + (v - q * 10);
      v = q;
    } while (v > 0);
    this.room(n);
    const { buf } = this;
    let { pos } = this;
    while (n > 0) {
      buf[pos++] = digits[--n];
    }
    this.pos = pos;
  }

  /** Any text (label names and values, already JSON strings). */
  text(s: string): void {
    this.room(3 * s.length);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  byte(c: number): void {
    this.room(1);
    this.buf[this.pos++] = c;
  }

  done(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

const COMMA = 0x2c;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * `"timestamp":"…"` for each timestamp of an answer: every series of a query shares one time grid, so 300 series
 * of 120 points write 120 distinct timestamps, not 36,000.
 */
class TimestampFields {
  private readonly memo = new Map<number, string>();
  field(timestamp: number): string {
    let f = this.memo.get(timestamp);
    if (f === undefined) {
      const ts = Math.round(timestamp);
      // flattened once here, so that each write reads it as it is
      f = ts === 0 ? '' : Buffer.from(`"timestamp":"${int64(ts)}"`).toString('latin1');
      this.memo.set(timestamp, f);
    }
    return f;
  }
}

/** About 50 bytes a point (`{"value":1234567890,"timestamp":"1796570760000"}`), and the labels. */
function expectedBytes(series: readonly SeriesJsonIn[]): number {
  let n = 16;
  for (const s of series) {
    n += 32 + 48 * s.labels.length + 52 * s.timestamps.length;
  }
  return n;
}

/** The JSON of a SelectSeriesResponse holding `series`, as UTF-8 bytes. */
export function selectSeriesJson(series: readonly SeriesJsonIn[]): Buffer {
  if (series.length === 0) {
    return Buffer.from('{}');
  }
  const stamps = new TimestampFields();
  const out = new JsonBytes(expectedBytes(series));
  out.ascii('{"series":[');
  for (let si = 0; si < series.length; si++) {
    const s = series[si];
    out.ascii(si > 0 ? ',{' : '{');
    if (s.labels.length > 0) {
      out.text(`"labels":[${labelsJson(s.labels)}]`);
    }
    const { timestamps, values, exemplars } = s;
    if (timestamps.length > 0) {
      out.ascii(s.labels.length > 0 ? ',"points":[' : '"points":[');
      for (let i = 0; i < timestamps.length; i++) {
        const v = values[i];
        out.ascii(i > 0 ? ',{' : '{');
        // -0 is not the zero value for protobuf-es: written, as 0. A finite double's JSON is its String().
        const hasValue = v !== 0 || Object.is(v, -0);
        if (hasValue) {
          out.ascii('"value":');
          if (Number.isFinite(v)) {
            out.number(v);
          } else {
            out.ascii(double(v));
          }
        }
        const ts = stamps.field(timestamps[i]);
        if (ts !== '') {
          if (hasValue) {
            out.byte(COMMA);
          }
          out.ascii(ts);
        }
        const exemplar = exemplars?.[i];
        if (exemplar) {
          out.text(`${hasValue || ts !== '' ? ',' : ''}"exemplars":[${exemplarJson(exemplar)}]`);
        }
        out.byte(CLOSE_BRACE);
      }
      out.byte(CLOSE_BRACKET);
    }
    out.byte(CLOSE_BRACE);
  }
  out.ascii(']}');
  return out.done();
}
