// Bad input: every malformed, oversized, unauthenticated or out-of-limits request gets a 4xx with a JSON
// {code, message} (Connect's own error shape on Connect routes), and the backend process keeps serving: /ready
// answers 200 after each. Then tenant isolation: what tenant A stores is invisible to tenant B on every read path.
// The backend runs as its own process with multitenancy on and small limits.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { connectJson, ingest, startChild, type Child } from './helpers.js';
import { CPU, encodePush, push, tinyPprof } from './wire.js';

const MiB = 1024 * 1024;
const CONNECT_CODES = new Set([
  'canceled',
  'unknown',
  'invalid_argument',
  'deadline_exceeded',
  'not_found',
  'already_exists',
  'permission_denied',
  'resource_exhausted',
  'failed_precondition',
  'aborted',
  'out_of_range',
  'unimplemented',
  'internal',
  'unavailable',
  'data_loss',
  'unauthenticated',
]);

/** Deterministic noise (xorshift), never starting with the gzip magic. */
function noise(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  b[0] = 0x42;
  return b;
}

/** `mib` MiB of zeros as concatenated gzip members (valid gzip; about 1 KB per MiB), built without the big buffer. */
function gzipBomb(mib: number): Buffer {
  const member = gzipSync(Buffer.alloc(MiB));
  return Buffer.concat(Array.from({ length: mib }, () => member));
}

let be: Child;
let checked = 0;

async function alive(): Promise<void> {
  assert.equal(be.proc.exitCode, null, `the backend exited: ${be.log().slice(-500)}`);
  const r = await fetch(`${be.url}/ready`);
  assert.equal(r.status, 200, 'the backend keeps serving');
}

/** Asserts a 4xx (one of `status`) with a JSON {code, message}; Connect routes use Connect's code names. */
async function rejected(
  res: Response | Promise<Response>,
  status: number | number[],
  opts: { code?: string; message?: RegExp; connect?: boolean } = {}
): Promise<{ code: string; message: string }> {
  const r = await res;
  const text = await r.text();
  const want = Array.isArray(status) ? status : [status];
  assert.ok(want.includes(r.status), `status ${r.status}, want ${want.join('|')}: ${text.slice(0, 300)}`);
  assert.ok(r.status >= 400 && r.status < 500);
  assert.match(r.headers.get('content-type') ?? '', /application\/json/);
  const body = JSON.parse(text) as { code: string; message: string };
  assert.equal(typeof body.code, 'string', text);
  assert.equal(typeof body.message, 'string', text);
  assert.ok(body.message.length > 0, text);
  if (opts.connect) {
    assert.ok(CONNECT_CODES.has(body.code), `not a Connect code: ${body.code}`);
  }
  if (opts.code) {
    assert.equal(body.code, opts.code, text);
  }
  if (opts.message) {
    assert.match(body.message, opts.message);
  }
  await alive();
  checked++;
  return body;
}

const T = { tenant: 't1' };
const good = () => tinyPprof();
const post = (path: string, body: Buffer | string, headers: Record<string, string>) =>
  fetch(`${be.url}${path}`, { method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers });
const connectPost = (method: string, body: string, tenant = 't1') =>
  post(`/querier.v1.QuerierService/${method}`, body, { 'content-type': 'application/json', 'x-scope-orgid': tenant });

async function rss(): Promise<number> {
  const text = await (await fetch(`${be.url}/metrics`)).text();
  return Number(/^process_resident_memory_bytes (\S+)/m.exec(text)?.[1] ?? NaN);
}

