// The label regex engine (model/labelRegex.ts) against V8's own: same answers on every regex V8 accepts as
// linear, the hostile shapes of issue 15 done in few steps, and a run that pauses in bounded steps and resumes
// with the same answer (what lets a query yield in the middle of one match).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { enableLinearRegex } from '../src/config/runtime.js';
import { LinearRegex } from '../src/model/labelRegex.js';
import { parseMatchers, SelectorError } from '../src/model/selector.js';

enableLinearRegex();

const PIECES = [
  'a',
  'b',
  '.',
  '\\d',
  '\\w',
  '\\s',
  '\\S',
  '\\W',
  '\\D',
  '[ab]',
  '[^a]',
  '[a-c]',
  '[\\d_]',
  '[\\w-]',
  '|',
  '(',
  ')',
  '(?:',
  '(?<n>',
  '*',
  '+',
  '?',
  '*?',
  '{2}',
  '{1,3}',
  '{2,}',
  '^',
  '$',
  '\\b',
  '\\B',
  '\\.',
  '\\-',
  '{',
  '}',
  ']',
  '\\x41',
  '\\u0062',
  '\\0',
  '\\1',
  '\\7',
  '\\8',
  '\\cA',
  '\\c',
  '[\\b]',
  '[]',
  '[^]',
  '\\t',
  '\\n',
  ' ',
  '-',
  'é',
  '\u2028',
  '_',
  '0',
  '9',
  'A',
  '\\k',
  '\\p{L}',
  '[\\c1]',
  '[a-\\d]',
];
const UNITS = [
  'a',
  'b',
  'c',
  'A',
  'k',
  'p',
  'L',
  '0',
  '9',
  '_',
  ' ',
  '\n',
  '\t',
  '-',
  '.',
  'é',
  '\u2028',
  '\x01',
  '\x00',
  '\x08',
  '\x07',
  '{',
  '}',
  ']',
  '\u00a0',
  '\\',
];

/** V8's answer for the anchored regex, or null when V8 refuses the pattern (standalone, or as linear). */
function v8(src: string): RegExp | null {
  try {
    new RegExp(src);
    return new RegExp(`^(?:${src})$`, 'l');
  } catch {
    return null;
  }
}

test('same answers as V8 on every regex V8 accepts as linear (property)', () => {
  const regex = fc.array(fc.constantFrom(...PIECES), { maxLength: 12 }).map((a) => a.join(''));
  const value = fc.array(fc.constantFrom(...UNITS), { maxLength: 10 }).map((a) => a.join(''));
  let compared = 0;
  fc.assert(
    fc.property(regex, fc.array(value, { minLength: 1, maxLength: 8 }), (src, values) => {
      const ref = v8(src);
      if (!ref) {
        return;
      }
      let mine: LinearRegex;
      try {
        mine = new LinearRegex(src);
      } catch (e) {
        // a reference to a group that is still open (`(\1)`) always matches empty in V8; we refuse it
        assert.match((e as Error).message, /backreferences/, src);
        return;
      }
      for (const v of values) {
        assert.equal(mine.test(v), ref.test(v), `${JSON.stringify(src)} on ${JSON.stringify(v)}`);
        compared++;
      }
    }),
    { numRuns: 6000, seed: 1515 }
  );
  assert.ok(compared > 10_000, `compared ${compared}`);
});

test('the hostile shapes of issue 15 take a few thousand steps, where V8 takes seconds', () => {
  for (const [reps, value] of [
    [100, 'a'.repeat(2000)],
    [100, `${'a'.repeat(1999)}b`],
    [1000, 'ab'.repeat(1000)],
  ] as const) {
    const re = new LinearRegex(`${'(?:.*a)'.repeat(reps)}b`);
    const run = re.run(value);
    let steps = 0;
    let r: boolean | undefined;
    while ((r = run.step(4096)) === undefined) {
      steps++;
    }
    assert.equal(r, /b$/.test(value) && value.split('a').length > reps);
    // linear: bounded by (value length) x (regex states), far below what V8's engine does per match
    assert.ok(steps < (value.length * reps * 8) / 4096, `${steps} steps`);
  }
  for (const re of ['(a+)+b', '(a|a)*b', '(a|aa)*c', '(.*)*x', '(a*)*b', '([a-z]+)*[0-9]']) {
    assert.equal(new LinearRegex(re).test('a'.repeat(20_000)), false, re);
  }
});

test('a run pauses in bounded steps and resumes to the same answer, even when other runs rebuild the cache', () => {
  // many distinct kernels: each position of the value is a new DFA state, so the cache fills and is rebuilt
  const re = new LinearRegex(`${'(?:.*a)'.repeat(300)}b`);
  const value = `${'a'.repeat(3000)}b`;
  const a = re.run(value);
  const b = re.run('a'.repeat(3000));
  let ra: boolean | undefined;
  let rb: boolean | undefined;
  let pauses = 0;
  while (ra === undefined || rb === undefined) {
    if (ra === undefined) {
      ra = a.step(1000);
    }
    if (rb === undefined) {
      rb = b.step(1000);
    }
    pauses++;
  }
  assert.ok(pauses > 10, `${pauses} pauses`);
  assert.equal(ra, true);
  assert.equal(rb, false);
  assert.equal(re.test(value), true);
});

test('a pattern must stand on its own: the anchoring group cannot be closed from inside', () => {
  for (const s of ['{a=~"x)|(?:.*"}', '{a=~")("}']) {
    assert.throws(
      () => parseMatchers(s),
      (e: unknown) => e instanceof SelectorError && /bad regular expression/.test(e.message),
      s
    );
  }
  // and what V8 accepts keeps its meaning
  const [m] = parseMatchers('{a=~"^api-(?<n>v\\\\d)$|web"}');
  assert.equal(m.re!.test('api-v2'), true);
  assert.equal(m.re!.test('web'), true);
  assert.equal(m.re!.test('api-v2web'), false);
});
