import type { NameOrder } from './nameOrder.js';
import type { FlameTree } from '../model/tree.js';

/**
 * Children of every node in one flat array (CSR): node n's children are list[start[n] .. start[n + 1]).
 * One allocation for the whole tree instead of one array per node. Pyroscope's encodings visit siblings in
 * name order (Go string order); `sortChildren(n)` puts a node's children in that order on first use, so an
 * encoder that cuts the tree to 16k nodes sorts only the nodes it expands, not all 100k.
 */
export class ChildIndex {
  readonly start: Int32Array;
  readonly list: Int32Array;
  private readonly sorted: Uint8Array;
  private readonly scratch: number[] = [];
  private readonly byName: (x: number, y: number) => number;

  constructor(tree: FlameTree, order: NameOrder) {
    const size = tree.size;
    const parent = tree.parent;
    const start = new Int32Array(size + 1);
    for (let i = 1; i < size; i++) {
      start[parent[i] + 1]++;
    }
    for (let i = 0; i < size; i++) {
      start[i + 1] += start[i];
    }
    const fill = start.slice(0, size);
    const list = new Int32Array(Math.max(size - 1, 0));
    for (let i = 1; i < size; i++) {
      list[fill[parent[i]]++] = i;
    }
    this.start = start;
    this.list = list;
    this.sorted = new Uint8Array(size);
    const name = tree.name;
    this.byName = (x, y) => order.compareIds(name[x], name[y]);
  }

  /** Sorts node n's children by name, once. */
  sortChildren(n: number): void {
    if (this.sorted[n] === 1) {
      return;
    }
    this.sorted[n] = 1;
    const list = this.list;
    const from = this.start[n];
    const count = this.start[n + 1] - from;
    if (count < 2) {
      return;
    }
    if (count === 2) {
      const a = list[from];
      const b = list[from + 1];
      if (this.byName(a, b) > 0) {
        list[from] = b;
        list[from + 1] = a;
      }
      return;
    }
    // A plain array sorts with a comparator faster than a typed-array view, and the buffer is reused.
    const scratch = this.scratch;
    scratch.length = count;
    for (let i = 0; i < count; i++) {
      scratch[i] = list[from + i];
    }
    scratch.sort(this.byName);
    for (let i = 0; i < count; i++) {
      list[from + i] = scratch[i];
    }
  }
}
