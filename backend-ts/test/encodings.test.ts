import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { toDot } from '../src/encode/dot.js';
import { toFlameGraph } from '../src/encode/flamegraph.js';
import { flameGraphDiffToStacks, flameGraphToStacks } from './flamegraphDecode.js';
import { toFlameGraphDiff } from '../src/encode/flamegraphDiff.js';
import { FlameTree } from '../src/model/tree.js';
import { fromTreeBytes, toTreeBytes } from '../src/encode/treeBytes.js';

type Stacks = Array<[string, number]>;

/** A tree from "a;b;c" (root first) stacks. */
function treeOf(stacks: Stacks): FlameTree {
  const tree = new FlameTree();
  for (const [stack, value] of stacks) {
    tree.insert(
      stack.split(';').map((n) => tree.nameId(n)),
      value
    );
  }
  return tree;
}

/** Stacks as a map, summing repeats and leaving out zeros, as the decoders report them. */
function stackMap(stacks: Stacks): Map<string, number> {
  const m = new Map<string, number>();
  for (const [s, v] of stacks) {
    m.set(s, (m.get(s) ?? 0) + v);
  }
  for (const [s, v] of m) {
    if (v === 0) {
      m.delete(s);
    }
  }
  return m;
}

/** Stacks of a tree, walked with an explicit stack (independent of the encoders). */
function treeStacks(tree: FlameTree): Map<string, number> {
  const lists = tree.childrenLists();
  const out = new Map<string, number>();
  const work: Array<[number, string]> = [[0, '']];
  while (work.length > 0) {
    const [n, path] = work.pop()!;
    if (tree.self[n] !== 0) {
      out.set(path, tree.self[n]);
    }
    for (const c of lists[n]) {
      const name = tree.names[tree.name[c]];
      work.push([c, path === '' ? name : `${path};${name}`]);
    }
  }
  return out;
}

