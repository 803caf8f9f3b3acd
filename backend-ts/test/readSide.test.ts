// The read side of issue 2: ProfileTypes, LabelNames, LabelValues, Series and GetProfileStats over Connect JSON
// and binary protobuf. Binary requests are encoded and responses decoded here by hand from Pyroscope's published
// field numbers (api/querier/v1/querier.proto, api/types/v1/types.proto), so a wrong number in our .proto fails.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connectJson, ingest, RESERVED_LABEL_NAMES, startInProcess, type Running } from './helpers.js';
import { connectProto, CPU, handPprof, PbReader, PbWriter, tinyPprof } from './wire.js';

const HOUR = 3_600_000;
const MEM = 'memory:inuse_space:bytes:space:bytes';
const Q = 'querier.v1.QuerierService';

const ns = (ms: number) => BigInt(ms) * 1_000_000n;

// ---------------------------------------------------------------------------------------------------------
// Hand-written binary messages

/** ProfileTypesRequest{start=1, end=2} */
const profileTypesReq = (start: number, end: number) => new PbWriter().int64(1, start).int64(2, end).finish();

/** types.v1.LabelNamesRequest{matchers=1, start=2, end=3} */
function labelNamesReq(matchers: string[], start: number, end: number): Buffer {
  const w = new PbWriter();
  matchers.forEach((m) => w.string(1, m));
  return w.int64(2, start).int64(3, end).finish();
}

/** types.v1.LabelValuesRequest{name=1, matchers=2, start=3, end=4} */
function labelValuesReq(name: string, matchers: string[], start: number, end: number): Buffer {
  const w = new PbWriter().string(1, name);
  matchers.forEach((m) => w.string(2, m));
  return w.int64(3, start).int64(4, end).finish();
}

/** SeriesRequest{matchers=1, label_names=2, start=3, end=4} */
function seriesReq(matchers: string[], labelNames: string[], start: number, end: number): Buffer {
  const w = new PbWriter();
  matchers.forEach((m) => w.string(1, m));
  labelNames.forEach((n) => w.string(2, n));
  return w.int64(3, start).int64(4, end).finish();
}

/** ProfileTypesResponse{profile_types=1: ProfileType{ID=1, name=2, sample_type=4, sample_unit=5, period_type=6, period_unit=7}} */
function decodeProfileTypes(buf: Buffer): Array<Record<string, string>> {
  const keys: Record<number, string> = {
    1: 'ID',
    2: 'name',
    4: 'sampleType',
    5: 'sampleUnit',
    6: 'periodType',
    7: 'periodUnit',
  };
  return new PbReader(buf)
    .fields()
    .filter((x) => x.f === 1)
    .map((x) => {
      const t: Record<string, string> = {};
      for (const { f, v } of new PbReader(x.v as Buffer).fields()) {
        assert.ok(keys[f], `unexpected ProfileType field ${f}`);
        t[keys[f]] = (v as Buffer).toString();
      }
      return t;
    });
}

/** LabelNamesResponse / LabelValuesResponse{names=1} */
const decodeNames = (buf: Buffer): string[] =>
  new PbReader(buf)
    .fields()
    .filter((x) => x.f === 1)
    .map((x) => (x.v as Buffer).toString());

/** SeriesResponse{labels_set=2: Labels{labels=1: LabelPair{name=1, value=2}}} */
function decodeSeries(buf: Buffer): Array<Array<[string, string]>> {
  return new PbReader(buf)
    .fields()
    .filter((x) => x.f === 2)
    .map((x) =>
      new PbReader(x.v as Buffer)
        .fields()
        .filter((l) => l.f === 1)
        .map((l) => {
          const pair = new PbReader(l.v as Buffer).fields();
          const get = (n: number) => (pair.find((p) => p.f === n)?.v as Buffer | undefined)?.toString() ?? '';
          return [get(1), get(2)] as [string, string];
        })
    );
}

/** GetProfileStatsResponse{data_ingested=1 bool, oldest_profile_time=2 int64, newest_profile_time=3 int64} */
function decodeStats(buf: Buffer): { dataIngested: boolean; oldest: number; newest: number } {
  const out = { dataIngested: false, oldest: 0, newest: 0 };
  for (const { f, v } of new PbReader(buf).fields()) {
    if (f === 1) {
      out.dataIngested = v === 1n;
    } else if (f === 2) {
      out.oldest = Number(BigInt.asIntN(64, v as bigint));
    } else if (f === 3) {
      out.newest = Number(BigInt.asIntN(64, v as bigint));
    }
  }
  return out;
}

async function binary(url: string, method: string, body: Buffer): Promise<Buffer> {
  const r = await connectProto(url, `${Q}/${method}`, body);
  assert.equal(r.status, 200, `${method}: ${r.body.toString()}`);
  return r.body;
}

// ---------------------------------------------------------------------------------------------------------

