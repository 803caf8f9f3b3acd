// JFR reader against recordings written here byte by byte, for what the real fixtures do not show: 64-bit
// constant-pool ids, String-pool references, classes with ids 0 and 1, chunks that reuse ids for other
// constants, every event type the converter knows, and labels with span fields.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { ContextSchema, LabelsSnapshotSchema } from '../src/gen/jfr/v1/labels_pb.js';
import { JfrParseError } from '../src/formats/jfr/jfr-parse-error.js';
import { parseJfr, type JfrProfile } from '../src/formats/jfr/parse-jfr.js';
import type { NormalizedProfile } from '../src/model/profile.js';
import { chunk, classes, concat, event, type Out, type Pools } from './jfrWriter.js';

function collapsed(p: NormalizedProfile, withLabels = false): string[] {
  const m = new Map<string, number[]>();
  for (let s = 0; s < p.sampleStack.length; s++) {
    const st = p.sampleStack[s]!;
    const frames: string[] = [];
    for (let i = p.stackOffsets[st + 1]! - 1; i >= p.stackOffsets[st]!; i--) {
      const f = p.stackFrames[i]!;
      frames.push(`${p.strings[p.fnName[p.frameFn[f]!]!]}:${p.frameLine[f]}`);
    }
    let key = frames.join(';');
    if (withLabels) {
      const labels = p.labelSets[p.sampleLabelSet[s]!]!.map(([k, v]) => `${k}=${v}`);
      if (p.sampleSpan[s] !== 0) {
        labels.push(`span=${p.strings[p.sampleSpan[s]!]}`);
      }
      key += ` {${labels.join(',')}}`;
    }
    const vals = p.sampleValues.map((c) => c[s]!);
    const cur = m.get(key);
    if (cur) {
      vals.forEach((v, i) => (cur[i]! += v));
    } else {
      m.set(key, vals);
    }
  }
  return [...m].map(([k, v]) => `${k} [${v.join(' ')}]`).sort();
}

/** The invariants every consumer of a NormalizedProfile relies on. */
function assertWellFormed(p: NormalizedProfile): void {
  assert.equal(p.strings[0], '');
  const nFn = p.fnName.length;
  for (const col of [p.fnSystemName, p.fnFilename, p.fnStartLine]) {
    assert.equal(col.length, nFn);
  }
  for (const col of [p.fnName, p.fnSystemName, p.fnFilename]) {
    for (const s of col) {
      assert.ok(s >= 0 && s < p.strings.length);
    }
  }
  assert.equal(p.frameLine.length, p.frameFn.length);
  for (const f of p.frameFn) {
    assert.ok(f >= 0 && f < nFn);
  }
  assert.equal(p.stackOffsets[0], 0);
  assert.equal(p.stackOffsets[p.stackOffsets.length - 1], p.stackFrames.length);
  for (let i = 1; i < p.stackOffsets.length; i++) {
    assert.ok(p.stackOffsets[i]! >= p.stackOffsets[i - 1]!);
  }
  for (const f of p.stackFrames) {
    assert.ok(f >= 0 && f < p.frameFn.length);
  }
  const n = p.sampleStack.length;
  assert.equal(p.sampleValues.length, p.sampleTypes.length);
  for (const col of p.sampleValues) {
    assert.equal(col.length, n);
  }
  assert.equal(p.sampleLabelSet.length, n);
  assert.equal(p.sampleSpan.length, n);
  for (let s = 0; s < n; s++) {
    assert.ok(p.sampleStack[s]! >= 0 && p.sampleStack[s]! < p.stackOffsets.length - 1);
    assert.ok(p.sampleLabelSet[s]! >= 0 && p.sampleLabelSet[s]! < p.labelSets.length);
    assert.ok(p.sampleSpan[s]! >= 0 && p.sampleSpan[s]! < p.strings.length);
  }
  assert.deepEqual(p.labelSets[0], []);
  for (const ls of p.labelSets) {
    for (let i = 1; i < ls.length; i++) {
      assert.ok(ls[i - 1]![0] < ls[i]![0], 'label sets sorted by name, names unique');
    }
  }
}

