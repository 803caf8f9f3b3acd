import { ChildIndex } from './childIndex.js';
import { finishLevel } from './finishLevel.js';
import { compareAcross, NameOrder } from './nameOrder.js';
import type { FlameTree } from '../model/tree.js';
import { kthLargest, OTHER_NAME, nodeLimit } from './truncation.js';
import { WorkStack } from './workStack.js';

/** Pyroscope's `querier.v1.FlameGraphDiff` (and the legacy "double" flamebearer). */
export interface FlameGraphDiff {
  names: string[];
  /** Per level, 7 numbers per node: [left x delta, left total, left self, right x delta, right total, right self, name index]. */
  levels: number[][];
  total: number;
  maxSelf: number;
  leftTicks: number;
  rightTicks: number;
}

/**
 * Aligns two trees into one node set and encodes it as Pyroscope's NewFlamegraphDiff does:
 * - siblings of both sides are merged by name (Go string order); a node missing on one side gets zeros there
 *   (and so do all its descendants on that side);
 * - limit: the threshold is the maxNodes-th largest max(left total, right total) over the aligned nodes,
 *   counting the root (Pyroscope's combineMinValues; the single flame graph does not count its root), and
 *   nothing is cut when the aligned tree, root included, has at most maxNodes nodes;
 * - a child is kept when either side reaches the threshold; the rest of a parent's children fold into one
 *   trailing "other" node per side. Unlike the single flame graph, a child literally named "other" is not
 *   folded on sight, and it shares its name index with the synthetic one;
 * - names are numbered in walk order, the root being "total" = 0 (a function literally named "" shares 0);
 * - both x columns are delta-encoded separately; total = left ticks + right ticks.
 * Throws a RangeError when a tree holds a negative self value, as Pyroscope refuses those.
 */
export function toFlameGraphDiff(left: FlameTree, right: FlameTree, maxNodes: number): FlameGraphDiff {
  assertNonNegative(left, right);
  const limit = nodeLimit(maxNodes);
  const aligned = alignTrees(left, right);
  const { cl, cr, count } = aligned;
  const lTotal = new Float64Array(count);
  const rTotal = new Float64Array(count);
  for (let c = 0; c < count; c++) {
    lTotal[c] = cl[c] >= 0 ? left.total[cl[c]] : 0;
    rTotal[c] = cr[c] >= 0 ? right.total[cr[c]] : 0;
  }
  let minVal = 0;
  if (count > limit) {
    const widest = new Float64Array(count);
    for (let c = 0; c < count; c++) {
      widest[c] = Math.max(lTotal[c], rTotal[c]);
    }
    minVal = kthLargest(widest, limit);
  }

  const { names, levels, maxSelf } = emitLevels(left, right, aligned, lTotal, rTotal, minVal);
  for (const l of levels) {
    finishLevel(l, 7, 0, 3);
  }
  return {
    names,
    levels,
    total: lTotal[0] + rTotal[0],
    maxSelf,
    leftTicks: lTotal[0],
    rightTicks: rTotal[0],
  };
}

/**
 * The two trees aligned into one, breadth first so that each node's children are contiguous: node c pairs left
 * node cl[c] with right node cr[c] (-1 = missing on that side); its children are [kidStart[c], kidStart[c + 1]).
 */
interface Aligned {
  cl: Int32Array;
  cr: Int32Array;
  kidStart: Int32Array;
  count: number;
}

function alignTrees(left: FlameTree, right: FlameTree): Aligned {
  const lOrder = new NameOrder(left.names);
  const rOrder = new NameOrder(right.names);
  const lKids = new ChildIndex(left, lOrder);
  const rKids = new ChildIndex(right, rOrder);
  const lName = left.name;
  const rName = right.name;
  const cap = left.size + right.size - 1;
  const cl = new Int32Array(cap);
  const cr = new Int32Array(cap);
  const kidStart = new Int32Array(cap + 1);
  let count = 1;
  for (let c = 0; c < count; c++) {
    kidStart[c] = count;
    const l = cl[c];
    const r = cr[c];
    if (l >= 0) {
      lKids.sortChildren(l);
    }
    if (r >= 0) {
      rKids.sortChildren(r);
    }
    let i = l >= 0 ? lKids.start[l] : 0;
    const iEnd = l >= 0 ? lKids.start[l + 1] : 0;
    let j = r >= 0 ? rKids.start[r] : 0;
    const jEnd = r >= 0 ? rKids.start[r + 1] : 0;
    while (i < iEnd && j < jEnd) {
      const a = lKids.list[i];
      const b = rKids.list[j];
      const cmp = compareAcross(lOrder, lName[a], rOrder, rName[b]);
      cl[count] = cmp <= 0 ? a : -1;
      cr[count] = cmp >= 0 ? b : -1;
      if (cmp <= 0) {
        i++;
      }
      if (cmp >= 0) {
        j++;
      }
      count++;
    }
    for (; i < iEnd; i++, count++) {
      cl[count] = lKids.list[i];
      cr[count] = -1;
    }
    for (; j < jEnd; j++, count++) {
      cl[count] = -1;
      cr[count] = rKids.list[j];
    }
  }
  kidStart[count] = count;

  return { cl, cr, kidStart, count };
}

