// Every limit is enforced, with per-tenant overrides from the runtime config file re-read while the service runs:
// stack depth (truncated as Pyroscope does), query length and lookback, query timeout (504 deadline_exceeded),
// the cap on concurrent queries (a queue, then 429 past the per-tenant bound). The ingestion rate limit (429 with
// Retry-After) has its own test, ratelimit.test.ts; decompression bounds are in badinput.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../src/config/config.js';
import { createService } from '../src/server.js';
import { FilesystemStore } from '../src/storage/filesystem.js';
import { FaultyStore } from './faultyStore.js';
import { connectJson, ingest, sleep, startInProcess, type Running } from './helpers.js';
import { truncateSymbol, truncateSymbols } from '../src/formats/profileLimits.js';
import type { NormalizedProfile } from '../src/model/profile.js';
import { CPU, encodePush, handPprof, push, tinyPprof } from './wire.js';

const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));

/** A service on a FaultyStore over a temporary folder. */
async function startFaulty(flags: string[]): Promise<Running & { store: FaultyStore }> {
  const dir = tmp('bts-lim-');
  const store = new FaultyStore(new FilesystemStore(dir));
  const cfg = loadConfig(['-storage.backend=filesystem', `-storage.filesystem.dir=${dir}`, ...flags]);
  const svc = await createService(cfg, { logLevel: 'warn', store });
  await svc.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = svc.app.server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, svc, dir, store, stop: () => svc.close() };
}

/** Folded text with one stack of `depth` frames f0 (root) ... f<depth-1> (leaf). */
const deepFolded = (depth: number) => `${Array.from({ length: depth }, (_, i) => `f${i}`).join(';')} 5\n`;

async function flameNames(url: string, service: string, tenant?: string): Promise<{ names: string[]; depth: number }> {
  const now = Date.now();
  const r = await connectJson<{ flamegraph?: { names: string[]; levels: unknown[] } }>(
    url,
    'SelectMergeStacktraces',
    {
      profileTypeID: CPU,
      labelSelector: `{service_name="${service}"}`,
      start: now - 3_600_000,
      end: now + 60_000,
      maxNodes: 100_000,
    },
    { tenant }
  );
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return { names: r.json.flamegraph?.names ?? [], depth: (r.json.flamegraph?.levels.length ?? 1) - 1 };
}

describe('per-tenant overrides from -runtime-config.file, re-read while running', () => {
  let be: Running;
  let file: string;
  before(async () => {
    file = join(tmp('bts-rt-'), 'overrides.yaml');
    writeFileSync(
      file,
      'overrides:\n  small:\n    max_label_value_length: 5\n    max_profile_stacktrace_depth: 10\n  other-key:\n    max_sessions_per_series: 3\n'
    );
    be = await startInProcess([
      '-auth.multitenancy-enabled=true',
      `-runtime-config.file=${file}`,
      '-runtime-config.reload-period=100ms',
    ]);
  });
  after(async () => be?.stop());

  test('an override applies to its tenant only', async () => {
    const r = await ingest(be.url, tinyPprof(), 'app{k=toolongvalue}', { tenant: 'small' });
    assert.equal(r.status, 400);
    assert.match(((await r.json()) as { message: string }).message, /max-length-label-value/);
    assert.equal((await ingest(be.url, tinyPprof(), 'app{k=toolongvalue}', { tenant: 'big' })).status, 200);
  });

  test('a changed file takes effect within the reload period; a broken one keeps the last good overrides', async () => {
    writeFileSync(file, 'overrides:\n  small:\n    max_label_value_length: 50\n');
    const t0 = Date.now();
    let status = 0;
    while (Date.now() - t0 < 5000) {
      status = (await ingest(be.url, tinyPprof(), 'app{k=toolongvalue}', { tenant: 'small' })).status;
      if (status === 200) {
        break;
      }
      await sleep(50);
    }
    assert.equal(status, 200, 'the new override applies');
    console.log(`# runtime config reloaded in ${Date.now() - t0} ms`);
    const reloads = be.svc.overrides.reloads;
    writeFileSync(file, 'overrides:\n  small:\n    max_label_value_lenght: 1\n');
    await sleep(400);
    assert.equal(be.svc.overrides.reloads, reloads, 'a file with a misspelt limit is not applied');
    assert.equal((await ingest(be.url, tinyPprof(), 'app{k=toolongvalue}', { tenant: 'small' })).status, 200);
  });

  test('a broken runtime config file stops the start-up with a message naming the key', async () => {
    const bad = join(tmp('bts-rt-'), 'bad.yaml');
    writeFileSync(bad, 'overrides:\n  t:\n    ingestion_rate_mbb: 1\n');
    await assert.rejects(
      startInProcess([`-runtime-config.file=${bad}`]),
      /overrides\.t: unknown limit "ingestion_rate_mbb" \(did you mean "ingestion_rate_mb"\?\)/
    );
    writeFileSync(bad, 'overrides:\n  t:\n    max_query_length: soon\n');
    await assert.rejects(startInProcess([`-runtime-config.file=${bad}`]), /overrides\.t\.max_query_length/);
  });
});

