// Compaction and many replicas: segments of a settled hour become one block with the same query results; a
// compaction stopped at any step leaves the store readable without double counting; three backend processes on
// one Azurite container answer identically, also while one of them is killed during compaction.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Compactor } from '../src/storage/compactor.js';
import { hourDir, hourOf } from '../src/storage/keys.js';
import type { ObjectStore } from '../src/storage/objectStore.js';
import { SegmentReader } from '../src/storage/segmentReader.js';
import {
  connectJson,
  FIXTURES,
  ingest,
  NO_FIXTURES,
  readFixture,
  sleep,
  startAzurite,
  startChild,
  startInProcess,
  withoutTime,
  type Azurite,
  type Child,
  type Running,
} from './helpers.js';
import { tinyPprof } from './wire.js';

const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const HOUR = 3_600_000;
const past = hourOf(Date.now()) - 3; // a settled hour
const at = (i: number) => Math.floor((past * HOUR + 60_000 + i * 10_000) / 1000);

async function state(url: string): Promise<{ total: number; series: string }> {
  const range = { start: past * HOUR, end: (past + 1) * HOUR - 1 };
  const fg = await connectJson<{ flamegraph?: { total: string } }>(url, 'SelectMergeStacktraces', {
    profileTypeID: CPU,
    labelSelector: '{}',
    ...range,
  });
  assert.equal(fg.status, 200, JSON.stringify(fg.json));
  const s = await connectJson<{ labelsSet?: unknown[] }>(url, 'Series', {
    ...range,
    labelNames: ['service_name', '__profile_type__'],
    matchers: [],
  });
  return { total: Number(fg.json.flamegraph?.total ?? 0), series: JSON.stringify(s.json.labelsSet ?? []) };
}

async function objects(be: Running): Promise<string[]> {
  return (await be.svc.store.list(`anonymous/segments/${hourDir(past)}/`))
    .map((o) => o.key)
    .filter((k) => /\.(seg|blk)$/.test(k));
}

describe('compaction on the filesystem store', { skip: NO_FIXTURES }, () => {
  let be: Running;
  let cpu: Buffer;
  before(async () => {
    be = await startInProcess([
      '-validation.reject-older-than=0',
      '-compactor.compaction-interval=0',
      '-querier.max-query-lookback=0',
    ]);
    cpu = withoutTime(readFixture(join(FIXTURES, 'pprof/cpu.pb.gz')));
  });
  after(async () => be?.stop());

  test('segments of a settled hour become one block with identical results', async () => {
    for (let i = 0; i < 6; i++) {
      const r = await ingest(be.url, cpu, `svc-${i % 2}{pod=p${i % 3}}`, { from: at(i) });
      assert.equal(r.status, 200, await r.text());
    }
    assert.equal((await objects(be)).length, 6);
    const before = await state(be.url);
    assert.equal(before.total, 6 * 470_000_000);
    const done = await be.svc.compactor.runOnce();
    assert.equal(done.length, 1);
    assert.equal(done[0].sources, 6);
    const after = await objects(be);
    assert.equal(after.length, 1);
    assert.ok(after[0].endsWith('.blk'));
    assert.deepEqual(await state(be.url), before);
  });

  test('late data merges with the block; a compaction stopped after writing its block counts nothing twice', async () => {
    for (let i = 6; i < 8; i++) {
      assert.equal((await ingest(be.url, cpu, 'svc-late', { from: at(i) })).status, 200);
    }
    const before = await state(be.url);
    assert.equal(before.total, 8 * 470_000_000);
    for (const step of ['locked', 'written', 'deleted'] as const) {
      const crashing = new Compactor(be.svc.store, new SegmentReader(be.svc.store, ''), {
        prefix: '',
        settleMs: 0,
        retentionMs: 0,
        onStep: (s) => {
          if (s === step) {
            throw new Error(`crash at ${s}`);
          }
        },
      });
      await assert.rejects(crashing.runOnce(), /crash at/);
      assert.deepEqual(await state(be.url), before, `after a crash at "${step}"`);
      if (step === 'deleted') {
        break;
      }
      // the lock file of the crashed compactor was released by its finally; a real crash leaves it to expire
      await be.svc.compactor.runOnce();
      assert.deepEqual(await state(be.url), before);
      for (let i = 8; i < 10; i++) {
        assert.equal(
          (await ingest(be.url, cpu, 'svc-late', { from: at(i + (step === 'locked' ? 0 : 2)) })).status,
          200
        );
      }
      before.total += 2 * 470_000_000;
      before.series = (await state(be.url)).series;
    }
    await be.svc.compactor.runOnce();
    const left = await objects(be);
    assert.equal(left.length, 1, `objects left: ${left}`);
    assert.deepEqual(await state(be.url), before);
  });
});

