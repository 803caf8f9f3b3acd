import { ChildIndex } from './childIndex.js';
import { finishLevel } from './finishLevel.js';
import { NameOrder } from './nameOrder.js';
import type { FlameTree } from '../model/tree.js';
import { minTotalToKeep, OTHER_NAME, nodeLimit } from './truncation.js';
import { WorkStack } from './workStack.js';

/** Pyroscope's `querier.v1.FlameGraph` (and the legacy flamebearer's names/levels/numTicks/maxSelf). */
export interface FlameGraph {
  names: string[];
  /** Per level, 4 numbers per node: [x delta, total, self, name index], left to right. */
  levels: number[][];
  total: number;
  maxSelf: number;
}

/**
 * Encodes a tree as Pyroscope's NewFlameGraph does, output for output:
 * - siblings sorted by name (Go string order); a node's children start after its self, each child at
 *   parent.x + parent.self + the totals of the kept siblings before it;
 * - limit: children whose total is below minTotalToKeep, and every child named "other", are folded into one
 *   trailing "other" node of their parent (self = total = their sum, no children); totals are unchanged;
 * - names are numbered in the order Pyroscope's walk meets them (depth first, last child first), the root
 *   being "total" = index 0 (so a function literally named "total" shares index 0, as in Pyroscope);
 * - x is delta-encoded against the end of the previous node on the same level.
 * The root's own self (samples with an empty stack) stays on level 0; trees built from real stacks have none.
 */
export function toFlameGraph(tree: FlameTree, maxNodes: number): FlameGraph {
  const minVal = minTotalToKeep(tree, nodeLimit(maxNodes));
  const order = new NameOrder(tree.names);
  const kids = new ChildIndex(tree, order);
  const { start, list } = kids;
  const nameOf = tree.name;
  const totalOf = tree.total;
  const selfOf = tree.self;
  const otherId = tree.names.indexOf(OTHER_NAME);

  const names = ['total'];
  const outName = new Int32Array(tree.names.length).fill(-1);
  const totalId = tree.names.indexOf('total');
  if (totalId >= 0) {
    outName[totalId] = 0;
  }
  let otherOut = -1;

  const levels: number[][] = [];
  let maxSelf = 0;
  // num[0] = x; num[1] = value of a synthetic "other" entry (node -1).
  const stack = new WorkStack(2);
  stack.push(0, 0);
  while (stack.size > 0) {
    const e = stack.pop();
    const node = stack.node[e];
    const level = stack.level[e];
    const x = stack.num[e * 2];
    let self: number;
    let total: number;
    let nameIdx: number;
    if (node >= 0) {
      self = selfOf[node];
      total = totalOf[node];
      if (node === 0) {
        nameIdx = 0;
      } else {
        const id = nameOf[node];
        nameIdx = outName[id];
        if (nameIdx < 0) {
          nameIdx = names.length;
          names.push(tree.names[id]);
          outName[id] = nameIdx;
        }
      }
    } else {
      self = total = stack.num[e * 2 + 1];
      if (otherOut < 0) {
        otherOut = names.length;
        names.push(OTHER_NAME);
      }
      nameIdx = otherOut;
    }
    if (self > maxSelf) {
      maxSelf = self;
    }
    if (level === levels.length) {
      levels.push([]);
    }
    levels[level].push(x, total, self, nameIdx);
    if (node < 0) {
      continue;
    }

    kids.sortChildren(node);
    let cx = x + self;
    let other = 0;
    for (let i = start[node], end = start[node + 1]; i < end; i++) {
      const c = list[i];
      const t = totalOf[c];
      if (t >= minVal && nameOf[c] !== otherId) {
        stack.push(c, level + 1, cx);
        cx += t;
      } else {
        other += t;
      }
    }
    if (other !== 0) {
      stack.push(-1, level + 1, cx, other);
    }
  }

  for (const l of levels) {
    finishLevel(l, 4, 0);
  }
  return { names, levels, total: totalOf[0], maxSelf };
}
