// Which refusals from Azure are write conditions (ConflictError: "already exists", an ETag that moved, a held
// lease) and which are the store refusing the write (StoreUnavailableError, a 503 for the client). Azure and
// Azurite use 409 for both: Azurite answers every write with 409 MemoryExtentStoreAtSizeLimit once its in-memory
// store is full, and taking that for "already exists" made the segment writer read back objects that were never
// written (the 100x bench's thousands of "exists but does not answer its read back" 503s).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AzureStore } from '../src/storage/azure.js';
import { ConflictError, StoreUnavailableError } from '../src/storage/objectStore.js';
import { startAzurite, startInProcess, type Azurite, type Running } from './helpers.js';
import { tinyPprof } from './wire.js';

const storeOn = (az: Azurite, containerName: string) =>
  new AzureStore({
    accountName: '',
    accountKey: '',
    connectionString: az.connectionString,
    containerName,
    endpointSuffix: '',
    maxRetries: 0,
  });

describe('write conditions on Azure are conflicts', () => {
  let az: Azurite;
  let store: AzureStore;
  before(async () => {
    az = await startAzurite();
    store = storeOn(az, 'conditions');
    await store.init();
  });
  after(() => az.stop());

  test('"already exists" (409 BlobAlreadyExists) and a moved ETag (412) are ConflictError; a held lease is null', async () => {
    const v1 = await store.put('a', Buffer.from('one'), { ifAbsent: true });
    await assert.rejects(store.put('a', Buffer.from('two'), { ifAbsent: true }), ConflictError);
    await store.put('a', Buffer.from('three'), { ifVersion: v1 });
    await assert.rejects(store.put('a', Buffer.from('four'), { ifVersion: v1 }), ConflictError);
    const held = await store.lease('locks/x', 15_000);
    assert.ok(held);
    assert.equal(await store.lease('locks/x', 15_000), null, 'a second acquirer while the lease is held');
    await held.release();
  });
});

describe('a full store refuses writes: unavailable, not a conflict', () => {
  let az: Azurite;
  let store: AzureStore;
  let backend: Running | undefined;
  before(async () => {
    // room for no more than a few KiB of blob bytes
    az = await startAzurite(undefined, undefined, { extentMemoryLimitMb: 0.004 });
    store = storeOn(az, 'full');
    await store.init();
  });
  after(async () => {
    await backend?.stop();
    await az.stop();
  });

  test('409 MemoryExtentStoreAtSizeLimit is StoreUnavailableError naming the reason', async () => {
    const big = Buffer.alloc(64 * 1024, 1);
    for (const write of [() => store.put('x', big, { ifAbsent: true }), () => store.put('y', big)]) {
      await assert.rejects(write(), (e: Error) => {
        assert.ok(e instanceof StoreUnavailableError, `${e.name}: ${e.message}`);
        assert.match(e.message, /MemoryExtentStoreAtSizeLimit|size limit/i);
        return true;
      });
    }
  });

  test('a push the store refuses is a 503 with the store’s reason, never "exists but does not answer"', async () => {
    backend = await startInProcess([
      '-storage.backend=azure',
      `-storage.azure.connection-string=${az.connectionString}`,
      '-storage.azure.container-name=full',
      '-storage.azure.max-retries=0',
      '-compactor.compaction-interval=0',
    ]);
    // a function name longer than the room left: the segment cannot fit
    const body = tinyPprof({ fn: `main.${'x'.repeat(16 * 1024)}` });
    const r = await fetch(`${backend.url}/ingest?name=full-store&format=pprof`, {
      method: 'POST',
      body: new Uint8Array(body),
    });
    const text = await r.text();
    assert.equal(r.status, 503, text);
    assert.match(text, /MemoryExtentStoreAtSizeLimit|size limit/i);
    assert.doesNotMatch(text, /does not answer its read back/);
  });
});
