// Storage format 2 and the objects written before it: a version 1 object made by the old writer still reads (its
// bytes are a committed fixture); version 2 lays an object out per dataset (one service), keeps a UUID per
// ingested profile and a trace id next to the span id per sample, and keeps them through compaction.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parsePprof } from '../src/formats/pprof.js';
import type { IngestProfile } from '../src/model/profile.js';
import { SegmentBuilder, SourceMaps } from '../src/storage/format/builder.js';
import { decodeMeta } from '../src/storage/format/meta.js';
import { datasetOf, decodeObject, tableOf, type Segment } from '../src/storage/format/segment.js';
import { hourDir, hourOf } from '../src/storage/keys.js';
import { V1_FIXTURE, V1_T0, v1Profiles } from '../scripts/v1-fixture.js';
import { connectJson, ingest, startInProcess } from './helpers.js';
import { encodePush, handPprof } from './wire.js';

const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';

/** Sum of sample values per (service, leaf function) of decoded datasets. */
function leafTotals(datasets: Segment[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of datasets) {
    for (let p = 0; p < d.profSeries.length; p++) {
      const svc = d.meta.series[d.profSeries[p]].labels.find(([k]) => k === 'service_name')![1];
      const type = d.meta.series[d.profSeries[p]].profileType.split(':')[1];
      for (let s = d.profSampleOffsets[p]; s < d.profSampleOffsets[p + 1]; s++) {
        const st = d.sampleStack[s];
        const leaf = d.string(d.fnName[d.frameFn[d.stackFrames[d.stackOffsets[st]]]]);
        const k = `${svc}/${type}/${leaf}`;
        out[k] = (out[k] ?? 0) + d.sampleValue[s];
      }
    }
  }
  return out;
}

/** What the fixture's profiles hold, from the inputs the fixture script wrote (scripts/v1-fixture.ts). */
function expectedLeafTotals(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const ip of v1Profiles()) {
    const svc = ip.labels.find(([k]) => k === 'service_name')![1];
    const p = ip.profile;
    p.sampleTypes.forEach((t, ti) => {
      for (let s = 0; s < p.sampleStack.length; s++) {
        const leaf = p.strings[p.fnName[p.frameFn[p.stackFrames[p.stackOffsets[p.sampleStack[s]]]]]];
        const k = `${svc}/${t.type}/${leaf}`;
        out[k] = (out[k] ?? 0) + p.sampleValues[ti][s];
      }
    });
  }
  return out;
}

describe('storage format 1: objects written before format 2', () => {
  test('the committed version 1 object decodes as one dataset with every profile, span and client id', () => {
    const raw = readFileSync(V1_FIXTURE);
    assert.equal(raw.readUInt32LE(4), 1, 'the fixture is a version 1 object');
    const obj = decodeObject('fixture.seg', raw);
    assert.equal(obj.meta.version, 1);
    assert.equal(obj.datasets.length, 1);
    const d = obj.datasets[0];
    assert.equal(d.profSeries.length, 4, 'cpu twice, memory as two sample types');
    assert.deepEqual(leafTotals(obj.datasets), expectedLeafTotals());
    // no UUIDs and no trace ids in version 1
    for (let p = 0; p < d.profSeries.length; p++) {
      assert.equal(d.uuidOf(p), '');
    }
    assert.equal(d.sampleTrace.length, 0);
    const spans = new Set(Array.from(d.sampleSpan, (s) => (s === 0 ? '' : d.string(s))));
    assert.deepEqual([...spans].sort(), ['', '00000000000000aa']);
    const ids = Array.from({ length: d.profSeries.length }, (_, p) => d.profIdString(p));
    assert.deepEqual(ids.sort(), ['', '', 'client-1', 'client-1']);
    // its sections, decoded as a ranged reader would (version 1: the whole object), give the same table
    const table = tableOf('fixture.seg', obj.meta, 0, raw);
    assert.deepEqual(Array.from(table.profTotal), Array.from(d.profTotal));
  });

  test('a version 1 object in the old key layout is answered by every query', async () => {
    const be = await startInProcess(['-querier.max-query-lookback=0', '-compactor.compaction-interval=0']);
    try {
      const dir = join(be.dir, 'anonymous', 'segments', hourDir(hourOf(V1_T0)));
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `lq0v1fixture0000000-${V1_T0 + 1000}-${V1_T0 + 3000}.seg`), readFileSync(V1_FIXTURE));
      const range = { start: V1_T0, end: V1_T0 + 60_000 };
      const want = expectedLeafTotals();
      const fg = await connectJson<{ flamegraph?: { total?: string } }>(be.url, 'SelectMergeStacktraces', {
        ...range,
        profileTypeID: CPU,
        labelSelector: '{service_name="fixture-a"}',
      });
      assert.equal(Number(fg.json.flamegraph?.total), want['fixture-a/cpu/work'] + want['fixture-a/cpu/idle']);
      const span = await connectJson<{ flamegraph?: { total?: string } }>(be.url, 'SelectMergeSpanProfile', {
        ...range,
        profileTypeID: CPU,
        labelSelector: '{}',
        spanSelector: ['00000000000000aa'],
      });
      assert.equal(Number(span.json.flamegraph?.total), want['fixture-a/cpu/work']);
      const values = await connectJson<{ names?: string[] }>(be.url, 'LabelValues', { ...range, name: 'service_name' });
      assert.deepEqual(values.json.names, ['fixture-a', 'fixture-b']);
      const series = await connectJson<{ series?: Array<{ points?: Array<{ value: number }> }> }>(
        be.url,
        'SelectSeries',
        {
          ...range,
          profileTypeID: 'memory:alloc_space:bytes:space:bytes',
          labelSelector: '{}',
          step: 60,
          groupBy: ['service_name'],
        }
      );
      const points = series.json.series?.[0]?.points ?? [];
      assert.equal(
        points.reduce((a, p) => a + p.value, 0),
        want['fixture-b/alloc_space/alloc']
      );
    } finally {
      await be.stop();
    }
  });
});

