// Durability: the backend runs as its own process and is killed with SIGKILL while three clients keep pushing.
// After a restart on the same store every acknowledged profile is there, and none is counted twice: each push
// carries its own service name (so counts are exact), Push clients re-send what failed with the same
// RawSample.ID (which the server must de-duplicate), and the /ingest client never re-sends. Runs on the
// filesystem store and on a real Azurite (which is never killed: it would lose its own unsaved metadata).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  connectJson,
  countsByService,
  ingest,
  sleep,
  startAzurite,
  startChild,
  type Azurite,
  type Child,
} from './helpers.js';
import { CPU, encodePush, push, tinyPprof } from './wire.js';

const PUSH_SECONDS = 4;

/** Every backend started here, so that a failed assertion never leaves one running (and the run hanging). */
const started: Child[] = [];
const tracked = (start: () => Promise<Child>) => async (): Promise<Child> => {
  const c = await start();
  started.push(c);
  return c;
};
after(async () => {
  await Promise.all(started.map((c) => c.kill('SIGKILL')));
});
const KILL_AFTER_MS = 1500;

interface Outcome {
  /** Services whose push got a 200 (for Push clients: eventually, after re-sends). */
  acked: Set<string>;
  /** /ingest services whose request failed: each may or may not be stored, but at most once. */
  unknown: Set<string>;
  failedAttempts: number;
  /** Acknowledged before the kill, so the kill landed mid-stream and clients carried on after it. */
  ackedBeforeKill: number;
}

/**
 * Three clients push for PUSH_SECONDS; the backend is SIGKILLed after KILL_AFTER_MS and restarted on the same
 * store at once. `current()` always gives the live backend; a client that fails waits for the next one.
 */
async function pushThroughKill(start: () => Promise<Child>, prefix: string): Promise<{ be: Child; outcome: Outcome }> {
  let be = await start();
  let restarted: Promise<Child> | null = null;
  const outcome: Outcome = { acked: new Set(), unknown: new Set(), failedAttempts: 0, ackedBeforeKill: 0 };
  let deadline = Date.now() + PUSH_SECONDS * 1000;
  // clients carry on through the restart and after it until a few more pushes were acknowledged (bounded in
  // time), however long the restart takes on a loaded machine
  let afterTarget = 0;
  let hardStop = Infinity;
  let killed = false;
  const pushing = () =>
    Date.now() < deadline ||
    !killed ||
    restarted !== null ||
    (afterTarget > 0 && outcome.acked.size < afterTarget && Date.now() < hardStop);
  const live = async (): Promise<string> => (restarted ? (await restarted).url : be.url);

  const pushClient = async (c: number) => {
    for (let i = 0; pushing(); i++) {
      const svc = `${prefix}p${c}-${i}`;
      // the same bytes and the same ID on every attempt, as Alloy and the SDKs re-send
      const body = encodePush([
        { labels: { __name__: 'process_cpu', service_name: svc }, samples: [{ raw: tinyPprof(), id: svc }] },
      ]);
      for (let attempt = 0; ; attempt++) {
        assert.ok(attempt < 200, `${svc}: the backend never came back`);
        const r = await push(await live(), body, { gzip: c === 1, signal: AbortSignal.timeout(10_000) }).catch(
          () => null
        );
        if (r?.status === 200) {
          outcome.acked.add(svc);
          break;
        }
        outcome.failedAttempts++;
        await sleep(50);
      }
    }
  };
  const ingestClient = async () => {
    for (let i = 0; pushing(); i++) {
      const svc = `${prefix}i-${i}`;
      const r = await ingest(await live(), tinyPprof(), svc).catch(() => null);
      if (r?.status === 200) {
        outcome.acked.add(svc);
      } else {
        // no ID to de-duplicate a re-send with: this client does not re-send, so the profile is stored 0 or 1 times
        outcome.unknown.add(svc);
        outcome.failedAttempts++;
        await sleep(50);
      }
    }
  };
  const killer = async () => {
    await sleep(KILL_AFTER_MS);
    // on a loaded machine the first acknowledgements may take longer than that: the kill waits for a few of
    // them (what the test checks is what happens to acknowledged profiles, so there must be some)
    for (let i = 0; i < 600 && outcome.acked.size < 3; i++) {
      await sleep(50);
    }
    const old = be;
    killed = true;
    outcome.ackedBeforeKill = outcome.acked.size;
    restarted = old.kill('SIGKILL').then(start);
    be = await restarted;
    deadline = Math.max(deadline, Date.now() + 1500);
    afterTarget = outcome.acked.size + 6;
    hardStop = Date.now() + 30_000;
    restarted = null;
  };
  await Promise.all([pushClient(0), pushClient(1), ingestClient(), killer()]);
  return { be, outcome };
}

