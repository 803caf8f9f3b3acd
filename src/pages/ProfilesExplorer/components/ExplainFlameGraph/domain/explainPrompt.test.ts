import { flamebearerToTree } from '../../../../../shared/domain/converters/flamebearer';
import {
  diffFlamebearerToTree,
  formatChange,
  formatShare,
  functionDiffs,
} from '../../../../../shared/domain/converters/diffTree';
import { valueFormatter } from '../../../../../shared/components/FlameGraph/domain/formatValue';
import { buildExplainPrompt, formatChangeRow, formatPoints, regressionSummary } from './explainPrompt';

const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const format = valueFormatter('ns');
const MS = 1_000_000;
// Baseline: convertCurrency 100 ms, sendToPostProcessor 200 ms, handleCheckout self 300 ms, plus gc 0 → 50 ms.
const DIFF = {
  names: ['total', 'main', 'handleCheckout', 'convertCurrency', 'sendToPostProcessor', 'gc'],
  levels: [
    [0, 600 * MS, 0, 0, 650 * MS, 0, 0],
    [0, 600 * MS, 0, 0, 600 * MS, 0, 1, 0, 0, 0, 0, 50 * MS, 50 * MS, 5],
    [0, 600 * MS, 300 * MS, 0, 600 * MS, 300 * MS, 2],
    [0, 100 * MS, 100 * MS, 0, 200 * MS, 200 * MS, 3, 0, 200 * MS, 200 * MS, 0, 100 * MS, 100 * MS, 4],
  ],
};
const window = { start: Date.UTC(2026, 0, 1, 10), end: Date.UTC(2026, 0, 1, 11) };

describe('explain prompt', () => {
  it('single: service, unit, time range, top functions and stacks', () => {
    const tree = flamebearerToTree({
      names: ['total', 'main', 'work', 'idle'],
      levels: [
        [0, 1000, 0, 0],
        [0, 1000, 0, 1],
        [0, 700, 700, 2, 0, 300, 300, 3],
      ],
    });
    const p = buildExplainPrompt({
      kind: 'single',
      tree,
      serviceName: 'checkout',
      profileMetricId: CPU,
      window,
      format,
    });
    expect(p.user).toContain('service "checkout"');
    expect(p.user).toContain(`cpu of process_cpu (${CPU}); values are nanoseconds`);
    expect(p.user).toContain('2026-01-01 10:00:00 – 2026-01-01 11:00:00 UTC (3600 s)');
    expect(p.user).toContain('- work: self 700 ns (70.00 %)');
    expect(p.user).toContain('- main: total 1 µs (100.00 %)');
    expect(p.user).toContain('- main > work: self 700 ns (70.00 %)');
    expect(p.changes).toBeUndefined();
  });

  it('diff: the numbers in the prompt are those of the diff', () => {
    const tree = diffFlamebearerToTree(DIFF);
    const p = buildExplainPrompt({
      kind: 'diff',
      tree,
      serviceName: 'checkout',
      profileMetricId: CPU,
      baseline: window,
      comparison: { start: window.end, end: window.end + 3_600_000 },
      format,
    });
    const fns = new Map(functionDiffs(tree).map((f) => [f.name, f]));
    const cc = fns.get('convertCurrency')!;
    // Computed independently of the prompt builder: shares of each side's own total.
    expect(cc.baseSelfShare).toBeCloseTo(100 / 600, 12);
    expect(cc.compSelfShare).toBeCloseTo(200 / 650, 12);
    const line =
      `- convertCurrency: self ${formatShare(cc.baseSelfShare)} → ${formatShare(cc.compSelfShare)} of its side's ` +
      `total (${formatPoints(cc.compSelfShare - cc.baseSelfShare)}; ${formatChange(cc.selfChange)}; 100 ms → 200 ms)`;
    expect(line).toContain('self 16.67 % → 30.77 %');
    expect(line).toContain('+14.10 pp; +84.62 %');
    expect(p.user).toContain(line);
    const sp = fns.get('sendToPostProcessor')!;
    expect(p.user).toContain(
      `- sendToPostProcessor: self 33.33 % → 15.38 % of its side's total (-17.95 pp; ${formatChange(sp.selfChange)}; 200 ms → 100 ms)`
    );
    expect(formatChange(sp.selfChange)).toBe('-53.85 %');
    // A function on one side only is new.
    expect(p.user).toContain("- gc: self 0.00 % → 7.69 % of its side's total (+7.69 pp; new; 0 ns → 50 ms)");
    expect(p.user).toContain('Baseline: 2026-01-01 10:00:00 – 2026-01-01 11:00:00 UTC (3600 s), total 600 ms.');
    expect(p.user).toContain('Comparison: 2026-01-01 11:00:00 – 2026-01-01 12:00:00 UTC (3600 s), total 650 ms.');
    // Both profiles travel too, each with its own totals.
    expect(p.user).toContain('The baseline profile itself:\nTotal: 600 ms');
    expect(p.user).toContain('The comparison profile itself:\nTotal: 650 ms');
    expect(p.user).toContain('- main > handleCheckout > sendToPostProcessor: self 200 ms (33.33 %)');
    expect(p.user).toContain('- main > handleCheckout > sendToPostProcessor: self 100 ms (15.38 %)');
    // The panel shows the same rows the prompt was built from.
    const groups = regressionSummary(tree);
    expect(p.changes).toEqual(groups);
    for (const g of groups) {
      for (const r of g.rows) {
        expect(p.user).toContain(`- ${formatChangeRow(r, format)}`);
      }
    }
    expect(groups[0].rows.map((r) => r.name)).toEqual(['convertCurrency', 'gc']);
    expect(groups[1].rows.map((r) => r.name)).toEqual(['sendToPostProcessor', 'handleCheckout']);
    expect(groups[3].rows[0]).toMatchObject({ name: 'sendToPostProcessor', metric: 'total', base: 200 * MS });
  });

  it('a diff of a range against itself has no changes', () => {
    const same = {
      names: ['total', 'a'],
      levels: [
        [0, 10, 0, 0, 10, 0, 0],
        [0, 10, 10, 0, 10, 10, 1],
      ],
    };
    const groups = regressionSummary(diffFlamebearerToTree(same));
    expect(groups.every((g) => g.rows.length === 0)).toBe(true);
  });
});
