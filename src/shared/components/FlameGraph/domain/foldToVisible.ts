import { FlameTree } from '../../../domain/converters/flamebearer';
import { CollapsedFlags, FrameGroups, groupPosition } from './frameGroups';

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
  /** the frame is (part of) a group of single-child frames */
  group?: ViewGroup;
  children?: ViewNode[];
}

export interface ViewGroup {
  id: number;
  /** drawn as one frame standing for `count` frames */
  collapsed: boolean;
  count: number;
  position: 'first' | 'middle' | 'last';
}

export interface GroupsView {
  groups: FrameGroups;
  collapsed: CollapsedFlags;
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
  minPx = 1,
  groupsView?: GroupsView
): FoldResult {
  if (!tree.count) {
    return { root: { name: 'total', value: 0, i: 0, folded: 0 }, visible: 0 };
  }
  const focusTotal = tree.total[focus] || 1;
  const minValue = (minPx * focusTotal) / Math.max(1, widthPx);
  let visible = 0;
  // A collapsed group is drawn as its first frame (or the focused one) with the children of its last.
  const through = new Map<ViewNode, number>();
  const make = (i: number, chain = true): ViewNode => {
    visible++;
    const node: ViewNode = { name: tree.names[tree.nameIndex[i]] ?? '', value: tree.total[i], i, folded: 0 };
    const g = groupsView?.groups.groupOf[i] ?? -1;
    if (g >= 0 && groupsView) {
      const collapsed = chain && groupsView.collapsed[g] === 1;
      if (collapsed) {
        const last = groupsView.groups.tail[g];
        through.set(node, last);
        node.group = { id: g, collapsed, count: tree.level[last] - tree.level[i] + 1, position: 'first' };
      } else {
        const position = groupPosition(groupsView.groups, i) ?? 'middle';
        node.group = { id: g, collapsed, count: groupsView.groups.size[g], position };
      }
    }
    return node;
  };
  const focusNode = make(focus);
  // Iterative: deep stacks (thousands of frames) would overflow a recursive walk.
  const stack: ViewNode[] = [focusNode];
  while (stack.length) {
    const node = stack.pop()!;
    const from = through.get(node) ?? node.i;
    let hidden = sizes[from] - 1;
    for (let c = tree.firstChild[from]; c >= 0; c = tree.nextSibling[c]) {
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
    // the chain above a zoomed frame is drawn frame by frame
    const ancestor = make(p, false);
    ancestor.fade = true;
    ancestor.children = [root];
    root = ancestor;
  }
  return { root, visible };
}
