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
