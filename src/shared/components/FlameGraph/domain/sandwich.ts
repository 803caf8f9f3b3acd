import { allocateFlameTree, FlameTree, nameTable } from '../../../domain/converters/flamebearer';

export interface Sandwich {
  /** root: the function; children: its callers, their callers below them (draw upside down) */
  callers: FlameTree;
  /** root: the function; children: what it calls, merged over every place it is called from */
  callees: FlameTree;
  /** the function's total, recursion counted once, as the top table shows it */
  total: number;
}

interface BuildNode {
  name: number;
  self: number;
  total: number;
  children: Map<number, BuildNode>;
}

const newNode = (name: number): BuildNode => ({ name, self: 0, total: 0, children: new Map() });

function child(parent: BuildNode, name: number): BuildNode {
  let c = parent.children.get(name);
  if (!c) {
    c = newNode(name);
    parent.children.set(name, c);
  }
  return c;
}

/** Pre-order into flat arrays, siblings by name so both halves of a sandwich read the same way every time. */
function toFlameTree(root: BuildNode, names: string[]): FlameTree {
  const order: Array<{ node: BuildNode; parent: number; level: number }> = [];
  const walk: Array<{ node: BuildNode; parent: number; level: number }> = [{ node: root, parent: -1, level: 0 }];
  while (walk.length) {
    const item = walk.pop()!;
    order.push(item);
    const index = order.length - 1;
    const kids = [...item.node.children.values()].sort((a, b) => names[b.name].localeCompare(names[a.name]));
    for (const k of kids) {
      walk.push({ node: k, parent: index, level: item.level + 1 });
    }
  }
  const count = order.length;
  const tree = allocateFlameTree(count, names);
  const lastChild = new Int32Array(count).fill(-1);
  order.forEach(({ node, parent, level }, i) => {
    tree.level[i] = level;
    tree.total[i] = node.total;
    tree.self[i] = node.self;
    tree.nameIndex[i] = node.name;
    tree.parent[i] = parent;
    tree.maxLevel = Math.max(tree.maxLevel, level);
    if (parent >= 0) {
      if (tree.firstChild[parent] < 0) {
        tree.firstChild[parent] = i;
      } else {
        tree.nextSibling[lastChild[parent]] = i;
      }
      lastChild[parent] = i;
    }
  });
  return tree;
}

/** Indices of the nodes named `name` that have no ancestor of that name: recursion counted once. */
export function outermostNodes(tree: FlameTree, name: string): number[] {
  const id = tree.names.indexOf(name);
  const out: number[] = [];
  if (id < 0) {
    return out;
  }
  const stack: number[] = tree.count ? [0] : [];
  while (stack.length) {
    const n = stack.pop()!;
    if (n !== 0 && tree.nameIndex[n] === id) {
      out.push(n);
      continue;
    }
    for (let c = tree.firstChild[n]; c >= 0; c = tree.nextSibling[c]) {
      stack.push(c);
    }
  }
  return out.sort((a, b) => a - b);
}

/** The call path (names, root first, the tree's own root left out) of a node. */
export function pathOf(tree: FlameTree, node: number): string[] {
  const path: string[] = [];
  for (let n = node; n > 0; n = tree.parent[n]) {
    path.push(tree.names[tree.nameIndex[n]]);
  }
  return path.reverse();
}

/**
 * Callers and callees of one function, from a merged flame graph. Every outermost occurrence adds its subtree
 * to the callees and its path to the root to the callers, so both roots carry the function's total.
 */
export function buildSandwich(tree: FlameTree, name: string): Sandwich {
  const { names, id: nameId } = nameTable();
  const callers = newNode(nameId(name));
  const callees = newNode(nameId(name));
  const nodes = outermostNodes(tree, name);
  for (const n of nodes) {
    const value = tree.total[n];
    callers.total += value;
    let at = callers;
    for (let p = tree.parent[n]; p > 0; p = tree.parent[p]) {
      at = child(at, nameId(tree.names[tree.nameIndex[p]]));
      at.total += value;
    }
    // the outermost caller ends its chain: the whole value stops there
    at.self += value;
    // callees: the occurrence's subtree, merged by name path
    const walk: Array<[number, BuildNode]> = [[n, callees]];
    callees.total += tree.total[n];
    callees.self += tree.self[n];
    while (walk.length) {
      const [src, dst] = walk.pop()!;
      for (let c = tree.firstChild[src]; c >= 0; c = tree.nextSibling[c]) {
        const d = child(dst, nameId(tree.names[tree.nameIndex[c]]));
        d.total += tree.total[c];
        d.self += tree.self[c];
        walk.push([c, d]);
      }
    }
  }
  return { callers: toFlameTree(callers, names), callees: toFlameTree(callees, names), total: callers.total };
}
