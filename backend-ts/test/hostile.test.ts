// Issue 15, one test per row of its table: requests that cost the server much more than they cost the client.
// Each asserts the answer (status and {code, message} body) and, where the request makes the server work, that
// /ready was answered while it was still running: the work runs in slices or off the main thread, never as one
// long block. The backend runs as its own process, as in production, so that a blocked event loop in it cannot
// be hidden by the test's own. How long things take is measured by `npm run test:hostile`, not here.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FilesystemStore } from '../src/storage/filesystem.js';
import { startChild, type Child } from './helpers.js';
import { cpuRecording as recording } from './jfrWriter.js';
import { CPU, deepPprof, encodePush, gzipBomb, PbWriter, push, tinyPprof } from './wire.js';

const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));

/**
 * Runs `work` and asks /ready again and again until work's answer is in: how many /ready answers came first.
 * Bounded in count; the loop ends as soon as the work has its answer.
 */
async function readyWhile<T>(url: string, work: Promise<T>): Promise<{ result: T; readyDuring: number }> {
  let settled = false;
  const w = work.finally(() => {
    settled = true;
  });
  w.catch(() => {});
  let readyDuring = 0;
  for (let i = 0; i < 200_000 && !settled; i++) {
    const r = await fetch(`${url}/ready`);
    await r.text();
    if (r.ok && !settled) {
      readyDuring++;
    }
  }
  return { result: await w, readyDuring };
}

async function post(url: string, path: string, body: unknown, tenant: string): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-scope-orgid': tenant },
    body: JSON.stringify(body),
  });
}

async function errorOf(r: Response): Promise<{ code: string; message: string }> {
  assert.match(r.headers.get('content-type') ?? '', /application\/json/);
  const e = (await r.json()) as { code: string; message: string };
  assert.equal(typeof e.code, 'string');
  assert.equal(typeof e.message, 'string');
  return e;
}

/** 10 series whose service_name is 2,000 characters: the first 5 end with "b", the other 5 do not. */
async function pushLongNames(url: string, tenant: string, count: number): Promise<string[]> {
  const names = Array.from(
    { length: count },
    (_, i) => `${String(i).padStart(9, '0')}${'a'.repeat(1990)}${i < count / 2 ? 'b' : 'c'}`
  );
  const r = await push(
    url,
    encodePush(
      names.map((service_name, i) => ({
        labels: { __name__: 'process_cpu', service_name },
        samples: [{ raw: tinyPprof({ fn: `f${i}`, value: 1000 + i }) }],
      }))
    ),
    { tenant }
  );
  assert.equal(r.status, 200, await r.text());
  return names;
}

/** Metric samples of /metrics whose line starts with `prefix`, as numbers. */
async function metric(url: string, prefix: string, tenant = 'anonymous'): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { headers: { 'x-scope-orgid': tenant } })).text();
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  assert.ok(line, `${prefix} in /metrics`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

/**
 * Sends the headers and the first bytes of a body and resolves with the answer while the rest is still unsent:
 * proof that the server answered without reading the body.
 */
function answerBeforeBody(
  url: string,
  path: string,
  headers: Record<string, string>,
  first: Buffer
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(first.length * 1000) },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        req.destroy();
      });
    });
    req.write(first);
  });
}

/** The regex: (?:.*a) repeated, then b. */
const hostileRegex = (reps: number) => `${'(?:.*a)'.repeat(reps)}b`;

