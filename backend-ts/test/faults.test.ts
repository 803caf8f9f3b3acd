// Faults, each with counts: profiles acknowledged, re-sent and found after recovery, requests rejected by reason.
// - Azure (a real Azurite on --location DIR): hung (SIGSTOP, then SIGCONT) and down (SIGTERM, then a restart on
//   the same location and port; never SIGKILL, which loses Azurite's own unsaved metadata). Ingest answers 503
//   within the store timeout, never 200 for data not stored; queries fail with a clear error and recover.
// - Filesystem write failures: a file where a folder must be (ENOTDIR) and a fault-injecting store that fails
//   a share of writes (half of them after the object was written, as a lost answer): 5xx with a clear message,
//   no corrupt or temporary objects left, every acknowledged profile found.
// - A client that disconnects cancels its query: the store reads stop.
// - SIGTERM drains in-flight batches: every request answered 200 before the exit is found after a restart.
//
// Push clients re-send what failed with the same RawSample.ID (de-duplicated by the server); /ingest clients
// never re-send, so what they sent without an answer may be stored once or not at all.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../src/config/config.js';
import { createService } from '../src/server.js';
import { AzureStore } from '../src/storage/azure.js';
import { FilesystemStore } from '../src/storage/filesystem.js';
import type { ObjectStore } from '../src/storage/objectStore.js';
import { decodeObject } from '../src/storage/format/segment.js';
import { FaultyStore, MemoryStore } from './faultyStore.js';
import {
  connectJson,
  countsByService,
  freePort,
  ingest,
  sleep,
  startAzurite,
  startChild,
  type Azurite,
  type Child,
  type Running,
} from './helpers.js';
import { CPU, encodePush, push, tinyPprof } from './wire.js';

const dirs: string[] = [];
const tmp = (p: string) => {
  const d = mkdtempSync(join(tmpdir(), p));
  dirs.push(d);
  return d;
};
// the Azurite location and the data folders are not kept
after(() => {
  for (const d of dirs) {
    rmSync(d, { recursive: true, force: true });
  }
});

async function startWith(store: ObjectStore, flags: string[] = []): Promise<Running> {
  const cfg = loadConfig(['-validation.reject-older-than=0', '-distributor.ingestion-rate-limit-mb=0', ...flags]);
  const svc = await createService(cfg, { logLevel: 'fatal', store });
  await svc.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = svc.app.server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, svc, dir: '', stop: () => svc.close() };
}

/** What clients did; counts printed at the end of each scenario. */
class Ledger {
  readonly acked = new Set<string>();
  /** When the request that was acknowledged had been sent (Date.now() before the call), per ack in order. */
  readonly ackSentAt: number[] = [];
  /** /ingest services without an answer: stored at most once. */
  readonly unknown = new Set<string>();
  resent = 0;
  readonly rejected = new Map<string, number>();
  /** The slowest answer, ms: a hung store must not hang requests. */
  slowestMs = 0;

  ack(svc: string, sentAt: number): void {
    this.acked.add(svc);
    this.ackSentAt.push(sentAt);
  }

  /** Acknowledgements, so far, of requests sent after t. */
  ackedSentAfter(t: number): number {
    return this.ackSentAt.filter((s) => s > t).length;
  }

  reject(reason: string): void {
    this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + 1);
  }

  /** Every acknowledged profile found exactly once; nothing found that was never sent; prints the counts. */
  async check(url: string, prefix: string, label: string): Promise<void> {
    const counts = await countsByService(url, CPU, prefix);
    const missing = [...this.acked].filter((s) => counts.get(s) !== 1);
    assert.deepEqual(
      missing.map((s) => `${s}=${counts.get(s) ?? 0}`),
      [],
      `${label}: every acknowledged profile is stored exactly once`
    );
    let surplus = 0;
    for (const [svc, n] of counts) {
      assert.ok(this.acked.has(svc) || this.unknown.has(svc), `${label}: ${svc} was never sent`);
      assert.ok(n <= 1, `${label}: ${svc} counted ${n} times`);
      if (!this.acked.has(svc)) {
        surplus++;
      }
    }
    assert.ok(surplus <= this.unknown.size);
    const found = [...counts.values()].reduce((a, b) => a + b, 0);
    console.log(
      `# ${label}: ${this.acked.size} acknowledged, ${this.resent} re-sent, ${found} found after recovery ` +
        `(${surplus} stored though unanswered), rejected by reason: ` +
        `${[...this.rejected].map(([k, v]) => `${k}=${v}`).join(' ') || 'none'}; slowest answer ${this.slowestMs} ms`
    );
  }
}

