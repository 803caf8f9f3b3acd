// Go/Prometheus-style durations as Pyroscope's flags take them: "1h", "10m", "7d", "1h30m", "500ms", "0".

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  y: 365 * 86_400_000,
};

/** Parses a duration into milliseconds; throws with the offending text on anything else. */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (s === '0' || s === '') {
    return 0;
  }
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) {
      throw new Error(`invalid duration "${text}" (expected e.g. 1h, 10m, 7d, 1h30m)`);
    }
    total += Number(m[1]) * UNITS[m[2]];
    pos = re.lastIndex;
  }
  return total;
}
