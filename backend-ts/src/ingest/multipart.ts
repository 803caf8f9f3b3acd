// multipart/form-data bodies as the Go SDK (profile, sample_type_config) and the Java agent (jfr, labels) send them.
// The body is already whole in memory, so it is split where it lies: boundaries are found by Buffer#indexOf
// (native) and every part is a view into the body. A streaming parser (busboy) scanned a 12 MB recording in
// JavaScript in one synchronous call and copied it twice more (its chunks, then their concatenation): tens of
// milliseconds of event loop per request, hundreds on a loaded machine.
import { FormatError } from '../formats/formatError.js';

/** Parts beyond this many are ignored (the agents send two). */
const MAX_PARTS = 32;
/** A part's header block larger than this is refused: headers are a few hundred bytes. */
const MAX_HEADER_BYTES = 16 * 1024;

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

function invalid(why: string): FormatError {
  return new FormatError(`invalid multipart body: ${why}`);
}

/** The `boundary` parameter of a multipart content type (quoted or not). */
function boundaryOf(contentType: string): string {
  const m = /;\s*boundary\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i.exec(contentType);
  const b = m ? (m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]) : undefined;
  if (!b) {
    throw invalid('Multipart: Boundary not found');
  }
  if (b.length > 70) {
    throw invalid('boundary longer than 70 characters');
  }
  return b;
}

/** The `name` parameter of a part's Content-Disposition header; undefined when it has none. */
function partName(headers: string): string | undefined {
  for (const line of headers.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.slice(0, colon).trim().toLowerCase() !== 'content-disposition') {
      continue;
    }
    const value = line.slice(colon + 1);
    if (!/^\s*form-data\s*(;|$)/i.test(value)) {
      return undefined;
    }
    const m = /;\s*name\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i.exec(value);
    return m ? (m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]) : undefined;
  }
  return undefined;
}

/**
 * The named parts of a multipart/form-data body, each a view into `body` (nothing is copied). A part larger than
 * maxFieldBytes is a 413; a body without its closing delimiter, or with a malformed part, is a 400.
 */
export function parseMultipart(body: Buffer, contentType: string, maxFieldBytes: number): Map<string, Buffer> {
  const delimiter = Buffer.from(`--${boundaryOf(contentType)}`);
  // between parts a delimiter follows a line break; the first may open the body (or follow a preamble)
  const between = Buffer.concat([CRLF, delimiter]);
  let at = body.subarray(0, delimiter.length).equals(delimiter) ? 0 : body.indexOf(between);
  if (at < 0) {
    throw invalid('Unexpected end of form');
  }
  if (at > 0) {
    at += CRLF.length;
  }
  const parts = new Map<string, Buffer>();
  let count = 0;
  for (;;) {
    let p = at + delimiter.length;
    if (body[p] === 0x2d && body[p + 1] === 0x2d) {
      // the closing delimiter: what follows is the epilogue
      return parts;
    }
    // transport padding, then the line break ending the delimiter line
    while (body[p] === 0x20 || body[p] === 0x09) {
      p++;
    }
    if (body[p] !== 0x0d || body[p + 1] !== 0x0a) {
      throw invalid(p >= body.length ? 'Unexpected end of form' : 'malformed part delimiter');
    }
    p += 2;
    let headers = '';
    let start: number;
    if (body[p] === 0x0d && body[p + 1] === 0x0a) {
      start = p + 2;
    } else {
      const end = body.indexOf(HEADER_END, p);
      if (end < 0 || end - p > MAX_HEADER_BYTES) {
        throw invalid(end < 0 ? 'Unexpected end of form' : 'part headers too large');
      }
      headers = body.toString('latin1', p, end);
      start = end + HEADER_END.length;
    }
    const next = body.indexOf(between, start);
    if (next < 0) {
      throw invalid('Unexpected end of form');
    }
    const name = partName(headers);
    if (name !== undefined && count < MAX_PARTS) {
      count++;
      if (maxFieldBytes > 0 && next - start > maxFieldBytes) {
        throw new FormatError(`multipart field "${name}" is larger than ${maxFieldBytes} bytes`, 413);
      }
      parts.set(name, body.subarray(start, next));
    }
    at = next + CRLF.length;
  }
}