describe('compaction next to a replica still writing into the hour', () => {
  test('an object acknowledged while a pass lists the hour is kept, not taken for a leftover', async () => {
    // Two objects of a settled hour; a pass lists them, and while it lists the hour again (where it looks for
    // sources a crashed compaction left behind) another replica acknowledges a late profile into the same hour.
    // A pass used to delete every object of its second listing that was not live in its first: the new object.
    const be = await startInProcess([
      '-validation.reject-older-than=0',
      '-compactor.compaction-interval=0',
      '-querier.max-query-lookback=0',
    ]);
    try {
      const tiny = tinyPprof();
      for (let i = 0; i < 2; i++) {
        assert.equal((await ingest(be.url, tiny, 'svc-race', { from: at(i) })).status, 200);
      }
      const hourPrefix = `anonymous/segments/${hourDir(past)}/`;
      let lists = 0;
      let late: Promise<Response> | undefined;
      const store = be.svc.store;
      const racing: ObjectStore = Object.assign(Object.create(store) as ObjectStore, {
        list: async (prefix: string) => {
          if (prefix === hourPrefix && ++lists === 2) {
            late = ingest(be.url, tiny, 'svc-race', { from: at(2) });
            assert.equal((await late).status, 200);
          }
          return store.list(prefix);
        },
      });
      const compactor = new Compactor(racing, new SegmentReader(racing, ''), {
        prefix: '',
        settleMs: 0,
        retentionMs: 0,
      });
      await compactor.runOnce();
      assert.ok(late, 'the late profile was sent during the pass');
      const fg = await connectJson<{ flamegraph?: { total?: string } }>(be.url, 'SelectMergeStacktraces', {
        profileTypeID: CPU,
        labelSelector: '{service_name="svc-race"}',
        start: past * HOUR,
        end: (past + 1) * HOUR - 1,
      });
      const one = Number(
        (
          await connectJson<{ flamegraph?: { total?: string } }>(be.url, 'SelectMergeStacktraces', {
            profileTypeID: CPU,
            labelSelector: '{service_name="svc-race"}',
            start: at(0) * 1000 - 1,
            end: at(0) * 1000 + 5_000,
          })
        ).json.flamegraph?.total ?? 0
      );
      assert.ok(one > 0);
      assert.equal(Number(fg.json.flamegraph?.total ?? 0), 3 * one, 'all three acknowledged profiles are stored');
      // and a later pass still merges all three into one block
      await compactor.runOnce();
      const left = (await store.list(hourPrefix)).filter((o) => /\.(seg|blk)$/.test(o.key));
      assert.equal(left.length, 1);
    } finally {
      await be.stop();
    }
  });
});

describe('three backend processes on one Azurite container', { skip: NO_FIXTURES }, () => {
  let az: Azurite;
  const procs: Child[] = [];
  let flags: string[];
  before(async () => {
    az = await startAzurite();
    flags = [
      '-storage.backend=azure',
      `-storage.azure.connection-string=${az.connectionString}`,
      '-validation.reject-older-than=0',
      '-querier.max-query-lookback=0',
    ];
    for (let i = 0; i < 3; i++) {
      procs.push(await startChild([...flags, `-compactor.compaction-interval=${i === 0 ? '1s' : '0'}`]));
    }
  });
  after(async () => {
    for (const p of procs) {
      await p.kill();
    }
    await az?.stop();
  });

  test('any replica ingests, every replica answers the same; killing the compacting one changes nothing', async () => {
    const cpu = withoutTime(readFixture(join(FIXTURES, 'pprof/cpu.pb.gz')));
    let n = 0;
    for (let round = 0; round < 3; round++) {
      for (const p of procs) {
        assert.equal((await ingest(p.url, cpu, `replica-svc-${n % 4}`, { from: at(n) })).status, 200);
        n++;
        // data acknowledged by one process is visible to the others right away
        const views = await Promise.all(procs.map((q) => state(q.url)));
        assert.equal(views[0].total, n * 470_000_000);
        for (const v of views) {
          assert.deepEqual(v, views[0]);
        }
      }
    }
    const want = await state(procs[1].url);
    // replica 0 compacts every second: kill it at some point of its work, then restart it on the same container
    await sleep(700);
    await procs[0].kill('SIGKILL');
    for (const q of procs.slice(1)) {
      assert.deepEqual(await state(q.url), want);
    }
    procs[0] = await startChild([...flags, '-compactor.compaction-interval=1s']);
    // killed mid-compaction, replica 0 keeps the hour's lease until it expires (60 s): allow for that
    const deadline = Date.now() + 90_000;
    let blocksOnly = false;
    while (Date.now() < deadline && !blocksOnly) {
      await sleep(500);
      const { BlobServiceClient } = await import('@azure/storage-blob');
      const names: string[] = [];
      for await (const b of BlobServiceClient.fromConnectionString(az.connectionString)
        .getContainerClient('pyroscope-data')
        .listBlobsFlat({ prefix: `anonymous/segments/${hourDir(past)}/` })) {
        names.push(b.name);
      }
      blocksOnly = names.length === 1 && names[0].endsWith('.blk');
    }
    assert.ok(blocksOnly, 'the restarted replica finished compacting the hour into one block: ' + procs[0].log());
    for (const q of procs) {
      assert.deepEqual(await state(q.url), want);
    }
  });
});
