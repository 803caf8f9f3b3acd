import { diffFlamebearerToTree } from '../../../domain/converters/diffTree';
import { flamebearerToTree } from '../../../domain/converters/flamebearer';
import { flamebearerFromTree } from '../../../testing/flamebearerFromTree';
import { diffTableRows, filterRows, formatDiffPercent, singleTableRows } from './tableRows';
import { nameMatcher } from './search';

describe('top table rows', () => {
  it('lists every function with self and total, recursion once', () => {
    const tree = flamebearerToTree(
      flamebearerFromTree({
        name: 'total',
        self: 0,
        children: [{ name: 'f', self: 1, children: [{ name: 'f', self: 2, children: [{ name: 'g', self: 3 }] }] }],
      })
    );
    const rows = singleTableRows(tree);
    expect(rows).toEqual(
      expect.arrayContaining([
        { name: 'f', values: [3, 6] },
        { name: 'g', values: [3, 3] },
      ])
    );
    expect(rows).toHaveLength(2);
    expect(filterRows(rows, nameMatcher('^g$')).map((r) => r.name)).toEqual(['g']);
    expect(filterRows(rows, undefined)).toBe(rows);
  });

  it('gives the diff table baseline %, comparison % and the change, new and removed as the official table', () => {
    // [left x, left total, left self, right x, right total, right self, name]
    const tree = diffFlamebearerToTree({
      names: ['total', 'same', 'double', 'gone', 'new'],
      levels: [
        [0, 400, 0, 0, 400, 0, 0],
        [0, 200, 200, 0, 100, 100, 1, 0, 100, 100, 0, 200, 200, 2, 0, 100, 100, 0, 0, 0, 3, 0, 0, 0, 0, 100, 100, 4],
      ],
    });
    const byName = new Map(diffTableRows(tree).map((r) => [r.name, r.values]));
    expect(byName.get('same')).toEqual([50, 25, -50]);
    expect(byName.get('double')).toEqual([25, 50, 100]);
    expect(byName.get('gone')).toEqual([25, 0, -100]);
    expect(byName.get('new')).toEqual([0, 25, Infinity]);
    expect(formatDiffPercent(Infinity)).toBe('new');
    expect(formatDiffPercent(-100)).toBe('removed');
    expect(formatDiffPercent(100)).toBe('+100.00 %');
    expect(formatDiffPercent(-50)).toBe('-50.00 %');
    expect(formatDiffPercent(NaN)).toBe('');
  });
});
