// A merged call tree: the result of summing stacks, and the input of every flame graph encoding.
// Node 0 is the root (no name). Arrays grow by doubling. A child lookup probes an open-addressing table of node
// ids keyed by (parent, name): a JS Map keyed by parent * 2^26 + name hashes a heap number once the key leaves
// the small-integer range, which made it the largest cost of merging a day of profiles.

export class FlameTree {
  readonly names: string[] = [];
  private readonly nameIds = new Map<string, number>();
  parent: Int32Array;
  name: Int32Array;
  self: Float64Array;
  total: Float64Array;
  size = 1;
  /** Node ids by hash of (parent, name); 0 (the root, never a child) marks an empty slot. */
  private slots: Int32Array;
  private mask: number;

  constructor(capacity = 1024) {
    const cap = Math.max(16, capacity);
    this.parent = new Int32Array(cap).fill(-1);
    this.name = new Int32Array(cap).fill(-1);
    this.self = new Float64Array(cap);
    this.total = new Float64Array(cap);
    this.slots = new Int32Array(tableSize(cap));
    this.mask = this.slots.length - 1;
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

  /** The child of parent with that name, created when missing. */
  child(parent: number, nameId: number): number {
    const slots = this.slots;
    const mask = this.mask;
    const parents = this.parent;
    const names = this.name;
    let h = hashPair(parent, nameId) & mask;
    for (;;) {
      const n = slots[h];
      if (n === 0) {
        break;
      }
      if (parents[n] === parent && names[n] === nameId) {
        return n;
      }
      h = (h + 1) & mask;
    }
    const id = this.size++;
    if (id >= this.parent.length) {
      this.grow();
    }
    this.parent[id] = parent;
    this.name[id] = nameId;
    if (this.size * 2 > this.slots.length) {
      this.rehash();
    } else {
      slots[h] = id;
    }
    return id;
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

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let n = 1; n < this.size; n++) {
      let h = hashPair(this.parent[n], this.name[n]) & mask;
      while (slots[h] !== 0) {
        h = (h + 1) & mask;
      }
      slots[h] = n;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

/** Power of two at least twice n: the table stays at most half full. */
export function tableSize(n: number): number {
  let s = 16;
  while (s < n * 2) {
    s *= 2;
  }
  return s;
}

/** Mixes two small integers into a well-spread 31-bit hash (multiplicative hashing, then an xor-shift). */
export function hashPair(a: number, b: number): number {
  let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h & 0x7fffffff;
}
