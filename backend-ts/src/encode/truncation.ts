import type { FlameTree } from '../model/tree.js';

/** Pyroscope's `max_nodes` when a request leaves it at 0. */
const DEFAULT_MAX_NODES = 8192;

/** Name of the node that receives whatever a node limit cut off. */
export const OTHER_NAME = 'other';

/** The node limit an encoder applies: max_nodes, or Pyroscope's default when a request leaves it at 0. */
export function nodeLimit(maxNodes: number): number {
  return maxNodes > 0 && Number.isFinite(maxNodes) ? Math.floor(maxNodes) : DEFAULT_MAX_NODES;
}

/**
 * The smallest total a non-root node needs to be kept under a limit of maxNodes, as Pyroscope's
 * Tree.minValue computes it: 0 when the tree (without its root) fits, otherwise the maxNodes-th largest
 * node total. Pyroscope gets there with a bounded min-heap over a pruned walk; because a child's total
 * never exceeds its parent's, that is exactly the k-th largest total, which a selection finds in O(n).
 * Ties at the threshold are all kept, so a flame graph can exceed maxNodes exactly as Pyroscope's does.
 */
export function minTotalToKeep(tree: FlameTree, maxNodes: number): number {
  const n = tree.size - 1;
  if (n <= maxNodes) {
    return 0;
  }
  return kthLargest(tree.total.slice(1, tree.size), maxNodes);
}

/** k-th largest value (k from 1); reorders `values`. Three-way partitioning keeps runs of equal totals linear. */
export function kthLargest(values: Float64Array, k: number): number {
  const target = values.length - k;
  let lo = 0;
  let hi = values.length - 1;
  while (lo < hi) {
    const pivot = medianOfThree(values[lo], values[(lo + hi) >>> 1], values[hi]);
    let lt = lo;
    let i = lo;
    let gt = hi;
    while (i <= gt) {
      const v = values[i];
      if (v < pivot) {
        values[i++] = values[lt];
        values[lt++] = v;
      } else if (v > pivot) {
        values[i] = values[gt];
        values[gt--] = v;
      } else {
        i++;
      }
    }
    if (target < lt) {
      hi = lt - 1;
    } else if (target > gt) {
      lo = gt + 1;
    } else {
      return pivot;
    }
  }
  return values[target];
}

function medianOfThree(a: number, b: number, c: number): number {
  if (a < b) {
    return b < c ? b : a < c ? c : a;
  }
  return a < c ? a : b < c ? c : b;
}
