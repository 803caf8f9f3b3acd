// TupleIndex (model/tupleIndex.ts): every distinct tuple gets one number, in the order added, through growth and
// hash collisions, and negative or extreme int32 values are told apart.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TupleIndex } from '../src/model/tupleIndex.js';

test('a tuple index numbers distinct tuples once, through growth, with int32 extremes', () => {
  const idx = new TupleIndex();
  const seen = new Map<string, number>();
  const values = [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 7, 1 << 24];
  let next = 0;
  // every 4-tuple over the values (2,401), each looked up twice: the first time added, then found
  for (let round = 0; round < 2; round++) {
    for (const a of values) {
      for (const b of values) {
        for (const c of values) {
          for (const d of values) {
            const key = `${a},${b},${c},${d}`;
            const h = TupleIndex.hash(a, b, c, d);
            let id = idx.find(h, a, b, c, d);
            if (id < 0) {
              assert.equal(round, 0, `${key} lost after growth`);
              id = idx.add(h, a, b, c, d);
              assert.equal(id, next++);
              seen.set(key, id);
            } else {
              assert.equal(id, seen.get(key), key);
            }
          }
        }
      }
    }
  }
  assert.equal(idx.size, values.length ** 4);
  // pairs are 4-tuples ending in zeros
  const h = TupleIndex.hash(7, -1);
  assert.equal(idx.find(h, 7, -1), seen.get('7,-1,0,0'));
});
