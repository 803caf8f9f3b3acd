import { dateMath } from '@grafana/data';
import { TimeWindow } from '../../../../../shared/infrastructure/pyroscope/PyroscopeApiClient';

export type DiffSide = 'baseline' | 'comparison';

/** The URL keys of the official app: `diffFrom`/`diffTo` for the baseline, `diffFrom-2`/`diffTo-2` for the comparison. */
export const SELECTION_KEYS: Record<DiffSide, { from: string; to: string }> = {
  baseline: { from: 'diffFrom', to: 'diffTo' },
  comparison: { from: 'diffFrom-2', to: 'diffTo-2' },
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

/**
 * The selected range of one side. Without a selection in the URL the baseline is the first half of the
 * time range and the comparison the second, so that the view shows something useful before any brushing.
 */
export function readSelection(passthrough: Record<string, string>, side: DiffSide, window: TimeWindow): TimeWindow {
  const keys = SELECTION_KEYS[side];
  const from = parseTime(passthrough[keys.from], false);
  const to = parseTime(passthrough[keys.to], true);
  if (from !== undefined && to !== undefined && to > from) {
    return { start: from, end: to };
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
