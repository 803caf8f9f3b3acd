// Most writers (async-profiler above all) number pool constants densely from 1, so a typed array indexed by id
// answers almost every lookup; sparse ids (JDK method ids pack class and method numbers, interned 64-bit ids
// are negative) fall back to a Map. The dense part only grows in step with the entries actually stored, so a
// hostile id cannot make us allocate megabytes for one constant.
const DENSE_SLACK = 4096;
const DENSE_FACTOR = 16;

/** Maps constant-pool ids to non-negative ints (indexes into the pool's columns). */
export class IdIndex {
  private dense = new Int32Array(64);
  private readonly sparse = new Map<number, number>();
  size = 0;

  /** The value for `id`, or -1. */
  get(id: number): number {
    if (id >= 0 && id < this.dense.length) {
      const v = this.dense[id]!;
      if (v !== 0 || this.sparse.size === 0) {
        return v - 1;
      }
    }
    const v = this.sparse.get(id);
    return v === undefined ? -1 : v;
  }

  set(id: number, value: number): void {
    if (id >= 0 && (id < this.dense.length || id < (this.size + 1) * DENSE_FACTOR + DENSE_SLACK)) {
      if (id >= this.dense.length) {
        let n = this.dense.length * 2;
        while (n <= id) {
          n *= 2;
        }
        const d = new Int32Array(n);
        d.set(this.dense);
        this.dense = d;
      }
      if (this.dense[id] === 0) {
        this.size++;
      }
      // A stale sparse entry for the same id (stored before the dense part reached it) is shadowed by this one.
      this.dense[id] = value + 1;
      return;
    }
    if (!this.sparse.has(id)) {
      this.size++;
    }
    this.sparse.set(id, value);
  }
}

/**
 * An open-addressing hash map from a pair of int32 keys to a non-negative int32, on typed arrays: pairs such as
 * (function, line) would otherwise need a double or string key, which Map hashes slowly and allocates for.
 */
export class IntPairMap {
  private k1 = new Int32Array(1024);
  private k2 = new Int32Array(1024);
  private vals = new Int32Array(1024).fill(-1);
  private mask = 1023;
  private n = 0;

  private slot(a: number, b: number): number {
    let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b ^ (b >>> 16), 0x85ebca77);
    h ^= h >>> 15;
    let i = h & this.mask;
    while (this.vals[i] !== -1 && (this.k1[i] !== a || this.k2[i] !== b)) {
      i = (i + 1) & this.mask;
    }
    return i;
  }

  /** The value for (a, b), or -1. */
  get(a: number, b: number): number {
    return this.vals[this.slot(a, b)]!;
  }

  /** The value for (a, b); if there is none, stores `value` and returns it. */
  getOrInsert(a: number, b: number, value: number): number {
    let i = this.slot(a, b);
    const found = this.vals[i]!;
    if (found !== -1) {
      return found;
    }
    if ((this.n + 1) * 2 > this.vals.length) {
      this.grow();
      i = this.slot(a, b);
    }
    this.n++;
    this.k1[i] = a;
    this.k2[i] = b;
    this.vals[i] = value;
    return value;
  }

  set(a: number, b: number, value: number): void {
    if ((this.n + 1) * 2 > this.vals.length) {
      this.grow();
    }
    const i = this.slot(a, b);
    if (this.vals[i] === -1) {
      this.n++;
    }
    this.k1[i] = a;
    this.k2[i] = b;
    this.vals[i] = value;
  }

  private grow(): void {
    const { k1, k2, vals } = this;
    const cap = vals.length * 2;
    this.k1 = new Int32Array(cap);
    this.k2 = new Int32Array(cap);
    this.vals = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    this.n = 0;
    for (let i = 0; i < vals.length; i++) {
      if (vals[i] !== -1) {
        this.set(k1[i]!, k2[i]!, vals[i]!);
      }
    }
  }
}
