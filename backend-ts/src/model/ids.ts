// Profile UUIDs and trace ids as clients write them in selectors, read the way Pyroscope reads them (Go's
// uuid.Parse; hex trace ids of 16 bytes), normalized so that a stored id and a selector compare as strings.

const HEX32 = /^[0-9a-f]{32}$/i;

/**
 * A UUID in any form Go's uuid.Parse accepts (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, 32 hex digits, in braces,
 * or `urn:uuid:` first) as lowercase canonical text; null when it is none of those.
 */
export function parseUuid(s: string): string | null {
  let t = s;
  if (t.length === 45 && t.slice(0, 9).toLowerCase() === 'urn:uuid:') {
    t = t.slice(9);
  } else if (t.length === 38 && t[0] === '{' && t[37] === '}') {
    t = t.slice(1, 37);
  }
  let hex: string;
  if (t.length === 36) {
    if (t[8] !== '-' || t[13] !== '-' || t[18] !== '-' || t[23] !== '-') {
      return null;
    }
    hex = t.slice(0, 8) + t.slice(9, 13) + t.slice(14, 18) + t.slice(19, 23) + t.slice(24);
  } else if (t.length === 32) {
    hex = t;
  } else {
    return null;
  }
  if (!HEX32.test(hex)) {
    return null;
  }
  hex = hex.toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A trace id (128 bits, 32 hex digits) as lowercase text; null when it is not one. */
export function parseTraceId(s: string): string | null {
  return HEX32.test(s) ? s.toLowerCase() : null;
}
