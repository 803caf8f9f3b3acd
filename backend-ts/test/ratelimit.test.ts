// -distributor.ingestion-rate-limit-mb / -distributor.ingestion-burst-size-mb: a token bucket per tenant over the
// uncompressed bytes (as Pyroscope counts them). Past the burst, /ingest and Push answer 429 resource_exhausted
// with a Retry-After header that is long enough; tenants have their own buckets; a runtime-config override of 0
// turns the limit off for one tenant.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ingest, sleep, startInProcess, type Running } from './helpers.js';
import { encodePush, push, tinyPprof } from './wire.js';

const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));

describe('-distributor.ingestion-rate-limit-mb: 429 with Retry-After past the rate and burst', () => {
  let be: Running;
  before(async () => {
    const file = join(tmp('bts-rate-'), 'o.yaml');
    writeFileSync(file, 'overrides:\n  vip:\n    ingestion_rate_mb: 0\n');
    // 16 KiB/s with a 32 KiB burst
    be = await startInProcess([
      '-auth.multitenancy-enabled=true',
      `-runtime-config.file=${file}`,
      `-distributor.ingestion-rate-limit-mb=${16 / 1024}`,
      `-distributor.ingestion-burst-size-mb=${32 / 1024}`,
    ]);
  });
  after(async () => be?.stop());

  test('a burst is admitted, then 429 resource_exhausted with Retry-After; after that wait, accepted again', async () => {
    // ~8 KiB of folded text per request (what counts is the uncompressed size)
    const body = Buffer.from(Array.from({ length: 200 }, (_, i) => `main;work;fn_${i}_${'x'.repeat(20)} 1`).join('\n'));
    const q = { format: 'folded', contentType: 'text/plain', tenant: 'busy' };
    let accepted = 0;
    let first: Response | null = null;
    const t0 = performance.now();
    for (let i = 0; i < 20 && !first; i++) {
      const r = await ingest(be.url, body, 'rated.cpu', q);
      if (r.status === 200) {
        accepted++;
      } else {
        first = r;
      }
    }
    assert.ok(first, 'the limit was reached');
    assert.equal(first.status, 429);
    // The bucket refills at 16 KiB/s while the requests run (slowly on a loaded machine): what may be admitted is
    // the burst plus what refilled meanwhile, and one request can find the bucket not yet empty.
    const refilled = (16 * 1024 * (performance.now() - t0)) / 1000;
    const most = Math.floor((32 * 1024 + refilled) / body.length) + 1;
    assert.ok(
      accepted >= 3 && accepted <= most,
      `${accepted} requests of ${body.length} bytes fit a 32 KiB burst (+${Math.round(refilled)} B refilled)`
    );
    const retryAfter = Number(first.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 2, `Retry-After ${retryAfter}`);
    const err = (await first.json()) as { code: string; message: string };
    assert.equal(err.code, 'resource_exhausted');
    assert.match(err.message, /rate limit.*ingestion-rate-limit-mb/);
    // Push answers the same way, with Connect's code and the header
    const pushBody = encodePush([
      // about 6 KiB uncompressed
      {
        labels: { __name__: 'process_cpu', service_name: 'rated' },
        samples: [{ raw: tinyPprof({ fn: 'f'.repeat(6000) }) }],
      },
    ]);
    let pr = await push(be.url, pushBody, { tenant: 'busy' });
    for (let i = 0; i < 200 && pr.status === 200; i++) {
      pr = await push(be.url, pushBody, { tenant: 'busy' });
    }
    assert.equal(pr.status, 429);
    assert.ok(Number(pr.headers.get('retry-after')) >= 1);
    assert.equal(((await pr.json()) as { code: string }).code, 'resource_exhausted');
    // other tenants have their own bucket; an override of 0 disables the limit for one tenant
    assert.equal((await ingest(be.url, body, 'rated.cpu', { ...q, tenant: 'quiet' })).status, 200);
    for (let i = 0; i < 10; i++) {
      assert.equal((await ingest(be.url, body, 'rated.cpu', { ...q, tenant: 'vip' })).status, 200);
    }
    await sleep(retryAfter * 1000);
    assert.equal((await ingest(be.url, body, 'rated.cpu', q)).status, 200, 'accepted after Retry-After');
    console.log(`# rate limit: ${accepted} accepted in the burst, then 429 with Retry-After ${retryAfter}`);
  });
});