/**
 * Clients pushing until stop(): `pushers` Push clients (re-send with the same ID until acknowledged or stopped)
 * and one /ingest client (never re-sends). Every service name is unique, so counts are exact.
 */
function clients(url: () => string, prefix: string, ledger: Ledger, pushers = 2): { stop(): Promise<void> } {
  let running = true;
  const timed = async <T>(p: Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await p;
    } finally {
      ledger.slowestMs = Math.max(ledger.slowestMs, Date.now() - t0);
    }
  };
  const pushClient = async (c: number) => {
    for (let i = 0; running; i++) {
      const svc = `${prefix}p${c}-${i}`;
      const body = encodePush([
        { labels: { __name__: 'process_cpu', service_name: svc }, samples: [{ raw: tinyPprof(), id: svc }] },
      ]);
      for (let attempt = 0; running || attempt === 0; attempt++) {
        if (attempt > 0) {
          ledger.resent++;
        }
        const sentAt = Date.now();
        const r = await timed(push(url(), body, { gzip: c === 1, signal: AbortSignal.timeout(20_000) })).catch(
          () => null
        );
        if (r?.status === 200) {
          ledger.unknown.delete(svc);
          ledger.ack(svc, sentAt);
          break;
        }
        // an answer other than 200 may still follow a write (a store failing after writing): until a later
        // attempt is acknowledged, the sample may be stored, even if the clients stop before re-sending it
        ledger.unknown.add(svc);
        ledger.reject(r ? String(r.status) : 'connection');
        await r?.arrayBuffer();
        if (!running) {
          break;
        }
        await sleep(100);
      }
    }
  };
  const ingestClient = async () => {
    for (let i = 0; running; i++) {
      const svc = `${prefix}i-${i}`;
      const sentAt = Date.now();
      const r = await timed(ingest(url(), tinyPprof(), svc)).catch(() => null);
      if (r?.status === 200) {
        ledger.ack(svc, sentAt);
      } else {
        ledger.unknown.add(svc);
        ledger.reject(r ? String(r.status) : 'connection');
        await r?.arrayBuffer();
        await sleep(100);
      }
    }
  };
  const all = Promise.all([...Array.from({ length: pushers }, (_, c) => pushClient(c)), ingestClient()]);
  return {
    async stop() {
      running = false;
      await all;
    },
  };
}

/** Waits for cond, checking every 50 ms, for at most 30 s (load makes it slow, never wrong): whether it held. */
async function until(cond: () => boolean, ms = 30_000): Promise<boolean> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) {
      return false;
    }
    await sleep(50);
  }
  return true;
}

/** A query while the store is away: a clear 5xx (503 store unavailable, or 504 timeout), never a hang. */
async function queryDuringOutage(url: string, ledger: Ledger): Promise<void> {
  const t0 = Date.now();
  const r = await connectJson<{ code?: string; message?: string }>(url, 'LabelValues', {
    name: 'service_name',
    start: Date.now() - 3_600_000,
    end: Date.now(),
  });
  const ms = Date.now() - t0;
  assert.ok(r.status === 503 || r.status === 504, `query during the outage: ${r.status} ${JSON.stringify(r.json)}`);
  assert.match(r.json.message ?? '', /Azure|container|timed out|store/i, JSON.stringify(r.json));
  // a hang detector, not a timing claim: a query on a hung store without its own timeout never answers
  assert.ok(ms < 15_000, `the query answered after ${ms} ms`);
  ledger.reject(`query-${r.status}`);
}

