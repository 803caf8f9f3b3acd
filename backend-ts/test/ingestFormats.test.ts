// The text formats and OTLP through the HTTP routes agents use, read back over the query API.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connectJson, ingest, startInProcess, type Running } from './helpers.js';

let be: Running;
before(async () => {
  be = await startInProcess();
});
after(async () => be?.stop());

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
