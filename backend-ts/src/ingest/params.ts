// The legacy /ingest query parameters: `name=app{k=v,...}` and the time forms Pyroscope accepts.
import { FormatError } from '../formats/formatError.js';

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
 * Time parameter as Pyroscope reads it (its attime package), in ms. `_`, `,` and spaces are removed first. All
 * digits: 8 that form a valid date = YYYYMMDD (UTC), else by length 13 = ms, 16 = µs, 19 = ns, anything else
 * seconds. Otherwise `now`, optionally followed by an offset: a sign and one or more `<number><unit>` pairs, where
 * a unit is matched by its prefix as Pyroscope does (`s…` seconds, `mon…`/`M…` 30 days, `min…`/`m…` minutes (so
 * `ms` is minutes too), `h…`, `d…`, `w…`, `y…` 365 days) and a missing or unknown unit counts 0 (`now-1` = now).
 * Missing → now. Pyroscope reads any other text as now; we answer 400 instead (`yesterday`, `x-1h`), because a
 * silently ignored time is worse than an error.
 */
export function parseTimeParam(v: string | null | undefined, now = Date.now()): number {
  if (v === null || v === undefined) {
    return now;
  }
  const s = v.trim().replace(/[_, ]/g, '');
  if (s === '') {
    return now;
  }
  if (/^\d+$/.test(s)) {
    if (s.length === 8) {
      const y = Number(s.slice(0, 4));
      const mo = Number(s.slice(4, 6));
      const d = Number(s.slice(6, 8));
      // Go's time.Parse("20060102") refuses month 0/13 and days past the month's end; then it is seconds
      if (y > 1900 && mo >= 1 && mo <= 12 && d >= 1 && d <= new Date(Date.UTC(y, mo, 0)).getUTCDate()) {
        return Date.UTC(y, mo - 1, d);
      }
    }
    switch (s.length) {
      case 13:
        return Number(s);
      case 16:
        return Number(BigInt(s) / 1000n);
      case 19:
        return Number(BigInt(s) / 1_000_000n);
      default: {
        const ms = Number(s) * 1000;
        if (!Number.isFinite(ms)) {
          throw new FormatError(`invalid time "${clip(v)}": out of range`);
        }
        return ms;
      }
    }
  }
  // Pyroscope splits at the first "+" (else the first "-"); the part before it is the reference time
  let cut = s.indexOf('+');
  if (cut < 0) {
    cut = s.indexOf('-');
  }
  const ref = cut < 0 ? s : s.slice(0, cut);
  if (ref !== 'now' && ref !== '') {
    throw new FormatError(`invalid time "${clip(v)}": expected unix seconds/ms/µs/ns, YYYYMMDD or now-<duration>`);
  }
  const ms = now + (cut < 0 ? 0 : parseOffsetMs(s.slice(cut)));
  if (!Number.isFinite(ms)) {
    throw new FormatError(`invalid time "${clip(v)}": out of range`);
  }
  return ms;
}

/** `-1h30m`, `+2d`: Pyroscope's offset grammar, alternating digit runs and unit runs. */
function parseOffsetMs(offset: string): number {
  let sign = 1;
  let rest = offset;
  if (rest[0] === '-') {
    sign = -1;
    rest = rest.slice(1);
  } else if (rest[0] === '+') {
    rest = rest.slice(1);
  }
  let total = 0;
  while (rest !== '') {
    const num = /^\d*/.exec(rest)![0];
    rest = rest.slice(num.length);
    const unit = /^\D*/.exec(rest)![0];
    rest = rest.slice(unit.length);
    total += sign * Number(num || '0') * unitSeconds(unit) * 1000;
  }
  return total;
}

function unitSeconds(u: string): number {
  if (u.startsWith('s')) {
    return 1;
  }
  if (u.startsWith('mon') || u.startsWith('M')) {
    return 30 * 86_400;
  }
  if (u.startsWith('m')) {
    return 60;
  }
  if (u.startsWith('h')) {
    return 3600;
  }
  if (u.startsWith('d')) {
    return 86_400;
  }
  if (u.startsWith('w')) {
    return 7 * 86_400;
  }
  if (u.startsWith('y')) {
    return 365 * 86_400;
  }
  return 0;
}
