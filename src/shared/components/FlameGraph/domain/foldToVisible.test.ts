import { flamebearerToTree } from '../../../domain/converters/flamebearer';
import { StackNode, flamebearerFromTree } from '../../../testing/flamebearerFromTree';
import { ViewNode, foldToVisible, subtreeSizes } from './foldToVisible';

// root 1000: big (900) with a wide child and 50 tiny ones; small (100) with one child
function sample(): StackNode {
  const tiny = Array.from({ length: 50 }, (_, i) => ({ name: `tiny${i}`, self: 1 }));
  return {
    name: 'total',
    self: 0,
    children: [
      { name: 'big', self: 0, children: [{ name: 'wide', self: 850 }, ...tiny] },
      { name: 'small', self: 50, children: [{ name: 'leaf', self: 50 }] },
    ],
  };
}

function walk(n: ViewNode, f: (n: ViewNode) => void) {
  f(n);
  n.children?.forEach((c) => walk(c, f));
}

describe('fold to visible', () => {
  const tree = flamebearerToTree(flamebearerFromTree(sample()));
  const sizes = subtreeSizes(tree);

  it('counts subtree sizes', () => {
    expect(sizes[0]).toBe(tree.count);
    expect(tree.count).toBe(1 + 1 + 1 + 50 + 1 + 1);
  });

  it('folds frames narrower than a pixel into their parent and keeps true totals', () => {
    // 100 px for 1000 units: a frame needs >= 10 units
    const { root, visible } = foldToVisible(tree, 0, 100, sizes);
    const names: string[] = [];
    walk(root, (n) => names.push(n.name));
    expect(names).toEqual(['total', 'big', 'wide', 'small', 'leaf']);
    expect(visible).toBe(5);
    const big = root.children![0];
    expect(big.value).toBe(900);
    expect(big.folded).toBe(50);
    expect(root.folded).toBe(0);
  });

  it('every node is either handed over or counted as folded', () => {
    for (const width of [10, 100, 1000, 5000]) {
      const { root, visible } = foldToVisible(tree, 0, width, sizes);
      let folded = 0;
      walk(root, (n) => (folded += n.folded));
      expect(visible + folded).toBe(tree.count);
    }
  });

  it('re-folds on zoom: ancestors become a faded chain, narrow frames reappear', () => {
    const big = 1;
    expect(tree.names[tree.nameIndex[big]]).toBe('big');
    const { root, visible } = foldToVisible(tree, big, 900, sizes);
    expect(root.name).toBe('total');
    expect(root.fade).toBe(true);
    expect(root.children).toHaveLength(1);
    const focus = root.children![0];
    expect(focus.name).toBe('big');
    expect(focus.fade).toBeUndefined();
    expect(focus.children).toHaveLength(51);
    expect(visible).toBe(1 + 1 + 51);
  });

  it('handles an empty tree', () => {
    const empty = flamebearerToTree({ names: [], levels: [] });
    expect(foldToVisible(empty, 0, 100, subtreeSizes(empty)).visible).toBe(0);
  });
});

describe('fold to visible on random trees', () => {
  function randomTree(seed: number, size: number): StackNode {
    let s = seed;
    const rnd = () => (s = (s * 16807) % 2147483647) / 2147483647;
    const root: StackNode = { name: 'total', self: 0, children: [] };
    const all = [root];
    for (let i = 1; i < size; i++) {
      const parent = all[Math.floor(rnd() ** 2 * all.length)];
      const child: StackNode = {
        name: `f${Math.floor(rnd() * 50)}`,
        self: Math.floor(1 / (rnd() + 0.001)),
        children: [],
      };
      parent.children!.push(child);
      all.push(child);
    }
    return root;
  }

  it.each([1, 2, 3, 4, 5])('seed %i: frames shown >= minPx, all others counted as folded, at every zoom', (seed) => {
    const tree = flamebearerToTree(flamebearerFromTree(randomTree(seed, 3000)));
    const sizes = subtreeSizes(tree);
    for (const focus of [0, 1, Math.floor(tree.count / 2)]) {
      const width = 800;
      const { root, visible } = foldToVisible(tree, focus, width, sizes);
      let folded = 0;
      let ancestors = 0;
      walk(root, (n) => {
        folded += n.folded;
        if (n.fade) {
          ancestors++;
        } else if (n.i !== focus) {
          expect((tree.total[n.i] * width) / tree.total[focus]).toBeGreaterThanOrEqual(1);
        }
      });
      expect(visible - ancestors + folded).toBe(sizes[focus]);
      expect(ancestors).toBe(tree.level[focus]);
    }
  });
});
