// Slab (model/growable.ts): the typed arrays it hands out are zeroed and never overlap, whatever their kind and
// size, and a list made in one grows out of it like any other.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IntList, Slab } from '../src/model/growable.js';

test("a slab's pieces are zeroed, aligned, and disjoint; one too big for a chunk is an array of its own", () => {
  const slab = new Slab(1024);
  const pieces: Array<Int32Array | Float64Array | Uint8Array> = [];
  for (let i = 0; i < 200; i++) {
    const n = 1 + (i % 13);
    const p = i % 3 === 0 ? slab.int32(n) : i % 3 === 1 ? slab.float64(n) : slab.uint8(n);
    assert.equal(p.length, n);
    assert.ok(p.every((v) => v === 0));
    assert.equal(p.byteOffset % 8, 0);
    p.fill(i + 1);
    pieces.push(p);
  }
  // nothing written later reached an earlier piece
  pieces.forEach((p, i) =>
    assert.ok(
      p.every((v) => v === i + 1),
      `piece ${i}`
    )
  );
  const big = slab.int32(1000);
  assert.equal(big.byteOffset, 0);
  assert.equal(big.buffer.byteLength, 4000);
});

test('a list made in a slab keeps its values as it grows out of its piece', () => {
  const slab = new Slab(1024);
  const a = new IntList(16, slab);
  const b = new IntList(16, slab);
  for (let i = 0; i < 100; i++) {
    a.push(i);
    b.push(1000 - i);
  }
  assert.deepEqual(
    [...a.view()],
    Array.from({ length: 100 }, (_, i) => i)
  );
  assert.deepEqual(
    [...b.view()],
    Array.from({ length: 100 }, (_, i) => 1000 - i)
  );
});