describe('hostile queries: label matching in slices, the timeout inside the work, selector caps', () => {
  let be: Child;
  before(async () => {
    const file = join(tmp('bts-hostile-'), 'overrides.yaml');
    writeFileSync(file, 'overrides:\n  short:\n    query_timeout: 500ms\n');
    be = await startChild([
      '-storage.backend=filesystem',
      `-storage.filesystem.dir=${tmp('bts-hostile-data-')}`,
      '-auth.multitenancy-enabled=true',
      `-runtime-config.file=${file}`,
    ]);
  });
  after(async () => be?.kill());

  test('SelectMergeStacktraces with a 700-character regex over 10 series of 2,000-character names', async () => {
    const names = await pushLongNames(be.url, 'regex', 10);
    const now = Date.now();
    const query = (labelSelector: string) =>
      post(
        be.url,
        '/querier.v1.QuerierService/SelectMergeStacktraces',
        { profileTypeID: CPU, labelSelector, start: now - 3_600_000, end: now + 60_000 },
        'regex'
      );
    const sel = `{service_name=~"${hostileRegex(100)}"}`;
    assert.equal(sel.length > 700, true);
    const { result, readyDuring } = await readyWhile(be.url, query(sel));
    assert.equal(result.status, 200);
    const body = (await result.json()) as { flamegraph: { names: string[]; total: string } };
    const fg = body.flamegraph;
    assert.ok(fg, JSON.stringify(body).slice(0, 500));
    // the five names ending with "b" match, each with its own function
    assert.equal(Number(fg.total), 1000 + 1001 + 1002 + 1003 + 1004);
    assert.deepEqual(fg.names.slice(1).sort(), ['f0', 'f1', 'f2', 'f3', 'f4']);
    assert.ok(readyDuring > 0, '/ready was answered while the query ran');
    // the same series through the label API (matched once per distinct label set, in slices too)
    const lv = await post(
      be.url,
      '/querier.v1.QuerierService/LabelValues',
      { name: 'service_name', matchers: [sel], start: now - 3_600_000, end: now + 60_000 },
      'regex'
    );
    assert.equal(lv.status, 200);
    assert.deepEqual(((await lv.json()) as { names: string[] }).names, names.slice(0, 5));
  });

  test('-querier.query-timeout is honoured inside the work: a 16 KiB regex over 40 long names gets 504', async () => {
    await pushLongNames(be.url, 'short', 40);
    const now = Date.now();
    const sel = `{service_name=~"${hostileRegex(2300)}"}`;
    assert.ok(sel.length <= 16 * 1024);
    const { result, readyDuring } = await readyWhile(
      be.url,
      post(
        be.url,
        '/querier.v1.QuerierService/SelectMergeStacktraces',
        { profileTypeID: CPU, labelSelector: sel, start: now - 3_600_000, end: now + 60_000 },
        'short'
      )
    );
    assert.equal(result.status, 504);
    const e = await errorOf(result);
    assert.equal(e.code, 'deadline_exceeded');
    assert.match(e.message, /timed out after 0.5s \(querier.query-timeout\)/);
    assert.ok(readyDuring > 0, '/ready was answered while the query ran');
    // the server is free again: a cheap query of the same tenant answers
    const ok = await post(
      be.url,
      '/querier.v1.QuerierService/LabelNames',
      { matchers: [], start: now - 3_600_000, end: now + 60_000 },
      'short'
    );
    assert.equal(ok.status, 200);
  });

  test('selectors over 16 KiB or with more than 64 matchers: 400 naming the cap, on every query route', async () => {
    const now = Date.now();
    const range = { start: now - 3_600_000, end: now + 60_000 };
    const long = `{service_name=~"${'x'.repeat(17 * 1024)}"}`;
    const many = `{${Array.from({ length: 65 }, (_, i) => `l${i}="v"`).join(',')}}`;
    const huge = `{${Array.from({ length: 20_000 }, (_, i) => `l${i}=~"v.*"`).join(',')}}`;
    const cases: Array<[string, unknown, RegExp]> = [
      ['SelectMergeStacktraces', { profileTypeID: CPU, labelSelector: long, ...range }, /max-selector-bytes/],
      [
        'SelectMergeStacktraces',
        { profileTypeID: CPU, labelSelector: many, ...range },
        /65 matchers.*max-selector-matchers/,
      ],
      ['SelectSeries', { profileTypeID: CPU, labelSelector: huge, step: 15, ...range }, /max-selector-bytes/],
      ['LabelNames', { matchers: [many], ...range }, /max-selector-matchers/],
      // the cap counts every selector of a request together
      [
        'Series',
        { matchers: Array.from({ length: 13 }, () => '{a="1",b="2",c="3",d="4",e="5"}'), ...range },
        /65 matchers.*max-selector-matchers/,
      ],
    ];
    for (const [method, body, re] of cases) {
      const r = await post(be.url, `/querier.v1.QuerierService/${method}`, body, 'caps');
      assert.equal(r.status, 400, method);
      const e = await errorOf(r);
      assert.equal(e.code, 'invalid_argument');
      assert.match(e.message, re, method);
    }
    const render = await fetch(
      `${be.url}/pyroscope/render?query=${encodeURIComponent(CPU + many)}&from=now-1h&until=now`,
      { headers: { 'x-scope-orgid': 'caps' } }
    );
    assert.equal(render.status, 400);
    assert.match((await errorOf(render)).message, /max-selector-matchers/);
    // 64 matchers are fine
    const ok = await post(
      be.url,
      '/querier.v1.QuerierService/SelectMergeStacktraces',
      {
        profileTypeID: CPU,
        labelSelector: `{${Array.from({ length: 64 }, (_, i) => `l${i}=""`).join(',')}}`,
        ...range,
      },
      'caps'
    );
    assert.equal(ok.status, 200);
  });
});

