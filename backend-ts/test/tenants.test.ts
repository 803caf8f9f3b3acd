// Tenants and access. With -auth.multitenancy-enabled=true, what tenant A stores is invisible to tenant B on every
// read route (render, render-diff, the legacy label routes, every QuerierService method, settings). With
// auth.tokens configured, every request but /ready needs a valid Bearer or Basic credential (401 and nothing else
// without one), the credential decides the tenant, and the real @pyroscope/nodejs SDK gets in with authToken and
// with basicAuthUser/basicAuthPassword.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../src/config/config.js';
import { BACKEND_ROOT, connectJson, ingest, sleep, startInProcess, type Running } from './helpers.js';
import { CPU, encodePush, push, tinyPprof } from './wire.js';

const MEM = 'memory:alloc_space:bytes::';
const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));

/** Folded stacks pushed as `<app>.alloc_space`: a memory profile type that only tenant A has. */
const memFolded = () => Buffer.from('main;secret.alloc 4096\n');

describe('tenant isolation on every read route (multitenancy on)', () => {
  let be: Running;
  const now = Date.now();
  const aTime = Math.floor((now - 40 * 60_000) / 1000);
  const bTime = Math.floor((now - 5 * 60_000) / 1000);
  const range = { start: now - 3_600_000, end: now + 60_000 };

  before(async () => {
    be = await startInProcess(['-auth.multitenancy-enabled=true']);
    const a = { tenant: 'tenant-a', from: aTime };
    assert.equal(
      (
        await ingest(
          be.url,
          tinyPprof({ fn: 'secret.fn', value: 7, labels: { span_id: '00000000000000aa' } }),
          'iso-secret{env=a}',
          a
        )
      ).status,
      200
    );
    assert.equal(
      (
        await ingest(be.url, memFolded(), 'iso-secret.alloc_space{env=a}', {
          ...a,
          format: 'folded',
          contentType: 'text/plain',
        })
      ).status,
      200
    );
    const body = encodePush([
      {
        labels: { __name__: 'process_cpu', service_name: 'iso-secret-push', secret_label: 'x' },
        samples: [{ raw: tinyPprof({ fn: 'secret.push' }) }],
      },
    ]);
    assert.equal((await push(be.url, body, { tenant: 'tenant-a' })).status, 200);
    assert.equal(
      (await ingest(be.url, tinyPprof({ fn: 'b.fn' }), 'iso-b', { tenant: 'tenant-b', from: bTime })).status,
      200
    );
    const set = await connectJson(
      be.url,
      'Set',
      { setting: { name: 'pluginSettings', value: '{"secret":true}' } },
      { tenant: 'tenant-a', service: 'settings.v1.SettingsService' }
    );
    assert.equal(set.status, 200);
  });
  after(async () => be?.stop());

  const q = <T = Record<string, unknown>>(method: string, body: unknown, tenant = 'tenant-b') =>
    connectJson<T>(be.url, method, body, { tenant }).then((r) => {
      assert.equal(r.status, 200, `${method}: ${JSON.stringify(r.json)}`);
      return r.json;
    });
  const get = async (path: string, params: Record<string, string>, tenant = 'tenant-b') => {
    const r = await fetch(`${be.url}${path}?${new URLSearchParams(params)}`, { headers: { 'x-scope-orgid': tenant } });
    const text = await r.text();
    assert.equal(r.status, 200, `${path}: ${text}`);
    // render echoes the query it was asked in metadata.name: that is B's own text, not A's data
    const doc = JSON.parse(text) as { metadata?: { name?: string } };
    if (doc.metadata) {
      delete doc.metadata.name;
    }
    return JSON.stringify(doc);
  };
  /** Nothing of tenant A in an answer to tenant B: no service, function, label or value of A's. */
  const clean = (what: string, answer: unknown) => {
    const text = JSON.stringify(answer);
    for (const secret of [
      'iso-secret',
      'secret.fn',
      'secret.push',
      'secret.alloc',
      'secret_label',
      '"env"',
      'alloc_space',
      '{\\"secret\\"',
    ]) {
      assert.ok(!text.includes(secret), `${what} for tenant B shows ${secret}: ${text.slice(0, 400)}`);
    }
  };

  test('A sees its own data (so the checks below are not vacuous)', async () => {
    const names = await q<{ names?: string[] }>('LabelValues', { ...range, name: 'service_name' }, 'tenant-a');
    assert.deepEqual(names.names, ['iso-secret', 'iso-secret-push']);
    const types = await q<{ profileTypes?: Array<{ ID: string }> }>('ProfileTypes', range, 'tenant-a');
    assert.ok(
      types.profileTypes?.some((t) => t.ID === MEM),
      JSON.stringify(types)
    );
  });

  test('QuerierService: every method answers B without A’s data', async () => {
    const sel = { ...range, profileTypeID: CPU, labelSelector: '{}' };
    clean('ProfileTypes', await q('ProfileTypes', range));
    clean('LabelNames', await q('LabelNames', { ...range, matchers: [] }));
    clean('LabelValues', await q('LabelValues', { ...range, name: 'service_name', matchers: [] }));
    clean('LabelValues env', await q('LabelValues', { ...range, name: 'env', matchers: [] }));
    clean('Series', await q('Series', { ...range, matchers: [], labelNames: [] }));
    clean('Series scoped', await q('Series', { ...range, matchers: ['{service_name="iso-secret"}'] }));
    const merged = await q<{ flamegraph?: { total?: string } }>('SelectMergeStacktraces', sel);
    clean('SelectMergeStacktraces', merged);
    assert.equal(Number(merged.flamegraph?.total), 1, "B's own profile only");
    clean(
      'SelectMergeStacktraces of A’s service',
      await q('SelectMergeStacktraces', { ...sel, labelSelector: '{service_name="iso-secret"}' })
    );
    clean('SelectMergeStacktraces memory', await q('SelectMergeStacktraces', { ...sel, profileTypeID: MEM }));
    clean('SelectMergeSpanProfile', await q('SelectMergeSpanProfile', { ...sel, spanSelector: ['00000000000000aa'] }));
    clean('SelectMergeProfile', await q('SelectMergeProfile', sel));
    const series = await q<{ series?: Array<{ points: Array<{ value: number }> }> }>('SelectSeries', {
      ...sel,
      step: 60,
      groupBy: ['service_name'],
    });
    clean('SelectSeries', series);
    assert.equal(series.series?.length, 1);
    clean('Diff', await q('Diff', { left: sel, right: { ...sel, labelSelector: '{service_name="iso-secret"}' } }));
    const stats = await q<{ oldestProfileTime?: string }>('GetProfileStats', {});
    assert.ok(
      Number(stats.oldestProfileTime) >= bTime * 1000 - 1000,
      `B's oldest profile is B's own: ${JSON.stringify(stats)}`
    );
    clean('AnalyzeQuery', await q('AnalyzeQuery', { ...range, query: `${CPU}{service_name="iso-secret"}` }));
    const analyzed = await q<{ queryImpact?: { totalQueriedSeries?: string } }>('AnalyzeQuery', {
      ...range,
      query: '{}',
    });
    assert.equal(Number(analyzed.queryImpact?.totalQueriedSeries), 1, JSON.stringify(analyzed));
  });

  test('legacy HTTP routes: render, render-diff, label-values, labels', async () => {
    const base = { from: 'now-1h', until: 'now' };
    const render = await get('/pyroscope/render', { ...base, query: `${CPU}{service_name="iso-secret"}` });
    clean('render', render);
    assert.equal((JSON.parse(render) as { flamebearer: { numTicks: number } }).flamebearer.numTicks, 0);
    clean('render all', await get('/pyroscope/render', { ...base, query: `${CPU}{}`, groupBy: 'service_name' }));
    clean(
      'render-diff',
      await get('/pyroscope/render-diff', {
        leftQuery: `${CPU}{service_name="iso-secret"}`,
        rightQuery: `${CPU}{}`,
        leftFrom: 'now-1h',
        leftUntil: 'now',
        rightFrom: 'now-1h',
        rightUntil: 'now',
      })
    );
    clean('label-values', await get('/pyroscope/label-values', { ...base, label: 'service_name' }));
    clean('label-values __name__', await get('/pyroscope/label-values', { ...base, label: '__name__' }));
    clean('labels', await get('/pyroscope/labels', base));
  });

  test('settings: B reads none of A’s, and B’s write does not touch A’s', async () => {
    const getSettings = (tenant: string) =>
      connectJson<{ settings?: Array<{ value: string }> }>(
        be.url,
        'Get',
        {},
        { tenant, service: 'settings.v1.SettingsService' }
      );
    const b = await getSettings('tenant-b');
    assert.equal(b.status, 200);
    assert.deepEqual(b.json.settings ?? [], []);
    await connectJson(
      be.url,
      'Set',
      { setting: { name: 'pluginSettings', value: '{"b":1}' } },
      { tenant: 'tenant-b', service: 'settings.v1.SettingsService' }
    );
    assert.deepEqual(
      (await getSettings('tenant-a')).json.settings?.map((s) => s.value),
      ['{"secret":true}']
    );
  });

  test('without X-Scope-OrgID every route is a 401', async () => {
    const routes: Array<[string, RequestInit]> = [
      ['/pyroscope/render?query=' + encodeURIComponent(`${CPU}{}`), {}],
      ['/pyroscope/render-diff?leftQuery=x&rightQuery=y', {}],
      ['/pyroscope/label-values?label=service_name', {}],
      ['/pyroscope/labels', {}],
      ...[
        'ProfileTypes',
        'LabelNames',
        'LabelValues',
        'Series',
        'SelectMergeStacktraces',
        'SelectSeries',
        'GetProfileStats',
        'Diff',
      ].map((m): [string, RequestInit] => [
        `/querier.v1.QuerierService/${m}`,
        { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } },
      ]),
      [
        '/settings.v1.SettingsService/Get',
        { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } },
      ],
    ];
    for (const [path, init] of routes) {
      const r = await fetch(`${be.url}${path}`, init);
      assert.equal(r.status, 401, path);
      assert.equal(((await r.json()) as { code: string }).code, 'unauthenticated', path);
    }
  });
});

