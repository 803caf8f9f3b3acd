// A merged call tree: the result of summing stacks, and the input of every flame graph encoding.
// Node 0 is the root (no name); nodes are (parent, name) pairs of a PairTable. Arrays grow by doubling.
import { Interner } from './interner.js';
import { PairTable } from './pairTable.js';

export class FlameTree extends PairTable {
  private readonly nameTable = new Interner();
  readonly names = this.nameTable.strings;
  self: Float64Array;
  total: Float64Array;

  constructor(capacity = 1024) {
    const cap = Math.max(16, capacity);
    super(cap, -1);
    this.self = new Float64Array(cap);
    this.total = new Float64Array(cap);
  }

  nameId(name: string): number {
    return this.nameTable.id(name);
  }

  /** Adds value along a stack given as name ids, root first. */
  insert(stackRootFirst: ArrayLike<number>, value: number, from = 0, to = stackRootFirst.length): void {
    let node = 0;
    this.total[0] += value;
    for (let i = from; i < to; i++) {
      node = this.child(node, stackRootFirst[i]);
      this.total[node] += value;
    }
    this.self[node] += value;
  }

  /** Same as insert, with the stack given leaf first (as pprof and our segments store it). */
  insertLeafFirst(stackLeafFirst: ArrayLike<number>, value: number): void {
    let node = 0;
    this.total[0] += value;
    for (let i = stackLeafFirst.length - 1; i >= 0; i--) {
      node = this.child(node, stackLeafFirst[i]);
      this.total[node] += value;
    }
    this.self[node] += value;
  }

  /**
   * Sets every total to its node's self plus its children's totals, for a tree built by `child` and `self`
   * alone. Children always get larger ids than their parents, so one backward pass sums every subtree.
   */
  totalsFromSelf(): void {
    const { self, total, parent } = this;
    total.set(self.subarray(0, this.size));
    for (let i = this.size - 1; i > 0; i--) {
      total[parent[i]] += total[i];
    }
  }

  /** Children of every node, in insertion order (encoders sort as they need). */
  childrenLists(): Int32Array[] {
    const counts = new Int32Array(this.size);
    for (let i = 1; i < this.size; i++) {
      counts[this.parent[i]]++;
    }
    const lists = Array.from(counts, (c) => new Int32Array(c));
    const fill = new Int32Array(this.size);
    for (let i = 1; i < this.size; i++) {
      const p = this.parent[i];
      lists[p][fill[p]++] = i;
    }
    return lists;
  }

  protected override grown(n: number): void {
    const self = new Float64Array(n);
    self.set(this.self);
    const total = new Float64Array(n);
    total.set(this.total);
    this.self = self;
    this.total = total;
  }
}