describe('hostile bodies: Connect encodings, streamed bounded inflation, the decode budget', () => {
  let be: Child;
  before(async () => {
    be = await startChild(['-storage.backend=filesystem', `-storage.filesystem.dir=${tmp('bts-hostile-body-')}`]);
  });
  after(async () => be?.kill());

  const protoHeaders = { 'content-type': 'application/proto', 'connect-protocol-version': '1' };

  test('Push with Content-Encoding: br is refused before its body is read: 501 unimplemented', async () => {
    const br = brotliCompressSync(Buffer.alloc(16 << 20));
    const r = await answerBeforeBody(
      be.url,
      '/push.v1.PusherService/Push',
      { ...protoHeaders, 'content-encoding': 'br' },
      br
    );
    assert.equal(r.status, 501);
    const e = JSON.parse(r.body) as { code: string; message: string };
    assert.equal(e.code, 'unimplemented');
    assert.match(e.message, /unknown compression "br": supported encodings are gzip/);
    // deflate, zstd alike; identity and gzip are served
    for (const enc of ['deflate', 'zstd']) {
      const x = await answerBeforeBody(
        be.url,
        '/push.v1.PusherService/Push',
        { ...protoHeaders, 'content-encoding': enc },
        br
      );
      assert.equal(x.status, 501, enc);
    }
  });

  test('Push with a gzip body inflating to 1 GiB: stopped at the decode budget, 429 resource_exhausted', async () => {
    const bomb = gzipBomb(1024);
    const send = () =>
      fetch(`${be.url}/push.v1.PusherService/Push`, {
        method: 'POST',
        headers: { ...protoHeaders, 'content-encoding': 'gzip' },
        body: new Uint8Array(bomb),
      });
    const { result, readyDuring } = await readyWhile(be.url, send());
    assert.equal(result.status, 429);
    const e = await errorOf(result);
    assert.equal(e.code, 'resource_exhausted');
    assert.match(e.message, /decode budget \(-distributor.decode-budget-mb\)/);
    assert.ok(readyDuring > 0, '/ready was answered while the body inflated');

    // eight at once: each is stopped at the budget (429) or finds it spent for too long (503 with Retry-After)
    const answers = await Promise.all(Array.from({ length: 8 }, send));
    for (const r of answers) {
      const err = await errorOf(r);
      if (r.status === 503) {
        assert.equal(err.code, 'unavailable');
        assert.ok(Number(r.headers.get('retry-after')) >= 1);
      } else {
        assert.equal(r.status, 429, JSON.stringify(err));
        assert.equal(err.code, 'resource_exhausted');
      }
    }
    // everything drawn from the budget was given back, and a normal Push is served
    assert.equal(await metric(be.url, 'pyroscope_decode_budget_bytes{state="in_use"}'), 0);
    const ok = await push(
      be.url,
      encodePush([
        { labels: { __name__: 'process_cpu', service_name: 'after-bombs' }, samples: [{ raw: tinyPprof() }] },
      ]),
      { gzip: true }
    );
    assert.equal(ok.status, 200);
  });

  test('/ingest with a gzip body inflating to 1 GiB: 413 at the profile size limit, decoded bytes given back', async () => {
    const r = await fetch(`${be.url}/ingest?name=bomb&format=folded`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: new Uint8Array(gzipBomb(1024)),
    });
    assert.equal(r.status, 413);
    assert.match((await errorOf(r)).message, /limit/);
    assert.equal(await metric(be.url, 'pyroscope_decode_budget_bytes{state="in_use"}'), 0);
  });

  test('status codes as Pyroscope answers them, every error a {code, message} body', async () => {
    // an oversized profile in a Push: invalid_argument (not resource_exhausted, which agents retry)
    const big = Buffer.concat([tinyPprof({ gzip: false }), Buffer.alloc(5 << 20)]);
    const over = await push(
      be.url,
      encodePush([{ labels: { __name__: 'process_cpu', service_name: 'big' }, samples: [{ raw: big }] }])
    );
    assert.equal(over.status, 400);
    const oe = await errorOf(over);
    assert.equal(oe.code, 'invalid_argument');
    assert.match(oe.message, /above the limit/);
    // the same profile on /ingest: 413
    const ing = await fetch(`${be.url}/ingest?name=big&format=pprof`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array(big),
    });
    assert.equal(ing.status, 413);
    assert.equal((await errorOf(ing)).code, 'resource_exhausted');
    // a content type or a method Connect does not serve
    const types = await fetch(`${be.url}/querier.v1.QuerierService/LabelNames`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{}',
    });
    assert.equal(types.status, 415);
    assert.match((await errorOf(types)).message, /unsupported content type "text\/plain"/);
    const method = await fetch(`${be.url}/querier.v1.QuerierService/LabelNames`);
    assert.equal(method.status, 405);
    assert.equal((await errorOf(method)).code, 'unimplemented');
    assert.equal(method.headers.get('allow'), 'POST');
    const route = await fetch(`${be.url}/no/such/route`, { method: 'POST', body: 'x' });
    assert.equal(route.status, 404);
    assert.equal((await errorOf(route)).code, 'not_found');
  });
});

