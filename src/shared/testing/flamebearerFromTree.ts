import { Flamebearer } from '../infrastructure/pyroscope/types';

export interface StackNode {
  name: string;
  self: number;
  children?: StackNode[];
}

export function totalOf(n: StackNode): number {
  return n.self + (n.children ?? []).reduce((s, c) => s + totalOf(c), 0);
}

/**
 * Pyroscope's encoding, written from its description for tests: levels of `[x_delta, total, self, name]`,
 * a child starting at its parent's x + self + the totals of its earlier siblings.
 */
export function flamebearerFromTree(root: StackNode): Flamebearer {
  const names: string[] = [];
  const ids = new Map<string, number>();
  const nameId = (n: string) => {
    if (!ids.has(n)) {
      ids.set(n, names.length);
      names.push(n);
    }
    return ids.get(n)!;
  };
  const levels: number[][] = [];
  let current: Array<{ node: StackNode; x: number }> = [{ node: root, x: 0 }];
  let maxSelf = 0;
  while (current.length) {
    const level: number[] = [];
    let prevEnd = 0;
    const next: Array<{ node: StackNode; x: number }> = [];
    for (const { node, x } of current) {
      const total = totalOf(node);
      level.push(x - prevEnd, total, node.self, nameId(node.name));
      prevEnd = x + total;
      maxSelf = Math.max(maxSelf, node.self);
      let cx = x + node.self;
      for (const c of node.children ?? []) {
        next.push({ node: c, x: cx });
        cx += totalOf(c);
      }
    }
    levels.push(level);
    current = next;
  }
  return { names, levels, numTicks: totalOf(root), maxSelf };
}