describe('-validation.max-profile-stacktrace-depth truncates deeper stacks, keeping the root side', () => {
  let be: Running;
  before(async () => {
    const file = join(tmp('bts-depth-'), 'o.yaml');
    writeFileSync(file, 'overrides:\n  shallow:\n    max_profile_stacktrace_depth: 10\n');
    be = await startInProcess(['-auth.multitenancy-enabled=true', `-runtime-config.file=${file}`]);
  });
  after(async () => be?.stop());

  test('default 1000: a 1500-deep stack keeps frames f0..f999; a tenant override of 10 keeps f0..f9', async () => {
    const body = Buffer.from(deepFolded(1500));
    const q = { format: 'folded', contentType: 'text/plain' };
    assert.equal((await ingest(be.url, body, 'deep.cpu', { ...q, tenant: 'normal' })).status, 200);
    assert.equal((await ingest(be.url, body, 'deep.cpu', { ...q, tenant: 'shallow' })).status, 200);
    const normal = await flameNames(be.url, 'deep', 'normal');
    assert.equal(normal.depth, 1000);
    assert.ok(normal.names.includes('f0') && normal.names.includes('f999'));
    assert.ok(!normal.names.includes('f1000') && !normal.names.includes('f1499'));
    const shallow = await flameNames(be.url, 'deep', 'shallow');
    assert.equal(shallow.depth, 10);
    assert.deepEqual(
      shallow.names.filter((n) => n !== 'total').sort(),
      Array.from({ length: 10 }, (_, i) => `f${i}`).sort()
    );
    // a stack within the limit is untouched
    assert.equal(
      (await ingest(be.url, Buffer.from(deepFolded(8)), 'flat.cpu', { ...q, tenant: 'shallow' })).status,
      200
    );
    assert.equal((await flameNames(be.url, 'flat', 'shallow')).depth, 8);
    assert.match(await (await fetch(`${be.url}/metrics`)).text(), /pyroscope_truncated_stacktraces 2/);
  });
});

