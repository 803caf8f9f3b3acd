// The legacy /ingest query parameters: `name=app{k=v,...}` and the time forms Pyroscope accepts.
import { FormatError } from './formatError.js';

const APP_RE = /^[A-Za-z0-9_./\-]+$/;
const LABEL_NAME_RE = /^[A-Za-z0-9_.]+$/;

/** Parses `app{k=v,k2=v2}` (hand-parsed like Pyroscope: unquoted values, spaces trimmed). */
export function parseAppName(name: string): { app: string; labels: Array<[string, string]> } {
  const s = name.trim();
  const brace = s.indexOf('{');
  const app = (brace < 0 ? s : s.slice(0, brace)).trim();
  if (!app) {
    throw new FormatError(`invalid name "${clip(name)}": the application name is empty`);
  }
  if (!APP_RE.test(app)) {
    throw new FormatError(
      `invalid name "${clip(name)}": the application name may only contain letters, digits, _ . / -`
    );
  }
  const labels: Array<[string, string]> = [];
  if (brace >= 0) {
    if (!s.endsWith('}')) {
      throw new FormatError(`invalid name "${clip(name)}": missing closing "}"`);
    }
    const body = s.slice(brace + 1, -1);
    for (const part of body.split(',')) {
      if (part.trim() === '') {
        continue;
      }
      const eq = part.indexOf('=');
      if (eq < 0) {
        throw new FormatError(`invalid name "${clip(name)}": label "${clip(part.trim())}" has no "="`);
      }
      const k = part.slice(0, eq).trim();
      const v = part.slice(eq + 1).trim();
      if (!LABEL_NAME_RE.test(k)) {
        throw new FormatError(`invalid name "${clip(name)}": invalid label name "${clip(k)}"`);
      }
      labels.push([k, v]);
    }
  }
  return { app, labels };
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}

/**
 * Time parameter as Pyroscope reads it, in ms: all digits → by length (8 = YYYYMMDD, 13 = ms, 16 = µs,
 * 19 = ns, else seconds); `now`, `now-1h` and friends; missing → now.
 */
export function parseTimeParam(v: string | null | undefined, now = Date.now()): number {
  if (v === null || v === undefined || v === '') {
    return now;
  }
  const s = v.trim();
  if (/^\d+$/.test(s)) {
    switch (s.length) {
      case 8: {
        const t = Date.UTC(Number(s.slice(0, 4)), Number(s.slice(4, 6)) - 1, Number(s.slice(6, 8)));
        if (Number.isNaN(t)) {
          throw new FormatError(`invalid time "${v}"`);
        }
        return t;
      }
      case 13:
        return Number(s);
      case 16:
        return Math.floor(Number(s) / 1000);
      case 19:
        return Math.floor(Number(BigInt(s) / 1_000_000n));
      default:
        return Number(s) * 1000;
    }
  }
  const m = /^now(?:\s*([-+])\s*(\d+)\s*(ms|s|m|h|d|w|y))?$/.exec(s);
  if (m) {
    if (!m[1]) {
      return now;
    }
    const mult: Record<string, number> = {
      ms: 1,
      s: 1000,
      m: 60_000,
      h: 3_600_000,
      d: 86_400_000,
      w: 604_800_000,
      y: 31_536_000_000,
    };
    const d = Number(m[2]) * mult[m[3]];
    return m[1] === '-' ? now - d : now + d;
  }
  throw new FormatError(`invalid time "${clip(v)}": expected unix seconds/ms/µs/ns, YYYYMMDD or now-<duration>`);
}
