// Foundation: every pprof fixture through /ingest and through Push (bytes encoded by hand from Pyroscope's field
// numbers), plus the real @pyroscope/nodejs SDK, read back as Pyroscope would report them, on the filesystem
// store and on a real Azurite.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  connectJson,
  ingest,
  NO_FIXTURES,
  pprofFixtureFiles,
  readFixture,
  RESERVED_LABEL_NAMES,
  startAzurite,
  startInProcess,
  withoutTime,
  type Azurite,
  type Running,
  BACKEND_ROOT,
} from './helpers.js';

/** push.v1.PushRequest written from Pyroscope's published field numbers, independent of our generated code. */
export function handEncodePush(labels: Record<string, string>, raw: Buffer, id: string): Buffer {
  const varint = (n: number): number[] => {
    const out: number[] = [];
    while (n > 127) {
      out.push((n & 127) | 128);
      n = Math.floor(n / 128);
    }
    out.push(n);
    return out;
  };
  const field = (num: number, payload: Buffer) =>
    Buffer.concat([Buffer.from([...varint((num << 3) | 2), ...varint(payload.length)]), payload]);
  // LabelPair{name=1, value=2}; RawSample{raw_profile=1, ID=2}; RawProfileSeries{labels=1, samples=2}; PushRequest{series=1}
  const lbls = Object.entries(labels).map(([k, v]) =>
    field(1, Buffer.concat([field(1, Buffer.from(k)), field(2, Buffer.from(v))]))
  );
  const sample = field(2, Buffer.concat([field(1, raw), field(2, Buffer.from(id))]));
  return field(1, Buffer.concat([...lbls, sample]));
}

interface Expect {
  svc: string;
  types: Set<string>;
}

/**
 * Ground truth, written by hand: each fixture read on its own (sample types, period type, which types have any
 * non-zero value, sample labels) and named by Pyroscope's rules (../shared/notes/pyroscope-api.md): `wall` if a
 * sample type is `wall`; else by the first display name (samples→cpu, goroutine→goroutines,
 * contentions→mutex_count, delay→mutex_duration) containing cpu / alloc_|inuse_|space|objects / mutex_ /
 * goroutines. dotnetspy turns `-` into `_`; all-zero sample types make no series. Not derived from our code.
 */
const FIXTURE_TYPES: Record<string, string[]> = {
  'cpu-exemplars.pb.gz': ['process_cpu:cpu:nanoseconds:cpu:nanoseconds', 'process_cpu:samples:count:cpu:nanoseconds'],
  'cpu-js.pb.gz': ['wall:sample:count:wall:microseconds', 'wall:wall:microseconds:wall:microseconds'],
  'cpu.pb.gz': ['process_cpu:cpu:nanoseconds:cpu:nanoseconds', 'process_cpu:samples:count:cpu:nanoseconds'],
  // period type "" / nanoseconds; only cpu has values (exception, alloc-*, lock-* are all zero)
  'dotnet-pprof-3.pb.gz': ['process_cpu:cpu:nanoseconds::nanoseconds'],
  'dotnet.labels.pprof': [
    'process_cpu:alloc_samples:count:cpu:nanoseconds',
    'process_cpu:alloc_size:bytes:cpu:nanoseconds',
    'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
  ],
  'heap-js.pprof': ['memory:objects:count:space:bytes', 'memory:space:bytes:space:bytes'],
  'heap.pb.gz': [
    'memory:alloc_objects:count:space:bytes',
    'memory:alloc_space:bytes:space:bytes',
    'memory:inuse_objects:count:space:bytes',
    'memory:inuse_space:bytes:space:bytes',
  ],
  'nodejs-heap.pb.gz': ['memory:inuse_objects:count:inuse_space:bytes', 'memory:inuse_space:bytes:inuse_space:bytes'],
  'nodejs-wall.pb.gz': ['wall:samples:count:wall:microseconds', 'wall:wall:microseconds:wall:microseconds'],
  profile_python: ['process_cpu:samples:count::milliseconds'],
  profile_rust: ['process_cpu:cpu:nanoseconds:cpu:nanoseconds'],
  'pyspy-1.pb.gz': ['process_cpu:samples:count::milliseconds'],
  'req_2.pprof': ['goroutines:goroutine:count:goroutine:count'],
  'req_3.pprof': ['mutex:contentions:count:contentions:count', 'mutex:delay:nanoseconds:contentions:count'],
  'single_group_with_optional_span_id.pb.gz': [
    'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
    'process_cpu:samples:count:cpu:nanoseconds',
  ],
};

