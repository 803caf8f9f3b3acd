// adhocprofiles.v1: Upload, Get and List on the filesystem store and on a real Azurite; uploads are kept per
// tenant under {tenant}/adhoc/ and never appear in queries; every bad request is a 4xx with {code, message}.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Function as PprofFunction, Line, Location, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import { AdHocProfiles } from '../src/tenant/adhocProfiles.js';
import { FormatError } from '../src/formats/formatError.js';
import { flameGraphToStacks } from './flamegraphDecode.js';
import { AdHocStore } from '../src/tenant/adhocStore.js';
import { FilesystemStore } from '../src/storage/filesystem.js';
import {
  FIXTURES,
  HAVE_FIXTURES,
  NO_FIXTURES,
  connectJson,
  readFixture,
  startAzurite,
  startInProcess,
  type Azurite,
  type Running,
} from './helpers.js';

const SERVICE = 'adhocprofiles.v1.AdHocProfileService';

interface GetResponse {
  id: string;
  name: string;
  uploadedAt: string;
  profileType: string;
  profileTypes: string[];
  flamebearerProfile: string;
}

interface FlamebearerDoc {
  flamebearer: { names: string[]; levels: number[][]; numTicks: number; maxSelf: number };
  metadata: { format: string; units: string; sampleRate: number; name: string };
}

/** Two sample types, three stacks: main;work;leaf 30/3, main;work 20/2, main;idle 50/5. */
function twoTypePprof(): Buffer {
  const st = new StringTable();
  const fn = (id: number, name: string) => new PprofFunction({ id, name: st.dedup(name), filename: st.dedup('m.go') });
  const loc = (id: number, functionId: number) => new Location({ id, line: [new Line({ functionId, line: id })] });
  const p = new Profile({
    sampleType: [
      new ValueType({ type: st.dedup('cpu'), unit: st.dedup('nanoseconds') }),
      new ValueType({ type: st.dedup('samples'), unit: st.dedup('count') }),
    ],
    periodType: new ValueType({ type: st.dedup('cpu'), unit: st.dedup('nanoseconds') }),
    period: 10,
    function: [fn(1, 'main'), fn(2, 'work'), fn(3, 'leaf'), fn(4, 'idle')],
    location: [loc(1, 1), loc(2, 2), loc(3, 3), loc(4, 4)],
    sample: [
      new Sample({ locationId: [3, 2, 1], value: [30, 3] }),
      new Sample({ locationId: [2, 1], value: [20, 2] }),
      new Sample({ locationId: [4, 1], value: [50, 5] }),
    ],
    stringTable: st,
  });
  return Buffer.from(p.encode());
}

const upload = (url: string, name: string, file: Buffer | string, tenant?: string) =>
  connectJson<GetResponse>(
    url,
    'Upload',
    { name, profile: Buffer.isBuffer(file) ? file.toString('base64') : file },
    { service: SERVICE, tenant }
  );

const stacksOf = (r: GetResponse) => {
  const doc = JSON.parse(r.flamebearerProfile) as FlamebearerDoc;
  return { doc, stacks: flameGraphToStacks(doc.flamebearer) };
};

function roundTrip(getUrl: () => string) {
  test('Upload answers the first profile type, Get any other, List the upload', async () => {
    const up = await upload(getUrl(), 'cpu.pb.gz', gzipSync(twoTypePprof()));
    assert.equal(up.status, 200, JSON.stringify(up.json));
    assert.match(up.json.id, /^[0-9a-z]{21}$/);
    assert.equal(up.json.name, 'cpu.pb.gz');
    assert.deepEqual(up.json.profileTypes, ['cpu', 'samples']);
    assert.equal(up.json.profileType, 'cpu');
    const cpu = stacksOf(up.json);
    assert.equal(cpu.doc.flamebearer.numTicks, 100);
    assert.deepEqual(cpu.doc.metadata, {
      format: 'single',
      spyName: '',
      sampleRate: 1e9,
      units: 'samples',
      name: 'cpu',
    });
    assert.deepEqual(
      cpu.stacks,
      new Map([
        ['main;idle', 50],
        ['main;work', 20],
        ['main;work;leaf', 30],
      ])
    );
    const samples = await connectJson<GetResponse>(
      getUrl(),
      'Get',
      { id: up.json.id, profileType: 'samples' },
      { service: SERVICE }
    );
    assert.equal(samples.status, 200, JSON.stringify(samples.json));
    assert.equal(samples.json.profileType, 'samples');
    assert.equal(stacksOf(samples.json).doc.flamebearer.numTicks, 10);
    assert.equal(Math.abs(Number(samples.json.uploadedAt) - Date.now()) < 60_000, true);
    const list = await connectJson<{ profiles: Array<{ id: string; name: string; uploadedAt: string }> }>(
      getUrl(),
      'List',
      {},
      { service: SERVICE }
    );
    assert.equal(list.status, 200);
    assert.ok(list.json.profiles.some((p) => p.id === up.json.id && p.name === 'cpu.pb.gz'));
  });

  test('flamebearer JSON and folded stacks upload too', async () => {
    const up = await upload(getUrl(), 'cpu.pb', twoTypePprof());
    const json = await upload(getUrl(), 'render.json', Buffer.from(up.json.flamebearerProfile));
    assert.equal(json.status, 200, JSON.stringify(json.json));
    assert.deepEqual(json.json.profileTypes, ['samples']);
    assert.deepEqual(stacksOf(json.json).stacks, stacksOf(up.json).stacks);
    const folded = await upload(getUrl(), 'stacks.txt', Buffer.from('main;work 7\nmain;work;leaf 3\nmain 1\n'));
    assert.equal(folded.status, 200, JSON.stringify(folded.json));
    assert.deepEqual(
      stacksOf(folded.json).stacks,
      new Map([
        ['main', 1],
        ['main;work', 7],
        ['main;work;leaf', 3],
      ])
    );
  });
}

