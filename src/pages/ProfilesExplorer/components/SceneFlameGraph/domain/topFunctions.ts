import { FlameTree } from '../../../../../shared/domain/converters/flamebearer';

export interface TopFunction {
  name: string;
  self: number;
  /** time with the function on the stack, recursion counted once */
  total: number;
}

export function topFunctions(tree: FlameTree): TopFunction[] {
  const self = new Float64Array(tree.names.length);
  const total = new Float64Array(tree.names.length);
  const onPath = new Int32Array(tree.names.length);
  const seen = new Uint8Array(tree.names.length);
  // Depth-first with explicit enter/leave so the names on the current stack are known.
  const stack: number[] = tree.count ? [0] : [];
  while (stack.length) {
    const top = stack.pop()!;
    if (top < 0) {
      onPath[tree.nameIndex[~top]]--;
      continue;
    }
    const name = tree.nameIndex[top];
    if (top !== 0) {
      seen[name] = 1;
      self[name] += tree.self[top];
      if (onPath[name] === 0) {
        total[name] += tree.total[top];
      }
    }
    onPath[name]++;
    stack.push(~top);
    for (let c = tree.firstChild[top]; c >= 0; c = tree.nextSibling[c]) {
      stack.push(c);
    }
  }
  const out: TopFunction[] = [];
  for (let n = 0; n < tree.names.length; n++) {
    if (seen[n]) {
      out.push({ name: tree.names[n], self: self[n], total: total[n] });
    }
  }
  return out.sort((a, b) => b.self - a.self || b.total - a.total || a.name.localeCompare(b.name));
}
