// Test-side pprof helpers, independent of the app and the backend code.
import { gunzipSync, gzipSync } from 'node:zlib';

function readVarint(buf, pos) {
  let result = 0;
  let shift = 0;
  let b;
  do {
    b = buf[pos++];
    result += (b & 0x7f) * 2 ** shift;
    shift += 7;
  } while (b & 0x80);
  return [result, pos];
}

/**
 * Removes pprof's time_nanos (field 9) so the server stamps the profile with the request's `from`: fixtures
 * carry their recording time, which Pyroscope rejects as older than an hour.
 */
export function clearTimeNanos(body) {
  const gz = body[0] === 0x1f && body[1] === 0x8b;
  const buf = gz ? gunzipSync(body) : body;
  const parts = [];
  let pos = 0;
  while (pos < buf.length) {
    const start = pos;
    let key;
    [key, pos] = readVarint(buf, pos);
    const field = Math.floor(key / 8);
    const wireType = key & 7;
    if (wireType === 0) {
      [, pos] = readVarint(buf, pos);
    } else if (wireType === 2) {
      let len;
      [len, pos] = readVarint(buf, pos);
      pos += len;
    } else if (wireType === 1) {
      pos += 8;
    } else if (wireType === 5) {
      pos += 4;
    } else {
      throw new Error(`pprof: unexpected wire type ${wireType}`);
    }
    if (field !== 9) {
      parts.push(buf.subarray(start, pos));
    }
  }
  const out = Buffer.concat(parts);
  return gz ? gzipSync(out) : out;
}

export async function ingestPprof(backendUrl, body, name, { from, until, spyName = 'gospy' } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const q = new URLSearchParams({
    name,
    from: String(from ?? now - 10),
    until: String(until ?? now),
    spyName,
    format: 'pprof',
  });
  const r = await fetch(`${backendUrl}/ingest?${q}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/octet-stream' },
  });
  if (!r.ok) {
    throw new Error(`ingest ${name}: ${r.status} ${await r.text()}`);
  }
}