describe('ad hoc profiles on the filesystem store', () => {
  let be: Running;
  before(async () => {
    be = await startInProcess(['-validation.reject-older-than=0']);
  });
  after(async () => {
    await be?.stop();
  });

  roundTrip(() => be.url);

  test('uploads live under {tenant}/adhoc/ and never appear in queries', async () => {
    const up = await upload(be.url, 'never-queried.pb', twoTypePprof());
    assert.equal(up.status, 200);
    const files = readdirSync(join(be.dir, 'anonymous', 'adhoc'));
    assert.ok(files.includes(`${up.json.id}.bin`) && files.includes(`${up.json.id}.json`), files.join(','));
    const now = Date.now();
    const range = { start: now - 3_600_000, end: now + 60_000 };
    const types = await connectJson<{ profileTypes?: unknown[] }>(be.url, 'ProfileTypes', range);
    assert.deepEqual(types.json.profileTypes ?? [], []);
    const series = await connectJson<{ labelsSet?: unknown[] }>(be.url, 'Series', { ...range, matchers: [] });
    assert.deepEqual(series.json.labelsSet ?? [], []);
    const stats = await connectJson<{ dataIngested?: boolean }>(be.url, 'GetProfileStats', {});
    assert.equal(stats.json.dataIngested ?? false, false);
    const render = await fetch(
      `${be.url}/pyroscope/render?query=${encodeURIComponent('process_cpu:cpu:nanoseconds:cpu:nanoseconds{}')}&from=${range.start}&until=${range.end}`
    );
    assert.equal(((await render.json()) as FlamebearerDoc).flamebearer.numTicks, 0);
  });

  test('bad input: a 4xx with {code, message}', async () => {
    const cases: Array<[string, string, unknown, number, RegExp]> = [
      ['Upload', 'empty', { name: 'x', profile: '' }, 400, /empty/],
      ['Upload', 'not base64', { name: 'x', profile: '!!not base64!!' }, 400, /base64/],
      [
        'Upload',
        'garbage',
        { name: 'x', profile: Buffer.from([0x0a, 0xff, 0xff, 0x01]).toString('base64') },
        400,
        /pprof/,
      ],
      ['Upload', 'bad gzip', { name: 'x', profile: Buffer.from([0x1f, 0x8b, 0, 0]).toString('base64') }, 400, /gzip/],
      ['Upload', 'bad JSON', { name: 'x', profile: Buffer.from('{"flamebearer":').toString('base64') }, 400, /JSON/],
      ['Upload', 'bad folded', { name: 'x', profile: Buffer.from('main;work seven').toString('base64') }, 400, /count/],
      ['Get', 'no id', {}, 400, /id is required/],
      ['Get', 'unknown id', { id: '000000000000000000000' }, 404, /no ad hoc profile/],
      ['Get', 'a path as id', { id: '../settings/settings' }, 404, /no ad hoc profile/],
      [
        'Upload',
        'max nodes',
        { name: 'x', profile: twoTypePprof().toString('base64'), maxNodes: -1 },
        400,
        /max_nodes/,
      ],
    ];
    for (const [method, what, body, status, message] of cases) {
      const r = await connectJson<{ code: string; message: string }>(be.url, method, body, { service: SERVICE });
      assert.equal(r.status, status, `${what}: ${JSON.stringify(r.json)}`);
      assert.equal(typeof r.json.code, 'string', what);
      assert.match(r.json.message, message, what);
    }
    const up = await upload(be.url, 'x.pb', twoTypePprof());
    const wrongType = await connectJson<{ message: string }>(
      be.url,
      'Get',
      { id: up.json.id, profileType: 'alloc_space' },
      { service: SERVICE }
    );
    assert.equal(wrongType.status, 400);
    assert.match(wrongType.json.message, /it has: cpu, samples/);
  });

  test('an upload above the size limit is refused before it is stored', async () => {
    const small = await startInProcess(['-distributor.ingestion-body-limit-mb=1']);
    try {
      const big = Buffer.alloc(2 << 20, 1);
      const r = await upload(small.url, 'big.pb', big);
      assert.ok(r.status >= 400 && r.status < 500, String(r.status));
      assert.equal(typeof (r.json as unknown as { message: string }).message, 'string');
    } finally {
      await small.stop();
    }
  });
});