async function runSdk(url: string, app: string, auth: Record<string, string>): Promise<void> {
  const script = `
    const Pyroscope = require('@pyroscope/nodejs');
    // @pyroscope/nodejs 0.6.4: a profiling round already queued (setImmediate) when stop() runs calls the stopped
    // wall or heap profiler and rejects; after stop that round has nothing left to send
    process.on('unhandledRejection', (e) => { if (globalThis.sdkStopping && /Wall profiler is not started|Heap profiler is not enabled/.test(String(e && e.message))) return; console.error(e); process.exit(1); });
    Pyroscope.init({ serverAddress: process.env.SERVER, appName: process.env.APP, flushIntervalMs: 1000, ...JSON.parse(process.env.AUTH) });
    Pyroscope.start();
    const until = Date.now() + 3000;
    function tick() { let x = 0; for (let i = 0; i < 1e5; i++) x += Math.sqrt(i); if (Date.now() < until) setImmediate(tick); else { globalThis.sdkStopping = true; Pyroscope.stop().then(() => process.exit(0)); } }
    tick();`;
  await new Promise<void>((resolve) => {
    const c = spawn(process.execPath, ['-e', script], {
      cwd: BACKEND_ROOT,
      env: { ...process.env, SERVER: url, APP: app, AUTH: JSON.stringify(auth) },
      stdio: 'ignore',
    });
    const t = setTimeout(() => c.kill('SIGKILL'), 30_000);
    c.on('exit', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

describe('auth.tokens: Bearer and Basic credentials mapped to tenants', () => {
  let be: Running;
  let rejected = 0;
  before(async () => {
    const file = join(tmp('bts-auth-'), 'config.yaml');
    writeFileSync(
      file,
      [
        'auth:',
        '  tokens:',
        '    - tenant: team-a',
        '      token: tok-a-0123456789',
        '    - tenant: team-b',
        '      username: agent-b',
        '      password: pw-b',
        '  admin_tokens:',
        '    - adm-0123456789',
        '',
      ].join('\n')
    );
    be = await startInProcess([`-config.file=${file}`]);
  });
  after(async () => {
    console.log(`# auth: ${rejected} requests without a valid credential answered 401`);
    await be?.stop();
  });

  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
  const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });

  test('the config: tokens parse, and malformed entries are start-up errors', () => {
    const dir = tmp('bts-auth-cfg-');
    const cfg = (text: string) => {
      const f = join(dir, `c${Math.random()}.yaml`);
      writeFileSync(f, text);
      return () => loadConfig([`-config.file=${f}`]);
    };
    assert.deepEqual(cfg('auth:\n  tokens:\n    - {tenant: a, token: t}\n')().auth.tokens, [
      { tenant: 'a', token: 't', username: undefined, password: undefined },
    ]);
    assert.deepEqual(loadConfig([]).auth.tokens, [], 'off by default');
    assert.throws(cfg('auth:\n  tokens:\n    - {token: t}\n'), /has no tenant/);
    assert.throws(cfg('auth:\n  tokens:\n    - {tenant: a, username: u}\n'), /token, or both username and password/);
    assert.throws(cfg('auth:\n  tokens:\n    - {tenant: a, tokn: t}\n'), /unknown key "tokn"/);
    assert.throws(cfg('auth:\n  tokens: t\n'), /must be a list/);
    assert.deepEqual(cfg('auth:\n  admin_tokens: [x1, x2]\n')().auth.adminTokens, ['x1', 'x2']);
    assert.deepEqual(loadConfig([]).auth.adminTokens, []);
    assert.throws(cfg('auth:\n  admin_tokens: x\n'), /admin_tokens must be a list/);
    assert.throws(cfg('auth:\n  admin_tokens: [""]\n'), /admin_tokens\[0\] must be a non-empty string/);
  });

  test("/metrics: only an admin token reads it; a tenant's credential gets 403, none 401", async () => {
    const metrics = (h: Record<string, string>) => fetch(`${be.url}/metrics`, { headers: h });
    const admin = await metrics(bearer('adm-0123456789'));
    assert.equal(admin.status, 200);
    assert.match(await admin.text(), /pyroscope_/);
    assert.equal((await metrics(basic('anyone', 'adm-0123456789'))).status, 200);
    for (const h of [bearer('tok-a-0123456789'), basic('agent-b', 'pw-b')]) {
      const r = await metrics(h);
      assert.equal(r.status, 403);
      const e = (await r.json()) as { code: string; message: string };
      assert.equal(e.code, 'permission_denied');
      assert.match(e.message, /admin token \(auth.admin_tokens\)/);
    }
    const none = await metrics({});
    assert.equal(none.status, 401);
    assert.equal(((await none.json()) as { code: string }).code, 'unauthenticated');
    // an admin token names no tenant: the tenant routes refuse it
    const q = await fetch(`${be.url}/querier.v1.QuerierService/LabelNames`, {
      method: 'POST',
      body: '{}',
      headers: { ...bearer('adm-0123456789'), 'content-type': 'application/json' },
    });
    assert.equal(q.status, 401);
  });

  test('no valid credential: 401 with nothing else, on every route; /ready stays open', async () => {
    const body = encodePush([
      { labels: { __name__: 'process_cpu', service_name: 'x' }, samples: [{ raw: tinyPprof() }] },
    ]);
    const attempts: Array<Record<string, string>> = [
      {},
      bearer('wrong'),
      bearer(''),
      basic('agent-b', 'wrong'),
      basic('someone', 'pw-b'),
      { authorization: 'Digest abc' },
      { authorization: 'Basic !!!' },
      { ...bearer('tok-a-0123456789'), 'x-scope-orgid': 'team-b' },
    ];
    for (const h of attempts) {
      const responses = [
        await fetch(`${be.url}/ingest?name=auth-x&format=pprof`, {
          method: 'POST',
          body: new Uint8Array(tinyPprof()),
          headers: h,
        }),
        await fetch(`${be.url}/push.v1.PusherService/Push`, {
          method: 'POST',
          body: new Uint8Array(body),
          headers: { ...h, 'content-type': 'application/proto' },
        }),
        await fetch(`${be.url}/querier.v1.QuerierService/LabelNames`, {
          method: 'POST',
          body: '{}',
          headers: { ...h, 'content-type': 'application/json' },
        }),
        await fetch(`${be.url}/pyroscope/render?query=${encodeURIComponent(`${CPU}{}`)}`, { headers: h }),
        await fetch(`${be.url}/settings.v1.SettingsService/Get`, {
          method: 'POST',
          body: '{}',
          headers: { ...h, 'content-type': 'application/json' },
        }),
        await fetch(`${be.url}/metrics`, { headers: h }),
        await fetch(`${be.url}/no/such/route`, { headers: h }),
      ];
      for (const r of responses) {
        const text = await r.text();
        assert.equal(r.status, 401, `${JSON.stringify(h)} ${r.url}: ${r.status} ${text.slice(0, 200)}`);
        const err = JSON.parse(text) as { code: string; message: string };
        assert.equal(err.code, 'unauthenticated');
        assert.deepEqual(Object.keys(err).sort(), ['code', 'message']);
        rejected++;
      }
    }
    assert.equal((await fetch(`${be.url}/ready`)).status, 200);
  });

  test('Bearer, Basic with the token as password, and a Basic pair: each lands in its tenant', async () => {
    const post = (h: Record<string, string>, svc: string) =>
      fetch(`${be.url}/ingest?name=${svc}&format=pprof&spyName=gospy`, {
        method: 'POST',
        body: new Uint8Array(tinyPprof()),
        headers: h,
      });
    assert.equal((await post(bearer('tok-a-0123456789'), 'auth-bearer')).status, 200);
    assert.equal((await post(basic('team-a', 'tok-a-0123456789'), 'auth-basic-token')).status, 200);
    assert.equal((await post(basic('agent-b', 'pw-b'), 'auth-basic-pair')).status, 200);
    assert.equal(
      (await post({ ...bearer('tok-a-0123456789'), 'x-scope-orgid': 'team-a' }, 'auth-org-match')).status,
      200
    );
    const values = async (h: Record<string, string>) => {
      const r = await fetch(`${be.url}/querier.v1.QuerierService/LabelValues`, {
        method: 'POST',
        headers: { ...h, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'service_name' }),
      });
      assert.equal(r.status, 200);
      return ((await r.json()) as { names?: string[] }).names ?? [];
    };
    assert.deepEqual(await values(bearer('tok-a-0123456789')), ['auth-basic-token', 'auth-bearer', 'auth-org-match']);
    assert.deepEqual(await values(basic('agent-b', 'pw-b')), ['auth-basic-pair']);
  });

  test('the real @pyroscope/nodejs SDK with authToken and with basicAuthUser/basicAuthPassword', async () => {
    await Promise.all([
      runSdk(be.url, 'sdk-bearer', { authToken: 'tok-a-0123456789' }),
      runSdk(be.url, 'sdk-basic', { basicAuthUser: 'agent-b', basicAuthPassword: 'pw-b' }),
      runSdk(be.url, 'sdk-noauth', {}),
    ]);
    await sleep(200);
    const values = async (h: Record<string, string>) => {
      const r = await fetch(`${be.url}/querier.v1.QuerierService/LabelValues`, {
        method: 'POST',
        headers: { ...h, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'service_name' }),
      });
      return ((await r.json()) as { names?: string[] }).names ?? [];
    };
    const a = await values(bearer('tok-a-0123456789'));
    const b = await values(basic('agent-b', 'pw-b'));
    assert.ok(a.includes('sdk-bearer') && !a.includes('sdk-basic') && !a.includes('sdk-noauth'), `team-a: ${a}`);
    assert.ok(b.includes('sdk-basic') && !b.includes('sdk-bearer') && !b.includes('sdk-noauth'), `team-b: ${b}`);
  });
});
