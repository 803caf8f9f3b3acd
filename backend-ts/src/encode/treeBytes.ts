import { ChildIndex } from './childIndex.js';
import { compareUtf8, NameOrder } from './nameOrder.js';
import { FlameTree } from '../model/tree.js';
import { minTotalToKeep, OTHER_NAME, nodeLimit } from './truncation.js';
import { WorkStack } from './workStack.js';

/**
 * Pyroscope's TREE format (`SelectMergeStacktracesResponse.tree`, Tree.MarshalTruncate): nodes in pre-order
 * from a virtual root (name "", its self), each as uvarint(len(name)) name-bytes uvarint(self)
 * uvarint(child count). As in Pyroscope:
 * - children are written in descending name order (its walk pops the last of the name-sorted children
 *   first), which readers must not rely on;
 * - limit: children below minTotalToKeep (the same threshold as the flame graph) are cut and their summed
 *   totals become the self of an "other" child, inserted in name order, or added to the self of an existing
 *   "other" child, which is always kept;
 * - an empty tree is zero bytes.
 * Values must be non-negative integers (a uvarint cannot carry anything else).
 */
export function toTreeBytes(tree: FlameTree, maxNodes: number): Uint8Array {
  if (tree.size <= 1) {
    return new Uint8Array(0);
  }
  const limit = nodeLimit(maxNodes);
  const minVal = minTotalToKeep(tree, limit);
  const order = new NameOrder(tree.names);
  const kids = new ChildIndex(tree, order);
  const { start, list } = kids;
  const nameOf = tree.name;
  const totalOf = tree.total;
  const selfOf = tree.self;
  const otherId = tree.names.indexOf(OTHER_NAME);
  const names = new NameBytes(tree.names);
  const out = new ByteWriter(Math.min(tree.size, limit + 64) * 32);

  // num[0]: for a real node, self added by folding; for a synthetic "other" (node -1), its value.
  const stack = new WorkStack(1);
  stack.push(0, 0);
  while (stack.size > 0) {
    const e = stack.pop();
    const node = stack.node[e];
    const extra = stack.num[e];
    if (node < 0) {
      out.name(names, names.otherId);
      out.uvarint(extra);
      out.uvarint(0);
      continue;
    }
    if (node === 0) {
      out.uvarint(0);
    } else {
      out.name(names, nameOf[node]);
    }
    out.uvarint(selfOf[node] + extra);

    kids.sortChildren(node);
    const from = start[node];
    const to = start[node + 1];
    let kept = 0;
    let folded = 0;
    let realOther = -1;
    for (let i = from; i < to; i++) {
      const c = list[i];
      if (nameOf[c] === otherId) {
        realOther = c;
      }
      if (totalOf[c] >= minVal || nameOf[c] === otherId) {
        kept++;
      } else {
        folded += totalOf[c];
      }
    }
    const synthetic = folded > 0 && realOther < 0;
    out.uvarint(kept + (synthetic ? 1 : 0));

    // Pushed in ascending name order, so popped (written) in descending order as Pyroscope writes them.
    let syntheticPending = synthetic;
    for (let i = from; i < to; i++) {
      const c = list[i];
      const isOther = nameOf[c] === otherId;
      if (!(totalOf[c] >= minVal || isOther)) {
        continue;
      }
      if (syntheticPending && compareUtf8(OTHER_NAME, tree.names[nameOf[c]]) < 0) {
        stack.push(-1, 0, folded);
        syntheticPending = false;
      }
      stack.push(c, 0, isOther && folded > 0 ? folded : 0);
    }
    if (syntheticPending) {
      stack.push(-1, 0, folded);
    }
  }
  return out.bytes();
}

/**
 * Reads TREE bytes into a FlameTree: selfs as written, totals rebuilt from them, siblings with the same name
 * merged. Like Pyroscope, fewer than 2 bytes read as an empty tree and bytes after the last node are ignored;
 * malformed input (truncated varints, names or child lists) throws.
 */
export function fromTreeBytes(bytes: Uint8Array): FlameTree {
  const tree = new FlameTree(Math.max(16, Math.min(bytes.length >>> 4, 1 << 22)));
  if (bytes.length < 2) {
    return tree;
  }
  const reader = new ByteReader(bytes, tree);

  // The virtual root becomes node 0; its name is meaningless and its self is kept.
  reader.skipName();
  tree.self[0] = reader.uvarint();
  let parents = new Int32Array(64);
  let top = 0;
  const pushChildren = (node: number, count: number): void => {
    // Every pending child takes at least 3 more bytes, which bounds the stack by the input size.
    if (top + count > reader.remaining() / 3) {
      throw malformed('child count exceeds the input');
    }
    if (top + count > parents.length) {
      const grown = new Int32Array(Math.max(parents.length * 2, top + count));
      grown.set(parents.subarray(0, top));
      parents = grown;
    }
    parents.fill(node, top, top + count);
    top += count;
  };
  pushChildren(0, reader.uvarint());

  while (top > 0) {
    const parent = parents[--top];
    const node = tree.child(parent, reader.nameId());
    tree.self[node] += reader.uvarint();
    pushChildren(node, reader.uvarint());
  }

  // Children always get larger ids than their parents, so one backward pass sums every subtree.
  const { self, total, parent } = tree;
  for (let i = 0; i < tree.size; i++) {
    total[i] = self[i];
  }
  for (let i = tree.size - 1; i > 0; i--) {
    total[parent[i]] += total[i];
  }
  return tree;
}