describe('bad input is a 4xx with {code, message}, and the backend keeps serving', () => {
  before(async () => {
    be = await startChild([
      `-storage.filesystem.dir=${mkdtempSync(join(tmpdir(), 'bts-bad-'))}`,
      '-auth.multitenancy-enabled=true',
      '-distributor.ingestion-body-limit-mb=1',
      `-validation.max-profile-size-bytes=${MiB}`,
    ]);
    assert.equal((await ingest(be.url, good(), 'sane', T)).status, 200, 'a valid push is accepted');
  });
  after(async () => {
    console.log(`# ${checked} bad requests rejected, the backend alive after each`);
    await be?.kill();
  });

  test('missing X-Scope-OrgID: 401 on ingest, Push and queries', async () => {
    await rejected(ingest(be.url, good(), 'a'), 401, { code: 'unauthenticated', message: /X-Scope-OrgID/ });
    const body = encodePush([{ labels: { service_name: 'a' }, samples: [{ raw: good() }] }]);
    await rejected(push(be.url, body), 401, { code: 'unauthenticated', connect: true });
    await rejected(post('/querier.v1.QuerierService/Series', '{}', { 'content-type': 'application/json' }), 401, {
      connect: true,
    });
    await rejected(fetch(`${be.url}/pyroscope/render?query=${CPU}{}`), 401);
    await rejected(post('/settings.v1.SettingsService/Get', '{}', { 'content-type': 'application/json' }), 401, {
      connect: true,
    });
  });

  test('bad tenant ids are refused before they reach a path: 401', async () => {
    for (const tenant of ['../../etc', 'a/b', '..', '.', 'x'.repeat(151), 'a b', 'a\\b']) {
      await rejected(ingest(be.url, good(), 'a', { tenant }), 401, { code: 'unauthenticated' });
    }
    const body = encodePush([{ labels: { service_name: 'a' }, samples: [{ raw: good() }] }]);
    await rejected(push(be.url, body, { tenant: '../x' }), 401, { connect: true });
  });

  test('truncated gzip and random bytes: 400', async () => {
    const gz = good();
    await rejected(ingest(be.url, gz.subarray(0, gz.length >> 1), 'a', T), 400, { message: /gzip/ });
    await rejected(ingest(be.url, noise(4096), 'a', T), 400, { code: 'invalid_argument' });
  });

  test('invalid name: 400', async () => {
    for (const name of ['app{a=b', 'bad app!', '{a=b}', 'app{=v}', 'app{a}', 'app{bad-label=v}', '']) {
      await rejected(ingest(be.url, good(), name, T), 400, { code: 'invalid_argument', message: /name/ });
    }
  });

  test('bad parameters and bodies on /ingest: 400', async () => {
    await rejected(ingest(be.url, good(), 'a', { ...T, extra: { from: 'yesterday' } }), 400, { message: /time/ });
    await rejected(ingest(be.url, good(), 'a', { ...T, format: 'no-such-format' }), 400, { message: /format/ });
    await rejected(ingest(be.url, Buffer.alloc(0), 'a', T), 400, { message: /empty/ });
    const mp = (fields: Record<string, Buffer>, boundary = 'XyZ') =>
      Buffer.concat([
        ...Object.entries(fields).map(([k, v]) =>
          Buffer.concat([
            Buffer.from(
              `--${boundary}\r\nContent-Disposition: form-data; name="${k}"; filename="${k}"\r\n` +
                'Content-Type: application/octet-stream\r\n\r\n'
            ),
            v,
            Buffer.from('\r\n'),
          ])
        ),
        Buffer.from(`--${boundary}--\r\n`),
      ]);
    const multipart = { contentType: 'multipart/form-data; boundary=XyZ', format: '' };
    await rejected(ingest(be.url, mp({ other: good() }), 'a', { ...T, ...multipart }), 400, { message: /profile/ });
    await rejected(ingest(be.url, mp({ profile: good(), prev_profile: good() }), 'a', { ...T, ...multipart }), 400, {
      message: /prev_profile/,
    });
    await rejected(
      ingest(be.url, mp({ profile: good(), sample_type_config: Buffer.from('{nope') }), 'a', { ...T, ...multipart }),
      400,
      { message: /sample_type_config/ }
    );
    await rejected(ingest(be.url, good(), 'a', { ...T, contentType: 'multipart/form-data', format: '' }), 400, {
      message: /multipart/,
    });
  });

  test('an oversized body (-distributor.ingestion-body-limit-mb=1): 413 on /ingest, resource_exhausted on Push', async () => {
    await rejected(ingest(be.url, noise(2 * MiB), 'a', T), 413, {
      code: 'resource_exhausted',
      message: /ingestion-body-limit-mb/,
    });
    await rejected(push(be.url, noise(2 * MiB), T), 429, { code: 'resource_exhausted', connect: true });
    // several at once, as agents retry: each still hears its 413 (the body is drained, not cut mid-send)
    await Promise.all(
      Array.from({ length: 8 }, () =>
        rejected(ingest(be.url, noise(2 * MiB), 'a', T), 413, { code: 'resource_exhausted' })
      )
    );
  });

  test('a gzip bomb stops at -validation.max-profile-size-bytes and costs little memory', async () => {
    const bomb = gzipBomb(256);
    assert.ok(bomb.length < MiB, `${bomb.length} bytes on the wire`);
    const before = await rss();
    await rejected(ingest(be.url, bomb, 'a', T), 413, { message: /limit/ });
    const body = encodePush([{ labels: { service_name: 'a' }, samples: [{ raw: bomb }] }]);
    await rejected(push(be.url, body, T), 400, { code: 'invalid_argument', connect: true, message: /limit/ });
    const grown = (await rss()) - before;
    console.log(`# a 256 MiB gzip bomb grew the backend's RSS by ${(grown / MiB).toFixed(1)} MiB`);
    assert.ok(grown < 64 * MiB, `RSS grew by ${grown} bytes`);
  });

  test('profiles outside -validation.reject-older-than / reject-newer-than: 400', async () => {
    const ns = (ms: number) => BigInt(ms) * 1_000_000n;
    const old = tinyPprof({ timeNanos: ns(Date.now() - 2 * 3_600_000) });
    await rejected(ingest(be.url, old, 'a', T), 400, { message: /too old.*reject-older-than/ });
    const future = tinyPprof({ timeNanos: ns(Date.now() + 3_600_000) });
    await rejected(ingest(be.url, future, 'a', T), 400, { message: /too new.*reject-newer-than/ });
    const body = encodePush([{ labels: { service_name: 'a' }, samples: [{ raw: old }] }]);
    await rejected(push(be.url, body, T), 400, { code: 'invalid_argument', connect: true, message: /too old/ });
  });

  test('a huge label value, a long label name, too many labels: 400', async () => {
    await rejected(ingest(be.url, good(), `a{k=${'x'.repeat(100_000)}}`, T), 400, {
      message: /max-length-label-value/,
    });
    await rejected(ingest(be.url, good(), `a{k=${'x'.repeat(3000)}}`, T), 400, { message: /max-length-label-value/ });
    await rejected(ingest(be.url, good(), `a{${'k'.repeat(2000)}=v}`, T), 400, { message: /max-length-label-name/ });
    const many = Array.from({ length: 100 }, (_, i) => `l${i}=v`).join(',');
    await rejected(ingest(be.url, good(), `a{${many}}`, T), 400, { message: /max-label-names-per-series/ });
    // pprof sample labels count too: they become series labels
    const labels = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`s${i}`, 'v']));
    await rejected(ingest(be.url, tinyPprof({ labels }), 'a', T), 400, { message: /max-label-names-per-series/ });
    // a URL past even the raised header limit still gets the JSON shape
    await rejected(ingest(be.url, good(), `a{k=${'x'.repeat(1_100_000)}}`, T), 431, { code: 'resource_exhausted' });
  });

  test('bad selectors: 400 invalid_argument', async () => {
    const now = Date.now();
    const q = { profileTypeID: CPU, start: now - 3_600_000, end: now };
    for (const labelSelector of ['{service_name=', '{a=~"("}', 'not a selector', '{a="b"']) {
      await rejected(connectPost('SelectMergeStacktraces', JSON.stringify({ ...q, labelSelector })), 400, {
        code: 'invalid_argument',
        connect: true,
      });
    }
    await rejected(connectPost('Series', JSON.stringify({ matchers: ['{a=~"("}'] })), 400, { connect: true });
    await rejected(connectPost('SelectMergeStacktraces', JSON.stringify({ ...q, profileTypeID: 'nope' })), 400, {
      connect: true,
    });
    await rejected(
      fetch(`${be.url}/pyroscope/render?query=${encodeURIComponent(`${CPU}{a=`)}`, {
        headers: { 'x-scope-orgid': 't1' },
      }),
      400
    );
  });

  test('bad Connect JSON: 400 invalid_argument', async () => {
    await rejected(connectPost('Series', '{"start":'), 400, { code: 'invalid_argument', connect: true });
    await rejected(connectPost('Series', '{"start":"soon"}'), 400, { code: 'invalid_argument', connect: true });
    await rejected(connectPost('LabelValues', '[1,2]'), 400, { code: 'invalid_argument', connect: true });
  });

  test('bad Push protobuf: 400 invalid_argument', async () => {
    const h = { 'content-type': 'application/proto', 'x-scope-orgid': 't1' };
    await rejected(post('/push.v1.PusherService/Push', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]), h), 400, {
      code: 'invalid_argument',
      connect: true,
    });
    await rejected(post('/push.v1.PusherService/Push', noise(512), h), 400, { connect: true });
    const gz = gzipSync(encodePush([{ labels: { service_name: 'a' }, samples: [{ raw: good() }] }]));
    await rejected(
      post('/push.v1.PusherService/Push', gz.subarray(0, gz.length - 8), { ...h, 'content-encoding': 'gzip' }),
      400,
      { connect: true }
    );
    // a well-formed PushRequest whose raw_profile is not a pprof
    const body = encodePush([{ labels: { service_name: 'a' }, samples: [{ raw: noise(300) }] }]);
    await rejected(push(be.url, body, T), 400, { code: 'invalid_argument', connect: true });
  });
});

