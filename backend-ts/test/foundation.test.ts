// Foundation: every pprof fixture through /ingest and through Push (bytes encoded by hand from Pyroscope's field
// numbers), plus the real @pyroscope/nodejs SDK, read back as Pyroscope would report them, on the filesystem
// store and on a real Azurite.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { parsePprof } from '../src/ingest/pprof.js';
import { metricNameFor } from '../src/ingest/profileTypes.js';
import {
  connectJson,
  ingest,
  NO_FIXTURES,
  pprofFixtureFiles,
  readFixture,
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

/** What Pyroscope reports for a fixture, from an independent decode with pprof-format. */
function expectedTypes(buf: Buffer, svc: string, spy = 'gospy'): Expect | null {
  let p: Profile;
  try {
    const raw = buf[0] === 0x1f && buf[1] === 0x8b ? gunzipSync(buf) : buf;
    p = Profile.decode(raw);
  } catch {
    return null;
  }
  const str = (i: number | bigint) => String(p.stringTable.strings[Number(i)]);
  const fix = (t: string) => (spy === 'dotnetspy' ? t.replace(/-/g, '_') : t);
  const sampleTypes = p.sampleType.map((t) => fix(str(t.type)));
  const name = metricNameFor(sampleTypes);
  const pt = p.periodType ? [str(p.periodType.type), str(p.periodType.unit)] : ['', ''];
  const types = new Set<string>();
  p.sampleType.forEach((t, i) => {
    const total = p.sample.reduce((a, s) => a + Number(s.value[i] ?? 0), 0);
    if (total !== 0) {
      types.add(`${name}:${fix(str(t.type))}:${str(t.unit)}:${pt[0]}:${pt[1]}`);
    }
  });
  return { svc, types };
}

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
  for (const f of pprofFixtureFiles()) {
    const buf = readFixture(f);
    const spy = basename(f).startsWith('dotnet') ? 'dotnetspy' : 'gospy';
    const svcIngest = `ingest-${basename(f).replace(/[^A-Za-z0-9_.-]/g, '_')}`;
    const e = expectedTypes(buf, svcIngest, spy);
    if (!e) {
      continue;
    }
    const r = await ingest(url, withoutTime(buf), svcIngest, { spyName: spy });
    assert.equal(r.status, 200, `ingest ${f}: ${await r.text()}`);
    want.push(e);
    // the same profile through Push, binary protobuf, gzipped every other time
    const svcPush = `push-${basename(f).replace(/[^A-Za-z0-9_.-]/g, '_')}`;
    const name = parsePprof(buf).sampleTypes.length
      ? metricNameFor(
          parsePprof(buf).sampleTypes.map((t) => (spy === 'dotnetspy' ? t.type.replace(/-/g, '_') : t.type))
        )
      : 'unknown';
    const body = handEncodePush(
      { __name__: name, service_name: svcPush, pyroscope_spy: spy },
      withoutTime(buf),
      randomUUID()
    );
    const gz = want.length % 2 === 0;
    const pr = await fetch(`${url}/push.v1.PusherService/Push`, {
      method: 'POST',
      headers: {
        'content-type': 'application/proto',
        'connect-protocol-version': '1',
        ...(gz ? { 'content-encoding': 'gzip' } : {}),
      },
      body: new Uint8Array(gz ? gzipSync(body) : body),
    });
    assert.equal(pr.status, 200, `push ${f}: ${await pr.text()}`);
    const pe = expectedTypes(buf, svcPush, spy)!;
    want.push(pe);
  }
  return want;
}

async function runSdk(url: string, app: string, seconds: number): Promise<void> {
  const script = `
    const Pyroscope = require('@pyroscope/nodejs');
    Pyroscope.init({ serverAddress: process.env.SERVER, appName: process.env.APP, flushIntervalMs: 2000, tags: { region: 'eu' } });
    Pyroscope.start();
    const crypto = require('node:crypto');
    const until = Date.now() + Number(process.env.SECONDS) * 1000;
    const keep = [];
    function tick() { let h = ''; for (let i = 0; i < 2000; i++) h = crypto.createHash('sha256').update(h + i).digest('hex'); keep.push(Buffer.alloc(1024)); if (keep.length > 2000) keep.length = 0; if (Date.now() < until) setImmediate(tick); else Pyroscope.stop().then(() => process.exit(0)); }
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
    const objects = await be.svc.store.list('anonymous/segments/');
    assert.ok(objects.length > 0);
    const { BlobServiceClient } = await import('@azure/storage-blob');
    const names: string[] = [];
    for await (const b of BlobServiceClient.fromConnectionString(az.connectionString)
      .getContainerClient('pyroscope-data')
      .listBlobsFlat()) {
      names.push(b.name);
    }
    assert.ok(
      names.some((n) => n.startsWith('anonymous/segments/')),
      `blobs: ${names.slice(0, 3)}`
    );
  });

  test('the real @pyroscope/nodejs SDK on Azure', async () => {
    await runSdk(be.url, 'sdk-node-az', 5);
    const got = await readBack(be.url);
    assert.ok((got.get('sdk-node-az')?.size ?? 0) >= 2, `types: ${[...(got.get('sdk-node-az') ?? [])]}`);
  });
});