/**
 * The string-valued pprof sample labels of each fixture, by hand, which become series labels. Left out on purpose:
 * `profile_id` (cpu-exemplars, read as span_id) and `span_id` (single_group…) stay per sample; heap.pb.gz's
 * numeric `bytes` label is no series label.
 */
const FIXTURE_LABELS: Record<string, Record<string, string[]>> = {
  'cpu-exemplars.pb.gz': { foo: ['bar'], function: ['fast', 'slow'] },
  'dotnet.labels.pprof': { pod: ['4242239'], qweqwe: ['asd'] },
  'pyspy-1.pb.gz': { function: ['fast', 'slow'] },
  'req_2.pprof': { foo: ['bar'], function: ['slow'] },
  'single_group_with_optional_span_id.pb.gz': { asdasd: ['zxczxc'], function: ['slow'], qwe: ['asd'] },
};

/** Label names of every series: Pyroscope's reserved ones plus service_name and pyroscope_spy. */
const BASE_LABEL_NAMES = [...RESERVED_LABEL_NAMES, 'pyroscope_spy', 'service_name'];

const spyOf = (fixture: string) => (fixture.startsWith('dotnet') ? 'dotnetspy' : 'gospy');
const svcOf = (via: 'ingest' | 'push', fixture: string) => `${via}-${fixture.replace(/[^A-Za-z0-9_.-]/g, '_')}`;

async function readBack(url: string): Promise<Map<string, Set<string>>> {
  const now = Date.now();
  const { status, json } = await connectJson<{ labelsSet?: Array<{ labels: Array<{ name: string; value: string }> }> }>(
    url,
    'Series',
    {
      start: now - 3_600_000,
      end: now + 60_000,
      labelNames: ['service_name', '__profile_type__'],
      matchers: [],
    }
  );
  assert.equal(status, 200, JSON.stringify(json));
  const got = new Map<string, Set<string>>();
  for (const ls of json.labelsSet ?? []) {
    const l = Object.fromEntries(ls.labels.map((p) => [p.name, p.value]));
    if (!got.has(l.service_name)) {
      got.set(l.service_name, new Set());
    }
    got.get(l.service_name)!.add(l.__profile_type__);
  }
  return got;
}

async function pushAll(url: string): Promise<Expect[]> {
  const want: Expect[] = [];
  const files = pprofFixtureFiles();
  assert.deepEqual(
    files.map((f) => basename(f)).sort(),
    Object.keys(FIXTURE_TYPES).sort(),
    'every fixture needs a hand-written entry in FIXTURE_TYPES'
  );
  let n = 0;
  for (const f of files) {
    const fixture = basename(f);
    const buf = readFixture(f);
    const spy = spyOf(fixture);
    const types = new Set(FIXTURE_TYPES[fixture]);
    const svcIngest = svcOf('ingest', fixture);
    const r = await ingest(url, withoutTime(buf), svcIngest, { spyName: spy });
    assert.equal(r.status, 200, `ingest ${f}: ${await r.text()}`);
    want.push({ svc: svcIngest, types });
    // the same profile through Push, binary protobuf; every other fixture gzipped (Content-Encoding on the body)
    const svcPush = svcOf('push', fixture);
    const name = FIXTURE_TYPES[fixture][0].split(':')[0];
    const body = handEncodePush(
      { __name__: name, service_name: svcPush, pyroscope_spy: spy },
      withoutTime(buf),
      randomUUID()
    );
    const gz = n++ % 2 === 0; // per fixture, so that half of them go gzipped
    const pr = await fetch(`${url}/push.v1.PusherService/Push`, {
      method: 'POST',
      headers: {
        'content-type': 'application/proto',
        'connect-protocol-version': '1',
        ...(gz ? { 'content-encoding': 'gzip' } : {}),
      },
      body: new Uint8Array(gz ? gzipSync(body) : body),
    });
    assert.equal(pr.status, 200, `push ${f} (gzip ${gz}): ${await pr.text()}`);
    want.push({ svc: svcPush, types });
  }
  return want;
}

