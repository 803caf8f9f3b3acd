// The text formats and OTLP through the HTTP routes agents use, read back over the query API: totals and every
// stack (flame graph and SelectMergeProfile), labels and service names.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { OTLP_PROTO_RELEASE } from '../src/formats/otlp/release.js';
import {
  connectJson,
  ingest,
  speedscopeEvented,
  speedscopeFile,
  speedscopeSampled,
  startInProcess,
  type Running,
} from './helpers.js';
import { handEncodedRequest, SPAN_ID } from './otlpWire.js';
import {
  assertSameStacks,
  flameGraphStacks,
  pprofStacks,
  profileTypesOf,
  range,
  selectMergeProfile,
  type Stacks,
} from './readBack.js';
import { CPU } from './wire.js';

let be: Running;
before(async () => {
  be = await startInProcess();
});
after(async () => be?.stop());

/** Reads a service's profile type back: its only type must be `type`, and flame graph and pprof hold `want`. */
async function assertStacks(service: string, type: string, want: Stacks, selector = `{service_name="${service}"}`) {
  assert.deepEqual(await profileTypesOf(be.url, selector), [type], `${selector}: profile types`);
  const fg = await flameGraphStacks(be.url, type, selector);
  assertSameStacks(fg.stacks, want, `${selector} ${type} (flame graph)`);
  assert.equal(
    fg.total,
    [...want.values()].reduce((a, b) => a + b, 0),
    `${selector} ${type} total`
  );
  assertSameStacks(
    pprofStacks(await selectMergeProfile(be.url, type, selector), 0, 'function'),
    want,
    `${selector} ${type} (pprof)`
  );
}

