/**
 * The explicit stack of the encoders' depth-first walks (stacks can be thousands of frames deep, too deep
 * for recursion). Struct-of-arrays: a node id, a level and `width` numbers per entry, no object per entry.
 */
export class WorkStack {
  node: Int32Array;
  level: Int32Array;
  num: Float64Array;
  size = 0;

  constructor(
    readonly width: number,
    capacity = 256
  ) {
    this.node = new Int32Array(capacity);
    this.level = new Int32Array(capacity);
    this.num = new Float64Array(capacity * width);
  }

  /** Pushes an entry with its numbers (up to 4; those beyond `width` are ignored). */
  push(node: number, level: number, n0 = 0, n1 = 0, n2 = 0, n3 = 0): void {
    if (this.size === this.node.length) {
      this.grow();
    }
    const i = this.size++;
    this.node[i] = node;
    this.level[i] = level;
    // Written here rather than by the caller: a grow replaces `num`, so `stack.num[...]` evaluated before
    // the push would write into the old array.
    const p = i * this.width;
    const w = this.width;
    const num = this.num;
    num[p] = n0;
    if (w > 1) {
      num[p + 1] = n1;
    }
    if (w > 2) {
      num[p + 2] = n2;
    }
    if (w > 3) {
      num[p + 3] = n3;
    }
  }

  /** Pops and returns the entry's index; its fields stay readable until the next push. */
  pop(): number {
    return --this.size;
  }

  private grow(): void {
    const n = this.node.length * 2;
    const node = new Int32Array(n);
    node.set(this.node);
    const level = new Int32Array(n);
    level.set(this.level);
    const num = new Float64Array(n * this.width);
    num.set(this.num);
    this.node = node;
    this.level = level;
    this.num = num;
  }
}
