import { FlameTree } from '../../../domain/converters/flamebearer';

/**
 * Chains of frames that are one thing to the reader: a frame whose only child holds more than `threshold` of its
 * value, that child, and so on down. Grafana's flame graph folds each chain into one frame (a "group") when
 * collapsing is on; the groups start collapsed.
 */
export interface FrameGroups {
  /** group of each node, -1 when it is in none */
  groupOf: Int32Array;
  /** first (outermost) node of each group */
  head: number[];
  /** last (innermost) node of each group */
  tail: number[];
  /** nodes in each group */
  size: number[];
}

export const GROUP_THRESHOLD = 0.99;

export function findFrameGroups(tree: FlameTree, threshold = GROUP_THRESHOLD): FrameGroups {
  const groupOf = new Int32Array(tree.count).fill(-1);
  const head: number[] = [];
  const tail: number[] = [];
  const size: number[] = [];
  // Pre-order: a parent's group is known before its child is looked at.
  for (let i = 1; i < tree.count; i++) {
    const p = tree.parent[i];
    const onlyChild = p >= 0 && tree.firstChild[p] === i && tree.nextSibling[i] < 0;
    if (!onlyChild || !(tree.total[i] > tree.total[p] * threshold)) {
      continue;
    }
    let g = groupOf[p];
    if (g < 0) {
      g = head.length;
      head.push(p);
      tail.push(p);
      size.push(1);
      groupOf[p] = g;
    }
    groupOf[i] = g;
    tail[g] = i;
    size[g]++;
  }
  return { groupOf, head, tail, size };
}

/** Which groups are folded into one frame: 1 = collapsed. A new array on every change, so React sees it. */
export type CollapsedFlags = Uint8Array;

export function allGroups(groups: FrameGroups, collapsed: boolean): CollapsedFlags {
  return new Uint8Array(groups.head.length).fill(collapsed ? 1 : 0);
}

export function withGroup(flags: CollapsedFlags, group: number, collapsed: boolean): CollapsedFlags {
  const next = flags.slice();
  next[group] = collapsed ? 1 : 0;
  return next;
}

/** Where a node sits in its group, for the strip drawn beside grouped frames. */
export function groupPosition(groups: FrameGroups, node: number): 'first' | 'middle' | 'last' | undefined {
  const g = groups.groupOf[node];
  if (g < 0) {
    return undefined;
  }
  return node === groups.head[g] ? 'first' : node === groups.tail[g] ? 'last' : 'middle';
}