describe('faults: Azure store hung (SIGSTOP) and down (SIGTERM, restart on the same location)', () => {
  let az: Azurite;
  let be: Running;
  const location = tmp('bts-faults-az-');
  before(async () => {
    az = await startAzurite(location, await freePort());
    const store = new AzureStore({
      accountName: '',
      accountKey: '',
      connectionString: az.connectionString,
      containerName: 'faults',
      endpointSuffix: '',
      maxRetries: 1,
      timeoutMs: 1500,
      readTimeoutMs: 1500,
    });
    be = await startWith(store, ['-querier.query-timeout=5s']);
  });
  after(async () => {
    await be?.stop();
    if (az) {
      await az.stop();
    }
  });

  test('ingest answers 503 while the store is hung or down, queries fail clearly, everything acknowledged is found', async () => {
    const ledger = new Ledger();
    const prefix = 'faz-';
    const load = clients(() => be.url, prefix, ledger);
    const ackedAt = () => ledger.acked.size;
    const rejected503 = () => ledger.rejected.get('503') ?? 0;
    assert.ok(await until(() => ackedAt() > 3), `only ${ackedAt()} acknowledged before the fault`);

    // hung: requests hang inside Azurite until SIGCONT; our calls time out and answer 503. Writes that Azurite
    // had finished just before it froze may still be acknowledged (how many depends on load and timing), but no
    // request sent after the freeze can be: its write cannot complete.
    az.proc.kill('SIGSTOP');
    const stoppedAt = Date.now();
    const hung503Before = rejected503();
    await queryDuringOutage(be.url, ledger);
    assert.ok(await until(() => rejected503() > hung503Before), 'ingest answered 503 while the store hung');
    const sentWhileHung = ledger.ackedSentAfter(stoppedAt);
    const ackedBeforeCont = ackedAt();
    az.proc.kill('SIGCONT');
    assert.equal(sentWhileHung, 0, 'requests sent while Azurite was stopped were acknowledged before SIGCONT');
    assert.ok(await until(() => ackedAt() > ackedBeforeCont + 3), 'ingest recovered after SIGCONT');

    // down: Azurite stopped cleanly and restarted on the same location and port
    await az.stop();
    const downAt = Date.now();
    const down503Before = rejected503();
    await queryDuringOutage(be.url, ledger);
    assert.ok(await until(() => rejected503() > down503Before), 'ingest answered 503 while the store was down');
    assert.equal(ledger.ackedSentAfter(downAt), 0, 'nothing sent while the store was down was acknowledged');
    const ackedWhileDown = ackedAt();
    az = await startAzurite(location, az.port);
    assert.ok(await until(() => ackedAt() >= ackedWhileDown + 5), 'ingest recovered after the restart');
    await load.stop();
    // a hang detector (clients give up after 20 s), not a timing claim: the store timeout is 1.5 s
    assert.ok(ledger.slowestMs < 15_000, `an answer took ${ledger.slowestMs} ms`);

    // queries recover, and find every acknowledged profile (Azurite kept everything across its restart)
    const q = await connectJson(be.url, 'LabelNames', { start: Date.now() - 3_600_000, end: Date.now() });
    assert.equal(q.status, 200);
    await ledger.check(be.url, prefix, 'azure hung+down');
  });
});

