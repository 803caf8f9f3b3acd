// The ingest side of issue 2 beyond the fixtures: from/until as Pyroscope's attime package reads them, which time
// a profile gets, multipart pprof with and without sample_type_config, Push over Connect JSON, how series labels
// are derived, and tenancy with multitenancy off. Profiles are written by hand (test/wire.ts); answers are read
// back over the wire and compared with values worked out here.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { FormatError } from '../src/formats/formatError.js';
import { parseMultipart } from '../src/ingest/multipart.js';
import { parseTimeParam } from '../src/ingest/params.js';
import { metricNameFor } from '../src/formats/profileTypes.js';
import { connectJson, ingest, RESERVED_LABEL_NAMES, startInProcess, type Running } from './helpers.js';
import { CPU, encodePush, handPprof, push, tinyPprof } from './wire.js';

const HOUR = 3_600_000;

describe('from/until: the forms Pyroscope’s attime package accepts', () => {
  // 2020-01-01T00:00:00Z, the instant Pyroscope's own attime test uses
  const T = 1_577_836_800_000;

  test('10, 13, 16 and 19 digits are s, ms, µs and ns of the same instant; 8 digits are YYYYMMDD', () => {
    assert.equal(parseTimeParam('1577836800'), T);
    assert.equal(parseTimeParam('1577836800000'), T);
    assert.equal(parseTimeParam('1577836800000000'), T);
    assert.equal(parseTimeParam('1577836800000000000'), T);
    // below a millisecond is cut off, as time.UnixMicro/Unix(0, ns) then UnixMilli do
    assert.equal(parseTimeParam('1577836800001999'), T + 1);
    assert.equal(parseTimeParam('1577836800001999999'), T + 1);
    assert.equal(parseTimeParam('20200101'), T);
    // any other length is seconds
    assert.equal(parseTimeParam('157783680'), 157_783_680_000);
    assert.equal(parseTimeParam('15778368000'), 15_778_368_000_000);
    // 8 digits that are no date (month 13, 30 February) are seconds, as Go's time.Parse refuses them
    assert.equal(parseTimeParam('20201301'), 20_201_301_000);
    assert.equal(parseTimeParam('20200230'), 20_200_230_000);
    // Pyroscope removes "_", "," and spaces first
    assert.equal(parseTimeParam('1_577_836_800'), T);
    assert.equal(parseTimeParam(' 1,577,836,800 '), T);
  });

  test('now and now±offset, with Pyroscope’s units (its attime test cases)', () => {
    const now = T;
    const cases: Array<[string, number]> = [
      ['now', now],
      ['now-1s', now - 1000],
      ['now+1s', now + 1000],
      ['now-1min', now - 60_000],
      ['now-1m', now - 60_000],
      ['now-1h', now - HOUR],
      ['now-1d', now - 24 * HOUR],
      ['now-1w', now - 7 * 24 * HOUR],
      ['now-1mon', now - 30 * 24 * HOUR],
      ['now-1M', now - 30 * 24 * HOUR],
      ['now-1y', now - 365 * 24 * HOUR],
      // a number without a unit counts nothing
      ['now-1', now],
      // several parts, spaces removed, units matched by prefix (so "ms" is minutes, as in Pyroscope)
      ['now-1h30m', now - 90 * 60_000],
      ['now - 2h', now - 2 * HOUR],
      ['now-5ms', now - 5 * 60_000],
      ['now-2hours', now - 2 * HOUR],
      // the reference part is now whatever is written before the sign; empty is fine
      ['-1h', now - HOUR],
    ];
    for (const [s, want] of cases) {
      assert.equal(parseTimeParam(s, now), want, s);
    }
    // missing or empty: now
    assert.equal(parseTimeParam(undefined, now), now);
    assert.equal(parseTimeParam('', now), now);
    assert.equal(parseTimeParam('   ', now), now);
  });

  test('now-1h against the real clock is now − 3,600,000 ms', () => {
    const before = Date.now();
    const t = parseTimeParam('now-1h');
    const after = Date.now();
    assert.ok(t >= before - HOUR && t <= after - HOUR, `${t} not within [${before - HOUR}, ${after - HOUR}]`);
  });

  test('text Pyroscope would silently read as now is a 400 here (FormatError)', () => {
    for (const s of ['yesterday', 'x-1h', 'tomorrow+1d', '2020-01-01', '1.5e9']) {
      assert.throws(() => parseTimeParam(s, T), FormatError, s);
    }
  });
});