function byType(ps: JfrProfile[]): Map<string, JfrProfile> {
  return new Map(ps.map((p) => [`${p.name}:${p.profile.sampleTypes.map((t) => t.type).join('+')}`, p]));
}

// Ids above 2^53 that differ only in their low bits: as doubles they would be the same number.
const BIG = 0xfedc_ba98_7654_3210n;
const BIG2 = BIG + 1n;
const NEGATIVE_AS_SIGNED = 0x8000_0000_0000_0001n;

const basePools: Pools = {
  strings: [[5n, 'com/example/Worker']],
  symbols: [
    [1, 'com/example/App'],
    [2, 'main'],
    [3, 'work'],
    [BIG, 'hot'],
    [4, { ref: 5n }],
    [6, 'com/example/App$$Lambda$14/0x0000000800c01220'],
    [7, 'run'],
  ],
  classes: [
    [10, 1],
    [BIG, 4],
    [12, 6],
  ],
  methods: [
    [100, 10, 2],
    [BIG, 10, 3],
    [BIG2, BIG, BIG],
    [NEGATIVE_AS_SIGNED, 12, 7],
    // A method of an unknown class: its frames are left out.
    [104, 999, 2],
  ],
  stacks: [
    [
      1,
      false,
      [
        [BIG, 20],
        [100, 5],
      ],
    ],
    [
      BIG,
      true,
      [
        [BIG2, -1],
        [NEGATIVE_AS_SIGNED, 0],
        [100, 5],
      ],
    ],
    [
      3,
      false,
      [
        [104, 1],
        [100, 6],
      ],
    ],
  ],
};

test('64-bit ids, String-pool symbols, lambda names and every profile type', () => {
  const defs = classes();
  const ctx = 0;
  const evs: Out[] = [
    event(defs, 'jdk.ActiveSetting', [1, 1, 'event', 'cpu']),
    event(defs, 'jdk.ExecutionSample', [1, 1, 1, 1, 0, 0, ctx]),
    event(defs, 'jdk.ExecutionSample', [1, 1, 1, 1, 0, 0, ctx]),
    event(defs, 'jdk.ExecutionSample', [1, 1, { ref: BIG }, 1, 0, 0, ctx]),
    // Sleeping and unknown states are not CPU time.
    event(defs, 'jdk.ExecutionSample', [1, 1, 1, 2, 0, 0, ctx]),
    event(defs, 'jdk.ExecutionSample', [1, 1, 1, 77, 0, 0, ctx]),
    // An unknown stack drops the sample.
    event(defs, 'jdk.ExecutionSample', [1, 1, 424242, 1, 0, 0, ctx]),
    event(defs, 'jdk.CPULoad', [1, 0, ['a', 'b']]),
    event(defs, 'profiler.WallClockSample', [1, 1, 3, 1, 4]),
    event(defs, 'jdk.ObjectAllocationInNewTLAB', [1, 1, 1, 0, ['x'], 4096, 0]),
    event(defs, 'jdk.ObjectAllocationInNewTLAB', [1, 1, 1, 0, ['x'], 1000, 0]),
    event(defs, 'jdk.ObjectAllocationOutsideTLAB', [1, 1, 1, 0, ['x'], 77, 0]),
    event(defs, 'jdk.ObjectAllocationSample', [1, 1, BIG, 0, ['x'], 64, 0]),
    event(defs, 'jdk.JavaMonitorEnter', [1, 1, 1, 0, ['x'], 5000, 0]),
    event(defs, 'jdk.ThreadPark', [1, 1, 1, 0, ['x'], 7000, 0]),
    event(defs, 'profiler.Malloc', [1, 1, 3, 0, ['x'], 128, 0]),
    event(defs, 'profiler.LiveObject', [1, 1, 99]),
  ];
  const ps = byType(parseJfr(chunk(defs, basePools, evs)));
  const main = 'com/example/App.main:5';
  const hot = `${main};com/example/App.work:20`;
  const deep = `${main};com/example/App$$Lambda_.run:0;com/example/Worker.hot:-1`;
  assert.deepEqual([...ps.keys()].sort(), [
    'block:contentions+delay',
    'memory:alloc_in_new_tlab_objects+alloc_in_new_tlab_bytes',
    'memory:alloc_outside_tlab_objects+alloc_outside_tlab_bytes',
    'memory:alloc_sample_objects+alloc_sample_bytes',
    'memory:live',
    'memory:malloc_objects+malloc_bytes',
    'mutex:contentions+delay',
    'process_cpu:cpu',
    'wall:wall',
  ]);
  assert.deepEqual(collapsed(ps.get('process_cpu:cpu')!.profile), [`${deep} [10000000]`, `${hot} [20000000]`]);
  // Not in wall mode: the wall clock sample counts as wall time only. Frames of unknown classes are left out.
  assert.deepEqual(collapsed(ps.get('wall:wall')!.profile), ['com/example/App.main:6 [40000000]']);
  assert.deepEqual(collapsed(ps.get('memory:alloc_in_new_tlab_objects+alloc_in_new_tlab_bytes')!.profile), [
    `${hot} [2 5096]`,
  ]);
  assert.deepEqual(collapsed(ps.get('memory:alloc_outside_tlab_objects+alloc_outside_tlab_bytes')!.profile), [
    `${hot} [1 77]`,
  ]);
  assert.deepEqual(collapsed(ps.get('memory:alloc_sample_objects+alloc_sample_bytes')!.profile), [`${deep} [1 64]`]);
  assert.deepEqual(collapsed(ps.get('mutex:contentions+delay')!.profile), [`${hot} [1 5000]`]);
  assert.deepEqual(collapsed(ps.get('block:contentions+delay')!.profile), [`${hot} [1 7000]`]);
  assert.deepEqual(collapsed(ps.get('memory:malloc_objects+malloc_bytes')!.profile), [
    'com/example/App.main:6 [1 128]',
  ]);
  assert.deepEqual(collapsed(ps.get('memory:live')!.profile), [`${hot} [1]`]);

  for (const p of ps.values()) {
    assertWellFormed(p.profile);
  }
  const cpu = ps.get('process_cpu:cpu')!.profile;
  assert.deepEqual(cpu.sampleTypes, [{ type: 'cpu', unit: 'nanoseconds' }]);
  assert.deepEqual(cpu.periodType, { type: 'cpu', unit: 'nanoseconds' });
  assert.deepEqual(ps.get('mutex:contentions+delay')!.profile.periodType, { type: 'mutex', unit: 'count' });
  assert.deepEqual(ps.get('memory:live')!.profile.periodType, { type: 'objects', unit: 'count' });
});

