import { FlameTree } from '../../../domain/converters/flamebearer';
import { DiffTree, functionDiffs } from '../../../domain/converters/diffTree';
import { topFunctions } from './topFunctions';

export interface FunctionRow {
  name: string;
  values: number[];
}

/** Self and total of every function, recursion counted once. */
export function singleTableRows(tree: FlameTree): FunctionRow[] {
  return topFunctions(tree).map((f) => ({ name: f.name, values: [f.self, f.total] }));
}

/** A share in percent as the official diff table shows it: rounded to hundredths. */
const percentOf = (v: number, root: number) => (root > 0 ? Math.round((10000 * v) / root) / 100 : 0);

/**
 * Baseline %, comparison % (each function's total against its side's total) and the relative change of the
 * two, as the official diff table computes it: +Infinity for a function only in the comparison (new), -100
 * for one only in the baseline (removed), NaN when both round to 0 %.
 */
export function diffTableRows(tree: DiffTree): FunctionRow[] {
  return functionDiffs(tree).map((f) => {
    const base = percentOf(f.baseTotal, tree.baseRoot);
    const comp = percentOf(f.compTotal, tree.compRoot);
    return { name: f.name, values: [base, comp, ((comp - base) / base) * 100] };
  });
}

/** The diff column's text: `new`, `removed`, or the signed change. */
export function formatDiffPercent(v: number): string {
  if (v === Infinity) {
    return 'new';
  }
  if (v === -100) {
    return 'removed';
  }
  if (Number.isNaN(v)) {
    return '';
  }
  return `${v > 0 ? '+' : ''}${v.toFixed(2)} %`;
}

/** Rows whose name the search matches; all of them without a search. */
export function filterRows(rows: FunctionRow[], matches: ((name: string) => boolean) | undefined): FunctionRow[] {
  return matches ? rows.filter((r) => matches(r.name)) : rows;
}