describe('faults: filesystem write failures', () => {
  test('a file where the tenant folder should be (ENOTDIR): 503 with the cause, then recovery', async () => {
    const dir = tmp('bts-faults-fs-');
    const be = await startWith(new FilesystemStore(dir));
    const ledger = new Ledger();
    try {
      // a file where the tenant's level-0 folder must be: creating a minute folder in it fails with ENOTDIR
      const blocked = join(dir, 'anonymous', 'l0');
      mkdirSync(join(dir, 'anonymous'), { recursive: true });
      writeFileSync(blocked, 'not a folder');
      for (let i = 0; i < 5; i++) {
        const r = await ingest(be.url, tinyPprof(), `enotdir-${i}`);
        const body = (await r.json()) as { code: string; message: string };
        assert.equal(r.status, 503, JSON.stringify(body));
        assert.equal(body.code, 'unavailable');
        assert.match(body.message, /ENOTDIR|not a directory/);
        assert.equal(r.headers.get('retry-after'), '5');
        ledger.reject('503');
        ledger.unknown.add(`enotdir-${i}`);
      }
      const push503 = await push(
        be.url,
        encodePush([{ labels: { service_name: 'enotdir-push' }, samples: [{ raw: tinyPprof(), id: 'x' }] }])
      );
      assert.equal(push503.status, 503);
      assert.equal(((await push503.json()) as { code: string }).code, 'unavailable');
      ledger.reject('503');
      rmSync(blocked);
      for (let i = 0; i < 3; i++) {
        assert.equal((await ingest(be.url, tinyPprof(), `enotdir-after-${i}`)).status, 200);
        ledger.acked.add(`enotdir-after-${i}`);
      }
      await ledger.check(be.url, 'enotdir-', 'filesystem ENOTDIR');
      assertObjectsIntact(dir);
    } finally {
      await be.stop();
    }
  });

  test('a store that fails a third of its writes (half after writing): 503s, re-sends, every ack found once', async () => {
    const dir = tmp('bts-faults-flaky-');
    const store = new FaultyStore(new FilesystemStore(dir));
    store.faults.putFailRate = 0.3;
    const be = await startWith(store);
    const ledger = new Ledger();
    try {
      const load = clients(() => be.url, 'flaky-', ledger, 3);
      await until(() => store.calls.putFailed > 3 && (ledger.rejected.get('503') ?? 0) > 0 && ledger.acked.size > 3);
      await load.stop();
      store.faults.putFailRate = 0;
      assert.ok(store.calls.putFailed > 3, `${store.calls.putFailed} writes failed`);
      assert.ok((ledger.rejected.get('503') ?? 0) > 0);
      await ledger.check(be.url, 'flaky-', 'flaky store');
      console.log(
        `# flaky store: ${store.calls.put} writes, ${store.calls.putFailed} failed (${store.calls.putFailedAfterWrite} after the object was written)`
      );
      assertObjectsIntact(dir);
    } finally {
      await be.stop();
    }
  });
});

/** Every object in the folder decodes as a segment, and no temporary file is left behind. */
function assertObjectsIntact(dir: string): void {
  let objects = 0;
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        walk(p);
        continue;
      }
      assert.ok(!name.startsWith('.tmp-'), `a temporary file was left: ${p}`);
      if (name.endsWith('.seg') || name.endsWith('.blk')) {
        const seg = decodeObject(p, readFileSync(p));
        assert.ok(seg.meta.series.length > 0);
        objects++;
      }
    }
  };
  walk(dir);
  assert.ok(objects > 0);
}

