import { murmur3 } from './murmur3';

/**
 * Frame colours as Grafana's flame graph (@grafana/flamegraph) draws them, so a package looks the same here as in
 * the official app: its fixed palette, its package-name rules and hash, its value and diff scales. Colours are kept
 * as RGB floats and handed to the chart the way the official one ends up painting them (through a rounded HSL).
 */

export type ColorScheme = 'packageBased' | 'valueBased';
export type DiffColorScheme = 'diffDefault' | 'diffColorBlind';

export interface Rgb {
  r: number;
  g: number;
  b: number;
}

interface Hsl {
  /** 0..360 */
  h: number;
  /** 0..1 */
  s: number;
  /** 0..1 */
  l: number;
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));
// The official colour library reads a computed saturation or lightness back as a percentage cut to two decimals.
const asPercent = (v: number) => Math.trunc(clamp01(v) * 10000) / 10000;

function hueToChannel(p: number, q: number, t: number): number {
  if (t < 0) {
    t += 1;
  }
  if (t > 1) {
    t -= 1;
  }
  if (t < 1 / 6) {
    return p + (q - p) * 6 * t;
  }
  if (t < 1 / 2) {
    return q;
  }
  if (t < 2 / 3) {
    return p + (q - p) * (2 / 3 - t) * 6;
  }
  return p;
}

function fromHsl({ h, s, l }: Hsl): Rgb {
  if (s === 0) {
    return { r: l * 255, g: l * 255, b: l * 255 };
  }
  const hue = (((h % 360) + 360) % 360) / 360;
  const q = l < 0.5 ? l * (1 + s) : l + s - l * s;
  const p = 2 * l - q;
  return {
    r: hueToChannel(p, q, hue + 1 / 3) * 255,
    g: hueToChannel(p, q, hue) * 255,
    b: hueToChannel(p, q, hue - 1 / 3) * 255,
  };
}

function toHsl({ r, g, b }: Rgb): Hsl {
  const [R, G, B] = [r / 255, g / 255, b / 255];
  const max = Math.max(R, G, B);
  const min = Math.min(R, G, B);
  const l = (max + min) / 2;
  if (max === min) {
    return { h: 0, s: 0, l };
  }
  const d = max - min;
  const s = l > 0.5 ? d / (2 - max - min) : d / (max + min);
  let h: number;
  if (max === R) {
    h = (G - B) / d + (G < B ? 6 : 0);
  } else if (max === G) {
    h = (B - R) / d + 2;
  } else {
    h = (R - G) / d + 4;
  }
  return { h: h * 60, s, l };
}

const hsl = (h: number, s: number, l: number): Rgb => fromHsl({ h, s: s / 100, l: l / 100 });
const rgb = (r: number, g: number, b: number): Rgb => ({ r, g, b });

/** The official 24 package colours, in their order (the hash picks an index into this list). */
export const PACKAGE_PALETTE: readonly Rgb[] = [
  hsl(24, 69, 60),
  hsl(34, 65, 65),
  hsl(194, 52, 61),
  hsl(163, 45, 55),
  hsl(211, 48, 60),
  hsl(246, 40, 65),
  hsl(305, 63, 79),
  hsl(47, 100, 73),
  rgb(183, 219, 171),
  rgb(244, 213, 152),
  rgb(78, 146, 249),
  rgb(249, 186, 143),
  rgb(242, 145, 145),
  rgb(130, 181, 216),
  rgb(229, 168, 226),
  rgb(174, 162, 224),
  rgb(154, 196, 138),
  rgb(242, 201, 109),
  rgb(101, 197, 219),
  rgb(249, 147, 78),
  rgb(234, 100, 96),
  rgb(81, 149, 206),
  rgb(214, 131, 206),
  rgb(128, 110, 183),
];

/** Lighter by `amount` percentage points of HSL lightness (the ancestors of a focused frame). */
export function lighten(c: Rgb, amount: number): Rgb {
  const x = toHsl(c);
  return fromHsl({ h: x.h, s: asPercent(x.s), l: asPercent(x.l + amount / 100) });
}

/** Each RGB channel raised by `amount` % of 255, on whole channels (package colours on a light theme). */
export function brighten(c: Rgb, amount: number): Rgb {
  const up = Math.round(255 * (amount / 100));
  const ch = (v: number) => Math.max(0, Math.min(255, Math.round(v) + up));
  return { r: ch(c.r), g: ch(c.g), b: ch(c.b) };
}

/** `rgb(r, g, b)` as the official chart paints it: it sets an HSL string of whole degrees and percents. */
export function toCss(c: Rgb): string {
  const x = toHsl(c);
  const round = fromHsl({ h: Math.round(x.h), s: Math.round(x.s * 100) / 100, l: Math.round(x.l * 100) / 100 });
  return `rgb(${Math.round(round.r)}, ${Math.round(round.g)}, ${Math.round(round.b)})`;
}