test('wall mode: execution samples also count as wall time; runnable wall clock samples as CPU', () => {
  const defs = classes();
  const evs = [
    event(defs, 'jdk.ActiveSetting', [1, 1, 'event', 'wall']),
    event(defs, 'jdk.ExecutionSample', [1, 1, 1, 1, 0, 0, 0]),
    event(defs, 'profiler.WallClockSample', [1, 1, 1, 1, 3]),
    event(defs, 'profiler.WallClockSample', [1, 1, 1, 2, 5]),
  ];
  const ps = byType(parseJfr(chunk(defs, basePools, evs), undefined, { sampleRate: 1000 }));
  const hot = 'com/example/App.main:5;com/example/App.work:20';
  assert.deepEqual(collapsed(ps.get('process_cpu:cpu')!.profile), [`${hot} [4000000]`]);
  assert.deepEqual(collapsed(ps.get('wall:wall')!.profile), [`${hot} [9000000]`]);
});

test('chunks are independent: the same ids name different constants in each', () => {
  const defs = classes();
  const other: Pools = {
    symbols: [
      [1, 'org/other/Thing'],
      [2, 'spin'],
    ],
    classes: [[10, 1]],
    methods: [[100, 10, 2]],
    stacks: [[1, false, [[100, 9]]]],
  };
  const sample = event(defs, 'jdk.ExecutionSample', [1, 1, 1, 1, 0, 0, 0]);
  // The second chunk also renumbers the classes of the type system.
  const defs2 = classes({ 'jdk.ExecutionSample': 300, 'jdk.types.StackTrace': 301, long: 302 });
  const sample2 = event(defs2, 'jdk.ExecutionSample', [1, 1, 1, 1, 0, 0, 0]);
  const jfr = concat(
    chunk(defs, basePools, [sample, sample]),
    chunk(defs2, other, [sample2]),
    chunk(defs, basePools, [sample])
  );
  const ps = byType(parseJfr(jfr));
  assert.deepEqual(collapsed(ps.get('process_cpu:cpu')!.profile), [
    'com/example/App.main:5;com/example/App.work:20 [30000000]',
    'org/other/Thing.spin:9 [10000000]',
  ]);
});

