import { flamebearerToTree } from '../../../domain/converters/flamebearer';
import { flamebearerFromTree } from '../../../testing/flamebearerFromTree';
import { topFunctions } from './topFunctions';

describe('top functions', () => {
  it('sums self per name, counts recursion once in total, sorts by self', () => {
    const tree = flamebearerToTree(
      flamebearerFromTree({
        name: 'total',
        self: 0,
        children: [
          { name: 'f', self: 1, children: [{ name: 'f', self: 2, children: [{ name: 'g', self: 10 }] }] },
          { name: 'g', self: 5 },
        ],
      })
    );
    expect(topFunctions(tree)).toEqual([
      { name: 'g', self: 15, total: 15 },
      { name: 'f', self: 3, total: 13 },
    ]);
  });
});