function uuid(n: number): Uint8Array {
  const u = new Uint8Array(16);
  u[0] = 0xab;
  u[15] = n;
  return u;
}

function withTraces(service: string, timeMs: number, n: number): IngestProfile {
  return {
    labels: [
      ['service_name', service],
      ['__name__', 'process_cpu'],
    ],
    profile: parsePprof(
      handPprof({
        sampleTypes: [['cpu', 'nanoseconds']],
        periodType: ['cpu', 'nanoseconds'],
        samples: [
          {
            stack: ['work', 'main'],
            values: [10 * n],
            labels: { span_id: '00000000000000bb', trace_id: '0123456789ABCDEF0123456789ABCDEF' },
          },
          { stack: ['idle', 'main'], values: [n] },
        ],
      })
    ),
    timeMs,
    id: n === 1 ? 'client-x' : undefined,
    uuid: uuid(n),
  };
}

describe('storage format 2', () => {
  test('a pprof trace_id label becomes the sample trace (lowercase), not a series label', () => {
    const p = withTraces('svc', 1, 1).profile;
    assert.ok(p.sampleTrace, 'the profile carries trace ids');
    const traces = Array.from(p.sampleTrace!, (t) => (t === 0 ? '' : p.strings[t]));
    assert.deepEqual(traces, ['0123456789abcdef0123456789abcdef', '']);
    assert.ok(p.labelSets.every((ls) => ls.every(([k]) => k !== 'trace_id' && k !== 'span_id')));
  });

  test('one dataset per service, each readable from its own sections, with UUIDs, client ids and trace ids', () => {
    const b = new SegmentBuilder('anonymous');
    b.add(withTraces('svc-b', 2000, 2));
    b.add(withTraces('svc-a', 1000, 1));
    b.add(withTraces('svc-b', 3000, 3));
    const raw = b.encode(5000);
    const meta = decodeMeta(raw);
    assert.ok(!('need' in meta));
    assert.equal(meta.version, 2);
    assert.deepEqual(
      meta.datasets.map((d) => [d.service, d.profiles]),
      [
        ['svc-a', 1],
        ['svc-b', 2],
      ]
    );
    // every table before every data section, so that one range read holds all profile tables
    const lastTable = Math.max(...meta.datasets.map((d) => d.table[0] + d.table[1]));
    assert.ok(meta.datasets.every((d) => d.data[0] >= lastTable));
    const obj = decodeObject('x.seg', raw);
    for (const [i, d] of meta.datasets.entries()) {
      const part = datasetOf(
        'x.seg',
        meta,
        i,
        Buffer.from(raw.subarray(d.table[0], d.table[0] + d.table[1])),
        Buffer.from(raw.subarray(d.data[0], d.data[0] + d.data[1]))
      );
      assert.deepEqual(Array.from(part.profTotal), Array.from(obj.datasets[i].profTotal));
      assert.deepEqual(Array.from(part.sampleValue), Array.from(obj.datasets[i].sampleValue));
    }
    const [a, bb] = obj.datasets;
    assert.equal(a.uuidOf(0), 'ab000000-0000-0000-0000-000000000001');
    assert.equal(a.profIdString(0), 'client-x');
    assert.deepEqual(
      [bb.uuidOf(0), bb.uuidOf(1)],
      ['ab000000-0000-0000-0000-000000000002', 'ab000000-0000-0000-0000-000000000003']
    );
    assert.equal(bb.profIdString(0), '');
    const s = bb.profSampleOffsets[0];
    assert.equal(bb.string(bb.traceOf(s)), '0123456789abcdef0123456789abcdef');
    assert.equal(bb.string(bb.spanOf(s)), '00000000000000bb');
    assert.equal(bb.traceOf(s + 1), 0);
    assert.deepEqual(leafTotals(obj.datasets), {
      'svc-a/cpu/work': 10,
      'svc-a/cpu/idle': 1,
      'svc-b/cpu/work': 50,
      'svc-b/cpu/idle': 5,
    });
  });

  test('compaction keeps UUIDs, client ids and trace ids, and reads version 1 sources', () => {
    const one = new SegmentBuilder('anonymous');
    one.add(withTraces('svc-a', 1000, 1));
    const two = new SegmentBuilder('anonymous');
    two.add(withTraces('svc-a', 2000, 2));
    const block = new SegmentBuilder('anonymous');
    block.level = 1;
    const sources = [
      decodeObject('1.seg', one.encode()),
      decodeObject('2.seg', two.encode()),
      decodeObject('v1.seg', readFileSync(V1_FIXTURE)),
    ];
    for (const o of sources) {
      for (const d of o.datasets) {
        const maps = new SourceMaps();
        for (let p = 0; p < d.profSeries.length; p++) {
          block.addFromSegment(d, p, maps);
        }
      }
    }
    const merged = decodeObject('b.blk', block.encode());
    assert.deepEqual(
      merged.datasets.map((d) => d.meta.datasets[d.dataset].service),
      ['fixture-a', 'fixture-b', 'svc-a']
    );
    const a = merged.datasets[2];
    assert.deepEqual(
      [a.uuidOf(0), a.uuidOf(1), a.profIdString(0)],
      ['ab000000-0000-0000-0000-000000000001', 'ab000000-0000-0000-0000-000000000002', 'client-x']
    );
    assert.equal(a.string(a.traceOf(a.profSampleOffsets[1])), '0123456789abcdef0123456789abcdef');
    const want = { ...expectedLeafTotals(), 'svc-a/cpu/work': 30, 'svc-a/cpu/idle': 3 };
    assert.deepEqual(leafTotals(merged.datasets), want);
    // a version 1 source has no UUIDs: its profiles keep none
    assert.equal(merged.datasets[0].uuidOf(0), '');
  });

  test('a dataset taken whole (one source for its service) reads as if re-interned, and its data is not rewritten', () => {
    const one = new SegmentBuilder('anonymous');
    one.add(withTraces('svc-a', 1000, 1));
    one.add(withTraces('svc-a', 1500, 4));
    one.add(withTraces('svc-b', 1200, 2));
    const two = new SegmentBuilder('anonymous');
    two.add(withTraces('svc-b', 2200, 3));
    two.add(withTraces('svc-c', 2100, 5));
    const sources = [
      decodeObject('1.seg', one.encode()),
      decodeObject('2.seg', two.encode()),
      decodeObject('v1.seg', readFileSync(V1_FIXTURE)),
    ];
    const whole = new SegmentBuilder('anonymous');
    const interned = new SegmentBuilder('anonymous');
    for (const o of sources) {
      for (const d of o.datasets) {
        whole.addDataset(d);
        const maps = new SourceMaps();
        for (let p = 0; p < d.profSeries.length; p++) {
          interned.addFromSegment(d, p, maps);
        }
      }
    }
    // every profile, sample, stack, span, trace, UUID and client id as a reader sees them
    const dump = (raw: Buffer) => {
      const o = decodeObject('b.blk', raw);
      return {
        series: o.meta.series,
        datasets: o.meta.datasets.map((m) => [m.service, m.series, m.profiles, m.samples, m.minTime, m.maxTime]),
        profiles: o.datasets.flatMap((d) =>
          Array.from(d.profSeries, (sid, p) => {
            const samples = [];
            for (let s = d.profSampleOffsets[p]; s < d.profSampleOffsets[p + 1]; s++) {
              const st = d.sampleStack[s];
              const frames = Array.from(d.stackFrames.subarray(d.stackOffsets[st], d.stackOffsets[st + 1]), (f) =>
                [d.fnName, d.fnSystemName, d.fnFilename].map((c) => d.string(c[d.frameFn[f]])).join('|')
              );
              samples.push([frames.join(';'), d.sampleValue[s], d.string(d.spanOf(s)), d.string(d.traceOf(s))]);
            }
            return [sid, d.profTime[p], d.profTotal[p], d.uuidOf(p), d.profIdString(p), samples];
          })
        ),
      };
    };
    const a = whole.encode(9000);
    assert.deepEqual(dump(a), dump(interned.encode(9000)));
    const block = decodeObject('b.blk', a);
    const services = block.meta.datasets.map((d) => d.service);
    assert.deepEqual(services, ['fixture-a', 'fixture-b', 'svc-a', 'svc-b', 'svc-c']);
    // svc-a and svc-c came from one source each: their data sections are the sources' bytes
    const section = (o: typeof block, service: string) =>
      o.datasets[o.meta.datasets.findIndex((d) => d.service === service)].dataSection!;
    assert.ok(section(block, 'svc-a').equals(section(sources[0], 'svc-a')));
    assert.ok(section(block, 'svc-c').equals(section(sources[1], 'svc-c')));
    // svc-b came from two: merged, its shared stacks stored once
    const b = block.datasets[services.indexOf('svc-b')];
    assert.equal(b.profSeries.length, 2);
    assert.equal(b.stackCount, 2);
  });

  test('one source feeding two blocks (two ten-minute windows) gives each block only its own profiles', () => {
    const src = new SegmentBuilder('anonymous');
    for (let i = 0; i < 6; i++) {
      src.add(withTraces(i % 2 ? 'svc-b' : 'svc-a', 1000 * i, i + 1));
    }
    const blocks = [new SegmentBuilder('anonymous'), new SegmentBuilder('anonymous')];
    for (const d of decodeObject('1.seg', src.encode()).datasets) {
      // one set of maps per source dataset, shared by the blocks it feeds, as compaction does
      const maps = new SourceMaps();
      for (let p = 0; p < d.profSeries.length; p++) {
        blocks[d.profTime[p] < 3000 ? 0 : 1].addFromSegment(d, p, maps);
      }
    }
    const [early, late] = blocks.map((b) => decodeObject('b.blk', b.encode()));
    const rows = (o: typeof early) =>
      o.meta.series.map((s) => [s.labels.find(([k]) => k === 'service_name')![1], s.profiles, s.minTime, s.maxTime]);
    assert.deepEqual(rows(early), [
      ['svc-a', 2, 0, 2000],
      ['svc-b', 1, 1000, 1000],
    ]);
    assert.deepEqual(rows(late), [
      ['svc-a', 1, 4000, 4000],
      ['svc-b', 2, 3000, 5000],
    ]);
    assert.deepEqual(leafTotals(early.datasets), {
      'svc-a/cpu/work': 40,
      'svc-a/cpu/idle': 4,
      'svc-b/cpu/work': 20,
      'svc-b/cpu/idle': 2,
    });
    assert.deepEqual(leafTotals(late.datasets), {
      'svc-b/cpu/work': 100,
      'svc-b/cpu/idle': 10,
      'svc-a/cpu/work': 50,
      'svc-a/cpu/idle': 5,
    });
  });

  test('functions alike in name and file but not in system name or start line stay apart through compaction', () => {
    // strings: 1 f, 2 a.go, 3 f.sys, 4 cpu, 5 nanoseconds; functions: (f, f, a.go, 1), (f, f.sys, a.go, 1), (f, f, a.go, 2)
    const profile = (timeMs: number): IngestProfile => ({
      labels: [
        ['service_name', 'svc'],
        ['__name__', 'process_cpu'],
      ],
      timeMs,
      profile: {
        strings: ['', 'f', 'a.go', 'f.sys', 'cpu', 'nanoseconds'],
        fnName: Int32Array.of(1, 1, 1),
        fnSystemName: Int32Array.of(1, 3, 1),
        fnFilename: Int32Array.of(2, 2, 2),
        fnStartLine: Int32Array.of(1, 1, 2),
        frameFn: Int32Array.of(0, 1, 2),
        frameLine: Int32Array.of(10, 10, 10),
        stackOffsets: Int32Array.of(0, 1, 2, 3),
        stackFrames: Int32Array.of(0, 1, 2),
        sampleTypes: [{ type: 'cpu', unit: 'nanoseconds' }],
        periodType: { type: 'cpu', unit: 'nanoseconds' },
        period: 10_000_000,
        sampleStack: Int32Array.of(0, 1, 2),
        sampleValues: [Float64Array.of(1, 2, 4)],
        sampleLabelSet: Int32Array.of(0, 0, 0),
        sampleSpan: Int32Array.of(0, 0, 0),
        labelSets: [[]],
        timeMs,
        durationNanos: 0,
      },
    });
    const block = new SegmentBuilder('anonymous');
    for (const t of [1000, 2000]) {
      const one = new SegmentBuilder('anonymous');
      one.add(profile(t));
      for (const d of decodeObject('1.seg', one.encode()).datasets) {
        const maps = new SourceMaps();
        for (let p = 0; p < d.profSeries.length; p++) {
          block.addFromSegment(d, p, maps);
        }
      }
    }
    const [d] = decodeObject('b.blk', block.encode()).datasets;
    const fns = Array.from({ length: d.fnName.length }, (_, f) => [
      d.string(d.fnName[f]),
      d.string(d.fnSystemName[f]),
      d.fnStartLine[f],
    ]);
    assert.deepEqual(fns, [
      ['f', 'f', 1],
      ['f', 'f.sys', 1],
      ['f', 'f', 2],
    ]);
    // each stack's leaf function, with the values of both sources added up
    const byFn = new Map<number, number>();
    for (let s = 0; s < d.sampleStack.length; s++) {
      const f = d.frameFn[d.stackFrames[d.stackOffsets[d.sampleStack[s]]]];
      byFn.set(f, (byFn.get(f) ?? 0) + d.sampleValue[s]);
    }
    assert.deepEqual([...byFn].sort(), [
      [0, 2],
      [1, 4],
      [2, 8],
    ]);
  });

  test('ingest gives each body and each RawSample its own UUID, shared by the profiles it becomes', async () => {
    const be = await startInProcess(['-compactor.compaction-interval=0']);
    try {
      const memory = handPprof({
        sampleTypes: [
          ['alloc_objects', 'count'],
          ['alloc_space', 'bytes'],
        ],
        periodType: ['space', 'bytes'],
        samples: [{ stack: ['alloc', 'main'], values: [2, 4096] }],
      });
      for (let i = 0; i < 2; i++) {
        const r = await ingest(be.url, memory, `uuid-body-${i}`);
        assert.equal(r.status, 200, await r.text());
      }
      const cpu = (v: number) =>
        handPprof({ sampleTypes: [['cpu', 'nanoseconds']], samples: [{ stack: ['f'], values: [v] }] });
      const push = await fetch(`${be.url}/push.v1.PusherService/Push`, {
        method: 'POST',
        headers: { 'content-type': 'application/proto' },
        body: new Uint8Array(
          encodePush([
            {
              labels: { __name__: 'process_cpu', service_name: 'uuid-push' },
              samples: [{ raw: cpu(1) }, { raw: cpu(2) }],
            },
          ])
        ),
      });
      assert.equal(push.status, 200);
      const byService = new Map<string, Set<string>>();
      let stored = 0;
      for (const o of await be.svc.store.list('anonymous/')) {
        if (!/\.(seg|blk)$/.test(o.key)) {
          continue;
        }
        for (const d of decodeObject(o.key, await be.svc.store.get(o.key)).datasets) {
          for (let p = 0; p < d.profSeries.length; p++) {
            const svc = d.meta.series[d.profSeries[p]].labels.find(([k]) => k === 'service_name')![1];
            const u = d.uuidOf(p);
            assert.match(u, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
            (byService.get(svc) ?? byService.set(svc, new Set()).get(svc)!).add(u);
            stored++;
          }
        }
      }
      assert.equal(stored, 2 * 2 + 2, 'two memory bodies of two sample types, two push samples');
      // one UUID per body, shared by its two sample types; the bodies differ
      assert.equal(byService.get('uuid-body-0')!.size, 1);
      assert.equal(byService.get('uuid-body-1')!.size, 1);
      assert.notDeepEqual([...byService.get('uuid-body-0')!], [...byService.get('uuid-body-1')!]);
      assert.equal(byService.get('uuid-push')!.size, 2, 'each RawSample its own');
    } finally {
      await be.stop();
    }
  });
});
