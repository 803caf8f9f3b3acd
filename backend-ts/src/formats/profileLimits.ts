// Two of Pyroscope's profile validation limits (pkg/validation ValidateProfile), shared by the write path and ad
// hoc uploads:
// - -validation.max-profile-symbol-value-length: a longer string of the profile (function name, file name, ...)
//   is truncated, never refused. Pyroscope keeps the string's last N bytes, because the end of a symbol
//   (`pkg.(*Type).Method`, `src/file.go`) says the most. It cuts bytes, so a cut inside a multi-byte character
//   leaves invalid UTF-8 that its next check refuses the whole profile for; we cut at a character boundary
//   instead, keeping at most N bytes.
// - -validation.max-profile-stacktrace-samples: a profile with more samples is refused (invalid_argument).
import type { NormalizedProfile } from '../model/profile.js';
import { FormatError } from './formatError.js';

/** The string's UTF-8 suffix of at most maxBytes bytes, starting on a character (0 = no limit). */
export function truncateSymbol(s: string, maxBytes: number): string {
  // a UTF-16 code unit is at most 3 bytes of UTF-8: most strings need no counting
  if (!(maxBytes > 0) || s.length * 3 <= maxBytes) {
    return s;
  }
  let bytes = 0;
  let i = s.length;
  while (i > 0) {
    const c = s.charCodeAt(i - 1);
    let width = c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
    let units = 1;
    if (c >= 0xdc00 && c <= 0xdfff && i >= 2) {
      const hi = s.charCodeAt(i - 2);
      if (hi >= 0xd800 && hi <= 0xdbff) {
        // a surrogate pair is one 4-byte character: kept or dropped whole
        width = 4;
        units = 2;
      }
    }
    if (bytes + width > maxBytes) {
      return s.slice(i);
    }
    bytes += width;
    i -= units;
  }
  return s;
}

/**
 * Truncates every string of the profile longer than maxBytes (UTF-8) in place; returns how many were cut. Two
 * names may become equal: the segment writer interns by value, so they merge as Pyroscope's normalisation merges
 * them.
 */
export function truncateSymbols(p: NormalizedProfile, maxBytes: number): number {
  if (!(maxBytes > 0)) {
    return 0;
  }
  let cut = 0;
  const strings = p.strings;
  for (let i = 0; i < strings.length; i++) {
    const s = strings[i]!;
    const t = truncateSymbol(s, maxBytes);
    if (t !== s) {
      strings[i] = t;
      cut++;
    }
  }
  for (const vt of [...p.sampleTypes, p.periodType]) {
    const type = truncateSymbol(vt.type, maxBytes);
    const unit = truncateSymbol(vt.unit, maxBytes);
    if (type !== vt.type) {
      vt.type = type;
      cut++;
    }
    if (unit !== vt.unit) {
      vt.unit = unit;
      cut++;
    }
  }
  return cut;
}

/** Refuses a profile with more than `limit` samples (0 = no limit), in Pyroscope's words. */
export function checkSampleCount(samples: number, limit: number, what: string): void {
  if (limit > 0 && samples > limit) {
    throw new FormatError(
      `the ${what} exceeds the samples count limit (max_profile_stacktrace_samples, actual: ${samples}, limit: ${limit})`
    );
  }
}
