// Most writers (async-profiler above all) number pool constants densely from 1, so a typed array indexed by id
// answers almost every lookup; sparse ids (JDK method ids pack class and method numbers, interned 64-bit ids
// are negative) fall back to a Map. The dense part only grows in step with the entries actually stored, so a
// hostile id cannot make us allocate megabytes for one constant.
const DENSE_SLACK = 4096;
const DENSE_FACTOR = 16;

/** Maps constant-pool ids to non-negative ints (indexes into the pool's columns). */
export class IdIndex {
  private dense = new Int32Array(256);
  private readonly sparse = new Map<number, number>();
  size = 0;

  /** The value for `id`, or -1. */
  get(id: number): number {
    if (id >= 0 && id < this.dense.length) {
      const v = this.dense[id]!;
      if (v !== 0 || this.sparse.size === 0) return v - 1;
    }
    const v = this.sparse.get(id);
    return v === undefined ? -1 : v;
  }

  set(id: number, value: number): void {
    if (id >= 0 && (id < this.dense.length || id < (this.size + 1) * DENSE_FACTOR + DENSE_SLACK)) {
      if (id >= this.dense.length) {
        let n = this.dense.length * 2;
        while (n <= id) n *= 2;
        const d = new Int32Array(n);
        d.set(this.dense);
        this.dense = d;
      }
      if (this.dense[id] === 0) this.size++;
      // A stale sparse entry for the same id (stored before the dense part reached it) is shadowed by this one.
      this.dense[id] = value + 1;
      return;
    }
    if (!this.sparse.has(id)) this.size++;
    this.sparse.set(id, value);
  }
}
