// Call paths by function name, interned for the whole process: path id p stands for the names from the root to
// one frame, as a node of a merged flame graph does. Each segment maps its stacks to path ids once (an index
// cached with the segment, see SegmentPaths), so merging a query's samples is adding values into an array
// indexed by path id: the cost of a query follows its samples and distinct stacks, not the depth of its stacks
// or the number of objects that repeat the same symbols. The table is bounded by bytes: once it outgrows its
// budget, the next query starts a fresh one (ids of two tables are never mixed: an index records its table).
import { hashPair, tableSize } from '../model/tree.js';
import type { Segment } from '../storage/segment.js';

export class CallPaths {
  readonly names: string[] = [];
  private readonly nameIds = new Map<string, number>();
  private nameBytes = 0;
  /** Path 0 is the empty path (the root); a path's parent always has a smaller id. */
  parent: Int32Array;
  name: Int32Array;
  size = 1;
  private slots: Int32Array;
  private mask: number;

  constructor(capacity = 1 << 14) {
    this.parent = new Int32Array(capacity);
    this.name = new Int32Array(capacity);
    this.slots = new Int32Array(tableSize(capacity));
    this.mask = this.slots.length - 1;
  }

  /** Bytes held: path arrays, the hash table and the names (UTF-16 upper bound plus a Map entry each). */
  get byteSize(): number {
    return this.parent.length * 8 + this.slots.length * 4 + this.nameBytes;
  }

  nameId(name: string): number {
    let id = this.nameIds.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.nameIds.set(name, id);
      this.nameBytes += 2 * name.length + 64;
    }
    return id;
  }

  /** Id of an existing name, or -1. */
  findName(name: string): number {
    return this.nameIds.get(name) ?? -1;
  }

  /** The path extending `parent` by `nameId`, created when missing. */
  child(parent: number, nameId: number): number {
    const p = this.find(parent, nameId);
    if (p >= 0) {
      return p;
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
      this.slots[this.lastFree] = id;
    }
    return id;
  }

  /** Slot where the last failed find ended: where child() puts the new path. */
  private lastFree = 0;

  /** The path extending `parent` by `nameId`, or -1 when no such path exists yet. */
  find(parent: number, nameId: number): number {
    const slots = this.slots;
    const mask = this.mask;
    let h = hashPair(parent, nameId) & mask;
    for (;;) {
      const n = slots[h];
      if (n === 0) {
        this.lastFree = h;
        return -1;
      }
      if (this.parent[n] === parent && this.name[n] === nameId) {
        return n;
      }
      h = (h + 1) & mask;
    }
  }

  private grow(): void {
    const n = this.parent.length * 2;
    const parent = new Int32Array(n);
    parent.set(this.parent);
    const name = new Int32Array(n);
    name.set(this.name);
    this.parent = parent;
    this.name = name;
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

/**
 * A segment's index into one CallPaths table: the name id of each string used as a function name, and the path
 * of each stack, both filled on first use (-1 until then). Its size is part of Segment.cacheBytes.
 */
export class SegmentPaths {
  readonly nameOf: Int32Array;
  readonly stackPath: Int32Array;

  constructor(
    readonly seg: Segment,
    readonly paths: CallPaths
  ) {
    this.nameOf = new Int32Array(seg.stringCount).fill(-1);
    this.stackPath = new Int32Array(seg.stackCount).fill(-1);
  }

  /** Path of stack st (frames are stored leaf first; a path goes root first). */
  path(st: number): number {
    const known = this.stackPath[st];
    if (known >= 0) {
      return known;
    }
    const { seg, paths, nameOf } = this;
    const frames = seg.stackFrames;
    const frameFn = seg.frameFn;
    const fnName = seg.fnName;
    let p = 0;
    for (let i = seg.stackOffsets[st + 1] - 1, from = seg.stackOffsets[st]; i >= from; i--) {
      const s = fnName[frameFn[frames[i]]];
      let n = nameOf[s];
      if (n < 0) {
        n = paths.nameId(seg.decodeString(s));
        nameOf[s] = n;
      }
      p = paths.child(p, n);
    }
    this.stackPath[st] = p;
    return p;
  }
}
