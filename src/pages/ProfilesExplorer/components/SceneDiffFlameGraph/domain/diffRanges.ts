import { dateMath } from '@grafana/data';
import { TimeWindow } from '../../../../../shared/infrastructure/pyroscope/PyroscopeApiClient';

export type DiffSide = 'baseline' | 'comparison';

/** The URL keys of the official app: `diffFrom`/`diffTo` for the baseline, `diffFrom-2`/`diffTo-2` for the comparison. */
export const SELECTION_KEYS: Record<DiffSide, { from: string; to: string }> = {
  baseline: { from: 'diffFrom', to: 'diffTo' },
  comparison: { from: 'diffFrom-2', to: 'diffTo-2' },
};

/**
 * Each side's own time range (the official app's `from-2`/`to-2` and `from-3`/`to-3`): comparing this week with
 * last week needs two windows the main time range need not cover. Absent, a side follows the main range.
 */
export const PANEL_KEYS: Record<DiffSide, { from: string; to: string }> = {
  baseline: { from: 'from-2', to: 'to-2' },
  comparison: { from: 'from-3', to: 'to-3' },
};

/** Epoch ms, or anything Grafana's date math reads (`now-15m`, ISO dates). */
function parseTime(v: string | undefined, roundUp: boolean): number | undefined {
  if (!v) {
    return undefined;
  }
  if (/^\d+$/.test(v)) {
    return Number(v);
  }
  const d = dateMath.toDateTime(v, { roundUp });
  return d?.isValid() ? d.valueOf() : undefined;
}

export function hasPanelRange(passthrough: Record<string, string>, side: DiffSide): boolean {
  const keys = PANEL_KEYS[side];
  return Boolean(passthrough[keys.from] && passthrough[keys.to]);
}

/** The raw (possibly relative) time range of one side, for a time picker; undefined when it follows the main range. */
export function readRawPanelRange(
  passthrough: Record<string, string>,
  side: DiffSide
): { from: string; to: string } | undefined {
  const keys = PANEL_KEYS[side];
  return hasPanelRange(passthrough, side) ? { from: passthrough[keys.from], to: passthrough[keys.to] } : undefined;
}

/** The time range a side's series shows: its own when set (and valid), else the main one. */
export function readPanelRange(passthrough: Record<string, string>, side: DiffSide, main: TimeWindow): TimeWindow {
  const raw = readRawPanelRange(passthrough, side);
  const from = parseTime(raw?.from, false);
  const to = parseTime(raw?.to, true);
  return from !== undefined && to !== undefined && to > from ? { start: from, end: to } : main;
}

/** Sets (or with undefined, removes) a side's own time range; raw values so that `now-7d` keeps sliding. */
export function writePanelRange(
  passthrough: Record<string, string>,
  side: DiffSide,
  raw: { from: string; to: string } | undefined
): Record<string, string> {
  const keys = PANEL_KEYS[side];
  const next = { ...passthrough };
  delete next[keys.from];
  delete next[keys.to];
  return raw ? { ...next, [keys.from]: raw.from, [keys.to]: raw.to } : next;
}

/**
 * The selected range of one side. Without a selection in the URL: a side with its own time range selects all
 * of it; when both follow the main range, the baseline is its first half and the comparison the second, so
 * that the view shows something useful before any brushing.
 */
export function readSelection(passthrough: Record<string, string>, side: DiffSide, window: TimeWindow): TimeWindow {
  const keys = SELECTION_KEYS[side];
  const from = parseTime(passthrough[keys.from], false);
  const to = parseTime(passthrough[keys.to], true);
  if (from !== undefined && to !== undefined && to > from) {
    return { start: from, end: to };
  }
  if (hasPanelRange(passthrough, side)) {
    return readPanelRange(passthrough, side, window);
  }
  const mid = Math.round((window.start + window.end) / 2);
  return side === 'baseline' ? { start: window.start, end: mid } : { start: mid, end: window.end };
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