describe('faults: a client that disconnects cancels its query', () => {
  let be: Running;
  let store: FaultyStore;
  before(async () => {
    // in memory: the test needs many objects, not fsync
    store = new FaultyStore(new MemoryStore());
    be = await startWith(store, ['-auth.multitenancy-enabled=true', '-querier.query-timeout=60s']);
    // 96 objects per tenant, one write each (straight to the ingester: HTTP adds nothing to this test)
    for (const tenant of ['cancel-connect', 'cancel-render', 'full']) {
      for (let i = 0; i < 96; i++) {
        await be.svc.ingester.ingestPush(tenant, [
          { labels: [{ name: 'service_name', value: `c${i}` }], samples: [{ rawProfile: tinyPprof(), ID: '' }] },
        ]);
      }
    }
    store.faults.readDelayMs = 50;
  });
  after(async () => {
    // the aborted requests leave their keep-alive sockets behind: nothing is in flight any more
    be?.svc.app.server.closeAllConnections();
    await be?.stop();
  });

  const reads = () => store.calls.get + store.calls.getRange + store.calls.list + store.calls.listPrefixes;
  const selectBody = () =>
    JSON.stringify({
      profileTypeID: CPU,
      labelSelector: '{}',
      start: Date.now() - 3_600_000,
      end: Date.now() + 60_000,
    });

  test('Connect and render: reads stop soon after the client goes away', async () => {
    const r0 = reads();
    const full = await fetch(`${be.url}/querier.v1.QuerierService/SelectMergeStacktraces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-scope-orgid': 'full' },
      body: selectBody(),
    });
    assert.equal(full.status, 200);
    await full.arrayBuffer();
    const fullReads = reads() - r0;

    const cancelled0 = be.svc.gate.stats.cancelled;
    // The client goes away once its query has started reading (an event, not a delay: on a loaded machine a
    // fixed delay either ends before the first read or after the last). Then the gate must see the cancellation,
    // and the reads must stop: the count stays put over a window in which a query still running would have made
    // several more reads (each takes 50 ms).
    const measure = async (doFetch: (signal: AbortSignal) => Promise<Response>): Promise<number> => {
      const before = reads();
      const cancelledBefore = be.svc.gate.stats.cancelled;
      const ac = new AbortController();
      const pending = doFetch(ac.signal).catch((e: Error) => e);
      assert.ok(await until(() => reads() - before >= 3), 'the query started reading');
      ac.abort();
      assert.ok((await pending) instanceof Error, 'the client gave up');
      assert.ok(await until(() => be.svc.gate.stats.cancelled > cancelledBefore), 'the query was cancelled');
      let settled = reads();
      for (let quiet = 0; quiet < 2;) {
        await sleep(400);
        quiet = reads() === settled ? quiet + 1 : 0;
        settled = reads();
      }
      return settled - before;
    };
    const connectReads = await measure((signal) =>
      fetch(`${be.url}/querier.v1.QuerierService/SelectMergeStacktraces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-scope-orgid': 'cancel-connect' },
        body: selectBody(),
        signal,
      })
    );
    const renderReads = await measure((signal) =>
      fetch(`${be.url}/pyroscope/render?query=${encodeURIComponent(`${CPU}{}`)}&from=now-1h&until=now`, {
        headers: { 'x-scope-orgid': 'cancel-render' },
        signal,
      })
    );
    console.log(
      `# cancellation: a full query read ${fullReads} times; cancelled once reading: Connect ${connectReads}, render ${renderReads} reads`
    );
    assert.equal(be.svc.gate.stats.cancelled - cancelled0, 2, 'both queries were cancelled');
    assert.ok(connectReads > 0 && connectReads < fullReads * 0.75, `Connect: ${connectReads} of ${fullReads} reads`);
    assert.ok(renderReads > 0 && renderReads < fullReads * 0.75, `render: ${renderReads} of ${fullReads} reads`);
  });
});

describe('faults: SIGTERM drains in-flight batches before the exit', () => {
  const dir = tmp('bts-faults-term-');
  let be: Child | undefined;
  after(async () => be?.kill('SIGKILL'));

  test('every request answered 200 before the exit is found after a restart', async () => {
    be = await startChild([`-storage.filesystem.dir=${dir}`, '-distributor.ingestion-rate-limit-mb=0']);
    const ledger = new Ledger();
    const url = be.url;
    const load = clients(() => url, 'term-', ledger, 6);
    await until(() => ledger.acked.size >= 10);
    const exited = new Promise<number | null>((res) => be!.proc.once('exit', (code) => res(code)));
    const ackedAtTerm = ledger.acked.size;
    be.proc.kill('SIGTERM');
    const code = await exited;
    await load.stop();
    assert.equal(code, 0, 'a clean exit after draining');
    const drained = ledger.acked.size - ackedAtTerm;
    be = await startChild([`-storage.filesystem.dir=${dir}`]);
    await ledger.check(be.url, 'term-', `SIGTERM drain (${drained} answered 200 after the signal)`);
    await be.kill();
    be = undefined;
  });
});
