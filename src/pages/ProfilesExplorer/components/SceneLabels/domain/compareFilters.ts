import { escapeURLDelimiters } from '@grafana/scenes';
import { LabelFilter } from '../../../../../shared/domain/labelSelector';

/**
 * One filter as AdHocFiltersVariable writes it in `var-<name>`: `key|operator|value`, with scenes' own escaping
 * of `|` and `,` (`escapeURLDelimiters`) and of `#` (`__gfh__`, which scenes also applies but does not export),
 * so that a value such as `a|b,c` reads back whole instead of splitting into more fields.
 */
export function filterUrlValue(filter: LabelFilter): string {
  const escape = (s: string) => escapeURLDelimiters(s).replace(/#/g, '__gfh__');
  return [filter.key, filter.operator, filter.value].map(escape).join('|');
}

/**
 * The baseline and comparison filters of "Compare" in the labels view: the current filters, minus any on the
 * compared label, plus `label = value` for each side; as `var-filtersBaseline` / `var-filtersComparison` values.
 */
export function compareFilters(
  current: LabelFilter[],
  label: string,
  baseline: string,
  comparison: string
): { baseline: string[]; comparison: string[] } {
  const keep = current.filter((f) => f.key !== label);
  const side = (value: string) => [...keep, { key: label, operator: '=', value }].map(filterUrlValue);
  return { baseline: side(baseline), comparison: side(comparison) };
}

/**
 * The URL changes of "Compare": the diff view with one label value per side, both over the labels view's time
 * range as each side's own range (`from-2`/`to-2`, `from-3`/`to-3`, raw so `now-1h` keeps sliding), and all of
 * it selected on both sides (`window`, absolute ms, as selections are): two values of a label compare over the
 * same time, so the diff shows at once instead of asking for selections.
 */
export function compareUrlParams(
  current: LabelFilter[],
  label: string,
  [baseline, comparison]: [string, string],
  range: { from: string; to: string },
  window: { start: number; end: number }
): Record<string, string | string[] | null> {
  const sides = compareFilters(current, label, baseline, comparison);
  return {
    explorationType: 'diff-flame-graph',
    'var-filtersBaseline': sides.baseline,
    'var-filtersComparison': sides.comparison,
    'from-2': range.from,
    'to-2': range.to,
    'from-3': range.from,
    'to-3': range.to,
    diffFrom: String(Math.round(window.start)),
    diffTo: String(Math.round(window.end)),
    'diffFrom-2': String(Math.round(window.start)),
    'diffTo-2': String(Math.round(window.end)),
  };
}