/** Series labels as Pyroscope reports them: services, pyroscope_spy, label names and the fixtures' sample labels. */
async function assertFixtureLabels(url: string): Promise<void> {
  const now = Date.now();
  const range = { start: now - 3_600_000, end: now + 60_000 };
  const fixtures = Object.keys(FIXTURE_TYPES);
  const services = await connectJson<{ names?: string[] }>(url, 'LabelValues', { name: 'service_name', ...range });
  assert.equal(services.status, 200, JSON.stringify(services.json));
  assert.deepEqual(
    (services.json.names ?? []).filter((s) => s.startsWith('ingest-') || s.startsWith('push-')),
    fixtures.flatMap((f) => [svcOf('ingest', f), svcOf('push', f)]).sort()
  );
  for (const fixture of fixtures) {
    const labels = FIXTURE_LABELS[fixture] ?? {};
    for (const via of ['ingest', 'push'] as const) {
      const svc = svcOf(via, fixture);
      const matchers = [`{service_name="${svc}"}`];
      const spy = await connectJson<{ names?: string[] }>(url, 'LabelValues', {
        name: 'pyroscope_spy',
        matchers,
        ...range,
      });
      assert.deepEqual(spy.json.names, [spyOf(fixture)], `pyroscope_spy of ${svc}`);
      const names = await connectJson<{ names?: string[] }>(url, 'LabelNames', { matchers, ...range });
      assert.deepEqual(names.json.names, [...BASE_LABEL_NAMES, ...Object.keys(labels)].sort(), `label names of ${svc}`);
      for (const [k, values] of Object.entries(labels)) {
        const v = await connectJson<{ names?: string[] }>(url, 'LabelValues', { name: k, matchers, ...range });
        assert.deepEqual(v.json.names, values, `values of ${k} in ${svc}`);
      }
    }
  }
}