describe('query limits: length, lookback, timeout, concurrency', () => {
  let be: Running & { store: FaultyStore };
  const now = Date.now();
  const select = (extra: Record<string, unknown> = {}, tenant = 't') =>
    connectJson<{ code?: string; message?: string; flamegraph?: { total?: string } }>(
      be.url,
      'SelectMergeStacktraces',
      { profileTypeID: CPU, labelSelector: '{}', start: Date.now() - 3_600_000, end: Date.now() + 60_000, ...extra },
      { tenant }
    );
  before(async () => {
    const file = join(tmp('bts-q-'), 'o.yaml');
    writeFileSync(
      file,
      'overrides:\n  patient:\n    query_timeout: 30s\n  queued:\n    query_timeout: 30s\n  short:\n    max_query_length: 1h\n'
    );
    be = await startFaulty([
      '-auth.multitenancy-enabled=true',
      `-runtime-config.file=${file}`,
      '-querier.query-timeout=300ms',
      '-querier.max-concurrent=1',
      '-query-scheduler.max-outstanding-requests-per-tenant=2',
      '-querier.max-query-lookback=2h',
    ]);
    // a few objects per tenant, written by separate requests so that a query reads several
    for (const tenant of ['t', 'patient', 'short', 'queued']) {
      for (let i = 0; i < 4; i++) {
        const body = encodePush([
          { labels: { __name__: 'process_cpu', service_name: `q${i}` }, samples: [{ raw: tinyPprof() }] },
        ]);
        assert.equal((await push(be.url, body, { tenant })).status, 200);
      }
    }
  });
  after(async () => be?.stop());

  test('max query length (per tenant) is a 400 naming the limit; a range past the lookback selects nothing', async () => {
    const long = await select({ start: now - 3 * 3_600_000, end: now }, 'short');
    assert.equal(long.status, 400);
    assert.match(long.json.message ?? '', /max-query-length/);
    assert.equal((await select({ start: now - 3 * 3_600_000, end: now }, 't')).status, 200);
    const old = await select({ start: now - 10 * 3_600_000, end: now - 5 * 3_600_000 }, 't');
    assert.equal(old.status, 200);
    assert.equal(Number(old.json.flamegraph?.total ?? 0), 0);
  });

  test('a query slower than -querier.query-timeout answers 504 deadline_exceeded, on Connect and on render', async () => {
    be.store.faults.readDelayMs = 400;
    try {
      const t0 = Date.now();
      const r = await select({}, 't');
      const ms = Date.now() - t0;
      assert.equal(r.status, 504, JSON.stringify(r.json));
      assert.equal(r.json.code, 'deadline_exceeded');
      assert.match(r.json.message ?? '', /query-timeout/);
      // no bound on ms: the 504 with deadline_exceeded is the timeout firing (a query that ran to its end would
      // answer 200), and a wall-clock bound only measures how busy the machine is
      const q = new URLSearchParams({ query: `${CPU}{}`, from: 'now-1h', until: 'now' });
      const render = await fetch(`${be.url}/pyroscope/render?${q}`, { headers: { 'x-scope-orgid': 't' } });
      assert.equal(render.status, 504);
      assert.equal(((await render.json()) as { code: string }).code, 'deadline_exceeded');
      // the tenant with a longer timeout gets its answer
      const patient = await select({}, 'patient');
      assert.equal(patient.status, 200, JSON.stringify(patient.json));
      assert.equal(Number(patient.json.flamegraph?.total), 4);
      console.log(`# query timeout: 504 after ${ms} ms; ${be.svc.gate.stats.timedOut} timed out`);
      const metrics = await (await fetch(`${be.url}/metrics`)).text();
      assert.match(metrics, /pyroscope_query_gate_queries\{outcome="timedOut"\} [1-9]/);
    } finally {
      be.store.faults.readDelayMs = 0;
    }
  });

  test('-querier.max-concurrent=1 queues queries; past the per-tenant bound a query gets 429 with Retry-After', async () => {
    be.store.faults.readDelayMs = 150;
    // wait for the slow queries of the previous test to let go of the slot
    for (let i = 0; i < 100 && (be.svc.gate as unknown as { running: number }).running > 0; i++) {
      await sleep(50);
    }
    try {
      const queued0 = be.svc.gate.stats.queued;
      const patient = () => select({}, 'queued');
      const results = await Promise.all([patient(), patient(), patient(), patient(), patient()]);
      const statuses = results.map((r) => r.status).sort();
      // one runs, two wait, the other two are refused at once
      assert.deepEqual(statuses, [200, 200, 200, 429, 429], JSON.stringify(results.map((r) => r.json)));
      const refused = results.find((r) => r.status === 429)!;
      assert.equal(refused.json.code, 'resource_exhausted');
      assert.match(refused.json.message ?? '', /max-outstanding-requests-per-tenant/);
      assert.equal(be.svc.gate.stats.queued - queued0, 2);
      for (const r of results.filter((x) => x.status === 200)) {
        assert.equal(Number(r.json.flamegraph?.total), 4, 'queued queries answer in full');
      }
      // Retry-After on the 429, as a header
      const all = await Promise.all(
        Array.from({ length: 4 }, () =>
          fetch(`${be.url}/querier.v1.QuerierService/LabelNames`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-scope-orgid': 'queued' },
            body: JSON.stringify({ start: now - 3_600_000, end: now + 60_000 }),
          })
        )
      );
      const limited = all.find((r) => r.status === 429);
      assert.ok(limited, `statuses ${all.map((r) => r.status)}`);
      assert.equal(limited.headers.get('retry-after'), '1');
      await Promise.all(all.map((r) => r.arrayBuffer()));
    } finally {
      be.store.faults.readDelayMs = 0;
    }
  });
});

