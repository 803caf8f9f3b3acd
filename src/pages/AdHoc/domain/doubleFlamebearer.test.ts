import { flamebearerToTree } from '../../../shared/domain/converters/flamebearer';
import { flamebearerFromTree } from '../../../shared/testing/flamebearerFromTree';
import { diffFlamebearerToTree } from '../../../shared/domain/converters/diffTree';
import { doubleFlamebearer } from './doubleFlamebearer';

const left = flamebearerToTree(
  flamebearerFromTree({
    name: 'total',
    self: 0,
    children: [
      {
        name: 'main',
        self: 0,
        children: [
          { name: 'work', self: 30 },
          { name: 'gc', self: 10 },
        ],
      },
    ],
  })
);
const right = flamebearerToTree(
  flamebearerFromTree({
    name: 'total',
    self: 0,
    children: [
      {
        name: 'main',
        self: 5,
        children: [
          { name: 'work', self: 10 },
          { name: 'io', self: 25 },
        ],
      },
    ],
  })
);

describe('two ad hoc flame graphs as one diff', () => {
  it('matches nodes by call path, both sides laid out on their own', () => {
    const fb = doubleFlamebearer(left, right);
    expect(fb.names).toEqual(['total', 'main', 'gc', 'io', 'work']);
    expect(fb.levels).toEqual([
      [0, 40, 0, 0, 40, 0, 0],
      [0, 40, 0, 0, 40, 5, 1],
      // gc (left only), io (right only, after main's self 5), work
      [0, 10, 10, 5, 0, 0, 2, 0, 0, 0, 0, 25, 25, 3, 0, 30, 30, 0, 10, 10, 4],
    ]);
  });

  it('decodes with the diff view decoder to each side’s values', () => {
    const tree = diffFlamebearerToTree(doubleFlamebearer(left, right));
    const by = new Map<string, number[]>();
    for (let i = 0; i < tree.count; i++) {
      by.set(tree.names[tree.nameIndex[i]], [tree.baseTotal[i], tree.compTotal[i]]);
    }
    expect(Object.fromEntries(by)).toEqual({
      total: [40, 40],
      main: [40, 40],
      gc: [10, 0],
      io: [0, 25],
      work: [30, 10],
    });
  });
});