describe('hostile senders: a body trickled in', () => {
  let be: Child;
  before(async () => {
    be = await startChild([
      '-storage.backend=filesystem',
      `-storage.filesystem.dir=${tmp('bts-hostile-slow-')}`,
      '-server.http-read-timeout=1s',
    ]);
  });
  after(async () => be?.kill());

  test('a body sent 6 bytes at a time: 408 at -server.http-read-timeout, its budget given back', async () => {
    // the sender keeps trickling until the answer is in (bounded: 600 writes), the body never completes
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${be.url}/push.v1.PusherService/Push`, {
        method: 'POST',
        headers: { 'content-type': 'application/proto', 'connect-protocol-version': '1', 'content-length': '100000' },
      });
      let answered = false;
      req.on('error', (e) => (answered ? undefined : reject(e)));
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c));
        res.on('end', () => {
          answered = true;
          resolve({ status: res.statusCode ?? 0, body });
          req.destroy();
        });
      });
      let writes = 0;
      const trickle = () => {
        if (answered || req.destroyed || writes++ >= 600) {
          return;
        }
        req.write(Buffer.alloc(6, 0x0a));
        setTimeout(trickle, 100);
      };
      trickle();
    });
    const { result, readyDuring } = await readyWhile(be.url, answer);
    assert.equal(result.status, 408);
    const e = JSON.parse(result.body) as { code: string; message: string };
    assert.equal(e.code, 'deadline_exceeded');
    assert.match(e.message, /did not arrive within 1s \(-server.http-read-timeout\)/);
    assert.ok(readyDuring > 0, '/ready was answered while the body trickled in');
    // what the body held is given back once the server gave up on it (settles as the aborted read unwinds)
    let inUse = -1;
    for (let i = 0; i < 100 && inUse !== 0; i++) {
      inUse = await metric(be.url, 'pyroscope_decode_budget_bytes{state="in_use"}');
    }
    assert.equal(inUse, 0);
  });
});

describe('hostile pushes: the rate limiter before decoding, the batch size, label names', () => {
  let be: Child;
  before(async () => {
    const file = join(tmp('bts-hostile-push-'), 'overrides.yaml');
    writeFileSync(
      file,
      'overrides:\n  small:\n    ingestion_body_limit_mb: 1\n  adhoc-big:\n    max_profile_size_bytes: 16777216\n    ingestion_rate_mb: 0.01\n'
    );
    be = await startChild([
      '-storage.backend=filesystem',
      `-storage.filesystem.dir=${tmp('bts-hostile-push-data-')}`,
      '-auth.multitenancy-enabled=true',
      `-runtime-config.file=${file}`,
      '-tenant-settings.max-settings=3',
      '-adhoc-profiles.max-profiles-per-tenant=3',
    ]);
  });
  after(async () => be?.kill());

  const deepBatch = () =>
    encodePush([
      {
        labels: { __name__: 'process_cpu', service_name: 'deep' },
        samples: Array.from({ length: 16 }, () => ({ raw: deepPprof(4_000_000) })),
      },
    ]);

  test('16 RawSamples of 4M-frame stacks: stacks cut while decoding, the next batch 429 before decoding', async () => {
    const body = deepBatch();
    const { result, readyDuring } = await readyWhile(be.url, push(be.url, body, { tenant: 'deep' }));
    assert.equal(result.status, 200, await result.text());
    assert.ok(readyDuring > 0, '/ready was answered while the batch was decoded');
    // stored with the root-most 1,000 frames (-validation.max-profile-stacktrace-depth)
    const now = Date.now();
    const q = await post(
      be.url,
      '/querier.v1.QuerierService/SelectMergeStacktraces',
      { profileTypeID: CPU, labelSelector: '{service_name="deep"}', start: now - 3_600_000, end: now + 60_000 },
      'deep'
    );
    assert.equal(q.status, 200);
    const fg = ((await q.json()) as { flamegraph: { levels: unknown[]; total: string } }).flamegraph;
    assert.equal(Number(fg.total), 16 * 100);
    assert.equal(fg.levels.length, 1 + 1000);
    // the batch took 64 MB of a 4 MiB/s rate: the next one is refused with what it says it inflates to
    const again = await push(be.url, body, { tenant: 'deep' });
    assert.equal(again.status, 429);
    assert.ok(Number(again.headers.get('retry-after')) >= 1, 'Retry-After');
    const e = await errorOf(again);
    assert.equal(e.code, 'resource_exhausted');
    assert.match(e.message, /push rate limit .* exceeded while adding 61\.\d MiB/);
  });

  test('a batch that says it inflates past the request limit: 400 before decoding', async () => {
    const r = await push(be.url, deepBatch(), { tenant: 'small' });
    assert.equal(r.status, 400);
    const e = await errorOf(r);
    assert.equal(e.code, 'invalid_argument');
    assert.match(e.message, /uncompressed batched profile payload size exceeds limit of 1048576 bytes/);
  });

  test('an empty, a non-UTF-8 or a repeated label name: 400, nothing stored', async () => {
    const pair = (k: Buffer, v: Buffer) => new PbWriter().bytes(1, k).bytes(2, v).finish();
    const withLabel = (k: Buffer, v = Buffer.from('v')) =>
      new PbWriter()
        .bytes(
          1,
          new PbWriter()
            .bytes(1, pair(Buffer.from('__name__'), Buffer.from('process_cpu')))
            .bytes(1, pair(Buffer.from('service_name'), Buffer.from('labels')))
            .bytes(1, pair(k, v))
            .bytes(2, new PbWriter().bytes(1, tinyPprof()).finish())
            .finish()
        )
        .finish();
    const cases: Array<[Buffer, RegExp]> = [
      [withLabel(Buffer.alloc(0)), /invalid label name "": label names must not be empty/],
      [withLabel(Buffer.from([0xff, 0xfe, 0x41])), /label names and values.*must be valid UTF-8/],
      [withLabel(Buffer.from('env'), Buffer.from([0xc3])), /must be valid UTF-8/],
      [withLabel(Buffer.from('service_name')), /duplicate label name "service_name"/],
    ];
    for (const [body, re] of cases) {
      const r = await push(be.url, body, { tenant: 'labels' });
      assert.equal(r.status, 400);
      const e = await errorOf(r);
      assert.equal(e.code, 'invalid_argument');
      assert.match(e.message, re);
    }
    // Connect JSON carries a name that cannot be UTF-8 as a lone surrogate
    const json = await fetch(`${be.url}/push.v1.PusherService/Push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-scope-orgid': 'labels' },
      body: `{"series":[{"labels":[{"name":"__name__","value":"process_cpu"},{"name":"\\ud800x","value":"v"}],"samples":[{"rawProfile":"${tinyPprof().toString('base64')}"}]}]}`,
    });
    assert.equal(json.status, 400);
    assert.match((await errorOf(json)).message, /LabelPair\.name.*invalid UTF8/);
    const now = Date.now();
    const names = await post(
      be.url,
      '/querier.v1.QuerierService/LabelValues',
      { name: 'service_name', matchers: [], start: now - 3_600_000, end: now + 60_000 },
      'labels'
    );
    assert.equal(names.status, 200);
    assert.deepEqual(((await names.json()) as { names?: string[] }).names ?? [], []);
  });

  test('ad hoc Upload of a 12 MiB folded file with one 6M-frame stack: 413 at defaults; allowed, cut and kept parsed', async () => {
    const folded = Buffer.from(`${'f;'.repeat(6_300_000 - 1)}f 1\n`);
    assert.ok(folded.length > 12 * 1024 * 1024);
    const upload = (tenant: string, name: string, file: Buffer) =>
      post(be.url, '/adhocprofiles.v1.AdHocProfileService/Upload', { name, profile: file.toString('base64') }, tenant);
    const refused = await upload('adhoc', 'deep.folded', folded);
    assert.equal(refused.status, 400);
    const e = await errorOf(refused);
    assert.match(e.message, /above the ad hoc upload limit of 4194304 bytes \(validation.max-profile-size-bytes\)/);
    // a tenant allowed 16 MiB profiles: parsed once, the stack cut to its root-most 1,000 frames
    const { result, readyDuring } = await readyWhile(be.url, upload('adhoc-big', 'deep.folded', folded));
    assert.equal(result.status, 200, await result.clone().text());
    assert.ok(readyDuring > 0, '/ready was answered while the upload was parsed');
    const up = (await result.json()) as { id: string; flamebearerProfile: string };
    const levels = (fb: string) => (JSON.parse(fb) as { flamebearer: { levels: unknown[] } }).flamebearer.levels.length;
    assert.equal(levels(up.flamebearerProfile), 1 + 1000);
    const got = await post(be.url, '/adhocprofiles.v1.AdHocProfileService/Get', { id: up.id }, 'adhoc-big');
    assert.equal(got.status, 200);
    assert.equal(levels(((await got.json()) as { flamebearerProfile: string }).flamebearerProfile), 1 + 1000);
    // 12 MiB of a 10 KB/s rate (the tenant's override): the next upload waits for the rate, with Retry-After
    const again = await upload('adhoc-big', 'again.folded', folded);
    assert.equal(again.status, 429);
    assert.ok(Number(again.headers.get('retry-after')) >= 1);
    assert.match((await errorOf(again)).message, /rate limit/);
  });

  test('ad hoc uploads past the per-tenant quota: 429 naming the quota, nothing evicted', async () => {
    const upload = (name: string) =>
      post(
        be.url,
        '/adhocprofiles.v1.AdHocProfileService/Upload',
        { name, profile: Buffer.from('main;work 5\n').toString('base64') },
        'adhoc-quota'
      );
    for (const name of ['a', 'b', 'c']) {
      assert.equal((await upload(name)).status, 200);
    }
    const fourth = await upload('d');
    assert.equal(fourth.status, 429);
    const e = await errorOf(fourth);
    assert.equal(e.code, 'resource_exhausted');
    assert.match(e.message, /has 3 ad hoc profiles, its quota \(-adhoc-profiles.max-profiles-per-tenant 3\)/);
    const list = await post(be.url, '/adhocprofiles.v1.AdHocProfileService/List', {}, 'adhoc-quota');
    const names = ((await list.json()) as { profiles: Array<{ name: string }> }).profiles.map((p) => p.name);
    assert.deepEqual(names.sort(), ['a', 'b', 'c']);
  });

  test('settings.v1 Set of 20 MB: 400 naming the value limit; a tenant past its settings count: 429', async () => {
    const set = (name: string, value: string) =>
      post(be.url, '/settings.v1.SettingsService/Set', { setting: { name, value } }, 'settings');
    const { result, readyDuring } = await readyWhile(be.url, set('pluginSettings', 'x'.repeat(20 << 20)));
    assert.equal(result.status, 400);
    const e = await errorOf(result);
    assert.equal(e.code, 'invalid_argument');
    // refused as it is read, before 20 MB of JSON are decoded
    assert.match(e.message, /a value may be 65536 bytes \(-tenant-settings.max-value-bytes\)/);
    assert.ok(readyDuring > 0, '/ready was answered while the body was read');
    const over = await set('pluginSettings', 'x'.repeat(64 * 1024 + 1));
    assert.equal(over.status, 400);
    assert.match(
      (await errorOf(over)).message,
      /value of setting "pluginSettings" is 65537 bytes, above the limit of 65536 bytes/
    );
    // 64 KiB is fine; a 4th setting is not (-tenant-settings.max-settings=3), a changed one is
    for (const name of ['a', 'b', 'c']) {
      assert.equal((await set(name, 'y'.repeat(64 * 1024))).status, 200);
    }
    const fourth = await set('d', 'v');
    assert.equal(fourth.status, 429);
    const q = await errorOf(fourth);
    assert.equal(q.code, 'resource_exhausted');
    assert.match(q.message, /already has 3 settings.*-tenant-settings.max-settings 3/);
    assert.equal((await set('a', 'changed')).status, 200);
    const got = await post(be.url, '/settings.v1.SettingsService/Get', {}, 'settings');
    const names = ((await got.json()) as { settings: Array<{ name: string; value: string }> }).settings;
    assert.deepEqual(
      names.map((x) => [x.name, x.value.length]),
      [
        ['a', 7],
        ['b', 65536],
        ['c', 65536],
      ]
    );
  });
});