function sortedEntries(m: Map<string, number>): Array<[string, number]> {
  return [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function assertSameStacks(actual: Map<string, number>, expected: Map<string, number>): void {
  assert.deepEqual(sortedEntries(actual), sortedEntries(expected));
}

/** Deterministic pseudo-random stacks over a small alphabet, so that paths merge and siblings vary. */
function randomStacks(seed: number, count: number, alphabet = 12, maxDepth = 8): Stacks {
  let s = seed >>> 0;
  const rnd = (n: number): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
  const stacks: Stacks = [];
  for (let i = 0; i < count; i++) {
    const depth = 1 + rnd(maxDepth);
    const frames: string[] = [];
    for (let d = 0; d < depth; d++) {
      frames.push(`fn${rnd(alphabet)}`);
    }
    stacks.push([frames.join(';'), 1 + rnd(1000)]);
  }
  return stacks;
}

function sumValues(m: Map<string, number>): number {
  let t = 0;
  for (const v of m.values()) {
    t += v;
  }
  return t;
}

/** Sum of the selfs of every stack that starts with `prefix` (the total of that node). */
function totalUnder(m: Map<string, number>, prefix: string): number {
  let t = 0;
  for (const [s, v] of m) {
    if (s === prefix || s.startsWith(`${prefix};`)) {
      t += v;
    }
  }
  return t;
}

// a;b 3, a;c 2, a 1, d 4: worked out on paper in the comments of the tests below.
const SMALL: Stacks = [
  ['a;b', 3],
  ['a;c', 2],
  ['a', 1],
  ['d', 4],
];

describe('toFlameGraph', () => {
  it('lays out a small tree as Pyroscope does', () => {
    // root total 10. Level 1 (names sorted): a at x 0 (total 6, self 1), d at x 6 (total 4).
    // Level 2: a's children start after its self: b at x 1 (3), c at x 4 (2); x as delta from the previous end.
    // Names in walk order, last child first: total, d, a, c, b.
    const fg = toFlameGraph(treeOf(SMALL), 0);
    assert.deepEqual(fg, {
      names: ['total', 'd', 'a', 'c', 'b'],
      levels: [
        [0, 10, 0, 0],
        [0, 6, 1, 2, 0, 4, 4, 1],
        [1, 3, 3, 4, 0, 2, 2, 3],
      ],
      total: 10,
      maxSelf: 4,
    });
  });

  it('sorts siblings by name whatever the insertion order', () => {
    const fg = toFlameGraph(
      treeOf([
        ['z', 1],
        ['b', 2],
        ['m', 3],
      ]),
      0
    );
    // x: b 0, m 2, z 5; all deltas 0. Walk order: z, m, b.
    assert.deepEqual(fg.names, ['total', 'z', 'm', 'b']);
    assert.deepEqual(fg.levels[1], [0, 2, 2, 3, 0, 3, 3, 2, 0, 1, 1, 1]);
  });

  it('orders names by UTF-8 bytes like Go, not by UTF-16 units', () => {
    // U+FF5E (UTF-8 EF BD 9E) sorts before U+1F600 (UTF-8 F0 9F 98 80); in UTF-16 the surrogate D83D comes first.
    const fg = toFlameGraph(
      treeOf([
        ['\u{1F600}', 1],
        ['\uFF5E', 2],
      ]),
      0
    );
    assert.deepEqual(fg.levels[1], [0, 2, 2, 2, 0, 1, 1, 1]);
    assert.deepEqual(fg.names, ['total', '\u{1F600}', '\uFF5E']);
  });

  it('folds what does not fit into "other", keeping totals', () => {
    // Non-root totals 6 (a), 4 (d), 3 (b), 2 (c): with 2 nodes the threshold is the 2nd largest, 4.
    // a and d stay; b and c fold into one "other" under a at x 1 with self = total = 5.
    const fg = toFlameGraph(treeOf(SMALL), 2);
    assert.deepEqual(fg, {
      names: ['total', 'd', 'a', 'other'],
      levels: [
        [0, 10, 0, 0],
        [0, 6, 1, 2, 0, 4, 4, 1],
        [1, 5, 5, 3],
      ],
      total: 10,
      maxSelf: 5,
    });
  });

  it('always folds a child named "other", as Pyroscope does, moving it after its kept siblings', () => {
    // Root children sorted: other (2, with child x), y (1). "other" is folded even without a limit:
    // y takes x 0 and the synthetic other (2, no children) follows at x 1.
    const fg = toFlameGraph(
      treeOf([
        ['other;x', 2],
        ['y', 1],
      ]),
      0
    );
    assert.deepEqual(fg.names, ['total', 'other', 'y']);
    assert.deepEqual(fg.levels, [
      [0, 3, 0, 0],
      [0, 1, 1, 2, 0, 2, 2, 1],
    ]);
  });

  it('decodes back to the inserted stacks', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const stacks = randomStacks(seed, 300);
      const fg = toFlameGraph(treeOf(stacks), 1 << 20);
      assertSameStacks(flameGraphToStacks(fg), stackMap(stacks));
      assert.equal(fg.total, sumValues(stackMap(stacks)));
    }
  });

  it('truncates: totals unchanged, kept nodes exact, the rest in "other"', () => {
    for (const seed of [11, 12, 13]) {
      const stacks = randomStacks(seed, 500, 20, 10);
      const tree = treeOf(stacks);
      const expected = stackMap(stacks);
      for (const maxNodes of [5, 50, 200]) {
        const fg = toFlameGraph(tree, maxNodes);
        const got = flameGraphToStacks(fg);
        assert.equal(fg.total, tree.total[0]);
        assert.equal(fg.levels[0][1], tree.total[0]);
        assert.equal(sumValues(got), tree.total[0], 'every unit of value is somewhere');
        assert.ok(fg.names.includes('other'));
        let nodes = 0;
        let others = 0;
        for (const level of fg.levels.slice(1)) {
          for (let i = 0; i < level.length; i += 4) {
            nodes++;
            if (fg.names[level[i + 3]] === 'other') {
              others++;
            }
          }
        }
        // Totals here are distinct enough that ties at the threshold are rare; allow a few.
        assert.ok(nodes - others <= maxNodes + 3, `${nodes - others} kept nodes for max ${maxNodes}`);
        for (const [stack, self] of got) {
          if (stack.split(';').includes('other')) {
            continue;
          }
          assert.equal(self, expected.get(stack) ?? 0, `self of kept ${stack}`);
          assert.equal(totalUnder(got, stack), totalUnder(expected, stack), `total of kept ${stack}`);
        }
      }
    }
  });

  it('treats 0 as 8192 nodes', () => {
    // 9000 leaves valued 1..9000: the 8192nd largest is 809, so 808 leaves fold into "other".
    const stacks: Stacks = [];
    for (let i = 0; i < 9000; i++) {
      stacks.push([`f${i}`, i + 1]);
    }
    const fg = toFlameGraph(treeOf(stacks), 0);
    assert.equal(fg.levels[1].length / 4, 8193);
    assert.equal(flameGraphToStacks(fg).get('other'), (808 * 809) / 2);
    assert.equal(toFlameGraph(treeOf(stacks), 10000).names.includes('other'), false);
  });

  it('keeps every node tied at the threshold, as Pyroscope does', () => {
    // 9000 leaves with values 1..7: the 8192nd largest is 1, so nothing is cut.
    const stacks: Stacks = [];
    for (let i = 0; i < 9000; i++) {
      stacks.push([`f${i}`, 1 + (i % 7)]);
    }
    assert.equal(toFlameGraph(treeOf(stacks), 0).levels[1].length / 4, 9000);
  });

  it('handles a 2000-frame stack and a 100k-node tree', () => {
    const deep = Array.from({ length: 2000 }, (_, i) => `frame${i}`).join(';');
    const deepStacks: Stacks = [
      [deep, 7],
      [deep.split(';').slice(0, 1000).join(';'), 3],
    ];
    const fg = toFlameGraph(treeOf(deepStacks), 0);
    assert.equal(fg.levels.length, 2001);
    assertSameStacks(flameGraphToStacks(fg), stackMap(deepStacks));

    const wide = new FlameTree();
    for (let i = 0; i < 50000; i++) {
      wide.insert([wide.nameId(`pkg${i % 100}`), wide.nameId(`fn${i}`)], 1 + (i % 13));
      wide.insert([wide.nameId(`pkg${i % 100}`), wide.nameId(`fn${i}`), wide.nameId('leaf')], 1);
    }
    assert.ok(wide.size > 100000);
    const wfg = toFlameGraph(wide, 16384);
    assert.equal(wfg.total, wide.total[0]);
    assert.equal(sumValues(flameGraphToStacks(wfg)), wide.total[0]);
    const full = toFlameGraph(wide, 1 << 20);
    assertSameStacks(flameGraphToStacks(full), treeStacks(wide));
  });
});

