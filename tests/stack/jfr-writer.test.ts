// The demo's JFR writer against the backend's own JFR reader: what the workload writes for the `ad` service must
// read back as exactly the samples it meant (CPU per stack, allocations per stack and kind).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseJfr, type JfrProfile } from '../../backend-ts/src/formats/jfr/parse-jfr.js';
import { SERVICES } from '../../demo/src/catalog.js';
import { writeJfr, type Recording } from '../../demo/src/jfr/jfr-writer.js';
import { seededRng } from '../../demo/src/shape.js';

/** Folded stack (root first) -> values, for one parsed profile. */
function stacksOf(p: JfrProfile): Map<string, number[]> {
  const pr = p.profile;
  const out = new Map<string, number[]>();
  for (let i = 0; i < pr.sampleStack.length; i++) {
    const s = pr.sampleStack[i]!;
    const names: string[] = [];
    for (let j = pr.stackOffsets[s]!; j < pr.stackOffsets[s + 1]!; j++) {
      names.push(pr.strings[pr.fnName[pr.frameFn[pr.stackFrames[j]!]!]!]!);
    }
    const key = names.reverse().join(';');
    const values = pr.sampleValues.map((c) => c[i]!);
    const prev = out.get(key);
    out.set(key, prev ? prev.map((v, k) => v + values[k]!) : values);
  }
  return out;
}

function find(ps: JfrProfile[], name: string, firstType: string): JfrProfile {
  const p = ps.find((x) => x.name === name && x.profile.sampleTypes[0]?.type === firstType);
  assert.ok(
    p,
    `no ${name}/${firstType} profile in ${ps.map((x) => `${x.name}/${x.profile.sampleTypes[0]?.type}`).join(', ')}`
  );
  return p;
}

function adRecording(seed: number): Recording {
  const ad = SERVICES.find((s) => s.name === 'ad')!;
  const rng = seededRng(seed);
  return {
    startNanos: 1_700_000_000_000 * 1e6,
    durationNanos: 10e9,
    executionSamples: ad.cpu!.map((s, i) => ({
      stack: s.stack.split(';'),
      count: 1 + Math.floor(rng() * 50),
      thread: `grpc-default-executor-${i % 3}`,
    })),
    allocations: ad.alloc!.flatMap((s, i) => [
      { stack: s.stack.split(';'), objectClass: '[B', count: 1 + Math.floor(rng() * 9), bytes: 262_144 + i * 4096 },
      {
        stack: s.stack.split(';'),
        objectClass: 'java/lang/String',
        count: 1 + Math.floor(rng() * 3),
        bytes: 2_000_000 + i,
        outsideTlab: true,
      },
    ]),
  };
}

function expected(rec: Recording) {
  const cpu = new Map<string, number>();
  const tlab = new Map<string, [number, number]>();
  const outside = new Map<string, [number, number]>();
  for (const e of rec.executionSamples) {
    const k = e.stack.join(';');
    cpu.set(k, (cpu.get(k) ?? 0) + e.count * 1e7); // 100 Hz: 10 ms per sample
  }
  for (const a of rec.allocations) {
    const k = a.stack.join(';');
    const m = a.outsideTlab ? outside : tlab;
    const [n, b] = m.get(k) ?? [0, 0];
    m.set(k, [n + a.count, b + a.count * a.bytes]);
  }
  return { cpu, tlab, outside };
}

test('JFR writer: the backend reader reads back every CPU and allocation sample of the ad recording', () => {
  const rec = adRecording(42);
  const jfr = writeJfr(rec);
  assert.equal(Buffer.from(jfr.subarray(0, 4)).toString('latin1'), 'FLR\0');
  const out = parseJfr(jfr, undefined, {
    sampleRate: 100,
    startTimeMs: 1_700_000_000_000,
    endTimeMs: 1_700_000_010_000,
  });
  const want = expected(rec);

  const cpu = stacksOf(find(out, 'process_cpu', 'cpu'));
  assert.deepEqual(new Map([...cpu].map(([k, v]) => [k, v[0]])), want.cpu);

  const tlab = find(out, 'memory', 'alloc_in_new_tlab_objects');
  assert.deepEqual(
    tlab.profile.sampleTypes.map((t) => `${t.type}/${t.unit}`),
    ['alloc_in_new_tlab_objects/count', 'alloc_in_new_tlab_bytes/bytes']
  );
  assert.deepEqual(stacksOf(tlab), new Map([...want.tlab].map(([k, v]) => [k, [...v]])));

  const outside = find(out, 'memory', 'alloc_outside_tlab_objects');
  assert.deepEqual(stacksOf(outside), new Map([...want.outside].map(([k, v]) => [k, [...v]])));

  // Only what was written: no wall, lock or other profile types appear.
  assert.deepEqual(out.map((p) => p.name).sort(), ['memory', 'memory', 'process_cpu']);
});

test('JFR writer: chunk sizes and offsets are exact (two recordings concatenated read as one with summed values)', () => {
  const a = adRecording(1);
  const b = adRecording(2);
  const ja = writeJfr(a);
  const jb = writeJfr(b);
  const both = new Uint8Array(ja.length + jb.length);
  both.set(ja, 0);
  both.set(jb, ja.length);
  const out = parseJfr(both, undefined, { sampleRate: 100, startTimeMs: 0, endTimeMs: 10_000 });
  const cpu = stacksOf(find(out, 'process_cpu', 'cpu'));
  const wa = expected(a).cpu;
  const wb = expected(b).cpu;
  for (const [k, v] of wa) {
    assert.equal(cpu.get(k)?.[0], v + (wb.get(k) ?? 0), k);
  }
});

test('JFR writer: frame names keep JVM class names (package/Class$Inner.method) as the Java agent reports them', () => {
  const jfr = writeJfr({
    startNanos: 0,
    durationNanos: 1e9,
    executionSamples: [
      {
        stack: ['java/lang/Thread.run', 'oteldemo/AdService$AdServiceImpl.getAds', 'java/util/ArrayList.<init>'],
        count: 3,
      },
    ],
    allocations: [],
  });
  const cpu = stacksOf(find(parseJfr(jfr, undefined, { sampleRate: 100 }), 'process_cpu', 'cpu'));
  assert.deepEqual(
    [...cpu.keys()],
    ['java/lang/Thread.run;oteldemo/AdService$AdServiceImpl.getAds;java/util/ArrayList.<init>']
  );
});