describe('__name__ from the sample types, as Pyroscope’s /ingest picks it', () => {
  test('default display names, sample_type_config replacing them, first sample type deciding, fallback', () => {
    assert.equal(metricNameFor(['contentions', 'delay']), 'mutex');
    assert.equal(metricNameFor(['goroutine']), 'goroutines');
    assert.equal(metricNameFor(['samples', 'cpu']), 'process_cpu');
    assert.equal(metricNameFor(['samples', 'wall']), 'wall', 'a sample type named wall wins');
    assert.equal(metricNameFor(['alloc_objects', 'cpu']), 'memory', 'the first sample type that names a kind decides');
    assert.equal(metricNameFor(['objects', 'space']), 'memory');
    // the Go SDK's block profile: display names from its sample_type_config
    const block = { contentions: { 'display-name': 'block_count' }, delay: { 'display-name': 'block_duration' } };
    assert.equal(metricNameFor(['contentions', 'delay'], block), 'block');
    // a config replaces the default mapping: goroutine is no longer shown as goroutines
    assert.equal(metricNameFor(['goroutine'], {}), 'goroutine');
    assert.equal(metricNameFor(['foo', 'bar']), 'bar', 'no kind: the last sample type');
  });
});

interface LabelsSet {
  labelsSet?: Array<{ labels: Array<{ name: string; value: string }> }>;
}

async function typesOf(url: string, svc: string, headers?: { tenant?: string }): Promise<string[]> {
  const now = Date.now();
  const r = await connectJson<LabelsSet>(
    url,
    'Series',
    {
      matchers: [`{service_name="${svc}"}`],
      labelNames: ['__profile_type__'],
      start: now - 2 * HOUR,
      end: now + 60_000,
    },
    headers
  );
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return (r.json.labelsSet ?? []).map((s) => s.labels[0].value).sort();
}

