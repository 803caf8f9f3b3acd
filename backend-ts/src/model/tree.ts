// A merged call tree: the result of summing stacks, and the input of every flame graph encoding.
// Node 0 is the root (no name). Arrays grow by doubling; a child lookup is one Map probe keyed by
// (parent, name) packed into a float-safe integer.

const NAME_BITS = 2 ** 26;

export class FlameTree {
  readonly names: string[] = [];
  private readonly nameIds = new Map<string, number>();
  parent: Int32Array;
  name: Int32Array;
  self: Float64Array;
  total: Float64Array;
  size = 1;
  private readonly childIndex = new Map<number, number>();

  constructor(capacity = 1024) {
    this.parent = new Int32Array(capacity).fill(-1);
    this.name = new Int32Array(capacity).fill(-1);
    this.self = new Float64Array(capacity);
    this.total = new Float64Array(capacity);
  }

  nameId(name: string): number {
    let id = this.nameIds.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.nameIds.set(name, id);
    }
    return id;
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

  child(parent: number, nameId: number): number {
    const key = parent * NAME_BITS + nameId;
    let id = this.childIndex.get(key);
    if (id === undefined) {
      id = this.size++;
      if (id >= this.parent.length) {
        this.grow();
      }
      this.parent[id] = parent;
      this.name[id] = nameId;
      this.childIndex.set(key, id);
    }
    return id;
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

  private grow(): void {
    const n = this.parent.length * 2;
    const parent = new Int32Array(n).fill(-1);
    parent.set(this.parent);
    const name = new Int32Array(n).fill(-1);
    name.set(this.name);
    const self = new Float64Array(n);
    self.set(this.self);
    const total = new Float64Array(n);
    total.set(this.total);
    this.parent = parent;
    this.name = name;
    this.self = self;
    this.total = total;
  }
}