async function checkAfterKill(start: () => Promise<Child>, label: string): Promise<Child> {
  const prefix = `dur-${label}-`;
  const { be, outcome } = await pushThroughKill(start, prefix);
  const counts = await countsByService(be.url, CPU, prefix);
  const missing = [...outcome.acked].filter((s) => counts.get(s) !== 1);
  assert.deepEqual(
    missing.map((s) => `${s}=${counts.get(s) ?? 0}`),
    [],
    'every acknowledged profile is stored exactly once'
  );
  for (const [svc, n] of counts) {
    assert.ok(outcome.acked.has(svc) || outcome.unknown.has(svc), `${svc} was never sent`);
    assert.ok(n <= 1, `${svc} counted ${n} times`);
  }
  const pushAcked = [...outcome.acked].filter((s) => s.includes('-p')).length;
  assert.ok(outcome.ackedBeforeKill >= 3, `only ${outcome.ackedBeforeKill} pushes acknowledged before the kill`);
  assert.ok(outcome.acked.size > outcome.ackedBeforeKill + 3, 'the clients carried on after the restart');
  // the merged flame graph agrees with the per-service counts (same de-duplication on every read path)
  const now = Date.now();
  const fg = await connectJson<{ flamegraph?: { total?: string } }>(be.url, 'SelectMergeStacktraces', {
    profileTypeID: CPU,
    labelSelector: `{service_name=~"${prefix}.*"}`,
    start: now - 3_600_000,
    end: now + 60_000,
  });
  assert.equal(
    Number(fg.json.flamegraph?.total ?? 0),
    [...counts.values()].reduce((a, b) => a + b, 0)
  );
  console.log(
    `# ${label}: ${outcome.acked.size} acknowledged (${pushAcked} via Push, ${outcome.ackedBeforeKill} before the kill), ` +
      `${outcome.failedAttempts} failed attempts across the kill, ${counts.size} stored`
  );
  return be;
}

/** A client that lost the answer re-sends the same sample: counted once. Without an ID, twice (nothing to match). */
async function checkResend(url: string, label: string): Promise<void> {
  const svc = `resend-${label}`;
  const body = encodePush([
    { labels: { __name__: 'process_cpu', service_name: svc }, samples: [{ raw: tinyPprof(), id: 'same-id' }] },
  ]);
  for (let i = 0; i < 3; i++) {
    assert.equal((await push(url, body, { gzip: i === 1 })).status, 200);
  }
  // the same ID in another series is another profile
  const other = encodePush([
    {
      labels: { __name__: 'process_cpu', service_name: `${svc}-other` },
      samples: [{ raw: tinyPprof(), id: 'same-id' }],
    },
  ]);
  assert.equal((await push(url, other)).status, 200);
  for (let i = 0; i < 2; i++) {
    assert.equal((await ingest(url, tinyPprof(), `${svc}-noid`)).status, 200);
  }
  const counts = await countsByService(url, CPU, svc);
  assert.deepEqual(Object.fromEntries(counts), { [svc]: 1, [`${svc}-other`]: 1, [`${svc}-noid`]: 2 });
}

describe('durability on the filesystem store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bts-dur-'));
  const start = tracked(() => startChild([`-storage.filesystem.dir=${dir}`]));
  let be: Child | undefined;
  after(async () => be?.kill());

  test('SIGKILL while 3 clients push: every acknowledged profile survives, none counted twice', async () => {
    be = await checkAfterKill(start, 'fs');
  });

  test('a re-sent Push sample (same RawSample.ID) is counted once', async () => {
    be ??= await start();
    await checkResend(be.url, 'fs');
  });
});

describe('durability on Azure Blob (Azurite)', () => {
  let az: Azurite;
  let be: Child | undefined;
  before(async () => {
    az = await startAzurite();
  });
  after(async () => {
    await be?.kill();
    await az?.stop();
  });
  const start = tracked(() =>
    startChild([
      '-storage.backend=azure',
      `-storage.azure.connection-string=${az.connectionString}`,
      '-storage.azure.container-name=durability',
    ])
  );

  test('SIGKILL while 3 clients push: every acknowledged profile survives, none counted twice', async () => {
    be = await checkAfterKill(start, 'az');
  });

  test('a re-sent Push sample (same RawSample.ID) is counted once', async () => {
    be ??= await start();
    await checkResend(be.url, 'az');
  });
});
