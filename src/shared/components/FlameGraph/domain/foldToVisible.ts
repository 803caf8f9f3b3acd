import { FlameTree } from '../../../domain/converters/flamebearer';

/** What d3-flame-graph receives: only frames at least `minPx` wide at the current zoom. */
export interface ViewNode {
  name: string;
  /** true total of the node (d3-flame-graph derives self from value minus the shown children) */
  value: number;
  /** index in the FlameTree, for true self/total in tooltips and the table */
  i: number;
  /** number of descendants folded into this frame because they were narrower than minPx */
  folded: number;
  /** ancestors of the zoomed frame: drawn full width, faded */
  fade?: boolean;
  children?: ViewNode[];
}

export interface FoldResult {
  root: ViewNode;
  /** frames handed to the chart */
  visible: number;
}

/** Number of nodes in each subtree (the node included); pre-order lets one reverse pass do it. */
export function subtreeSizes(tree: FlameTree): Int32Array {
  const size = new Int32Array(tree.count).fill(1);
  for (let i = tree.count - 1; i > 0; i--) {
    const p = tree.parent[i];
    if (p >= 0) {
      size[p] += size[i];
    }
  }
  return size;
}

/**
 * The tree as it can be seen `widthPx` wide when zoomed on `focus`: the ancestors of `focus` as a faded chain
 * (full width, as d3-flame-graph's own zoom draws them), then the subtree of `focus` without the frames
 * narrower than `minPx`; their time stays in their parent's total, which the chart shows as self.
 */
export function foldToVisible(
  tree: FlameTree,
  focus: number,
  widthPx: number,
  sizes: Int32Array,
  minPx = 1
): FoldResult {
  if (!tree.count) {
    return { root: { name: 'total', value: 0, i: 0, folded: 0 }, visible: 0 };
  }
  const focusTotal = tree.total[focus] || 1;
  const minValue = (minPx * focusTotal) / Math.max(1, widthPx);
  let visible = 0;
  const make = (i: number): ViewNode => {
    visible++;
    return { name: tree.names[tree.nameIndex[i]] ?? '', value: tree.total[i], i, folded: 0 };
  };
  const focusNode = make(focus);
  // Iterative: deep stacks (thousands of frames) would overflow a recursive walk.
  const stack: ViewNode[] = [focusNode];
  while (stack.length) {
    const node = stack.pop()!;
    let hidden = sizes[node.i] - 1;
    for (let c = tree.firstChild[node.i]; c >= 0; c = tree.nextSibling[c]) {
      if (tree.total[c] >= minValue && tree.total[c] > 0) {
        const child = make(c);
        (node.children ??= []).push(child);
        hidden -= sizes[c];
        stack.push(child);
      }
    }
    node.folded = hidden;
  }
  let root = focusNode;
  for (let p = tree.parent[focus]; p >= 0; p = tree.parent[p]) {
    const ancestor = make(p);
    ancestor.fade = true;
    ancestor.children = [root];
    root = ancestor;
  }
  return { root, visible };
}