describe('-validation.max-profile-symbol-value-length truncates strings, keeping their end, as Pyroscope', () => {
  test('a cut keeps the last N bytes of UTF-8 and never splits a character', () => {
    assert.equal(truncateSymbol('github.com/a/b.(*T).Method', 8), ').Method');
    assert.equal(truncateSymbol('short', 8), 'short');
    assert.equal(truncateSymbol('x'.repeat(100), 0), 'x'.repeat(100), '0 = no limit');
    // é is 2 bytes: 9 bytes hold 4 of them, not 4.5
    assert.equal(truncateSymbol('aéééééé', 9), 'éééé');
    // 😀 is a surrogate pair, 4 bytes: kept whole or not at all
    assert.equal(truncateSymbol('a😀b😀', 6), 'b😀');
    assert.equal(truncateSymbol('a😀b😀', 4), '😀');
    assert.equal(truncateSymbol('a😀b😀', 3), '');
  });

  test('every string of a profile is cut: function names, file names, sample types', () => {
    const long = 'pkg.'.repeat(10) + 'Method';
    const p: NormalizedProfile = {
      strings: ['', long, `src/${'dir/'.repeat(10)}file.go`, 'ok'],
      fnName: Int32Array.of(1),
      fnSystemName: Int32Array.of(3),
      fnFilename: Int32Array.of(2),
      fnStartLine: Int32Array.of(0),
      frameFn: Int32Array.of(0),
      frameLine: Int32Array.of(1),
      stackOffsets: Int32Array.of(0, 1),
      stackFrames: Int32Array.of(0),
      sampleTypes: [{ type: 'cpu', unit: 'nanoseconds' }],
      periodType: { type: 'cpu', unit: 'nanoseconds' },
      period: 1,
      sampleStack: Int32Array.of(0),
      sampleValues: [Float64Array.of(1)],
      sampleLabelSet: Int32Array.of(0),
      sampleSpan: Int32Array.of(0),
      labelSets: [[]],
      timeMs: 0,
      durationNanos: 0,
    };
    assert.equal(truncateSymbols(p, 10), 4);
    assert.deepEqual(p.strings, ['', 'pkg.Method', 'ir/file.go', 'ok']);
    assert.deepEqual(p.sampleTypes, [{ type: 'cpu', unit: 'anoseconds' }]);
    assert.equal(truncateSymbols(p, 10), 0, 'a second pass finds nothing to cut');
  });
});