// Tried in this order, as the official chart does (it does not know the language either). The Go rule matches
// any non-empty name, so the later ones only decide for names the earlier ones leave.
const PACKAGE_RULES: Array<[string, RegExp]> = [
  ['phpspy', /^(?<packageName>([^/]*\/)*)(?<filename>.*\.php+)(?<lineInfo>.*)$/],
  ['pyspy', /^(?<packageName>([^/]*\/)*)(?<filename>.*\.py+)(?<lineInfo>.*)$/],
  ['rbspy', /^(?<packageName>([^/]*\/)*)(?<filename>.*\.rb+)(?<lineInfo>.*)$/],
  [
    'nodespy',
    /^(\.\/node_modules\/)?(?<packageName>[^/]*)(?<filename>.*\.?(jsx?|tsx?)?):(?<functionName>.*):(?<lineInfo>.*)$/,
  ],
  ['gospy', /^(?<packageName>.*?\/.*?\.|.*?\.|.+)(?<functionName>.*)$/],
  ['javaspy', /^(?<packageName>.+\/)(?<filename>.+\.)(?<functionName>.+)$/],
  ['dotnetspy', /^(?<packageName>.+)\.(.+)\.(.+)\(.*\)$/],
  ['tracing', /^(?<packageName>.+?):.*$/],
  // the official rule's class [^::] is the class [^:]
  ['pyroscope-rs', /^(?<packageName>[^:]+)/],
  ['ebpfspy', /^(?<packageName>.+)$/],
];

/** The package part of a frame name by the first rule that matches; undefined when none does (the empty name). */
export function packageName(name: string): string | undefined {
  for (const [, rule] of PACKAGE_RULES) {
    const m = rule.exec(name);
    if (m) {
      return m.groups?.packageName ?? '';
    }
  }
  return undefined;
}

export function packagePaletteIndex(name: string): number {
  return murmur3(packageName(name) ?? '', 0) % PACKAGE_PALETTE.length;
}

export function packageColor(name: string, isLight: boolean): Rgb {
  const c = PACKAGE_PALETTE[packagePaletteIndex(name)];
  return isLight ? brighten(c, 15) : c;
}

/** Yellow for little, red for much: `value` against the total of what is shown (the focused frame's). */
export function valueColor(value: number, viewTotal: number): Rgb {
  const intensity = viewTotal > 0 ? Math.min(1, value / viewTotal) : 0;
  return fromHsl({ h: 50 - 50 * intensity, s: 1, l: (65 + 7 * intensity) / 100 });
}

const DIFF_STOPS: Record<DiffColorScheme, [Rgb, Rgb, Rgb]> = {
  diffDefault: [rgb(0, 170, 0), rgb(148, 142, 142), rgb(200, 0, 0)],
  diffColorBlind: [rgb(26, 133, 255), rgb(148, 142, 142), rgb(220, 50, 32)],
};

/** The scale's ends and middle as CSS, for a legend (−100 % removed, 0 %, +100 % added). */
export function diffGradient(scheme: DiffColorScheme): string {
  const [a, b, c] = DIFF_STOPS[scheme].map((x) => `rgb(${x.r}, ${x.g}, ${x.b})`);
  return `linear-gradient(90deg, ${a} 0%, ${b} 50%, ${c} 100%)`;
}

export const PACKAGE_GRADIENT = `linear-gradient(90deg, ${[0, 2, 6, 7, 8]
  .map((i, k) => `${toCss(PACKAGE_PALETTE[i])} ${[0, 30, 50, 70, 100][k]}%`)
  .join(', ')})`;
export const VALUE_GRADIENT = `linear-gradient(90deg, ${toCss(valueColor(1, 100))} 0%, ${toCss(valueColor(100, 100))} 100%)`;

/**
 * The relative change of a frame's share of its side, (right % − left %) / left % with both shares rounded to
 * hundredths of a percent, placed on the scale −100 % … 0 … +100 % and beyond (past +100 % the red saturates).
 * A side without any data gives the neutral colour.
 */
export function diffColor(
  left: number,
  right: number,
  totalLeft: number,
  totalRight: number,
  scheme: DiffColorScheme
): Rgb {
  const [low, mid, high] = DIFF_STOPS[scheme];
  if (totalLeft === 0 || totalRight === 0) {
    return mid;
  }
  const pctLeft = Math.round((10000 * left) / totalLeft) / 100;
  const pctRight = Math.round((10000 * right) / totalRight) / 100;
  const change = ((pctRight - pctLeft) / pctLeft) * 100;
  if (Number.isNaN(change)) {
    // both shares round to 0 %: the official scale has no colour for it (too narrow to be drawn there)
    return mid;
  }
  const [from, to, t] = change < 0 ? [low, mid, (change + 100) / 100] : [mid, high, change / 100];
  // a linear scale without clamping, then channels clamped to 0..255 when written out, as d3 does
  const ch = (a: number, b: number) => {
    const v = Math.round(a + (b - a) * t);
    return Number.isNaN(v) ? 0 : Math.max(0, Math.min(255, v));
  };
  return { r: ch(from.r, to.r), g: ch(from.g, to.g), b: ch(from.b, to.b) };
}

/** The grey of frames that are too narrow to tell apart or do not match a search: the theme's secondary background. */
export function mutedColor(background: string, isLight: boolean): string {
  const c = parseHex(background) ?? rgb(34, 37, 43);
  const x = toHsl(c);
  const m = fromHsl({ h: x.h, s: asPercent(x.s), l: asPercent(x.l + (isLight ? -0.1 : 0.1)) });
  const hex = (v: number) => Math.round(v).toString(16).padStart(2, '0');
  return `#${hex(m.r)}${hex(m.g)}${hex(m.b)}`;
}

function parseHex(s: string): Rgb | undefined {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(s.trim());
  if (!m) {
    return undefined;
  }
  const h = m[1].length === 3 ? [...m[1]].map((c) => c + c).join('') : m[1];
  return rgb(parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16));
}