describe('ad hoc upload limits', () => {
  test('a file or its inflated size above the limits: 413, and nothing stored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'adhoc-limits-'));
    const fs = new FilesystemStore(dir);
    await fs.init();
    const store = new AdHocStore(fs, '');
    const adhoc = new AdHocProfiles(store, { maxFileBytes: 4096, maxInflatedBytes: 64 * 1024 });
    const raw = twoTypePprof();
    assert.ok((await adhoc.upload('t', 'ok.pb', raw)).profileTypes.length === 2);
    const tooBig = Buffer.concat([raw, Buffer.alloc(8192)]);
    await assert.rejects(adhoc.upload('t', 'big.pb', tooBig), (e) => e instanceof FormatError && e.status === 413);
    // a gzip bomb: a few hundred bytes that inflate past the limit
    const bomb = gzipSync(Buffer.alloc(1 << 20));
    assert.ok(bomb.length < 4096);
    await assert.rejects(adhoc.upload('t', 'bomb.pb.gz', bomb), (e) => e instanceof FormatError && e.status === 413);
    assert.equal((await adhoc.list('t')).length, 1);
  });
});

describe('ad hoc profiles per tenant (multitenancy on)', () => {
  let be: Running;
  before(async () => {
    be = await startInProcess(['-auth.multitenancy-enabled=true']);
  });
  after(async () => {
    await be?.stop();
  });

  test("tenant B neither lists nor reads tenant A's upload", async () => {
    const up = await upload(be.url, 'a.pb', twoTypePprof(), 'team-a');
    assert.equal(up.status, 200);
    const listB = await connectJson<{ profiles?: unknown[] }>(
      be.url,
      'List',
      {},
      { service: SERVICE, tenant: 'team-b' }
    );
    assert.deepEqual(listB.json.profiles ?? [], []);
    const getB = await connectJson(be.url, 'Get', { id: up.json.id }, { service: SERVICE, tenant: 'team-b' });
    assert.equal(getB.status, 404);
    const getA = await connectJson(be.url, 'Get', { id: up.json.id }, { service: SERVICE, tenant: 'team-a' });
    assert.equal(getA.status, 200);
    const anonymous = await connectJson<{ code: string }>(be.url, 'List', {}, { service: SERVICE });
    assert.equal(anonymous.status, 401);
  });
});

describe('ad hoc profiles on Azurite', () => {
  let az: Azurite;
  let be: Running;
  before(async () => {
    az = await startAzurite();
    be = await startInProcess(['-storage.backend=azure', `-storage.azure.connection-string=${az.connectionString}`]);
  });
  after(async () => {
    await be?.stop();
    await az?.stop();
  });

  roundTrip(() => be.url);

  test('an upload survives a restart on the same container', async () => {
    const up = await upload(be.url, 'persist.pb', twoTypePprof());
    await be.stop();
    be = await startInProcess(['-storage.backend=azure', `-storage.azure.connection-string=${az.connectionString}`]);
    const got = await connectJson<GetResponse>(be.url, 'Get', { id: up.json.id }, { service: SERVICE });
    assert.equal(got.status, 200);
    assert.equal(got.json.flamebearerProfile, up.json.flamebearerProfile);
  });
});

describe('the heap fixture', { skip: NO_FIXTURES }, () => {
  let be: Running;
  before(async () => {
    be = await startInProcess();
  });
  after(async () => {
    await be?.stop();
  });

  test('heap.pb.gz: its four sample types with the totals of the file', async () => {
    assert.ok(HAVE_FIXTURES);
    const file = readFixture(join(FIXTURES, 'pprof/heap.pb.gz'));
    const decoded = Profile.decode(gunzipSync(file));
    const types = decoded.sampleType.map((t) => String(decoded.stringTable.strings[Number(t.type)]));
    const up = await upload(be.url, 'heap.pb.gz', file);
    assert.equal(up.status, 200, JSON.stringify(up.json));
    assert.deepEqual(up.json.profileTypes, types);
    assert.equal(types.length, 4);
    for (const [i, type] of types.entries()) {
      const want = decoded.sample.reduce((s, x) => s + Number(x.value[i]), 0);
      const got = await connectJson<GetResponse>(
        be.url,
        'Get',
        { id: up.json.id, profileType: type },
        { service: SERVICE }
      );
      assert.equal(stacksOf(got.json).doc.flamebearer.numTicks, want, type);
    }
  });
});
