// `STORAGE=azure npm start`: the same stack with Azurite started by npm start itself; the demo's profiles end up
// as blobs in the pyroscope-data container and are queryable from there.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BlobServiceClient } from '@azure/storage-blob';
import { SERVICES } from '../../demo/src/catalog.js';
import { seriesByService, sleep, startStack, type RunningStack } from './npm-start.js';

let stack: RunningStack;

before(async () => {
  // The Node.js SDK workers are covered by e2e.test.ts; eBPF alone lists every service.
  stack = await startStack({ STORAGE: 'azure', DEMO: '1', DEMO_BACKFILL_MINUTES: '0', DEMO_NODE_SDK: '0' });
});

after(async () => {
  await stack?.stop();
});

test('STORAGE=azure: every service is listed within 60 s, from blobs in the pyroscope-data container', async () => {
  let missing: string[] = [];
  while (Date.now() - stack.readyAt < 60_000) {
    const have = await seriesByService(stack);
    missing = SERVICES.filter((s) => !have.get(s.name)?.has('process_cpu:cpu:nanoseconds:cpu:nanoseconds')).map(
      (s) => s.name
    );
    if (missing.length === 0) {
      break;
    }
    await sleep(2000);
  }
  assert.deepEqual(missing, [], stack.log().slice(-1500));
  assert.match(stack.log(), /storage: azure \(Azurite/);

  const azurite = BlobServiceClient.fromConnectionString(
    'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;' +
      'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;' +
      `BlobEndpoint=http://127.0.0.1:${stack.azuritePort}/devstoreaccount1;`
  );
  const blobs: string[] = [];
  for await (const b of azurite.getContainerClient('pyroscope-data').listBlobsFlat()) {
    blobs.push(b.name);
  }
  assert.ok(
    blobs.some((b) => /^anonymous\/(l0|blocks)\//.test(b)),
    `no segments in pyroscope-data: ${blobs.slice(0, 5).join(', ')}`
  );
});