describe('toFlameGraphDiff', () => {
  // Right: a;b 1, e 5. Aligned root children: a (both), d (left only), e (right only); under a: b (both), c (left).
  const RIGHT: Stacks = [
    ['a;b', 1],
    ['e', 5],
  ];

  it('aligns two small trees as Pyroscope does', () => {
    // Left x/right x per node: a 0/0, d 6/1, e 10/1; b 1/0, c 4/1. Walk order: total, e, d, a, c, b.
    const fg = toFlameGraphDiff(treeOf(SMALL), treeOf(RIGHT), 0);
    assert.deepEqual(fg, {
      names: ['total', 'e', 'd', 'a', 'c', 'b'],
      levels: [
        [0, 10, 0, 0, 6, 0, 0],
        [0, 6, 1, 0, 1, 0, 3, 0, 4, 4, 0, 0, 0, 2, 0, 0, 0, 0, 5, 5, 1],
        [1, 3, 3, 0, 1, 1, 5, 0, 2, 2, 0, 0, 0, 4],
      ],
      total: 16,
      maxSelf: 5,
      leftTicks: 10,
      rightTicks: 6,
    });
  });

  it('folds by max(left, right) counting the root', () => {
    // 6 aligned nodes; max totals 10 (root), 6 (a), 5 (e), 4 (d), 3 (b), 2 (c): 3 nodes -> threshold 5.
    // Root: a and e stay, d (4/0) folds to other; under a, b (3/1) and c (2/0) fold to other (5/1).
    const fg = toFlameGraphDiff(treeOf(SMALL), treeOf(RIGHT), 3);
    assert.deepEqual(fg, {
      names: ['total', 'other', 'e', 'a'],
      levels: [
        [0, 10, 0, 0, 6, 0, 0],
        [0, 6, 1, 0, 1, 0, 3, 0, 0, 0, 0, 5, 5, 2, 0, 4, 4, 0, 0, 0, 1],
        [1, 5, 5, 0, 1, 1, 1],
      ],
      total: 16,
      maxSelf: 5,
      leftTicks: 10,
      rightTicks: 6,
    });
  });

  it('of a tree against itself has left == right everywhere', () => {
    const tree = treeOf(randomStacks(21, 400));
    for (const maxNodes of [0, 40]) {
      const fg = toFlameGraphDiff(tree, tree, maxNodes);
      for (const level of fg.levels) {
        for (let i = 0; i < level.length; i += 7) {
          assert.deepEqual(level.slice(i, i + 3), level.slice(i + 3, i + 6));
        }
      }
      assert.equal(fg.leftTicks, tree.total[0]);
      assert.equal(fg.total, 2 * tree.total[0]);
    }
  });

  it('of two different trees decodes to the two single flame graphs', () => {
    for (const seed of [31, 32, 33]) {
      const left = treeOf(randomStacks(seed, 300));
      const right = treeOf(randomStacks(seed + 100, 200, 15));
      const { left: l, right: r } = flameGraphDiffToStacks(toFlameGraphDiff(left, right, 1 << 20));
      assertSameStacks(l, flameGraphToStacks(toFlameGraph(left, 1 << 20)));
      assertSameStacks(r, flameGraphToStacks(toFlameGraph(right, 1 << 20)));
      const cut = flameGraphDiffToStacks(toFlameGraphDiff(left, right, 30));
      assert.equal(sumValues(cut.left), left.total[0]);
      assert.equal(sumValues(cut.right), right.total[0]);
    }
  });

  it('refuses negative values', () => {
    const bad = treeOf([['a', 3]]);
    bad.self[1] = -1;
    assert.throws(() => toFlameGraphDiff(bad, treeOf([['a', 1]]), 0), RangeError);
  });

  it('handles deep stacks and wide trees', () => {
    const wide = new FlameTree();
    for (let i = 0; i < 100000; i++) {
      wide.insert([wide.nameId(`m${i % 97}`), wide.nameId(`f${i}`)], 1 + (i % 5));
    }
    const half = treeOf(randomStacks(71, 2000, 50));
    const wfg = toFlameGraphDiff(wide, half, 16384);
    assert.equal(wfg.leftTicks, wide.total[0]);
    assert.equal(wfg.rightTicks, half.total[0]);
    const decoded = flameGraphDiffToStacks(wfg);
    assert.equal(sumValues(decoded.left), wide.total[0]);
    assert.equal(sumValues(decoded.right), half.total[0]);

    const deep = Array.from({ length: 2000 }, (_, i) => `frame${i}`).join(';');
    const fg = toFlameGraphDiff(treeOf([[deep, 2]]), treeOf([[`${deep};extra`, 3]]), 0);
    assert.equal(fg.levels.length, 2002);
    const { left, right } = flameGraphDiffToStacks(fg);
    assertSameStacks(left, stackMap([[deep, 2]]));
    assertSameStacks(right, stackMap([[`${deep};extra`, 3]]));
  });
});

