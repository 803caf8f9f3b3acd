import { FlameTree, visitByFunction } from '../../../domain/converters/flamebearer';

export interface TopFunction {
  name: string;
  self: number;
  /** time with the function on the stack, recursion counted once */
  total: number;
}

export function topFunctions(tree: FlameTree): TopFunction[] {
  const self = new Float64Array(tree.names.length);
  const total = new Float64Array(tree.names.length);
  const seen = new Uint8Array(tree.names.length);
  visitByFunction(tree, (node, name, outermost) => {
    seen[name] = 1;
    self[name] += tree.self[node];
    if (outermost) {
      total[name] += tree.total[node];
    }
  });
  const out: TopFunction[] = [];
  for (let n = 0; n < tree.names.length; n++) {
    if (seen[n]) {
      out.push({ name: tree.names[n], self: self[n], total: total[n] });
    }
  }
  return out.sort((a, b) => b.self - a.self || b.total - a.total || a.name.localeCompare(b.name));
}