async function total(service: string, type: string): Promise<number> {
  const now = Date.now();
  const r = await connectJson<{ flamegraph?: { total: string } }>(be.url, 'SelectMergeStacktraces', {
    profileTypeID: type,
    labelSelector: `{service_name="${service}"}`,
    start: now - 3_600_000,
    end: now + 60_000,
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return Number(r.json.flamegraph?.total ?? 0);
}

test('folded: name=app.cpu&sampleRate=100 gives service app, process_cpu in nanoseconds, total 150,000,000', async () => {
  const r = await ingest(be.url, Buffer.from('foo;bar 10\nfoo 5\n'), 'app.cpu', {
    format: 'folded',
    contentType: 'text/plain',
    extra: { sampleRate: '100' },
  });
  assert.equal(r.status, 200, await r.text());
  assert.equal(await total('app', 'process_cpu:cpu:nanoseconds:cpu:nanoseconds'), 150_000_000);
  // 100 Hz: a sample is 10 ms
  await assertStacks(
    'app',
    CPU,
    new Map([
      ['foo;bar', 100_000_000],
      ['foo', 50_000_000],
    ])
  );
});

test('folded: app-name suffixes pick the type (.alloc_space, .inuse_objects, .wall) and stacks read back', async () => {
  const body = Buffer.from('main;alloc;grow 4096\nmain;alloc 1024\nmain;alloc;grow 512\n');
  const cases: Array<[string, string]> = [
    // Pyroscope's legacy adapter gives types other than cpu and wall no period type
    ['alloc_space', 'memory:alloc_space:bytes::'],
    ['inuse_objects', 'memory:inuse_objects:count::'],
    // wall counts samples: with sampleRate 100 each is 10 ms of wall time (period type cpu, as Pyroscope writes)
    ['wall', 'wall:wall:nanoseconds:cpu:nanoseconds'],
  ];
  for (const [suffix, type] of cases) {
    const r = await ingest(be.url, body, `sfx-${suffix}.${suffix}`, {
      format: 'folded',
      contentType: 'text/plain',
      extra: { sampleRate: '100' },
    });
    assert.equal(r.status, 200, await r.text());
    const scale = suffix === 'wall' ? 10_000_000 : 1;
    await assertStacks(
      `sfx-${suffix}`,
      type,
      new Map([
        ['main;alloc;grow', 4608 * scale],
        ['main;alloc', 1024 * scale],
      ])
    );
  }
});

test('no format parameter on a text body means folded', async () => {
  const q = new URLSearchParams({
    name: 'plain.cpu{env=test}',
    sampleRate: '100',
    from: String(Math.floor(Date.now() / 1000) - 5),
  });
  const r = await fetch(`${be.url}/ingest?${q}`, {
    method: 'POST',
    body: 'a;b 3\n',
    headers: { 'content-type': 'text/plain' },
  });
  assert.equal(r.status, 200, await r.text());
  assert.equal(await total('plain', 'process_cpu:cpu:nanoseconds:cpu:nanoseconds'), 30_000_000);
  const now = Date.now();
  const v = await connectJson<{ names: string[] }>(be.url, 'LabelValues', {
    name: 'env',
    matchers: ['{service_name="plain"}'],
    start: now - 3_600_000,
    end: now,
  });
  assert.deepEqual(v.json.names, ['test']);
});

test('lines: one stack per line, counted', async () => {
  const r = await ingest(be.url, Buffer.from('a;b\na;b\na;c\n'), 'lines-app.cpu', {
    format: 'lines',
    contentType: 'text/plain',
    extra: { sampleRate: '100' },
  });
  assert.equal(r.status, 200, await r.text());
  assert.equal(await total('lines-app', 'process_cpu:cpu:nanoseconds:cpu:nanoseconds'), 30_000_000);
  await assertStacks(
    'lines-app',
    CPU,
    new Map([
      ['a;b', 20_000_000],
      ['a;c', 10_000_000],
    ])
  );
});

test('speedscope: a sampled profile in milliseconds reads back as cpu nanoseconds, every stack exact', async () => {
  const body = speedscopeFile(
    [
      speedscopeSampled(
        'main thread',
        'milliseconds',
        [0, 10],
        [
          [0, 1],
          [0, 1, 2],
          [0, 1],
          [0, 2],
        ],
        [5, 2.5, 1, 0.25]
      ),
    ],
    [{ name: 'a', file: 'a.js', line: 3 }, { name: 'b' }, { name: 'c' }]
  );
  const r = await ingest(be.url, Buffer.from(body), 'ss-sampled', {
    format: 'speedscope',
    contentType: 'application/json',
  });
  assert.equal(r.status, 200, await r.text());
  await assertStacks(
    'ss-sampled',
    CPU,
    new Map([
      ['a;b', 6_000_000],
      ['a;b;c', 2_500_000],
      ['a;c', 250_000],
    ])
  );
  const v = await connectJson<{ names: string[] }>(be.url, 'LabelValues', {
    name: 'profile_name',
    matchers: ['{service_name="ss-sampled"}'],
    ...range(),
  });
  assert.deepEqual(v.json.names, ['main thread']);
});

test('speedscope: evented, several profiles (seconds → wall, bytes → memory), each its own series', async () => {
  const body = speedscopeFile([
    speedscopeEvented(
      'timeline',
      'seconds',
      [0, 7],
      [
        { type: 'O', frame: 0, at: 0 },
        { type: 'O', frame: 1, at: 1 },
        { type: 'O', frame: 2, at: 2 },
        { type: 'C', frame: 2, at: 4 },
        { type: 'C', frame: 1, at: 5 },
        { type: 'O', frame: 3, at: 5.5 },
        { type: 'C', frame: 3, at: 6 },
        { type: 'C', frame: 0, at: 7 },
      ]
    ),
    speedscopeSampled('heap', 'bytes', [0, 0], [[0, 3], [0]], [4096, 8]),
  ]);
  const r = await ingest(be.url, Buffer.from(body), 'ss-multi', {
    format: 'speedscope',
    contentType: 'application/json',
  });
  assert.equal(r.status, 200, await r.text());
  // seconds: a (0-1, 5-5.5, 6-7) 2.5 s, a;b (1-2, 4-5) 2 s, a;b;c 2 s, a;d 0.5 s
  await assertStacks(
    'ss-multi',
    'wall:wall:nanoseconds:cpu:nanoseconds',
    new Map([
      ['a', 2_500_000_000],
      ['a;b', 2_000_000_000],
      ['a;b;c', 2_000_000_000],
      ['a;d', 500_000_000],
    ]),
    '{service_name="ss-multi",profile_name="timeline"}'
  );
  await assertStacks(
    'ss-multi',
    'memory:samples:bytes::',
    new Map([
      ['a;d', 4096],
      ['a', 8],
    ]),
    '{service_name="ss-multi",profile_name="heap"}'
  );
});

test('a malformed folded body is a 400 with a message', async () => {
  const r = await ingest(be.url, Buffer.from('foo;bar ten\n'), 'bad.cpu', {
    format: 'folded',
    contentType: 'text/plain',
  });
  assert.equal(r.status, 400);
  const body = (await r.json()) as { code: string; message: string };
  assert.ok(body.message.length > 0);
});

test(`OTLP /v1development/profiles, protobuf and gzipped protobuf (opentelemetry-proto ${OTLP_PROTO_RELEASE}): samples, labels, service`, async () => {
  const variants: Array<[string, (b: Uint8Array) => Uint8Array, Record<string, string>]> = [
    ['protobuf', (b) => b, {}],
    ['gzip, Content-Encoding', (b) => gzipSync(b), { 'content-encoding': 'gzip' }],
    ['gzip, by magic bytes', (b) => gzipSync(b), {}],
  ];
  for (const [how, encode, headers] of variants) {
    // its own backend: the request names its services itself
    const otlp = await startInProcess();
    try {
      const body = handEncodedRequest({ timeNs: BigInt(Date.now() - 5000) * 1_000_000n });
      const r = await fetch(`${otlp.url}/v1development/profiles`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', ...headers },
        body: new Uint8Array(encode(body)),
      });
      assert.equal(r.status, 200, `${how}: ${await r.text()}`);
      const values = async (name: string, selector: string) => {
        const v = await connectJson<{ names?: string[] }>(otlp.url, 'LabelValues', {
          name,
          matchers: [selector],
          ...range(),
        });
        assert.equal(v.status, 200, JSON.stringify(v.json));
        return v.json.names ?? [];
      };
      // service.name → service_name; one sample's attribute service.name = svc-b makes its own service
      assert.deepEqual(await values('service_name', '{}'), ['checkout', 'svc-b'], how);
      assert.deepEqual(await values('k8s.pod.name', '{service_name="checkout"}'), ['pod-1'], how);
      assert.deepEqual(await values('scope.attr', '{service_name="checkout"}'), ['x'], how);
      assert.deepEqual(await values('thread.name', '{service_name="checkout"}'), ['worker'], how);
      assert.deepEqual(await values('k8s.pod.name', '{service_name="svc-b"}'), ['pod-1'], how);
      // samples/count with a 50 ms cpu period: 3, 2 (two timestamps), 4 (three values) samples; bar inlined in foo
      const check = async (selector: string, want: Stacks) => {
        assert.deepEqual(await profileTypesOf(otlp.url, selector), [CPU], `${how} ${selector}`);
        const fg = await flameGraphStacks(otlp.url, CPU, selector);
        assertSameStacks(fg.stacks, want, `${how} ${selector} (flame graph)`);
        const pp = await selectMergeProfile(otlp.url, CPU, selector);
        assertSameStacks(pprofStacks(pp, 0, 'function'), want, `${how} ${selector} (pprof)`);
      };
      await check(
        '{service_name="checkout"}',
        new Map([
          ['main;foo', 150_000_000],
          ['main;foo;bar', 100_000_000],
          ['main;libc.so.6 0x7f12', 200_000_000],
        ])
      );
      await check('{service_name="checkout",thread.name="worker"}', new Map([['main;foo', 150_000_000]]));
      await check('{service_name="svc-b"}', new Map([['main;foo', 50_000_000]]));
      // the sample's link carries its span: a span-profile query returns only it
      const span = await connectJson<{ flamegraph?: { total: string } }>(otlp.url, 'SelectMergeSpanProfile', {
        profileTypeID: CPU,
        labelSelector: '{service_name="checkout"}',
        spanSelector: [Buffer.from(SPAN_ID).toString('hex')],
        ...range(),
      });
      assert.equal(span.status, 200, JSON.stringify(span.json));
      assert.equal(Number(span.json.flamegraph?.total), 150_000_000, how);
    } finally {
      await otlp.stop();
    }
  }
});