describe('TREE bytes', () => {
  const b = (s: string): number[] => [...new TextEncoder().encode(s)];

  it('writes the format by hand-made vectors', () => {
    // Virtual root: len 0, self 0, 2 children; then children in descending name order:
    // d (self 4, 0 children), a (self 1, 2 children): c (2), b (3).
    assert.deepEqual(
      [...toTreeBytes(treeOf(SMALL), 0)],
      [0, 0, 2, 1, 0x64, 4, 0, 1, 0x61, 1, 2, 1, 0x63, 2, 0, 1, 0x62, 3, 0]
    );
    // 300 = 0b10_0101100 -> AC 02; "é" is 2 bytes C3 A9.
    assert.deepEqual([...toTreeBytes(treeOf([['é', 300]]), 0)], [0, 0, 1, 2, 0xc3, 0xa9, 0xac, 0x02, 0]);
    // 2^35 + 5 = 1 * 128^5 + 5 -> 85 80 80 80 80 01.
    assert.deepEqual(
      [...toTreeBytes(treeOf([['x', 2 ** 35 + 5]]), 0)],
      [0, 0, 1, 1, 0x78, 0x85, 0x80, 0x80, 0x80, 0x80, 0x01, 0]
    );
    assert.deepEqual([...toTreeBytes(new FlameTree(), 0)], []);
  });

  it('truncates into "other" placed by name', () => {
    // Threshold 4 (2nd largest of 6, 4, 3, 2): a keeps 1 child, the synthetic other (5).
    assert.deepEqual(
      [...toTreeBytes(treeOf(SMALL), 2)],
      [0, 0, 2, 1, 0x64, 4, 0, 1, 0x61, 1, 1, 5, ...b('other'), 5, 0]
    );
    // Totals 5, 5, 1, 1 -> threshold 5: a and z stay, m + n = 2 go to "other" between them (a < other < z).
    assert.deepEqual(
      [
        ...toTreeBytes(
          treeOf([
            ['a', 5],
            ['m', 1],
            ['n', 1],
            ['z', 5],
          ]),
          2
        ),
      ],
      [0, 0, 3, 1, ...b('z'), 5, 0, 5, ...b('other'), 2, 0, 1, ...b('a'), 5, 0]
    );
    // An existing "other" is always kept and receives the folded values (b + c = 2) in its self.
    assert.deepEqual(
      [
        ...toTreeBytes(
          treeOf([
            ['a', 5],
            ['b', 1],
            ['c', 1],
            ['other', 1],
          ]),
          1
        ),
      ],
      [0, 0, 2, 5, ...b('other'), 3, 0, 1, ...b('a'), 5, 0]
    );
  });

  it('reads hand-made vectors, in any child order, merging repeated names', () => {
    // Children in ascending order this time, and b appears twice under a.
    const bytes = Uint8Array.from([0, 0, 2, 1, 0x61, 1, 3, 1, 0x62, 2, 0, 1, 0x63, 2, 0, 1, 0x62, 1, 0, 1, 0x64, 4, 0]);
    const tree = fromTreeBytes(bytes);
    assertSameStacks(treeStacks(tree), stackMap(SMALL));
    assert.equal(tree.total[0], 10);
    const a = tree.childrenLists()[0].find((n) => tree.names[tree.name[n]] === 'a')!;
    assert.equal(tree.total[a], 6);
    assert.equal(fromTreeBytes(new Uint8Array([0])).size, 1);
  });

  it('rejects malformed bytes', () => {
    assert.throws(() => fromTreeBytes(Uint8Array.from([0, 0, 1, 5, 0x61])), /malformed/);
    assert.throws(() => fromTreeBytes(Uint8Array.from([0, 0, 0x80])), /malformed/);
    assert.throws(() => fromTreeBytes(Uint8Array.from([0, 0, 100, 1, 0x61, 1, 0])), /malformed/);
  });

  it('round-trips random, deep and wide trees', () => {
    for (const seed of [41, 42]) {
      const tree = treeOf(randomStacks(seed, 300));
      assertSameStacks(treeStacks(fromTreeBytes(toTreeBytes(tree, 1 << 20))), treeStacks(tree));
      const cut = fromTreeBytes(toTreeBytes(tree, 20));
      assert.equal(cut.total[0], tree.total[0]);
    }
    const deep = Array.from({ length: 2000 }, (_, i) => `frame${i}`).join(';');
    const deepTree = treeOf([[deep, 9]]);
    assertSameStacks(treeStacks(fromTreeBytes(toTreeBytes(deepTree, 0))), stackMap([[deep, 9]]));

    const wide = new FlameTree();
    for (let i = 0; i < 100000; i++) {
      wide.insert([wide.nameId(`m${i % 97}`), wide.nameId(`f${i}`)], 1 + (i % 5));
    }
    const back = fromTreeBytes(toTreeBytes(wide, 1 << 20));
    assert.equal(back.size, wide.size);
    assertSameStacks(treeStacks(back), treeStacks(wide));
    const cut = fromTreeBytes(toTreeBytes(wide, 16384));
    assert.equal(cut.total[0], wide.total[0]);
    assert.ok(cut.size < wide.size);
  });
});