/** Walks the aligned tree depth first and writes each kept node's 7 numbers on its level. */
function emitLevels(
  left: FlameTree,
  right: FlameTree,
  aligned: Aligned,
  lTotal: Float64Array,
  rTotal: Float64Array,
  minVal: number
): { names: string[]; levels: number[][]; maxSelf: number } {
  const { cl, cr, kidStart } = aligned;
  const lName = left.name;
  const rName = right.name;
  const names: string[] = ['total'];
  const nameIndex = new Map<string, number>([['', 0]]);
  const lOut = new Int32Array(left.names.length).fill(-1);
  const rOut = new Int32Array(right.names.length).fill(-1);
  const indexOf = (name: string): number => {
    let i = nameIndex.get(name);
    if (i === undefined) {
      i = names.length;
      names.push(name);
      nameIndex.set(name, i);
    }
    return i;
  };

  const levels: number[][] = [];
  let maxSelf = 0;
  // num: left x, right x, and for a synthetic "other" (node -1) its left and right values.
  const stack = new WorkStack(4);
  stack.push(0, 0);
  while (stack.size > 0) {
    const e = stack.pop();
    const c = stack.node[e];
    const level = stack.level[e];
    const p = e * 4;
    let lx = stack.num[p];
    let rx = stack.num[p + 1];
    let lt: number;
    let ls: number;
    let rt: number;
    let rs: number;
    let nameIdx: number;
    if (c >= 0) {
      const l = cl[c];
      const r = cr[c];
      lt = lTotal[c];
      rt = rTotal[c];
      ls = l >= 0 ? left.self[l] : 0;
      rs = r >= 0 ? right.self[r] : 0;
      if (c === 0) {
        nameIdx = 0;
      } else if (l >= 0) {
        nameIdx = lOut[lName[l]];
        if (nameIdx < 0) {
          nameIdx = lOut[lName[l]] = indexOf(left.names[lName[l]]);
        }
      } else {
        nameIdx = rOut[rName[r]];
        if (nameIdx < 0) {
          nameIdx = rOut[rName[r]] = indexOf(right.names[rName[r]]);
        }
      }
    } else {
      lt = ls = stack.num[p + 2];
      rt = rs = stack.num[p + 3];
      nameIdx = indexOf(OTHER_NAME);
    }
    if (ls > maxSelf) {
      maxSelf = ls;
    }
    if (rs > maxSelf) {
      maxSelf = rs;
    }
    if (level === levels.length) {
      levels.push([]);
    }
    levels[level].push(lx, lt, ls, rx, rt, rs, nameIdx);
    if (c < 0) {
      continue;
    }

    lx += ls;
    rx += rs;
    let otherL = 0;
    let otherR = 0;
    for (let k = kidStart[c], end = kidStart[c + 1]; k < end; k++) {
      const kl = lTotal[k];
      const kr = rTotal[k];
      if (kl >= minVal || kr >= minVal) {
        stack.push(k, level + 1, lx, rx);
        lx += kl;
        rx += kr;
      } else {
        otherL += kl;
        otherR += kr;
      }
    }
    if (otherL !== 0 || otherR !== 0) {
      stack.push(-1, level + 1, lx, rx, otherL, otherR);
    }
  }

  return { names, levels, maxSelf };
}

function assertNonNegative(left: FlameTree, right: FlameTree): void {
  const l = hasNegativeSelf(left);
  const r = hasNegativeSelf(right);
  if (l || r) {
    const which = l && r ? 'both trees' : l ? 'the left tree' : 'the right tree';
    throw new RangeError(`flame graph diff: ${which} must hold only non-negative values`);
  }
}

function hasNegativeSelf(tree: FlameTree): boolean {
  const self = tree.self;
  for (let i = 0; i < tree.size; i++) {
    if (self[i] < 0) {
      return true;
    }
  }
  return false;
}