describe('read side: time ranges, matchers, binary protobuf', () => {
  let be: Running;
  let now: number;
  before(async () => {
    // profiles two hours old are accepted, so that the last-hour default has something to leave out
    be = await startInProcess(['-validation.reject-older-than=0']);
    now = Date.now();
    const at = (ms: number) => ({ timeNanos: ns(ms) });
    const put = async (body: Buffer, name: string) => {
      const r = await ingest(be.url, body, name);
      assert.equal(r.status, 200, `${name}: ${await r.text()}`);
    };
    await put(tinyPprof({ ...at(now - 10 * 60_000), value: 1 }), 'rs-recent{recent_only=yes}');
    await put(
      handPprof({
        sampleTypes: [['inuse_space', 'bytes']],
        periodType: ['space', 'bytes'],
        samples: [{ stack: ['main.alloc', 'main.main'], values: [512] }],
        timeNanos: ns(now - 2 * HOUR),
      }),
      'rs-old{old_only=yes}'
    );
    for (const [svc, env] of [
      ['api', 'prod'],
      ['api-v2', 'dev'],
      ['web', 'prod'],
      ['worker', ''],
    ]) {
      await put(tinyPprof({ ...at(now - 5 * 60_000), value: 2 }), env ? `${svc}{env=${env}}` : svc);
    }
  });
  after(async () => be?.stop());

  const RECENT_SERVICES = ['api', 'api-v2', 'rs-recent', 'web', 'worker'];

  test('start = end = 0 means the last hour: ProfileTypes, Series, LabelNames, LabelValues', async () => {
    const zero = { start: 0, end: 0 };
    const pt = await connectJson<{ profileTypes?: Array<{ ID: string }> }>(be.url, 'ProfileTypes', zero);
    assert.equal(pt.status, 200, JSON.stringify(pt.json));
    assert.deepEqual(
      (pt.json.profileTypes ?? []).map((t) => t.ID),
      [CPU]
    );
    const series = await connectJson<{ labelsSet?: Array<{ labels: Array<{ value: string }> }> }>(be.url, 'Series', {
      ...zero,
      matchers: [],
      labelNames: ['service_name'],
    });
    assert.deepEqual(
      (series.json.labelsSet ?? []).map((s) => s.labels[0].value),
      RECENT_SERVICES
    );
    const names = await connectJson<{ names?: string[] }>(be.url, 'LabelNames', { ...zero, matchers: [] });
    assert.ok(names.json.names?.includes('recent_only'), JSON.stringify(names.json));
    assert.ok(!names.json.names?.includes('old_only'), JSON.stringify(names.json));
    const values = await connectJson<{ names?: string[] }>(be.url, 'LabelValues', { ...zero, name: 'service_name' });
    assert.deepEqual(values.json.names, RECENT_SERVICES);
    // the same calls in binary protobuf, with start and end simply absent (proto3 zero)
    assert.deepEqual(
      decodeProfileTypes(await binary(be.url, 'ProfileTypes', Buffer.alloc(0))).map((t) => t.ID),
      [CPU]
    );
    assert.deepEqual(
      decodeNames(await binary(be.url, 'LabelValues', new PbWriter().string(1, 'service_name').finish())),
      RECENT_SERVICES
    );
    // and an explicit range that reaches back 3 hours sees the old profile too
    const wide = { start: now - 3 * HOUR, end: now + 60_000 };
    const all = await connectJson<{ profileTypes?: Array<{ ID: string }> }>(be.url, 'ProfileTypes', wide);
    assert.deepEqual(
      (all.json.profileTypes ?? []).map((t) => t.ID),
      [MEM, CPU]
    );
    const allValues = await connectJson<{ names?: string[] }>(be.url, 'LabelValues', { ...wide, name: 'service_name' });
    assert.deepEqual(allValues.json.names, ['api', 'api-v2', 'rs-old', 'rs-recent', 'web', 'worker']);
  });

  test('matchers: =, !=, =~ (anchored), !~, a missing label, two matchers on one label', async () => {
    const range = { start: now - HOUR, end: now + 60_000 };
    const cases: Array<[string, string[]]> = [
      ['{service_name="api"}', ['api']],
      ['{service_name!="api"}', ['api-v2', 'rs-recent', 'web', 'worker']],
      // anchored: "api" does not match api-v2, nor "pi" api
      ['{service_name=~"api"}', ['api']],
      ['{service_name=~"pi"}', []],
      ['{service_name=~"api.*"}', ['api', 'api-v2']],
      ['{service_name=~"w.+"}', ['web', 'worker']],
      ['{service_name!~"api.*"}', ['rs-recent', 'web', 'worker']],
      ['{service_name!~"web|worker|rs-.*"}', ['api', 'api-v2']],
      // a series without the label has it as "": != and !~ match it, = "" selects it
      ['{env!="prod"}', ['api-v2', 'rs-recent', 'worker']],
      ['{env=""}', ['rs-recent', 'worker']],
      ['{env=~"prod|dev"}', ['api', 'api-v2', 'web']],
      // two matchers on the same label must both hold
      ['{service_name=~"w.*", service_name!="web"}', ['worker']],
      ['{service_name=~"api.*", service_name!~".*-v2"}', ['api']],
      ['{service_name=~"api.*", env="prod"}', ['api']],
    ];
    for (const [sel, want] of cases) {
      const v = await connectJson<{ names?: string[] }>(be.url, 'LabelValues', {
        ...range,
        name: 'service_name',
        matchers: [sel],
      });
      assert.equal(v.status, 200, `${sel}: ${JSON.stringify(v.json)}`);
      assert.deepEqual(v.json.names ?? [], want, `LabelValues ${sel}`);
      const s = await connectJson<{ labelsSet?: Array<{ labels: Array<{ value: string }> }> }>(be.url, 'Series', {
        ...range,
        matchers: [sel],
        labelNames: ['service_name'],
      });
      assert.deepEqual(
        (s.json.labelsSet ?? []).map((x) => x.labels[0].value),
        want,
        `Series ${sel}`
      );
    }
    // several selectors in `matchers` select the union
    const union = await connectJson<{ names?: string[] }>(be.url, 'LabelValues', {
      ...range,
      name: 'service_name',
      matchers: ['{service_name="web"}', '{env="dev"}'],
    });
    assert.deepEqual(union.json.names, ['api-v2', 'web']);
  });

  test('binary protobuf, encoded and decoded by hand: ProfileTypes, LabelNames, LabelValues, Series', async () => {
    const start = now - 3 * HOUR;
    const end = now + 60_000;
    assert.deepEqual(decodeProfileTypes(await binary(be.url, 'ProfileTypes', profileTypesReq(start, end))), [
      {
        ID: MEM,
        name: 'memory',
        sampleType: 'inuse_space',
        sampleUnit: 'bytes',
        periodType: 'space',
        periodUnit: 'bytes',
      },
      {
        ID: CPU,
        name: 'process_cpu',
        sampleType: 'cpu',
        sampleUnit: 'nanoseconds',
        periodType: 'cpu',
        periodUnit: 'nanoseconds',
      },
    ]);
    assert.deepEqual(decodeNames(await binary(be.url, 'LabelNames', labelNamesReq(['{env="dev"}'], start, end))), [
      ...RESERVED_LABEL_NAMES,
      'env',
      'pyroscope_spy',
      'service_name',
    ]);
    assert.deepEqual(
      decodeNames(await binary(be.url, 'LabelValues', labelValuesReq('env', ['{service_name=~"api.*"}'], start, end))),
      ['dev', 'prod']
    );
    assert.deepEqual(
      decodeSeries(
        await binary(
          be.url,
          'Series',
          seriesReq(['{service_name=~"rs-.*"}'], ['service_name', '__profile_type__'], start, end)
        )
      ),
      [
        [
          ['__profile_type__', MEM],
          ['service_name', 'rs-old'],
        ],
        [
          ['__profile_type__', CPU],
          ['service_name', 'rs-recent'],
        ],
      ]
    );
    // the whole label set of one series, without label_names
    assert.deepEqual(
      decodeSeries(await binary(be.url, 'Series', seriesReq(['{service_name="api"}'], [], start, end))),
      [
        [
          ['__name__', 'process_cpu'],
          ['__period_type__', 'cpu'],
          ['__period_unit__', 'nanoseconds'],
          ['__profile_type__', CPU],
          ['__type__', 'cpu'],
          ['__unit__', 'nanoseconds'],
          ['env', 'prod'],
          ['pyroscope_spy', 'gospy'],
          ['service_name', 'api'],
        ],
      ]
    );
  });
});

