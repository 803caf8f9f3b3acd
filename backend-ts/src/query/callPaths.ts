// Call paths by function name, interned for the whole process: path id p stands for the names from the root to
// one frame, as a node of a merged flame graph does. Each segment maps its stacks to path ids once (an index
// cached with the segment, see SegmentPaths), so merging a query's samples is adding values into an array
// indexed by path id: the cost of a query follows its samples and distinct stacks, not the depth of its stacks
// or the number of objects that repeat the same symbols. The table is bounded by bytes: once it outgrows its
// budget, the next query starts a fresh one (ids of two tables are never mixed: an index records its table).
import { Interner } from '../model/interner.js';
import { PairTable } from '../model/pairTable.js';
import type { Segment } from '../storage/format/segment.js';

export class CallPaths extends PairTable {
  private readonly nameTable = new Interner();
  readonly names = this.nameTable.strings;
  private nameBytes = 0;

  /** Path 0 is the empty path (the root); a path's parent always has a smaller id. */
  constructor(capacity = 1 << 14) {
    super(capacity, 0);
  }

  /** Bytes held: path arrays, the hash table and the names (UTF-16 upper bound plus a Map entry each). */
  get byteSize(): number {
    return this.tableBytes + this.nameBytes;
  }

  nameId(name: string): number {
    const known = this.nameTable.size;
    const id = this.nameTable.id(name);
    if (id === known) {
      this.nameBytes += 2 * name.length + 64;
    }
    return id;
  }

  /** Id of an existing name, or -1. */
  findName(name: string): number {
    return this.nameTable.find(name);
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