describe('JFR size rules as Pyroscope applies them', () => {
  let be: Child;
  before(async () => {
    const file = join(tmp('bts-hostile-jfr-'), 'overrides.yaml');
    writeFileSync(file, 'overrides:\n  tiny:\n    max_profile_size_bytes: 4000\n');
    be = await startChild([
      '-storage.backend=filesystem',
      `-storage.filesystem.dir=${tmp('bts-hostile-jfr-data-')}`,
      '-auth.multitenancy-enabled=true',
      `-runtime-config.file=${file}`,
      // the recordings are larger than Pyroscope's 2 MiB burst: this test is about sizes, not the rate
      '-distributor.ingestion-rate-limit-mb=0',
    ]);
  });
  after(async () => be?.kill());

  const ingestJfr = (tenant: string, jfr: Buffer, name: string) => {
    const form = new FormData();
    form.append('jfr', new Blob([new Uint8Array(jfr)]), 'jfr');
    const now = Math.floor(Date.now() / 1000);
    return fetch(`${be.url}/ingest?name=${name}&format=jfr&spyName=javaspy&from=${now - 10}&until=${now}`, {
      method: 'POST',
      headers: { 'x-scope-orgid': tenant },
      body: form,
    });
  };

  test('an uncompressed multi-chunk recording over 4 MiB is accepted at defaults; gzipped, it inflates past the limit', async () => {
    const jfr = recording(5, 48_000, 8);
    assert.ok(jfr.length > 4 * 1024 * 1024, `${jfr.length} bytes`);
    const { result, readyDuring } = await readyWhile(be.url, ingestJfr('java', jfr, 'big-jfr'));
    assert.equal(result.status, 200, await result.text());
    assert.ok(readyDuring > 0, '/ready was answered while the recording was read');
    const now = Date.now();
    const q = await post(
      be.url,
      '/querier.v1.QuerierService/SelectMergeStacktraces',
      { profileTypeID: CPU, labelSelector: '{service_name="big-jfr"}', start: now - 3_600_000, end: now + 60_000 },
      'java'
    );
    assert.equal(q.status, 200);
    const fg = ((await q.json()) as { flamegraph: { names: string[]; total: string } }).flamegraph;
    assert.equal(Number(fg.total), 5 * 48_000 * 10_000_000);
    assert.equal(fg.names.filter((n) => /work\d$/.test(n)).length, 8);
    // the same recording gzipped: its part inflates past max-profile-size, as Pyroscope refuses it
    const gz = await ingestJfr('java', gzipSync(jfr), 'big-jfr-gz');
    assert.equal(gz.status, 413);
    const e = await errorOf(gz);
    assert.equal(e.code, 'resource_exhausted');
    assert.match(e.message, /jfr uncompressed is above the limit of 4194304 bytes/);
  });

  test('each profile a recording becomes is held to max-profile-size, not the recording', async () => {
    const jfr = recording(1, 2_000, 400);
    const r = await ingestJfr('tiny', jfr, 'wide-jfr');
    assert.equal(r.status, 413);
    assert.match(
      (await errorOf(r)).message,
      /process_cpu profile of the recording is \d+ bytes as pprof, above the limit of 4000 bytes/
    );
    // a recording larger than the limit whose profile is within it is accepted
    const narrow = recording(1, 400, 2);
    assert.ok(narrow.length > 4000);
    assert.equal((await ingestJfr('tiny', narrow, 'narrow-jfr')).status, 200);
  });
});

describe('temporary files of writes killed midway', () => {
  test('removed when the filesystem store starts, unless fresh enough to be another process in flight', async () => {
    const root = tmp('bts-hostile-tmp-');
    const folder = join(root, 'anonymous', 'segments');
    mkdirSync(folder, { recursive: true });
    const stale = join(folder, '.tmp-0123456789ab');
    const fresh = join(folder, '.tmp-ba9876543210');
    const kept = join(folder, 'object.seg');
    for (const f of [stale, fresh, kept]) {
      writeFileSync(f, 'x');
    }
    // ten minutes before the fresh file on the file system's clock (file times are not Date.now(), which a test
    // clock or another host moves)
    const old = new Date(statSync(fresh).mtimeMs - 10 * 60_000);
    utimesSync(stale, old, old);
    utimesSync(kept, old, old);
    await new FilesystemStore(root).init();
    assert.equal(existsSync(stale), false, 'a temporary file of a write killed 10 minutes ago is removed');
    assert.equal(existsSync(fresh), true, 'a fresh one may be in flight');
    assert.equal(existsSync(kept), true);
  });
});
