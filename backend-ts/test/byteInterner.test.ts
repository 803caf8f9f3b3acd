// ByteInterner (model/byteInterner.ts): the same ids as the string Interner for the same strings, whether they
// come as bytes or as strings, and columns that decode back to them, through growth of table and arena.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteInterner } from '../src/model/byteInterner.js';
import { Slab } from '../src/model/growable.js';
import { Interner } from '../src/model/interner.js';

test('a byte interner numbers strings as the string interner does, and its columns decode to them', () => {
  const words = ['', 'main', 'runtime.mallocgc', 'é', 'über/ñ.go', '日本語', 'a'.repeat(5000), 'main.go'];
  for (let i = 0; i < 3000; i++) {
    words.push(`github.com/org/svc${i % 97}/pkg.(*T${i}).Method`);
  }
  const bytes = new ByteInterner(['']);
  const text = new Interner(['']);
  // each word twice, once as bytes inside a larger buffer and once as a string
  for (let round = 0; round < 2; round++) {
    for (const w of words) {
      const enc = Buffer.from(`xx${w}yy`, 'utf8');
      const viaBytes = bytes.idOfBytes(enc, 2, enc.length - 2);
      const viaString = bytes.id(w);
      const want = text.id(w);
      assert.equal(viaBytes, want, w.slice(0, 40));
      assert.equal(viaString, want, w.slice(0, 40));
    }
  }
  assert.equal(bytes.size, text.size);
  const { offsets, bytes: arena } = bytes.columns();
  assert.equal(offsets.length, text.size + 1);
  for (let i = 0; i < text.size; i++) {
    assert.equal(
      Buffer.from(arena.buffer, arena.byteOffset, arena.length).toString('utf8', offsets[i], offsets[i + 1]),
      text.strings[i]
    );
  }
});

test('a byte range outside the buffer is refused, not looped over', () => {
  const bytes = new ByteInterner(['']);
  const b = Buffer.from('abc');
  assert.throws(() => bytes.idOfBytes(b, 0, 4), RangeError);
  assert.throws(() => bytes.idOfBytes(b, 2, 1), RangeError);
  assert.throws(() => bytes.idOfBytes(b, Number(undefined), 2), RangeError);
  assert.equal(bytes.idOfBytes(b, 0, 3), bytes.id('abc'));
});

test('strings that differ in one byte of a word or of the tail, or only in length, get ids of their own', () => {
  // over a slab of small chunks: the arena and tables start at offsets inside shared buffers
  const bytes = new ByteInterner([''], { strings: 4, bytes: 16 }, new Slab(256));
  const text = new Interner(['']);
  const words: string[] = [];
  for (const base of ['abcdefgh', 'abcdefghijk', 'x']) {
    for (let i = 0; i < base.length; i++) {
      words.push(base.slice(0, i) + '_' + base.slice(i + 1), base.slice(0, i + 1));
    }
  }
  for (let round = 0; round < 2; round++) {
    for (const w of words) {
      const enc = Buffer.from(`#${w}`, 'utf8');
      assert.equal(bytes.idOfBytes(enc, 1, enc.length), text.id(w), w);
    }
  }
  assert.equal(bytes.size, text.size);
});
