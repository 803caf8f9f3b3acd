// AzureStore.list reads List Blobs pages itself (names and sizes only; storage/azure.ts says why). Against a real
// Azurite it must list exactly what the SDK lists, across pages and for names XML and URLs must escape; the page
// parser must undo XML entities and Azure's percent-encoding of names (Encoded="true").
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BlobServiceClient } from '@azure/storage-blob';
import { AzureStore, parseListPage } from '../src/storage/azure.js';
import type { ObjectInfo } from '../src/storage/objectStore.js';
import { startAzurite, type Azurite } from './helpers.js';

describe('listing Azure blobs without the SDK mapper', () => {
  let az: Azurite;
  before(async () => {
    az = await startAzurite();
  });
  after(() => az.stop());

  test('the same names and sizes as the SDK, across pages, for names that need escaping', async () => {
    const store = new AzureStore({
      accountName: '',
      accountKey: '',
      connectionString: az.connectionString,
      containerName: 'listing',
      endpointSuffix: '',
      maxRetries: 1,
      listPageSize: 10,
    });
    await store.init();
    const names = Array.from({ length: 25 }, (_, i) => `p/${i} a&b<c>'"ü😀%20+=?#/x${i}.seg`);
    for (const [i, n] of names.entries()) {
      await store.put(n, Buffer.alloc(i + 1));
    }
    await store.put('q/other', Buffer.alloc(3));
    const sdk: ObjectInfo[] = [];
    const container = BlobServiceClient.fromConnectionString(az.connectionString).getContainerClient('listing');
    for await (const b of container.listBlobsFlat({ prefix: 'p/' })) {
      sdk.push({ key: b.name, size: b.properties.contentLength ?? 0 });
    }
    const ours = await store.list('p/');
    assert.equal(ours.length, 25);
    assert.deepEqual(ours, sdk);
    assert.deepEqual(new Set(ours.map((o) => o.key)), new Set(names));
    assert.deepEqual(await store.list('nothing/'), []);
    assert.deepEqual(await store.list(''), [...sdk, { key: 'q/other', size: 3 }]);
  });

  test('a page: entities, encoded names, the next marker', () => {
    const out: ObjectInfo[] = [];
    const next = parseListPage(
      '<?xml version="1.0" encoding="utf-8"?><EnumerationResults><Blobs>' +
        '<Blob><Name>a&amp;b&lt;&#233;&#x1F600;</Name><Properties><Content-Length>12</Content-Length></Properties></Blob>' +
        '<Blob><Name Encoded="true">x%0Ay%EF%BF%BE</Name><Properties><Content-Length>0</Content-Length></Properties></Blob>' +
        '</Blobs><NextMarker>2!80!MDAwMDE2IWEmYg--</NextMarker></EnumerationResults>',
      out
    );
    assert.deepEqual(out, [
      { key: 'a&b<é😀', size: 12 },
      { key: 'x\ny\uFFFE', size: 0 },
    ]);
    assert.equal(next, '2!80!MDAwMDE2IWEmYg--');
    assert.equal(parseListPage('<EnumerationResults><Blobs/><NextMarker/></EnumerationResults>', []), '');
  });
});
