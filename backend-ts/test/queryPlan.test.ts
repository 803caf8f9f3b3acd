// The seam the query-execution design needs: a select query's plan is plain data (it survives structured
// cloning, as a message to a worker thread would, and JSON), and it names the objects the query reads.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ingest, startInProcess, type Running } from './helpers.js';
import { CPU, tinyPprof } from './wire.js';

let be: Running;
before(async () => {
  be = await startInProcess();
});
after(async () => be?.stop());

test('a query plan is plain data that names the objects read', async () => {
  const now = Date.now();
  for (const svc of ['plan-a', 'plan-b']) {
    const r = await ingest(be.url, tinyPprof({ fn: `${svc}.work` }), `${svc}{env=test}`, { format: 'pprof' });
    assert.equal(r.status, 200);
  }
  const params = {
    profileType: CPU,
    selector: '{service_name=~"plan-.*"}',
    start: now - 3_600_000,
    end: now + 60_000,
    spans: [],
  };
  const plan = await be.svc.querier.plan('anonymous', params);
  assert.deepEqual(structuredClone(plan), plan);
  assert.deepEqual(JSON.parse(JSON.stringify(plan)), plan);
  assert.equal(plan.profileType, CPU);
  assert.ok(plan.objects.length >= 1, 'the plan lists the stored objects');
  const { stats } = await be.svc.querier.selectMergeTree('anonymous', params);
  assert.equal(stats.objectsListed, plan.objects.length);
});
