import { dateMath } from '@grafana/data';
import { TimeWindow } from '../../../../../shared/infrastructure/pyroscope/PyroscopeApiClient';

export type DiffSide = 'baseline' | 'comparison';

export const SIDES: DiffSide[] = ['baseline', 'comparison'];

/** The URL keys of the official app: `diffFrom`/`diffTo` for the baseline, `diffFrom-2`/`diffTo-2` for the comparison. */
export const SELECTION_KEYS: Record<DiffSide, { from: string; to: string }> = {
  baseline: { from: 'diffFrom', to: 'diffTo' },
  comparison: { from: 'diffFrom-2', to: 'diffTo-2' },
};

/**
 * Each side's own time range (the official app's `from-2`/`to-2` and `from-3`/`to-3`): comparing this week with
 * last week needs two windows. Absent, a side shows the last hour, as the official app's pickers start.
 */
export const PANEL_KEYS: Record<DiffSide, { from: string; to: string }> = {
  baseline: { from: 'from-2', to: 'to-2' },
  comparison: { from: 'from-3', to: 'to-3' },
};

export const DEFAULT_SIDE_RANGE = { from: 'now-1h', to: 'now' };

export type RawRange = { from: string; to: string };

/** Epoch ms, or anything Grafana's date math reads (`now-15m`, ISO dates), against `now` (ms). */
export function parseTime(v: string | undefined, roundUp: boolean, now = Date.now()): number | undefined {
  if (!v) {
    return undefined;
  }
  if (/^\d+$/.test(v)) {
    return Number(v);
  }
  const d = dateMath.toDateTime(v, { roundUp, now });
  return d?.isValid() ? d.valueOf() : undefined;
}

/** A side's raw (possibly relative) time range, as its picker shows it. */
export function readRawPanelRange(passthrough: Record<string, string>, side: DiffSide): RawRange {
  const keys = PANEL_KEYS[side];
  return passthrough[keys.from] && passthrough[keys.to]
    ? { from: passthrough[keys.from], to: passthrough[keys.to] }
    : DEFAULT_SIDE_RANGE;
}

/** The time range a side's series shows, in ms; the last hour when its own is missing or invalid. */
export function readPanelRange(passthrough: Record<string, string>, side: DiffSide, now = Date.now()): TimeWindow {
  const raw = readRawPanelRange(passthrough, side);
  const from = parseTime(raw.from, false, now);
  const to = parseTime(raw.to, true, now);
  return from !== undefined && to !== undefined && to > from ? { start: from, end: to } : lastHour(now);
}

const lastHour = (now: number): TimeWindow => ({ start: now - 3_600_000, end: now });

/** Sets a side's own time range; raw values so that `now-7d` keeps sliding. Its selection goes with the old range. */
export function writePanelRange(
  passthrough: Record<string, string>,
  side: DiffSide,
  raw: RawRange
): Record<string, string> {
  const keys = PANEL_KEYS[side];
  const next: Record<string, string> = { ...passthrough, [keys.from]: raw.from, [keys.to]: raw.to };
  delete next[SELECTION_KEYS[side].from];
  delete next[SELECTION_KEYS[side].to];
  return next;
}

/** The range selected on one side for the diff; undefined until one is picked (by a drag, auto-select or a preset). */
export function readSelection(
  passthrough: Record<string, string>,
  side: DiffSide,
  now = Date.now()
): TimeWindow | undefined {
  const keys = SELECTION_KEYS[side];
  const from = parseTime(passthrough[keys.from], false, now);
  const to = parseTime(passthrough[keys.to], true, now);
  return from !== undefined && to !== undefined && to > from ? { start: from, end: to } : undefined;
}

/** Absolute epoch ms in the URL: a selection is a moment in time, it must not slide with `now`. */
export function writeSelection(
  passthrough: Record<string, string>,
  side: DiffSide,
  selection: TimeWindow
): Record<string, string> {
  const keys = SELECTION_KEYS[side];
  return {
    ...passthrough,
    [keys.from]: String(Math.round(selection.start)),
    [keys.to]: String(Math.round(selection.end)),
  };
}

const DAY = 86_400_000;

/**
 * Auto-select as the official app: the baseline selects the first quarter of its range and the comparison the
 * last quarter of its own, each at most a day (a week-long range would otherwise merge days of profiles); or
 * both whole ranges.
 */
export function autoSelection(range: TimeWindow, side: DiffSide, wholeRange: boolean): TimeWindow {
  if (wholeRange) {
    return range;
  }
  const span = Math.min(Math.round((range.end - range.start) * 0.25), DAY);
  return side === 'baseline'
    ? { start: range.start, end: range.start + span }
    : { start: range.end - span, end: range.end };
}

export interface DiffPreset {
  value: string;
  label: string;
  baseline: { range: RawRange; selection: RawRange };
  comparison: { range: RawRange; selection: RawRange };
}

const LAST_HOUR = { from: 'now-1h', to: 'now' };

/** The official app's built-in presets. */
export const DIFF_PRESETS: DiffPreset[] = [
  {
    value: 'last-hour-30m',
    label: 'Last hour (30m-window)',
    baseline: { range: LAST_HOUR, selection: { from: 'now-1h', to: 'now-30m' } },
    comparison: { range: LAST_HOUR, selection: { from: 'now-30m', to: 'now' } },
  },
  {
    value: 'last-hour-1h',
    label: 'Last hour (1h-window)',
    baseline: { range: LAST_HOUR, selection: LAST_HOUR },
    comparison: { range: LAST_HOUR, selection: LAST_HOUR },
  },
  {
    value: '6h-ago-vs-now',
    label: '6h ago vs now (30m-window)',
    baseline: { range: { from: 'now-375m', to: 'now-315m' }, selection: { from: 'now-375m', to: 'now-345m' } },
    comparison: { range: LAST_HOUR, selection: { from: 'now-30m', to: 'now' } },
  },
  {
    value: '24h-ago-vs-now',
    label: '24h ago vs now (30m-window)',
    baseline: { range: { from: 'now-1455m', to: 'now-1395m' }, selection: { from: 'now-1455m', to: 'now-1425m' } },
    comparison: { range: LAST_HOUR, selection: { from: 'now-30m', to: 'now' } },
  },
];

/** Both sides' ranges (relative, as the preset names them) and selections (absolute at `now`) of a preset. */
export function applyPreset(
  passthrough: Record<string, string>,
  preset: DiffPreset,
  now = Date.now()
): Record<string, string> {
  let next = passthrough;
  for (const side of SIDES) {
    const { range, selection } = preset[side];
    next = writePanelRange(next, side, range);
    next = writeSelection(next, side, {
      start: parseTime(selection.from, false, now)!,
      end: parseTime(selection.to, true, now)!,
    });
  }
  return next;
}

/** Auto-select on both sides, over each side's range. */
export function applyAutoSelect(
  passthrough: Record<string, string>,
  wholeRange: boolean,
  now = Date.now()
): Record<string, string> {
  let next = passthrough;
  for (const side of SIDES) {
    next = writeSelection(next, side, autoSelection(readPanelRange(passthrough, side, now), side, wholeRange));
  }
  return next;
}