test('classes with ids 0 and 1 are events like any other, not the metadata or checkpoint events', () => {
  // Read as events of these classes, the metadata and checkpoint payloads would decode into samples on stack 1
  // (or fail): the reader must tell them apart by position.
  const defs = classes({ 'jdk.ObjectAllocationSample': 0, 'jdk.JavaMonitorEnter': 1 });
  const evs = [
    event(defs, 'jdk.ObjectAllocationSample', [1, 1, 1, 0, ['x'], 64, 0]),
    event(defs, 'jdk.JavaMonitorEnter', [1, 1, 1, 0, ['x'], 500, 0]),
  ];
  const ps = byType(parseJfr(chunk(defs, basePools, evs)));
  const hot = 'com/example/App.main:5;com/example/App.work:20';
  assert.deepEqual(collapsed(ps.get('memory:alloc_sample_objects+alloc_sample_bytes')!.profile), [`${hot} [1 64]`]);
  assert.deepEqual(collapsed(ps.get('mutex:contentions+delay')!.profile), [`${hot} [1 500]`]);
});

test('labels snapshot: context labels per sample, span id and span name from the event', () => {
  const defs = classes();
  const snapshot = create(LabelsSnapshotSchema, {
    contexts: {
      '1': create(ContextSchema, { labels: { '10': 11n, '12': 13n } }),
      '-9223372036854775807': create(ContextSchema, { labels: { '10': 14n } }),
      // A legacy agent's span id as a context label goes to the span column too.
      '3': create(ContextSchema, { labels: { '15': 16n } }),
    },
    strings: {
      '10': 'endpoint',
      '11': '/checkout',
      '12': 'region',
      '13': 'eu',
      '14': '/cart',
      '15': 'profile_id',
      '16': 'abcdef0123456789',
      '20': 'GET /checkout',
    },
  });
  const labels = toBinary(LabelsSnapshotSchema, snapshot);
  const evs = [
    event(defs, 'jdk.ExecutionSample', [1, 1, 1, 1, 0, 0, 1]),
    event(defs, 'jdk.ExecutionSample', [1, 1, 1, 1, 0xfedcba9876543210n, 20, 1]),
    event(defs, 'jdk.ExecutionSample', [1, 1, 1, 1, 0xfedcba9876543210n, 20, 1]),
    event(defs, 'jdk.ExecutionSample', [1, 1, 1, 1, 0, 0, NEGATIVE_AS_SIGNED]),
    event(defs, 'jdk.ExecutionSample', [1, 1, 1, 1, 0, 0, 3]),
    event(defs, 'jdk.ExecutionSample', [1, 1, 1, 1, 0, 0, 0]),
    // Allocation events carry the context too; thread park does not (as in Pyroscope).
    event(defs, 'jdk.ObjectAllocationInNewTLAB', [1, 1, 1, 0, ['x'], 10, 1]),
    event(defs, 'jdk.ThreadPark', [1, 1, 1, 0, ['x'], 10, 1]),
  ];
  const jfr = chunk(defs, basePools, evs);
  const ps = byType(parseJfr(jfr, labels));
  const hot = 'com/example/App.main:5;com/example/App.work:20';
  assert.deepEqual(
    collapsed(ps.get('process_cpu:cpu')!.profile, true),
    [
      `${hot} {endpoint=/cart} [10000000]`,
      `${hot} {endpoint=/checkout,region=eu,span_name=GET /checkout,span=fedcba9876543210} [20000000]`,
      `${hot} {endpoint=/checkout,region=eu} [10000000]`,
      `${hot} {span=abcdef0123456789} [10000000]`,
      `${hot} {} [10000000]`,
    ].sort()
  );
  assert.deepEqual(collapsed(ps.get('memory:alloc_in_new_tlab_objects+alloc_in_new_tlab_bytes')!.profile, true), [
    `${hot} {endpoint=/checkout,region=eu} [1 10]`,
  ]);
  assert.deepEqual(collapsed(ps.get('block:contentions+delay')!.profile, true), [`${hot} {} [1 10]`]);
  for (const p of ps.values()) {
    assertWellFormed(p.profile);
  }
  // Without a snapshot there are no labels at all, span fields included (as in Pyroscope).
  const bare = byType(parseJfr(jfr));
  assert.deepEqual(collapsed(bare.get('process_cpu:cpu')!.profile, true), [`${hot} {} [60000000]`]);
});