async function labelNames(url: string, svc: string): Promise<string[]> {
  const now = Date.now();
  const r = await connectJson<{ names?: string[] }>(url, 'LabelNames', {
    matchers: [`{service_name="${svc}"}`],
    start: now - 2 * HOUR,
    end: now + 60_000,
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json.names ?? [];
}

async function labelValues(url: string, name: string, matchers: string[] = []): Promise<string[]> {
  const now = Date.now();
  const r = await connectJson<{ names?: string[] }>(url, 'LabelValues', {
    name,
    matchers,
    start: now - 2 * HOUR,
    end: now + 60_000,
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json.names ?? [];
}

/** Total of a profile type for one service (SelectMergeStacktraces over Connect JSON). */
async function total(url: string, profileTypeID: string, svc: string): Promise<number> {
  const now = Date.now();
  const r = await connectJson<{ flamegraph?: { total?: string } }>(url, 'SelectMergeStacktraces', {
    profileTypeID,
    labelSelector: `{service_name="${svc}"}`,
    start: now - 2 * HOUR,
    end: now + 60_000,
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return Number(r.json.flamegraph?.total ?? 0);
}

/** Times (ms) of a service's CPU profiles: SelectSeries with a 1 s step on a grid of whole seconds. */
async function profileTimes(url: string, svc: string): Promise<number[]> {
  const now = Date.now();
  const start = Math.floor((now - 2 * HOUR) / 1000) * 1000;
  const r = await connectJson<{ series?: Array<{ points?: Array<{ timestamp: string }> }> }>(url, 'SelectSeries', {
    profileTypeID: CPU,
    labelSelector: `{service_name="${svc}"}`,
    start,
    end: now + 60_000,
    step: 1,
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return (r.json.series ?? []).flatMap((s) => (s.points ?? []).map((p) => Number(p.timestamp))).sort();
}

/** multipart/form-data as the Go SDK sends it: file parts `profile` and `sample_type_config`. */
function multipart(parts: Array<{ name: string; data: Buffer }>): { body: Buffer; contentType: string } {
  const boundary = `----bts${randomUUID().replace(/-/g, '')}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"; filename="${p.name}"\r\n` +
          'Content-Type: application/octet-stream\r\n\r\n'
      ),
      p.data,
      Buffer.from('\r\n')
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** A Go mutex-style profile: contentions/count 7 and delay/nanoseconds 7000, period contentions/count. */
function contentionProfile(): Buffer {
  return handPprof({
    sampleTypes: [
      ['contentions', 'count'],
      ['delay', 'nanoseconds'],
    ],
    periodType: ['contentions', 'count'],
    period: 1,
    samples: [
      { stack: ['sync.(*Mutex).Lock', 'main.work', 'main.main'], values: [3, 3000] },
      { stack: ['sync.(*Mutex).Lock', 'main.other', 'main.main'], values: [4, 4000] },
    ],
    gzip: true,
  });
}

describe('ingest over HTTP', () => {
  let be: Running;
  before(async () => {
    be = await startInProcess();
  });
  after(async () => be?.stop());

  test('profile time: time_nanos in 1970 or 0 takes `from`; a real time_nanos beats `from`', async () => {
    const nowS = Math.floor(Date.now() / 1000);
    const from = nowS - 600;
    const real = (nowS - 300) * 1000;
    const cases: Array<[string, bigint | undefined, number]> = [
      // 1.7e15 ns is 1970-01-20: an old agent's µs written as ns
      ['time-1970', 1_700_000_000_000_000n, from * 1000],
      ['time-zero', undefined, from * 1000],
      ['time-real', BigInt(real) * 1_000_000n, real],
    ];
    for (const [svc, timeNanos, want] of cases) {
      const r = await ingest(be.url, tinyPprof({ timeNanos, value: 5 }), svc, { from });
      assert.equal(r.status, 200, await r.text());
      assert.deepEqual(await profileTimes(be.url, svc), [want], svc);
    }
    // `from` in ns (the Go SDK's form) gives the same time
    const r = await ingest(be.url, tinyPprof({ value: 5 }), 'time-ns', {
      extra: { from: `${from}000000000`, until: `${from + 10}000000000` },
    });
    assert.equal(r.status, 200, await r.text());
    assert.deepEqual(await profileTimes(be.url, 'time-ns'), [from * 1000]);
  });

  test('multipart `profile` without sample_type_config: Pyroscope’s default names (mutex)', async () => {
    const { body, contentType } = multipart([{ name: 'profile', data: contentionProfile() }]);
    const r = await ingest(be.url, body, 'mp-default', { contentType, extra: { format: '' } });
    assert.equal(r.status, 200, await r.text());
    assert.deepEqual(await typesOf(be.url, 'mp-default'), [
      'mutex:contentions:count:contentions:count',
      'mutex:delay:nanoseconds:contentions:count',
    ]);
    assert.equal(await total(be.url, 'mutex:contentions:count:contentions:count', 'mp-default'), 7);
    assert.equal(await total(be.url, 'mutex:delay:nanoseconds:contentions:count', 'mp-default'), 7000);
  });

  test('multipart with sample_type_config: display names choose __name__ (block); units and aggregation change nothing', async () => {
    // what the Go SDK sends with its block profile
    const config = {
      contentions: { units: 'lock_samples', 'display-name': 'block_count', cumulative: true },
      delay: { units: 'lock_nanoseconds', 'display-name': 'block_duration', aggregation: 'avg', cumulative: true },
    };
    const { body, contentType } = multipart([
      { name: 'profile', data: contentionProfile() },
      { name: 'sample_type_config', data: Buffer.from(JSON.stringify(config)) },
    ]);
    const r = await ingest(be.url, body, 'mp-block', { contentType, extra: { format: '' } });
    assert.equal(r.status, 200, await r.text());
    // the ids keep the pprof's own sample types and units (Pyroscope's ParseToPprof only uses the display names)
    assert.deepEqual(await typesOf(be.url, 'mp-block'), [
      'block:contentions:count:contentions:count',
      'block:delay:nanoseconds:contentions:count',
    ]);
    assert.equal(await total(be.url, 'block:contentions:count:contentions:count', 'mp-block'), 7);
    assert.equal(await total(be.url, 'block:delay:nanoseconds:contentions:count', 'mp-block'), 7000);
    // `format=pprof` with a multipart body works the same
    const again = multipart([
      { name: 'profile', data: contentionProfile() },
      { name: 'sample_type_config', data: Buffer.from(JSON.stringify(config)) },
    ]);
    const r2 = await ingest(be.url, again.body, 'mp-block-fmt', { contentType: again.contentType });
    assert.equal(r2.status, 200, await r2.text());
    assert.deepEqual(await typesOf(be.url, 'mp-block-fmt'), await typesOf(be.url, 'mp-block'));
  });

  test('sampleRate, units and aggregationType do not change a pprof (Pyroscope ignores them for pprof)', async () => {
    const plain = await ingest(be.url, tinyPprof({ value: 12_345 }), 'params-plain');
    assert.equal(plain.status, 200, await plain.text());
    const odd = await ingest(be.url, tinyPprof({ value: 12_345 }), 'params-odd', {
      extra: { sampleRate: '1000', units: 'bytes', aggregationType: 'average' },
    });
    assert.equal(odd.status, 200, await odd.text());
    for (const svc of ['params-plain', 'params-odd']) {
      assert.deepEqual(await typesOf(be.url, svc), [CPU], svc);
      assert.equal(await total(be.url, CPU, svc), 12_345, svc);
    }
  });

  test('Push over Connect JSON (rawProfile base64, ID), plain and gzipped; a re-sent ID counts once', async () => {
    const send = async (svc: string, value: number, id: string, gzip: boolean) => {
      const json = JSON.stringify({
        series: [
          {
            labels: [
              { name: '__name__', value: 'process_cpu' },
              { name: 'service_name', value: svc },
              { name: 'region', value: 'eu' },
            ],
            samples: [{ rawProfile: tinyPprof({ value }).toString('base64'), ID: id }],
          },
        ],
      });
      const r = await fetch(`${be.url}/push.v1.PusherService/Push`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'connect-protocol-version': '1',
          ...(gzip ? { 'content-encoding': 'gzip' } : {}),
        },
        body: new Uint8Array(gzip ? gzipSync(json) : Buffer.from(json)),
      });
      const text = await r.text();
      assert.equal(r.status, 200, text);
      assert.deepEqual(JSON.parse(text), {});
    };
    await send('json-plain', 111, randomUUID(), false);
    await send('json-gzip', 222, randomUUID(), true);
    const id = randomUUID();
    await send('json-dup', 333, id, false);
    await send('json-dup', 333, id, true);
    for (const [svc, want] of [
      ['json-plain', 111],
      ['json-gzip', 222],
      ['json-dup', 333],
    ] as const) {
      assert.deepEqual(await typesOf(be.url, svc), [CPU], svc);
      assert.equal(await total(be.url, CPU, svc), want, svc);
      assert.deepEqual(await labelValues(be.url, 'region', [`{service_name="${svc}"}`]), ['eu'], svc);
    }
  });

  test('series labels: sample labels become series labels except span_id, trace_id, profile_id; __ labels', async () => {
    const body = handPprof({
      sampleTypes: [['cpu', 'nanoseconds']],
      periodType: ['cpu', 'nanoseconds'],
      period: 10_000_000,
      samples: [
        {
          stack: ['main.a', 'main.main'],
          values: [10],
          labels: { env: 'prod', span_id: '00000000000000aa', trace_id: '0123456789abcdef0123456789abcdef' },
        },
        { stack: ['main.b', 'main.main'], values: [20], labels: { env: 'prod', profile_id: '00000000000000bb' } },
        { stack: ['main.c', 'main.main'], values: [30], labels: { env: 'dev', span_name: 'GET /' } },
      ],
    });
    const r = await ingest(be.url, body, 'labels-app{__delta__=false,__foo=bar,__session_id__=abc,team=x}');
    assert.equal(r.status, 200, await r.text());
    assert.deepEqual(await labelNames(be.url, 'labels-app'), [
      '__name__',
      '__period_type__',
      '__period_unit__',
      '__profile_type__',
      '__session_id__',
      '__type__',
      '__unit__',
      'env',
      'pyroscope_spy',
      'service_name',
      'span_name',
      'team',
    ]);
    const m = ['{service_name="labels-app"}'];
    assert.deepEqual(await labelValues(be.url, 'env', m), ['dev', 'prod']);
    assert.deepEqual(await labelValues(be.url, 'span_name', m), ['GET /']);
    assert.deepEqual(await labelValues(be.url, '__session_id__', m), ['abc']);
    assert.deepEqual(await labelValues(be.url, 'pyroscope_spy', m), ['gospy']);
    for (const gone of ['span_id', 'trace_id', 'profile_id', '__delta__', '__foo']) {
      assert.deepEqual(await labelValues(be.url, gone, m), [], gone);
    }
    // the three samples, split by env into series, still sum to the profile's total
    assert.equal(await total(be.url, CPU, 'labels-app'), 60);
  });

  test('a service_name among the name labels wins over the app name (pprof: no app_name label)', async () => {
    const r = await ingest(be.url, tinyPprof({ value: 3 }), 'override-app{service_name=real-svc,env=qa}');
    assert.equal(r.status, 200, await r.text());
    assert.deepEqual(await labelValues(be.url, 'service_name', ['{env="qa"}']), ['real-svc']);
    assert.deepEqual(await labelNames(be.url, 'real-svc'), [
      ...RESERVED_LABEL_NAMES,
      'env',
      'pyroscope_spy',
      'service_name',
    ]);
  });

  test('pyspy, rbspy and scripting agents: functions are named "<file> <function>"; other agents unchanged', async () => {
    const body = () =>
      handPprof({
        sampleTypes: [['cpu', 'nanoseconds']],
        periodType: ['cpu', 'nanoseconds'],
        samples: [{ stack: ['work', 'main'], values: [5] }],
      });
    const names = async (svc: string) => {
      const now = Date.now();
      const r = await connectJson<{ flamegraph?: { names?: string[] } }>(be.url, 'SelectMergeStacktraces', {
        profileTypeID: CPU,
        labelSelector: `{service_name="${svc}"}`,
        start: now - HOUR,
        end: now + 60_000,
      });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      return r.json.flamegraph?.names;
    };
    for (const spy of ['pyspy', 'rbspy', 'scripting', 'gospy']) {
      const r = await ingest(be.url, body(), `spy-${spy}`, { spyName: spy });
      assert.equal(r.status, 200, await r.text());
      // handPprof puts every function in main.go
      const want = spy === 'gospy' ? ['total', 'main', 'work'] : ['total', 'main.go main', 'main.go work'];
      assert.deepEqual(await names(`spy-${spy}`), want, spy);
    }
  });

  test('Push without service_name is stored as unknown_service', async () => {
    const body = encodePush([
      { labels: { __name__: 'process_cpu', who: 'nameless' }, samples: [{ raw: tinyPprof({ value: 9 }) }] },
    ]);
    const r = await push(be.url, body);
    assert.equal(r.status, 200, await r.text());
    assert.deepEqual(await labelValues(be.url, 'service_name', ['{who="nameless"}']), ['unknown_service']);
    assert.equal(await total(be.url, CPU, 'unknown_service'), 9);
  });
});

describe('multitenancy off (the default): X-Scope-OrgID is ignored', () => {
  let be: Running;
  before(async () => {
    be = await startInProcess();
  });
  after(async () => be?.stop());

  test('a profile sent with a tenant header is readable without one and stored under anonymous/', async () => {
    const r = await ingest(be.url, tinyPprof({ value: 42 }), 'mt-off', { tenant: 'team-a' });
    assert.equal(r.status, 200, await r.text());
    const p = await push(
      be.url,
      encodePush([
        { labels: { __name__: 'process_cpu', service_name: 'mt-off-push' }, samples: [{ raw: tinyPprof() }] },
      ]),
      { tenant: 'team-b' }
    );
    assert.equal(p.status, 200, await p.text());
    assert.deepEqual(await typesOf(be.url, 'mt-off'), [CPU]);
    assert.deepEqual(await typesOf(be.url, 'mt-off-push'), [CPU]);
    // any header reads the same single tenant
    assert.deepEqual(await typesOf(be.url, 'mt-off', { tenant: 'someone-else' }), [CPU]);
    assert.deepEqual(await labelValues(be.url, 'service_name'), ['mt-off', 'mt-off-push']);
    const anon = await be.svc.store.list('anonymous/');
    assert.ok(
      anon.some((o) => /^anonymous\/(l0|blocks)\//.test(o.key)),
      anon.map((o) => o.key).join()
    );
    for (const t of ['team-a', 'team-b', 'someone-else']) {
      assert.deepEqual(await be.svc.store.list(`${t}/`), [], t);
    }
  });
});

describe('multipart bodies are split where they lie', () => {
  const ct = 'multipart/form-data; boundary=B0undary';
  const part = (name: string, data: string, extra = '') =>
    `--B0undary\r\nContent-Disposition: form-data; name=${name}${extra}\r\nContent-Type: application/octet-stream\r\n\r\n${data}\r\n`;

  test('named parts, quoted or not, as views into the body; preamble, padding and epilogue ignored', () => {
    const body = Buffer.from(
      'a preamble\r\n' +
        part('"jfr"', 'JFR\r\n--B0undar not a delimiter', '; filename="jfr"') +
        part('labels', '') +
        '--B0undary  \r\n\r\nno headers: no name, skipped\r\n' +
        part('"we\\"ird"', 'x') +
        '--B0undary--\r\nepilogue'
    );
    const parts = parseMultipart(body, ct, 0);
    assert.deepEqual(
      [...parts].map(([k, v]) => [k, v.toString()]),
      [
        ['jfr', 'JFR\r\n--B0undar not a delimiter'],
        ['labels', ''],
        ['we"ird', 'x'],
      ]
    );
    assert.equal(parts.get('jfr')!.buffer, body.buffer, 'a view, not a copy');
    assert.equal(parseMultipart(body, 'multipart/form-data; boundary="B0undary"', 0).size, 3);
  });

  test('a truncated body, a missing boundary or a malformed delimiter is a 400; a part over the bound a 413', () => {
    const whole = part('"jfr"', 'abc') + '--B0undary--\r\n';
    const refused = (body: string, contentType: string, max: number, status: number, message: RegExp) =>
      assert.throws(
        () => parseMultipart(Buffer.from(body), contentType, max),
        (e: unknown) => e instanceof FormatError && e.status === status && message.test(e.message)
      );
    refused(whole.slice(0, -16), ct, 0, 400, /Unexpected end of form/);
    refused(whole, 'multipart/form-data', 0, 400, /Boundary not found/);
    refused('--B0undaryX\r\n', ct, 0, 400, /malformed part delimiter/);
    refused('no delimiter at all', ct, 0, 400, /Unexpected end of form/);
    refused(whole, ct, 2, 413, /multipart field "jfr" is larger than 2 bytes/);
    assert.equal(parseMultipart(Buffer.from(whole), ct, 3).get('jfr')!.toString(), 'abc');
  });
});
