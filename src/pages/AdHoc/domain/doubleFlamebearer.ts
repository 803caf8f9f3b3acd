import { FlameTree, nameTable } from '../../../shared/domain/converters/flamebearer';

interface Node {
  name: string;
  left: [number, number];
  right: [number, number];
  children: Map<string, Node>;
}

function merge(into: Node, tree: FlameTree, side: 'left' | 'right') {
  const walk: Array<[number, Node]> = tree.count ? [[0, into]] : [];
  while (walk.length) {
    const [src, dst] = walk.pop()!;
    dst[side][0] += tree.total[src];
    dst[side][1] += tree.self[src];
    for (let c = tree.firstChild[src]; c >= 0; c = tree.nextSibling[c]) {
      const name = tree.names[tree.nameIndex[c]];
      let d = dst.children.get(name);
      if (!d) {
        d = { name, left: [0, 0], right: [0, 0], children: new Map() };
        dst.children.set(name, d);
      }
      walk.push([c, d]);
    }
  }
}

/**
 * Two single flame graphs as one "double" flamebearer (Pyroscope's render-diff encoding: per node left x delta,
 * left total, left self, right x delta, right total, right self, name), nodes matched by their call path.
 * Ad hoc files are never in the store, so their diff is made here rather than by render-diff.
 */
export function doubleFlamebearer(left: FlameTree, right: FlameTree): { names: string[]; levels: number[][] } {
  const root: Node = { name: 'total', left: [0, 0], right: [0, 0], children: new Map() };
  merge(root, left, 'left');
  merge(root, right, 'right');
  const { names, id: nameId } = nameTable();
  const levels: number[][] = [];
  // breadth first, each node with its absolute x on both sides; children after the parent's self
  let current: Array<{ node: Node; lx: number; rx: number }> = [{ node: root, lx: 0, rx: 0 }];
  while (current.length) {
    const level: number[] = [];
    const next: typeof current = [];
    let lEnd = 0;
    let rEnd = 0;
    for (const { node, lx, rx } of current) {
      level.push(lx - lEnd, node.left[0], node.left[1], rx - rEnd, node.right[0], node.right[1], nameId(node.name));
      lEnd = lx + node.left[0];
      rEnd = rx + node.right[0];
      let cl = lx + node.left[1];
      let cr = rx + node.right[1];
      const kids = [...node.children.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const k of kids) {
        next.push({ node: k, lx: cl, rx: cr });
        cl += k.left[0];
        cr += k.right[0];
      }
    }
    levels.push(level);
    current = next;
  }
  return { names, levels };
}