test('options: sample rate sets the value of a CPU sample, from/until the profile time', () => {
  const defs = classes();
  const jfr = chunk(defs, basePools, [event(defs, 'jdk.ExecutionSample', [1, 1, 1, 1, 0, 0, 0])]);
  const [p] = parseJfr(jfr, undefined, {
    sampleRate: 250,
    startTimeMs: 1_700_000_000_000,
    endTimeMs: 1_700_000_010_000,
  });
  assert.equal(p!.profile.sampleValues[0]![0], 4_000_000);
  assert.equal(p!.profile.timeMs, 1_700_000_000_000);
  assert.equal(p!.profile.durationNanos, 10e9);
  const [q] = parseJfr(jfr);
  assert.equal(q!.profile.timeMs, 0);
});

test('mutex and block delays: raw ticks as Pyroscope reports them, or nanoseconds on request', () => {
  const defs = classes();
  const evs = [
    event(defs, 'jdk.JavaMonitorEnter', [1, 1, 1, 0, ['x'], 5000, 0]),
    event(defs, 'jdk.ThreadPark', [1, 1, 1, 0, ['x'], 2500, 0]),
  ];
  const jfr = chunk(defs, basePools, evs, false, 2.5e9);
  const hot = 'com/example/App.main:5;com/example/App.work:20';
  const raw = byType(parseJfr(jfr));
  assert.deepEqual(collapsed(raw.get('mutex:contentions+delay')!.profile), [`${hot} [1 5000]`]);
  const ns = byType(parseJfr(jfr, undefined, { delayUnit: 'nanoseconds' }));
  assert.deepEqual(collapsed(ns.get('mutex:contentions+delay')!.profile), [`${hot} [1 2000]`]);
  assert.deepEqual(collapsed(ns.get('block:contentions+delay')!.profile), [`${hot} [1 1000]`]);
});

test('hostile structure is rejected with JfrParseError', () => {
  const defs = classes();
  const good = chunk(defs, basePools, [event(defs, 'jdk.ExecutionSample', [1, 1, 1, 1, 0, 0, 0])]);
  const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
  const cases: Array<[string, (b: Uint8Array) => void]> = [
    ['metadata offset past the chunk', (b) => view(b).setBigInt64(24, BigInt(b.length + 10))],
    ['chunk size beyond the data', (b) => view(b).setBigInt64(8, BigInt(b.length + 1))],
    ['chunk size smaller than a header', (b) => view(b).setBigInt64(8, 12n)],
    ['unsupported major version', (b) => (b[5] = 9)],
    [
      'event size of zero',
      (b) => {
        const metaSize = (b[68]! & 0x7f) | ((b[69]! & 0x7f) << 7) | ((b[70]! & 0x7f) << 14) | ((b[71]! & 0x7f) << 21);
        b.set([0, 0, 0, 0], 68 + metaSize);
      },
    ],
  ];
  assert.throws(() => parseJfr(chunk(defs, basePools, [], true)), /checkpoint chain loops/);
  for (const [name, corrupt] of cases) {
    const b = good.slice();
    corrupt(b);
    assert.throws(() => parseJfr(b), JfrParseError, name);
  }
  // A type that contains itself inline can never be read.
  const selfRef = classes();
  selfRef.find((d) => d.name === 'java.lang.Thread')!.fields.push({ name: 'inner', type: 'java.lang.Thread' });
  assert.throws(() => parseJfr(chunk(selfRef, basePools, [])), /contains itself inline/);
});