async function runSdk(url: string, app: string, seconds: number): Promise<void> {
  const script = `
    const Pyroscope = require('@pyroscope/nodejs');
    // @pyroscope/nodejs 0.6.4: a profiling round already queued (setImmediate) when stop() runs calls the stopped
    // wall or heap profiler and rejects; after stop that round has nothing left to send
    process.on('unhandledRejection', (e) => { if (globalThis.sdkStopping && /Wall profiler is not started|Heap profiler is not enabled/.test(String(e && e.message))) return; console.error(e); process.exit(1); });
    Pyroscope.init({ serverAddress: process.env.SERVER, appName: process.env.APP, flushIntervalMs: 2000, tags: { region: 'eu' } });
    Pyroscope.start();
    const crypto = require('node:crypto');
    const until = Date.now() + Number(process.env.SECONDS) * 1000;
    const keep = [];
    function tick() { let h = ''; for (let i = 0; i < 2000; i++) h = crypto.createHash('sha256').update(h + i).digest('hex'); keep.push(Buffer.alloc(1024)); if (keep.length > 2000) keep.length = 0; if (Date.now() < until) setImmediate(tick); else { globalThis.sdkStopping = true; Pyroscope.stop().then(() => process.exit(0)); } }
    tick();`;
  await new Promise<void>((resolve) => {
    const c = spawn(process.execPath, ['-e', script], {
      cwd: BACKEND_ROOT,
      env: { ...process.env, SERVER: url, APP: app, SECONDS: String(seconds) },
      stdio: 'ignore',
    });
    const t = setTimeout(() => c.kill('SIGKILL'), 30_000);
    c.on('exit', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

function assertReadBack(got: Map<string, Set<string>>, want: Expect[]): void {
  for (const e of want) {
    assert.deepEqual([...(got.get(e.svc) ?? [])].sort(), [...e.types].sort(), `profile types of ${e.svc}`);
  }
}

describe('foundation on the filesystem store', { skip: NO_FIXTURES }, () => {
  let be: Running;
  before(async () => {
    be = await startInProcess();
  });
  after(async () => be?.stop());

  test('every fixture through /ingest and Push reads back with Pyroscope’s profile types', async () => {
    const want = await pushAll(be.url);
    assert.ok(want.length >= 28, `pushed ${want.length}`);
    assertReadBack(await readBack(be.url), want);
    await assertFixtureLabels(be.url);
  });

  test('the real @pyroscope/nodejs SDK: wall and heap profiles and its tags', async () => {
    await runSdk(be.url, 'sdk-node', 7);
    const got = await readBack(be.url);
    const types = got.get('sdk-node') ?? new Set();
    assert.ok(
      [...types].some((t) => t.startsWith('wall:wall:nanoseconds')),
      `types: ${[...types]}`
    );
    assert.ok(
      [...types].some((t) => t.startsWith('memory:')),
      `types: ${[...types]}`
    );
    const now = Date.now();
    const v = await connectJson<{ names: string[] }>(be.url, 'LabelValues', {
      name: 'region',
      matchers: ['{service_name="sdk-node"}'],
      start: now - 3_600_000,
      end: now,
    });
    assert.deepEqual(v.json.names, ['eu']);
    const spy = await connectJson<{ names: string[] }>(be.url, 'LabelValues', {
      name: 'pyroscope_spy',
      matchers: ['{service_name="sdk-node"}'],
      start: now - 3_600_000,
      end: now,
    });
    assert.deepEqual(spy.json.names, ['nodespy']);
  });
});

describe('foundation on Azure Blob (Azurite)', { skip: NO_FIXTURES }, () => {
  let az: Azurite;
  let be: Running;
  before(async () => {
    az = await startAzurite();
    be = await startInProcess([
      '-storage.backend=azure',
      `-storage.azure.connection-string=${az.connectionString}`,
      '-storage.azure.container-name=pyroscope-data',
    ]);
  });
  after(async () => {
    await be?.stop();
    await az?.stop();
  });

  test('every fixture reads back, and the blobs are in the pyroscope-data container', async () => {
    const want = await pushAll(be.url);
    assertReadBack(await readBack(be.url), want);
    await assertFixtureLabels(be.url);
    const objects = await be.svc.store.list('anonymous/');
    assert.ok(objects.some((o) => /^anonymous\/(l0|blocks)\/.*\.(seg|blk)$/.test(o.key)));
    const { BlobServiceClient } = await import('@azure/storage-blob');
    const names: string[] = [];
    for await (const b of BlobServiceClient.fromConnectionString(az.connectionString)
      .getContainerClient('pyroscope-data')
      .listBlobsFlat()) {
      names.push(b.name);
    }
    assert.ok(
      names.some((n) => /^anonymous\/(l0|blocks)\//.test(n)),
      `blobs: ${names.slice(0, 3)}`
    );
  });

  test('the real @pyroscope/nodejs SDK on Azure', async () => {
    await runSdk(be.url, 'sdk-node-az', 5);
    const got = await readBack(be.url);
    assert.ok((got.get('sdk-node-az')?.size ?? 0) >= 2, `types: ${[...(got.get('sdk-node-az') ?? [])]}`);
  });
});
