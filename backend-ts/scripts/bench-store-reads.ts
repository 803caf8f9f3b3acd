// `npm run bench-store-reads`: the client-side CPU of one blob read from Azure (Azurite on loopback), as the
// reader and compaction make them: a ranged read of a level-0 segment's size, a header read, a whole read, and a
// conditional read of an unchanged index document. The baseline, measured in the same run over the same blobs,
// is the SDK's own BlobClient.download() (what AzureStore used before). Only this process's CPU is counted
// (Azurite runs in a process of its own); timings are printed, never asserted.
//   BENCH_STORE_READS  reads per variant (default 3000)
import { BlobServiceClient } from '@azure/storage-blob';
import { cpus, loadavg, totalmem } from 'node:os';
import { AzureStore } from '../src/storage/azure.js';
import { startAzurite } from '../test/helpers.js';

const READS = Number(process.env.BENCH_STORE_READS ?? 3000);
const BLOBS = 200;
/** About a level-0 segment of one request at 10x. */
const SIZE = 24 * 1024;
const CONCURRENCY = 8;

const az = await startAzurite();
try {
  const store = new AzureStore({
    accountName: '',
    accountKey: '',
    connectionString: az.connectionString,
    containerName: 'bench-reads',
    endpointSuffix: '',
    maxRetries: 1,
  });
  await store.init();
  const container = BlobServiceClient.fromConnectionString(az.connectionString).getContainerClient('bench-reads');
  const keys: string[] = [];
  const data = Buffer.alloc(SIZE, 7);
  for (let i = 0; i < BLOBS; i++) {
    const key = `anonymous/l0/${29000000 + (i % 10)}/0000${i}-segment`;
    keys.push(key);
    await store.put(key, data);
  }
  const docVersion = (await store.getVersioned(keys[0]))!.version;

  async function measure(read: (key: string) => Promise<unknown>): Promise<{ cpuUs: number; wallMs: number }> {
    // warm-up: the JIT and the connection pool, as in a running process
    for (let i = 0; i < 200; i++) {
      await read(keys[i % BLOBS]);
    }
    let next = 0;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < READS) {
          await read(keys[next++ % BLOBS]);
        }
      })
    );
    const c = process.cpuUsage(c0);
    return { cpuUs: (c.user + c.system) / READS, wallMs: (performance.now() - t0) / READS };
  }

  const sdk = (key: string, offset: number, count?: number) =>
    container
      .getBlobClient(key)
      .download(offset, count)
      .then(async (res) => {
        const chunks: Buffer[] = [];
        for await (const c of res.readableStreamBody as AsyncIterable<Buffer>) {
          chunks.push(c);
        }
        return Buffer.concat(chunks);
      });
  const sdkUnchanged = (key: string) =>
    container
      .getBlobClient(key)
      .download(0, undefined, { conditions: { ifNoneMatch: docVersion } })
      .catch((e: { statusCode?: number }) => {
        if (e.statusCode !== 304) {
          throw e;
        }
      });

  const variants: Array<[string, (k: string) => Promise<unknown>, (k: string) => Promise<unknown>]> = [
    ['ranged read of the whole segment', (k) => sdk(k, 0, SIZE), (k) => store.getRange(k, 0, SIZE)],
    ['header read (first 4 KiB)', (k) => sdk(k, 0, 4096), (k) => store.getRange(k, 0, 4096)],
    ['whole read', (k) => container.getBlobClient(k).downloadToBuffer(0, undefined), (k) => store.get(k)],
    ['conditional read, unchanged (304)', () => sdkUnchanged(keys[0]), () => store.getIfChanged(keys[0], docVersion)],
  ];

  console.log(
    `bench-store-reads: ${READS} reads per variant, ${CONCURRENCY} at a time, blobs of ${SIZE / 1024} KiB, Azurite ` +
      `in memory on loopback; ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ` +
      `${(totalmem() / 2 ** 30).toFixed(0)} GiB, load average ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}`
  );
  console.log(
    '| read | SDK download(): client CPU per read | AzureStore: client CPU per read | ratio | wall per read (SDK / AzureStore) |'
  );
  console.log('| --- | --- | --- | --- | --- |');
  for (const [name, base, ours] of variants) {
    const b = await measure(base);
    const o = await measure(ours);
    console.log(
      `| ${name} | ${(b.cpuUs / 1000).toFixed(3)} ms | ${(o.cpuUs / 1000).toFixed(3)} ms | ${(o.cpuUs / b.cpuUs).toFixed(2)} | ` +
        `${b.wallMs.toFixed(2)} / ${o.wallMs.toFixed(2)} ms |`
    );
  }
} finally {
  await az.stop();
}