function malformed(why: string): Error {
  return new RangeError(`malformed tree bytes: ${why}`);
}

/**
 * UTF-8 bytes of each name, encoded once per name into one arena. Id names.length stands for the synthetic
 * "other", which may not be in the table.
 */
class NameBytes {
  arena = new Uint8Array(4096);
  private used = 0;
  private readonly offset: Int32Array;
  private readonly length: Int32Array;
  private readonly encoder = new TextEncoder();

  constructor(private readonly names: readonly string[]) {
    this.offset = new Int32Array(names.length + 1).fill(-1);
    this.length = new Int32Array(names.length + 1);
  }

  get otherId(): number {
    return this.names.length;
  }

  /** Encodes the name if needed and returns its offset in `arena` (read `arena` after this call). */
  at(id: number): number {
    if (this.offset[id] < 0) {
      this.encode(id, id === this.names.length ? OTHER_NAME : this.names[id]);
    }
    return this.offset[id];
  }

  lengthOf(id: number): number {
    return this.length[id];
  }

  private encode(id: number, s: string): void {
    const need = s.length * 3;
    if (this.used + need > this.arena.length) {
      const grown = new Uint8Array(Math.max(this.arena.length * 2, this.used + need));
      grown.set(this.arena.subarray(0, this.used));
      this.arena = grown;
    }
    const { written } = this.encoder.encodeInto(s, this.arena.subarray(this.used));
    this.offset[id] = this.used;
    this.length[id] = written;
    this.used += written;
  }
}

class ByteWriter {
  private buf: Uint8Array;
  private pos = 0;

  constructor(capacity: number) {
    this.buf = new Uint8Array(Math.max(capacity, 64));
  }

  name(names: NameBytes, id: number): void {
    const offset = names.at(id);
    const arena = names.arena;
    const n = names.lengthOf(id);
    this.uvarint(n);
    this.ensure(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      buf[p++] = arena[offset + i];
    }
    this.pos = p;
  }

  uvarint(v: number): void {
    if (!(v >= 0) || !Number.isSafeInteger(v)) {
      throw new RangeError(`tree bytes: ${v} is not a non-negative integer`);
    }
    this.ensure(10);
    const buf = this.buf;
    let p = this.pos;
    if (v < 0x80000000) {
      while (v > 0x7f) {
        buf[p++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
    } else {
      while (v > 0x7f) {
        buf[p++] = (v % 128) | 0x80;
        v = Math.floor(v / 128);
      }
    }
    buf[p++] = v;
    this.pos = p;
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) {
      return;
    }
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }
}

/**
 * Reads varints and names. The same few thousand names repeat across a tree's nodes, so a name is looked up
 * by a hash of its bytes (compared against where it was first seen) and decoded into a string only once.
 */
class ByteReader {
  private pos = 0;
  private readonly decoder = new TextDecoder();
  // hash -> [offset, length, name id] triples of names already read.
  private readonly seen = new Map<number, number[]>();

  constructor(
    private readonly buf: Uint8Array,
    private readonly tree: FlameTree
  ) {}

  remaining(): number {
    return this.buf.length - this.pos;
  }

  uvarint(): number {
    const buf = this.buf;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= buf.length) {
        throw malformed('truncated varint');
      }
      const b = buf[this.pos++];
      result += (b & 0x7f) * scale;
      if (b < 0x80) {
        return result;
      }
      scale *= 128;
    }
    throw malformed('varint longer than 10 bytes');
  }

  nameId(): number {
    const n = this.uvarint();
    if (n > this.remaining()) {
      throw malformed('truncated name');
    }
    const buf = this.buf;
    const from = this.pos;
    this.pos += n;
    let h = 0x811c9dc5 ^ n;
    for (let i = from; i < from + n; i++) {
      h = Math.imul(h ^ buf[i], 0x01000193);
    }
    h &= 0x3fffffff; // small-integer keys keep the map fast
    let bucket = this.seen.get(h);
    if (bucket !== undefined) {
      for (let k = 0; k < bucket.length; k += 3) {
        if (bucket[k + 1] === n && sameBytes(buf, bucket[k], from, n)) {
          return bucket[k + 2];
        }
      }
    } else {
      bucket = [];
      this.seen.set(h, bucket);
    }
    const id = this.tree.nameId(this.decoder.decode(buf.subarray(from, from + n)));
    bucket.push(from, n, id);
    return id;
  }

  skipName(): void {
    const n = this.uvarint();
    if (n > this.remaining()) {
      throw malformed('truncated name');
    }
    this.pos += n;
  }
}

function sameBytes(buf: Uint8Array, a: number, b: number, n: number): boolean {
  for (let i = 0; i < n; i++) {
    if (buf[a + i] !== buf[b + i]) {
      return false;
    }
  }
  return true;
}
