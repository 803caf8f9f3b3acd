// AzureStore reads blobs through the container's pipeline without the SDK's download models (storage/azure.ts
// says why). Against a real Azurite each read must give what the SDK gives: whole blobs, ranges (one running past
// the end gives the bytes there are, one starting past it none), versions as the SDK reports ETags, 304 as
// unchanged, a missing blob as not found, keys that need escaping, and a failure as StoreUnavailableError.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BlobServiceClient } from '@azure/storage-blob';
import { AzureStore } from '../src/storage/azure.js';
import { NotFoundError, StoreUnavailableError } from '../src/storage/objectStore.js';
import { startAzurite, type Azurite } from './helpers.js';

describe('reading Azure blobs without the SDK download models', () => {
  let az: Azurite;
  let store: AzureStore;
  before(async () => {
    az = await startAzurite();
    store = new AzureStore({
      accountName: '',
      accountKey: '',
      connectionString: az.connectionString,
      containerName: 'reads',
      endpointSuffix: '',
      maxRetries: 1,
    });
    await store.init();
  });
  after(() => az.stop());

  const bytes = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

  test('whole blobs and ranges, as the SDK reads them', async () => {
    const sdk = BlobServiceClient.fromConnectionString(az.connectionString).getContainerClient('reads');
    // the second and third keys need escaping in a URL (and in the signature's canonical resource)
    for (const key of ['t/l0/29000000/a-segment', "tenant!*'()/l0/x y+z/%41-é", 'deep/a/b/c/d/e/f']) {
      const data = bytes(1000, key.length);
      await store.put(key, data);
      assert.deepEqual(await store.get(key), data, key);
      assert.deepEqual(await store.getRange(key, 0, 100), data.subarray(0, 100));
      assert.deepEqual(await store.getRange(key, 400, 200), data.subarray(400, 600));
      assert.deepEqual(await store.getRange(key, 900, 500), data.subarray(900), 'a range past the end');
      assert.equal((await store.getRange(key, 1000, 10)).length, 0, 'a range starting at the end');
      assert.equal((await store.getRange(key, 5000, 10)).length, 0, 'a range starting past the end');
      assert.deepEqual(await sdk.getBlobClient(key).downloadToBuffer(), data, 'the SDK reads the same blob');
    }
    // an empty blob
    await store.put('t/empty', Buffer.alloc(0));
    assert.equal((await store.get('t/empty')).length, 0);
    assert.equal((await store.getRange('t/empty', 0, 10)).length, 0);
  });

  test('versions: the ETag the SDK reports, 304 as unchanged, a new write as a new version', async () => {
    const key = 't/index/head.json';
    const v1 = await store.put(key, Buffer.from('{"w":1}'), { ifAbsent: true });
    const got = await store.getVersioned(key);
    assert.ok(got);
    assert.equal(got.data.toString(), '{"w":1}');
    assert.equal(got.version, v1, 'the version of the write');
    assert.equal(await store.getIfChanged(key, got.version), 'unchanged');
    const v2 = await store.put(key, Buffer.from('{"w":2}'), { ifVersion: got.version });
    const changed = await store.getIfChanged(key, got.version);
    assert.ok(changed !== 'unchanged' && changed !== null);
    assert.equal(changed.data.toString(), '{"w":2}');
    assert.equal(changed.version, v2);
    // the version read back works as a condition of the next write
    await store.put(key, Buffer.from('{"w":3}'), { ifVersion: changed.version });
    assert.equal((await store.get(key)).toString(), '{"w":3}');
  });

  test('a missing blob is not found (null where the interface says so)', async () => {
    await assert.rejects(store.get('t/none'), NotFoundError);
    await assert.rejects(store.getRange('t/none', 0, 10), NotFoundError);
    assert.equal(await store.getVersioned('t/none'), null);
    assert.equal(await store.getIfChanged('t/none', '"0x1"'), null);
  });

  test('a read the account refuses is StoreUnavailableError, with Azure’s reason', async () => {
    const wrongKey = az.connectionString.replace(
      /AccountKey=[^;]+/,
      `AccountKey=${Buffer.alloc(64, 1).toString('base64')}`
    );
    const bad = new AzureStore({
      accountName: '',
      accountKey: '',
      connectionString: wrongKey,
      containerName: 'reads',
      endpointSuffix: '',
      maxRetries: 0,
    });
    await store.put('t/guarded', Buffer.from('x'));
    for (const read of [
      () => bad.get('t/guarded'),
      () => bad.getRange('t/guarded', 0, 1),
      () => bad.getVersioned('t/guarded'),
      () => bad.getIfChanged('t/guarded', '"0x1"'),
    ]) {
      await assert.rejects(read(), (e: Error) => e instanceof StoreUnavailableError && /403/.test(e.message));
    }
  });
});
