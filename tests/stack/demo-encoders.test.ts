// The demo's own encoders checked by independent decoders: pprof by pprof-format, the Push request by the
// backend's generated protobuf types; and the workload's promises (regression, span labels) on its output.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { fromBinary } from '@bufbuild/protobuf';
import { Profile } from 'pprof-format';
import { PushRequestSchema } from '../../backend-ts/src/gen/push/v1/push_pb.js';
import { REGRESSION, SERVICES } from '../../demo/src/catalog.js';
import { PprofBuilder } from '../../demo/src/pprof.js';
import { encodePushRequest } from '../../demo/src/transport.js';
import { weightsAt, type WorkloadOptions } from '../../demo/src/workload.js';

test('pprof encoder: gzipped profile decodes with pprof-format to the same stacks, values and labels', () => {
  const b = new PprofBuilder({
    sampleTypes: [
      { type: 'samples', unit: 'count' },
      { type: 'cpu', unit: 'nanoseconds' },
    ],
    periodType: { type: 'cpu', unit: 'nanoseconds' },
    period: 10_000_000,
    timeNanos: 1_795_000_000_000_000_000,
    durationNanos: 10e9,
  });
  b.add([{ name: 'main.main' }, { name: 'main.work' }], [3, 30_000_000]);
  b.add([{ name: 'main.main' }, { name: 'runtime.mallocgc', file: 'malloc.go' }], [1, 10_000_000], {
    span_id: '0123456789abcdef',
  });
  const gz = b.encode();
  assert.equal(gz[0], 0x1f);
  const p = Profile.decode(gunzipSync(gz));
  const str = (i: number | bigint) => p.stringTable.strings[Number(i)]!;
  assert.deepEqual(
    p.sampleType.map((t) => `${str(t.type)}/${str(t.unit)}`),
    ['samples/count', 'cpu/nanoseconds']
  );
  assert.equal(Number(p.period), 10_000_000);
  assert.equal(BigInt(p.timeNanos), 1_795_000_000_000_000_000n);
  const fnName = new Map(p.function.map((f) => [Number(f.id), str(f.name)]));
  const locFn = new Map(p.location.map((l) => [Number(l.id), Number(l.line[0]!.functionId)]));
  const samples = p.sample.map((s) => ({
    stack: s.locationId
      .map((id) => fnName.get(locFn.get(Number(id))!)!)
      .reverse()
      .join(';'),
    values: s.value.map(Number),
    labels: s.label.map((l) => `${str(l.key)}=${str(l.str)}`),
  }));
  assert.deepEqual(samples, [
    { stack: 'main.main;main.work', values: [3, 30_000_000], labels: [] },
    { stack: 'main.main;runtime.mallocgc', values: [1, 10_000_000], labels: ['span_id=0123456789abcdef'] },
  ]);
});

test('Push encoder: the request decodes with the backend generated push.v1 types', () => {
  const raw = new Uint8Array([0x1f, 0x8b, 1, 2, 3]);
  const bytes = encodePushRequest([
    { labels: { __name__: 'process_cpu', service_name: 'email', namespace: 'otel-demo' }, profiles: [raw] },
  ]);
  const req = fromBinary(PushRequestSchema, bytes);
  assert.equal(req.series.length, 1);
  assert.deepEqual(
    req.series[0]!.labels.map((l) => [l.name, l.value]),
    [
      ['__name__', 'process_cpu'],
      ['service_name', 'email'],
      ['namespace', 'otel-demo'],
    ]
  );
  assert.deepEqual([...req.series[0]!.samples[0]!.rawProfile], [...raw]);
});

test('regression: after the switch one function doubles, another halves, the total stays the same', () => {
  const svc = SERVICES.find((s) => s.name === REGRESSION.service)!;
  const opts: WorkloadOptions = { url: '', regressionAtMs: 1000, namespace: 'otel-demo' };
  const before = weightsAt(svc, svc.cpu ?? svc.ebpf, 999, opts);
  const after = weightsAt(svc, svc.cpu ?? svc.ebpf, 1000, opts);
  const selfOf = (ws: typeof before, fn: string) =>
    ws.filter((w) => w.stack.endsWith(`;${fn}`)).reduce((a, w) => a + w.weight, 0);
  assert.ok(selfOf(before, REGRESSION.slower) > 0 && selfOf(before, REGRESSION.faster) > 0);
  assert.equal(selfOf(after, REGRESSION.slower), 2 * selfOf(before, REGRESSION.slower));
  assert.equal(selfOf(after, REGRESSION.faster), selfOf(before, REGRESSION.faster) / 2);
  const total = (ws: typeof before) => ws.reduce((a, w) => a + w.weight, 0);
  assert.equal(total(after), total(before));
});