describe('GetProfileStats', () => {
  let be: Running;
  before(async () => {
    be = await startInProcess();
  });
  after(async () => be?.stop());

  test('nothing ingested: dataIngested false (JSON and binary)', async () => {
    const j = await connectJson<{ dataIngested?: boolean }>(be.url, 'GetProfileStats', {});
    assert.equal(j.status, 200, JSON.stringify(j.json));
    assert.equal(j.json.dataIngested ?? false, false);
    assert.deepEqual(decodeStats(await binary(be.url, 'GetProfileStats', Buffer.alloc(0))), {
      dataIngested: false,
      oldest: 0,
      newest: 0,
    });
  });

  test('oldest and newest are the times of the first and last ingested profiles, to the ms', async () => {
    const now = Date.now();
    // odd milliseconds, so that nothing rounds to seconds; the first and last lie in different hours
    const times = [now - 50 * 60_000 - 123, now - 20 * 60_000 - 7, now - 5 * 60_000 - 901];
    for (const [i, t] of [times[1], times[0], times[2]].entries()) {
      const r = await ingest(be.url, tinyPprof({ timeNanos: ns(t), value: 1 }), `stats-${i}`);
      assert.equal(r.status, 200, await r.text());
    }
    const j = await connectJson<{ dataIngested?: boolean; oldestProfileTime?: string; newestProfileTime?: string }>(
      be.url,
      'GetProfileStats',
      {}
    );
    assert.equal(j.status, 200, JSON.stringify(j.json));
    assert.deepEqual(j.json, {
      dataIngested: true,
      oldestProfileTime: String(times[0]),
      newestProfileTime: String(times[2]),
    });
    assert.deepEqual(decodeStats(await binary(be.url, 'GetProfileStats', Buffer.alloc(0))), {
      dataIngested: true,
      oldest: times[0],
      newest: times[2],
    });
  });
});
