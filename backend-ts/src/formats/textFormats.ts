// The text formats of /ingest (folded, lines, speedscope) as one function of plain data, so that the decode
// worker pool and the calling thread run the same code: a 4 MiB folded body is seconds of parsing on a busy
// machine, too long for the event loop.
import { readFolded } from './folded.js';
import { readLines } from './lines.js';
import type { FormatOutput } from './normalizedProfileBuilder.js';
import { maybeGunzip } from './pprof.js';
import { readSpeedscope } from './speedscope.js';
import type { TextIngestParams } from './textTypes.js';

export type TextFormat = 'folded' | 'lines' | 'speedscope';

export interface TextResult {
  profiles: FormatOutput[];
  /** The body's size as read (inflated): what the rate limiter counts. */
  bytes: number;
}

const READERS: Record<TextFormat, (body: Uint8Array, params: TextIngestParams, maxDepth: number) => FormatOutput[]> = {
  folded: readFolded,
  lines: (b, p) => readLines(b, p),
  speedscope: (b, p) => readSpeedscope(b, p),
};

/**
 * Reads a text body, inflated first when `inflate` (within maxBytes, 0 = none) and it is gzipped. maxDepth cuts
 * folded stacks as they are read (0 = none; ingest cuts later, where it counts the cuts).
 */
export function readText(
  format: TextFormat,
  body: Uint8Array,
  inflate: boolean,
  maxBytes: number,
  params: TextIngestParams,
  maxDepth = 0
): TextResult {
  const b = inflate ? maybeGunzip(body, maxBytes, 'body') : body;
  return { profiles: READERS[format](b, params, maxDepth), bytes: b.length };
}