describe('toDot', () => {
  const nodeLines = (dot: string): string[] => dot.split('\n').filter((l) => /^N\d+ \[label=/.test(l));

  it('writes pprof-shaped DOT for a small tree', () => {
    // Functions: a flat 1 cum 6, b 3, c 2, d 4; edges a->b 3, a->c 2. Entropy scores: a 15, d 12, b 6, c 4.
    const dot = toDot(treeOf(SMALL), 100);
    const lines = dot.split('\n');
    assert.equal(lines[0], 'digraph "unnamed" {');
    assert.equal(lines[1], 'node [style=filled fillcolor="#f8f8f8"]');
    assert.equal(
      lines[2],
      'subgraph cluster_L { "Showing nodes accounting for 10, 100% of 10 total" [shape=box fontsize=16 label="Showing nodes accounting for 10, 100% of 10 total\\l\\lSee https://git.io/JfYMW for how to read the graph\\l"] }'
    );
    // cum 6/10: colour from pprof's dotColor(0.6); font 8 + ceil(16 * sqrt(1/4)) = 16.
    assert.equal(
      lines[3],
      'N1 [label="a\\n1 (10.00%)\\nof 6 (60.00%)" id="node1" fontsize=16 shape=box tooltip="a (6)" color="#b21900" fillcolor="#edd8d5"]'
    );
    assert.equal(
      lines[4],
      'N2 [label="d\\n4 (40.00%)" id="node2" fontsize=24 shape=box tooltip="d (4)" color="#b22a00" fillcolor="#eddbd5"]'
    );
    assert.match(lines[5], /^N3 \[label="b\\n3 \(30\.00%\)" id="node3" /);
    assert.match(lines[6], /^N4 \[label="c\\n2 \(20\.00%\)" id="node4" /);
    // weight 1 + 3*100/10 = 31, penwidth 1 + 3*5/10 = 2.
    assert.equal(
      lines[7],
      'N1 -> N3 [label=" 3" weight=31 penwidth=2 color="#b23600" tooltip="a -> b (3)" labeltooltip="a -> b (3)"]'
    );
    assert.equal(
      lines[8],
      'N1 -> N4 [label=" 2" weight=21 penwidth=2 color="#b24400" tooltip="a -> c (2)" labeltooltip="a -> c (2)"]'
    );
    assert.equal(lines[9], '}');
  });

  it('keeps at most maxNodes nodes and marks calls through dropped ones as residual', () => {
    // a;m;z 10, a;q 1: m is a pure pass-through (entropy 0) and goes first; a -> z becomes residual.
    const dot = toDot(
      treeOf([
        ['a;m;z', 10],
        ['a;q', 1],
      ]),
      3
    );
    assert.equal(nodeLines(dot).length, 3);
    assert.ok(dot.includes('Showing top 3 nodes out of 4'));
    assert.match(
      dot,
      /N2 -> N1 \[label=" 10" weight=91 penwidth=5 color="#[0-9a-f]{6}" tooltip="a \.\.\. z \(10\)" labeltooltip="a \.\.\. z \(10\)" style="dotted"\]/
    );

    const big = treeOf(randomStacks(51, 400, 40, 10));
    for (const maxNodes of [1, 10, 25]) {
      assert.ok(nodeLines(toDot(big, maxNodes)).length <= maxNodes);
    }
  });

  it('counts recursion once, shortens names and formats units', () => {
    const rec = Array.from({ length: 2000 }, () => 'github.com/org/repo/v2/pkg.(*T).Walk').join(';');
    const dot = toDot(treeOf([[rec, 1.5e9]]), 10, { sampleType: 'cpu', sampleUnit: 'nanoseconds' });
    const nodes = nodeLines(dot);
    assert.equal(nodes.length, 1);
    // Module version and package path dropped, one line per dot-separated part; 1.5e9 ns shown as seconds.
    assert.ok(nodes[0].startsWith('N1 [label="pkg\\n(*T)\\nWalk\\n1.50s (100%)" '), nodes[0]);
    assert.ok(
      dot.includes(
        '"Type: cpu" [shape=box fontsize=16 label="Type: cpu\\lShowing nodes accounting for 1.50s, 100% of 1.50s total'
      )
    );
    assert.ok(!dot.includes(' -> '), 'no self edge for recursion');
  });

  it('handles a 100k-node tree', () => {
    const wide = new FlameTree();
    for (let i = 0; i < 50000; i++) {
      wide.insert([wide.nameId(`pkg${i % 100}.run`), wide.nameId(`pkg${i % 7}.fn${i}`)], 1 + (i % 13));
      wide.insert([wide.nameId(`pkg${i % 100}.run`), wide.nameId(`pkg${i % 7}.fn${i}`), wide.nameId('leaf')], 1);
    }
    assert.ok(wide.size > 100000);
    const dot = toDot(wide, 100);
    assert.equal(nodeLines(dot).length, 100);
    assert.ok(dot.includes(`Showing top 100 nodes out of ${50000 + 100 + 1}`));
  });

  it('can fold the source tree first, as the render handler does', () => {
    const tree = treeOf(randomStacks(61, 400, 30, 8));
    const dot = toDot(tree, 0, { sourceMaxNodes: 20 });
    assert.ok(nodeLines(dot).some((l) => l.includes('tooltip="other (')));
    assert.ok(dot.includes(`of ${tree.total[0]} total`));
  });
});
