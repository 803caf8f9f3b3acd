// Ids of (parent, name) pairs, the nodes of a call tree and the paths of a call path table alike. A lookup
// probes an open-addressing table of ids: a JS Map keyed by parent * 2^26 + name hashes a heap number once the
// key leaves the small-integer range, which made it the largest cost of merging a day of profiles.

export class PairTable {
  /** Id 0 is the root (never a key); a pair's parent always has a smaller id than the pair. */
  parent: Int32Array;
  name: Int32Array;
  size = 1;
  /** Ids by hash of (parent, name); 0 marks an empty slot. */
  private slots: Int32Array;
  private mask: number;

  /** `unset` fills parent and name beyond size (and the root's). */
  constructor(
    capacity: number,
    private readonly unset: number
  ) {
    this.parent = new Int32Array(capacity).fill(unset);
    this.name = new Int32Array(capacity).fill(unset);
    this.slots = new Int32Array(tableSize(capacity));
    this.mask = this.slots.length - 1;
  }

  /** Bytes of the id columns and the hash table. */
  protected get tableBytes(): number {
    return this.parent.length * 8 + this.slots.length * 4;
  }

  /** The id of (parent, nameId), or -1 when there is none yet. */
  find(parent: number, nameId: number): number {
    const slots = this.slots;
    const mask = this.mask;
    const parents = this.parent;
    const names = this.name;
    let h = hashPair(parent, nameId) & mask;
    for (;;) {
      const n = slots[h];
      if (n === 0) {
        return -1;
      }
      if (parents[n] === parent && names[n] === nameId) {
        return n;
      }
      h = (h + 1) & mask;
    }
  }

  /** The id of (parent, nameId), created when missing (the probe is find's, kept inline: this is the hot path). */
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
    if (this.size * 2 > slots.length) {
      this.rehash();
    } else {
      slots[h] = id;
    }
    return id;
  }

  /** Called after the id columns doubled to n entries: a subclass grows its own columns to match. */
  protected grown(n: number): void {
    void n;
  }

  private grow(): void {
    const n = this.parent.length * 2;
    const parent = new Int32Array(n).fill(this.unset);
    parent.set(this.parent);
    const name = new Int32Array(n).fill(this.unset);
    name.set(this.name);
    this.parent = parent;
    this.name = name;
    this.grown(n);
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
function tableSize(n: number): number {
  let s = 16;
  while (s < n * 2) {
    s *= 2;
  }
  return s;
}

/** Mixes two small integers into a well-spread 31-bit hash (multiplicative hashing, then an xor-shift). */
function hashPair(a: number, b: number): number {
  let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h & 0x7fffffff;
}
