// The pprof decoder's per-sample shortcuts (a stack equal to the previous sample's, a raw label sequence seen
// before) give what a plain decode gives: checked against pprof-format's own decoding, sample by sample.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Function as PFunction, Label, Line, Location, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import { parsePprof } from '../src/formats/pprof.js';
import type { NormalizedProfile } from '../src/model/profile.js';

/** Each sample as (leaf-first function names, sorted label pairs, value) from our decoder. */
function ours(p: NormalizedProfile): Array<{ stack: string[]; labels: string; value: number }> {
  return Array.from(p.sampleStack, (st, i) => {
    const stack: string[] = [];
    for (let j = p.stackOffsets[st]!; j < p.stackOffsets[st + 1]!; j++) {
      stack.push(p.strings[p.fnName[p.frameFn[p.stackFrames[j]!]!]!]!);
    }
    return { stack, labels: JSON.stringify(p.labelSets[p.sampleLabelSet[i]!]), value: p.sampleValues[0]![i]! };
  });
}

/** The same from pprof-format's decoding, computed independently. */
function reference(raw: Uint8Array): Array<{ stack: string[]; labels: string; value: number }> {
  const p = Profile.decode(raw);
  const s = (i: number | bigint) => p.stringTable.strings[Number(i)]!;
  const fnName = new Map(p.function.map((f) => [Number(f.id), s(f.name)]));
  const locFns = new Map(p.location.map((l) => [Number(l.id), l.line.map((ln) => fnName.get(Number(ln.functionId))!)]));
  return p.sample.map((smp) => {
    const pairs = smp.label
      .filter((l) => Number(l.str) !== 0)
      .map((l) => [s(l.key), s(l.str)] as [string, string])
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return {
      stack: smp.locationId.flatMap((id) => locFns.get(Number(id))!),
      labels: JSON.stringify(pairs),
      value: Number(smp.value[0]),
    };
  });
}

test('repeated and reordered stacks and label sets decode exactly as pprof-format reads them', () => {
  const st = new StringTable();
  const functions = Array.from({ length: 12 }, (_, i) => new PFunction({ id: i + 1, name: st.dedup(`fn${i}`) }));
  const locations = functions.map((f, i) => new Location({ id: i + 1, line: [new Line({ functionId: f.id })] }));
  const label = (k: string, v: string) => new Label({ key: st.dedup(k), str: st.dedup(v) });
  // stacks leaf first: equal, differing only at the root or only at the leaf, one a prefix of another, empty
  const stacks = [[1, 2, 3], [1, 2, 4], [7, 2, 3], [1, 2], [1, 2, 3, 5], [], [6], [1, 2, 3]];
  const labelings = [
    [],
    [label('pod', 'a'), label('env', 'prod')],
    // the same set in the other order: one label set, two raw sequences
    [label('env', 'prod'), label('pod', 'a')],
    [label('pod', 'b'), label('env', 'prod')],
    [label('pod', 'a')],
  ];
  let seed = 11;
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return (seed >>> 16) % n;
  };
  const samples: Sample[] = [];
  for (let i = 0; i < 400; i++) {
    // runs of the same stack (the shortcut) between random picks
    const si = i % 9 < 4 ? 0 : rand(stacks.length);
    samples.push(
      new Sample({ locationId: stacks[si]!, value: [i + 1], label: labelings[i % 7 < 3 ? 1 : rand(labelings.length)]! })
    );
  }
  const raw = new Profile({
    sampleType: [new ValueType({ type: st.dedup('samples'), unit: st.dedup('count') })],
    sample: samples,
    location: locations,
    function: functions,
    stringTable: st,
    periodType: new ValueType({ type: st.dedup('cpu'), unit: st.dedup('nanoseconds') }),
    period: 1,
  }).encode();
  const p = parsePprof(raw);
  assert.deepEqual(ours(p), reference(raw));
  // distinct stacks and label sets are stored once each
  assert.equal(p.stackOffsets.length - 1, new Set(stacks.map((s) => s.join(','))).size);
  assert.deepEqual(
    p.labelSets.map((ls) => JSON.stringify(ls)).sort(),
    ['[]', '[["env","prod"],["pod","a"]]', '[["env","prod"],["pod","b"]]', '[["pod","a"]]'].sort()
  );
});