describe('tenant isolation (multitenancy on)', () => {
  let iso: Child;
  before(async () => {
    iso = await startChild([
      `-storage.filesystem.dir=${mkdtempSync(join(tmpdir(), 'bts-iso-'))}`,
      '-auth.multitenancy-enabled=true',
    ]);
    const a = { tenant: 'tenant-a' };
    assert.equal((await ingest(iso.url, tinyPprof({ fn: 'secret.fn', value: 7 }), 'iso-secret{env=a}', a)).status, 200);
    const body = encodePush([
      { labels: { __name__: 'process_cpu', service_name: 'iso-secret-push' }, samples: [{ raw: tinyPprof() }] },
    ]);
    assert.equal((await push(iso.url, body, a)).status, 200);
    assert.equal((await ingest(iso.url, tinyPprof({ fn: 'b.fn' }), 'iso-b', { tenant: 'tenant-b' })).status, 200);
    const set = await connectJson(
      iso.url,
      'Set',
      { setting: { name: 'pluginSettings', value: '{"secret":true}' } },
      { tenant: 'tenant-a', service: 'settings.v1.SettingsService' }
    );
    assert.equal(set.status, 200, JSON.stringify(set.json));
  });
  after(async () => iso?.kill());

  const range = () => ({ start: Date.now() - 3_600_000, end: Date.now() + 60_000 });

  test("tenant A's services never show for tenant B: Series, LabelValues, LabelNames", async () => {
    for (const [tenant, mine, theirs] of [
      ['tenant-a', ['iso-secret', 'iso-secret-push'], ['iso-b']],
      ['tenant-b', ['iso-b'], ['iso-secret', 'iso-secret-push']],
    ] as const) {
      const series = await connectJson<{ labelsSet?: Array<{ labels: Array<{ value: string }> }> }>(
        iso.url,
        'Series',
        { ...range(), labelNames: ['service_name'], matchers: [] },
        { tenant }
      );
      const services = (series.json.labelsSet ?? []).flatMap((s) => s.labels.map((l) => l.value)).sort();
      assert.deepEqual(services, [...mine].sort(), `Series for ${tenant}`);
      const values = await connectJson<{ names?: string[] }>(
        iso.url,
        'LabelValues',
        { ...range(), name: 'service_name', matchers: [] },
        { tenant }
      );
      assert.deepEqual(values.json.names, [...mine].sort(), `LabelValues for ${tenant}`);
      for (const svc of theirs) {
        const scoped = await connectJson<{ names?: string[] }>(
          iso.url,
          'LabelNames',
          { ...range(), matchers: [`{service_name="${svc}"}`] },
          { tenant }
        );
        assert.deepEqual(scoped.json.names ?? [], [], `LabelNames of ${svc} for ${tenant}`);
      }
    }
    const env = await connectJson<{ names?: string[] }>(
      iso.url,
      'LabelValues',
      { ...range(), name: 'env', matchers: [] },
      { tenant: 'tenant-b' }
    );
    assert.deepEqual(env.json.names ?? [], []);
  });

  test("tenant A's profiles never show for tenant B: render and SelectMergeStacktraces", async () => {
    const render = async (tenant: string) => {
      const q = new URLSearchParams({ query: `${CPU}{service_name="iso-secret"}`, from: 'now-1h', until: 'now' });
      const r = await fetch(`${iso.url}/pyroscope/render?${q}`, { headers: { 'x-scope-orgid': tenant } });
      assert.equal(r.status, 200);
      return (await r.json()) as { flamebearer: { names: string[]; numTicks: number } };
    };
    assert.equal((await render('tenant-a')).flamebearer.numTicks, 7);
    const b = await render('tenant-b');
    assert.equal(b.flamebearer.numTicks, 0);
    assert.ok(!b.flamebearer.names.includes('secret.fn'));
    const merged = await connectJson<{ flamegraph?: { names?: string[]; total?: string } }>(
      iso.url,
      'SelectMergeStacktraces',
      { ...range(), profileTypeID: CPU, labelSelector: '{}' },
      { tenant: 'tenant-b' }
    );
    assert.equal(merged.status, 200);
    assert.ok(!(merged.json.flamegraph?.names ?? []).includes('secret.fn'));
    assert.equal(Number(merged.json.flamegraph?.total), 1, "tenant B's own profile only");
  });

  test("tenant A's settings never show for tenant B", async () => {
    const get = (tenant: string) =>
      connectJson<{ settings?: Array<{ name: string; value: string }> }>(
        iso.url,
        'Get',
        {},
        { tenant, service: 'settings.v1.SettingsService' }
      );
    assert.deepEqual(
      (await get('tenant-a')).json.settings?.map((s) => s.value),
      ['{"secret":true}']
    );
    const b = await get('tenant-b');
    assert.equal(b.status, 200);
    assert.deepEqual(b.json.settings ?? [], []);
  });
});
