// What the JFR ingest path does with a recording, as one function of plain data so that the decode worker pool
// and the calling thread run the same code (inflating a gzipped part, parsing, measuring each profile are all
// proportional to the recording): size rules as Pyroscope's, see registry.ts.
import { FormatError } from './formatError.js';
import { parseJfr, type JfrProfile, type ParseJfrOptions } from './jfr/parse-jfr.js';
import { isGzip, maybeGunzip } from './pprof.js';
import { pprofSize } from './profileSize.js';

export interface JfrRead {
  profiles: JfrProfile[];
  /** The recording's size as read (inflated): what the rate limiter counts. */
  jfrBytes: number;
}

/**
 * Inflates a gzipped recording or labels part to at most maxBytes (0 = none), reads the recording, and refuses
 * a profile larger than maxBytes measured as the pprof it would be (413 naming its type).
 */
export function readJfrInput(
  jfr: Uint8Array,
  labels: Uint8Array | undefined,
  options: ParseJfrOptions,
  maxBytes: number
): JfrRead {
  const j = isGzip(jfr) ? maybeGunzip(jfr, maxBytes, 'jfr') : jfr;
  const l = labels && isGzip(labels) ? maybeGunzip(labels, maxBytes, 'labels') : labels;
  const profiles = parseJfr(j, l, options);
  if (maxBytes > 0) {
    for (const p of profiles) {
      const size = pprofSize(p.profile);
      if (size > maxBytes) {
        throw new FormatError(
          `the ${p.name} profile of the recording is ${size} bytes as pprof, above the limit of ${maxBytes} bytes (validation.max-profile-size-bytes)`,
          413
        );
      }
    }
  }
  return { profiles, jfrBytes: j.length };
}