describe('symbol length and samples count limits on ingest and on ad hoc uploads', () => {
  let be: Running;
  const NARROW = 'narrow';
  before(async () => {
    const file = join(tmp('bts-sym-'), 'o.yaml');
    writeFileSync(
      file,
      `overrides:\n  ${NARROW}:\n    max_profile_symbol_value_length: 16\n    max_profile_stacktrace_samples: 3\n`
    );
    be = await startInProcess(['-auth.multitenancy-enabled=true', `-runtime-config.file=${file}`]);
  });
  after(async () => be?.stop());

  const folded = { format: 'folded', contentType: 'text/plain' };
  const adhoc = (tenant: string, name: string, file: Buffer) =>
    connectJson<{ code?: string; message?: string; flamebearerProfile?: string }>(
      be.url,
      'Upload',
      { name, profile: file.toString('base64') },
      { service: 'adhocprofiles.v1.AdHocProfileService', tenant }
    );
  const adhocNames = (r: { flamebearerProfile?: string }) =>
    (JSON.parse(r.flamebearerProfile ?? '{}') as { flamebearer: { names: string[] } }).flamebearer.names;

  test('ingest: a 70,000-character function name keeps its last 65535 characters at the default; 16 for a tenant', async () => {
    const name = `${'a'.repeat(70_000 - 'Method'.length)}Method`;
    const body = Buffer.from(`main;${name} 5\n`);
    assert.equal((await ingest(be.url, body, 'longname.cpu', { ...folded, tenant: 'wide' })).status, 200);
    const wide = await flameNames(be.url, 'longname', 'wide');
    assert.ok(wide.names.includes(name.slice(-65535)), 'the last 65535 characters are kept');
    assert.ok(!wide.names.includes(name));
    assert.ok(wide.names.includes('main'), 'a short name is untouched');

    assert.equal((await ingest(be.url, body, 'longname.cpu', { ...folded, tenant: NARROW })).status, 200);
    assert.deepEqual(
      (await flameNames(be.url, 'longname', NARROW)).names.sort(),
      [name.slice(-16), 'main', 'total'].sort()
    );
    assert.match(await (await fetch(`${be.url}/metrics`)).text(), /pyroscope_truncated_symbols 2/);
  });

  test('Push: a pprof function name is cut in the decoded profile (worker pool or not) as on /ingest', async () => {
    const name = `${'x'.repeat(40)}.(*Server).Handle`;
    const raw = handPprof({
      sampleTypes: [['cpu', 'nanoseconds']],
      periodType: ['cpu', 'nanoseconds'],
      period: 10_000_000,
      samples: [{ stack: [name, 'main'], values: [100] }],
      gzip: true,
    });
    const r = await push(
      be.url,
      encodePush([{ labels: { service_name: 'pushlong', __name__: 'process_cpu' }, samples: [{ raw }] }]),
      {
        tenant: NARROW,
      }
    );
    assert.equal(r.status, 200, await r.text());
    assert.deepEqual(
      (await flameNames(be.url, 'pushlong', NARROW)).names.sort(),
      [name.slice(-16), 'main', 'total'].sort()
    );
  });

  test('Push: more samples than -validation.max-profile-stacktrace-samples (16000) is 400 invalid_argument, nothing stored', async () => {
    const profile = (n: number) =>
      handPprof({
        sampleTypes: [['cpu', 'nanoseconds']],
        periodType: ['cpu', 'nanoseconds'],
        period: 10_000_000,
        samples: Array.from({ length: n }, (_, i) => ({ stack: ['main'], values: [i + 1] })),
        gzip: true,
      });
    const send = (service: string, n: number) =>
      push(
        be.url,
        encodePush([{ labels: { service_name: service, __name__: 'process_cpu' }, samples: [{ raw: profile(n) }] }]),
        {
          tenant: 'wide',
        }
      );
    const over = await send('toomany', 16_001);
    assert.equal(over.status, 400);
    const body = (await over.json()) as { code: string; message: string };
    assert.equal(body.code, 'invalid_argument');
    assert.match(
      body.message,
      /exceeds the samples count limit \(max_profile_stacktrace_samples, actual: 16001, limit: 16000\)/
    );
    assert.match(body.message, /service_name="toomany"/);
    assert.deepEqual((await flameNames(be.url, 'toomany', 'wide')).names, ['total'], 'an empty graph');
    const at = await send('atlimit', 16_000);
    assert.equal(at.status, 200, await at.text());
    assert.ok((await flameNames(be.url, 'atlimit', 'wide')).names.includes('main'));
  });

  test('/ingest: a tenant limit of 3 samples refuses 4 distinct folded stacks (400) and takes 3 (repeats are one)', async () => {
    const four = Buffer.from('a;b 1\na;c 1\na;d 1\na;e 1\n');
    const r = await ingest(be.url, four, 'fourstacks.cpu', { ...folded, tenant: NARROW });
    assert.equal(r.status, 400);
    const body = (await r.json()) as { code: string; message: string };
    assert.equal(body.code, 'invalid_argument');
    assert.match(body.message, /max_profile_stacktrace_samples, actual: 4, limit: 3/);
    assert.deepEqual((await flameNames(be.url, 'fourstacks', NARROW)).names, ['total'], 'an empty graph');
    const three = Buffer.from('a;b 1\na;c 1\na;d 1\na;b 2\n');
    assert.equal((await ingest(be.url, three, 'threestacks.cpu', { ...folded, tenant: NARROW })).status, 200);
    assert.deepEqual((await flameNames(be.url, 'threestacks', NARROW)).names.sort(), ['a', 'b', 'c', 'd', 'total']);
  });

  test('ad hoc: names cut to the tenant limit in folded, pprof and flamebearer JSON; too many samples is 400', async () => {
    const long = `${'y'.repeat(30)}EndOfName`;
    const f = await adhoc(NARROW, 'long.folded', Buffer.from(`main;${long} 3\n`));
    assert.equal(f.status, 200, JSON.stringify(f.json));
    assert.deepEqual(adhocNames(f.json).sort(), [long.slice(-16), 'main', 'total'].sort());

    const pp = handPprof({
      sampleTypes: [['cpu', 'nanoseconds']],
      samples: [{ stack: [long, 'main'], values: [7] }],
    });
    const p = await adhoc(NARROW, 'long.pb', pp);
    assert.equal(p.status, 200, JSON.stringify(p.json));
    assert.deepEqual(adhocNames(p.json).sort(), [long.slice(-16), 'main', 'total'].sort());

    // the untruncated graph, uploaded as JSON by a tenant at the default, then by the narrow one
    const wide = await adhoc('wide', 'long.pb', pp);
    assert.ok(adhocNames(wide.json).includes(long));
    const j = await adhoc(NARROW, 'render.json', Buffer.from(wide.json.flamebearerProfile!));
    assert.equal(j.status, 200, JSON.stringify(j.json));
    assert.deepEqual(adhocNames(j.json).sort(), [long.slice(-16), 'main', 'total'].sort());

    const fourFolded = await adhoc(NARROW, 'four.folded', Buffer.from('a;b 1\na;c 1\na;d 1\na;e 1\n'));
    const fourPprof = await adhoc(
      NARROW,
      'four.pb',
      handPprof({
        sampleTypes: [['cpu', 'nanoseconds']],
        samples: [1, 2, 3, 4].map((v) => ({ stack: ['main'], values: [v] })),
      })
    );
    const wideFour = await adhoc('wide', 'four.folded', Buffer.from('a;b 1\na;c 1\na;d 1\na;e 1\n'));
    const fourJson = await adhoc(NARROW, 'four.json', Buffer.from(wideFour.json.flamebearerProfile!));
    for (const [r, n] of [
      [fourFolded, 4],
      [fourPprof, 4],
      [fourJson, 4],
    ] as const) {
      assert.equal(r.status, 400, JSON.stringify(r.json));
      assert.equal(r.json.code, 'invalid_argument');
      assert.match(r.json.message ?? '', new RegExp(`max_profile_stacktrace_samples, actual: ${n}, limit: 3`));
    }
    const list = await connectJson<{ profiles?: Array<{ name: string }> }>(
      be.url,
      'List',
      {},
      { service: 'adhocprofiles.v1.AdHocProfileService', tenant: NARROW }
    );
    assert.deepEqual(list.json.profiles?.map((x) => x.name).sort(), ['long.folded', 'long.pb', 'render.json']);
  });
});
