// `npm run test:hostile` (issue 15): every request of the issue's table against backend-ts on 127.0.0.1, alone
// and 8 at once, measured in the backend process: the longest event-loop stall (monitorEventLoopDelay max, via
// scripts/lib/loopProbe.ts) and how far the peak resident memory (VmHWM of /proc/<pid>/status, reset through
// clear_refs before each run) rose over its value just before. Targets: stall <= 250 ms, VmHWM +256 MiB at
// most, every answer within 10 s (the slow body: within -server.http-read-timeout, 10 s here), nothing
// acknowledged lost. Not part of `npm test`: its checks are timings.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { cpuRecording } from '../test/jfrWriter.js';
import { CPU, deepPprof, encodePush, gzipBomb, PbWriter, tinyPprof } from '../test/wire.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const READ_TIMEOUT_S = 10;
const STALL_MS = 250;
const HWM_MIB = 256;
const ANSWER_MS = 10_000;
const TOKEN = 'hostile-tenant-token';
const ADMIN = 'hostile-admin-token';

const freePort = () =>
  new Promise<number>((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });

const dir = mkdtempSync(join(tmpdir(), 'bts-hostile-run-'));
const cfgFile = join(dir, 'config.yaml');
writeFileSync(cfgFile, `auth:\n  tokens:\n    - {tenant: hostile, token: ${TOKEN}}\n  admin_tokens: [${ADMIN}]\n`);
const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const proc = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    '--import',
    join(ROOT, 'scripts/lib/loopProbe.ts'),
    join(ROOT, 'src/main.ts'),
    `-server.http-listen-port=${port}`,
    '-server.http-listen-address=127.0.0.1',
    '-log.level=warn',
    '-storage.backend=filesystem',
    `-storage.filesystem.dir=${join(dir, 'data')}`,
    `-config.file=${cfgFile}`,
    `-server.http-read-timeout=${READ_TIMEOUT_S}s`,
  ],
  { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }
);
const stop = () => proc.kill('SIGTERM');
process.on('exit', stop);
for (let i = 0; i < 900; i++) {
  if (
    await fetch(`${url}/ready`).then(
      (r) => r.ok,
      () => false
    )
  ) {
    break;
  }
  await new Promise((r) => setTimeout(r, 100));
}

const auth = { authorization: `Bearer ${TOKEN}` };

/** The backend's longest stall since the last call, in ms. */
const loopMax = () =>
  new Promise<number>((res) => {
    proc.once('message', (m: { maxMs: number }) => res(m.maxMs));
    proc.send('loop-delay');
  });

const status = (key: string): number => {
  const line = readFileSync(`/proc/${proc.pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${key}:`));
  return Number(line?.match(/(\d+)/)?.[1] ?? 0) * 1024;
};

/** Resets the peak RSS (VmHWM) to the current RSS; false where the kernel does not allow it. */
const resetPeak = (): boolean => {
  try {
    writeFileSync(`/proc/${proc.pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
};

const post = (path: string, body: BodyInit, headers: Record<string, string>) =>
  fetch(`${url}${path}`, { method: 'POST', headers: { ...auth, ...headers }, body });
const json = (path: string, body: unknown) => post(path, JSON.stringify(body), { 'content-type': 'application/json' });
const proto = { 'content-type': 'application/proto', 'connect-protocol-version': '1' };

/** A body sent 6 bytes every second until the server answers (bounded by 120 writes). */
const slowBody = () =>
  new Promise<number>((resolve, reject) => {
    const req = request(`${url}/push.v1.PusherService/Push`, {
      method: 'POST',
      headers: { ...auth, ...proto, 'content-length': '100000' },
    });
    let answered = false;
    req.on('error', (e) => (answered ? undefined : reject(e)));
    req.on('response', (res) => {
      answered = true;
      res.resume();
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    let writes = 0;
    const trickle = () => {
      if (!answered && !req.destroyed && writes++ < 120) {
        req.write(Buffer.alloc(6, 0x0a));
        setTimeout(trickle, 1000);
      }
    };
    trickle();
  });

// the hostile inputs, built once
const longNames = Array.from(
  { length: 10 },
  (_, i) => `${String(i).padStart(9, '0')}${'a'.repeat(1990)}${i < 5 ? 'b' : 'c'}`
);
const setup = await post(
  '/push.v1.PusherService/Push',
  new Uint8Array(
    encodePush(
      longNames.map((service_name, i) => ({
        labels: { __name__: 'process_cpu', service_name },
        samples: [{ raw: tinyPprof({ fn: `f${i}`, value: 1000 + i }) }],
      }))
    )
  ),
  proto
);
if (setup.status !== 200) {
  throw new Error(`setup push: ${setup.status} ${await setup.text()}`);
}
const regex = `{service_name=~"${'(?:.*a)'.repeat(100)}b"}`;
const bomb = new Uint8Array(gzipBomb(1024));
const folded = Buffer.from(`${'f;'.repeat(6_300_000 - 1)}f 1\n`).toString('base64');
const deep = deepPprof(4_000_000);
const deepBatch = new Uint8Array(
  encodePush([
    {
      labels: { __name__: 'process_cpu', service_name: 'deep' },
      samples: Array.from({ length: 16 }, () => ({ raw: deep })),
    },
  ])
);
const pair = (k: string, v: string) => new PbWriter().string(1, k).string(2, v).finish();
const emptyLabel = new Uint8Array(
  new PbWriter()
    .bytes(
      1,
      new PbWriter()
        .bytes(1, pair('__name__', 'process_cpu'))
        .bytes(1, pair('', 'v'))
        .bytes(2, new PbWriter().bytes(1, tinyPprof()).finish())
        .finish()
    )
    .finish()
);
const bigSetting = 'x'.repeat(20 << 20);
const jfr = cpuRecording(13, 48_000, 8);
const now = Date.now();

const rows: Array<{ name: string; run: () => Promise<number>; answerMs: number }> = [
  {
    name: 'SelectMergeStacktraces, 700-char regex over 2,000-char names',
    run: async () =>
      (
        await json('/querier.v1.QuerierService/SelectMergeStacktraces', {
          profileTypeID: CPU,
          labelSelector: regex,
          start: now - 3_600_000,
          end: now + 3_600_000,
        })
      ).status,
    answerMs: ANSWER_MS,
  },
  {
    name: 'Push, gzip body inflating to 1 GiB',
    run: async () => (await post('/push.v1.PusherService/Push', bomb, { ...proto, 'content-encoding': 'gzip' })).status,
    answerMs: ANSWER_MS,
  },
  {
    name: 'ad hoc Upload, 12 MiB folded, one 6M-frame stack',
    run: async () =>
      (await json('/adhocprofiles.v1.AdHocProfileService/Upload', { name: 'deep.folded', profile: folded })).status,
    answerMs: ANSWER_MS,
  },
  {
    name: 'Push, 16 RawSamples of 4M-frame stacks',
    run: async () => (await post('/push.v1.PusherService/Push', deepBatch, proto)).status,
    answerMs: ANSWER_MS,
  },
  {
    name: 'Push, empty label name',
    run: async () => (await post('/push.v1.PusherService/Push', emptyLabel, proto)).status,
    answerMs: ANSWER_MS,
  },
  { name: 'a body sent 6 bytes a second', run: slowBody, answerMs: (READ_TIMEOUT_S + 2) * 1000 },
  {
    name: 'settings.v1 Set of 20 MB',
    run: async () =>
      (await json('/settings.v1.SettingsService/Set', { setting: { name: 'big', value: bigSetting } })).status,
    answerMs: ANSWER_MS,
  },
  {
    name: "/metrics with a tenant's credential",
    run: async () => {
      const r = await fetch(`${url}/metrics`, { headers: auth });
      await r.arrayBuffer();
      return r.status;
    },
    answerMs: ANSWER_MS,
  },
  {
    name: '12 MB multi-chunk JFR, uncompressed',
    run: async () => {
      const form = new FormData();
      form.append('jfr', new Blob([new Uint8Array(jfr)]), 'jfr');
      const s = Math.floor(Date.now() / 1000);
      const r = await post(`/ingest?name=jfr-app&format=jfr&from=${s - 10}&until=${s}`, form, {});
      await r.arrayBuffer();
      return r.status;
    },
    answerMs: ANSWER_MS,
  },
];

const problems: string[] = [];
const canReset = resetPeak();
console.log(
  `hostile: ${rows.length} rows, alone and 8 at once; backend pid ${proc.pid}${canReset ? '' : ' (VmHWM cannot be reset here: growth over the start value)'}`
);
console.log('row | n | statuses | slowest answer | max stall | VmHWM growth');
for (const row of rows) {
  for (const n of [1, 8]) {
    await loopMax();
    resetPeak();
    const before = status(canReset ? 'VmHWM' : 'VmRSS');
    const times: number[] = [];
    const statuses = await Promise.all(
      Array.from({ length: n }, async () => {
        const t = performance.now();
        try {
          return await row.run();
        } catch (e) {
          return `error ${(e as Error).message}`;
        } finally {
          times.push(performance.now() - t);
        }
      })
    );
    const stall = await loopMax();
    const growth = (status('VmHWM') - before) / 2 ** 20;
    const slowest = Math.max(...times);
    const counts = new Map<string | number, number>();
    statuses.forEach((s) => counts.set(s, (counts.get(s) ?? 0) + 1));
    console.log(
      `${row.name} | ${n} | ${[...counts].map(([s, c]) => `${c}x${s}`).join(' ')} | ${slowest.toFixed(0)} ms | ${stall.toFixed(0)} ms | ${growth.toFixed(0)} MiB`
    );
    if (stall > STALL_MS) {
      problems.push(`${row.name} x${n}: event loop stalled ${stall.toFixed(0)} ms (> ${STALL_MS})`);
    }
    if (growth > HWM_MIB) {
      problems.push(`${row.name} x${n}: VmHWM grew ${growth.toFixed(0)} MiB (> ${HWM_MIB})`);
    }
    if (slowest > row.answerMs) {
      problems.push(`${row.name} x${n}: an answer took ${slowest.toFixed(0)} ms (> ${row.answerMs})`);
    }
    if (statuses.some((s) => typeof s !== 'number' || (s >= 500 && s !== 503))) {
      problems.push(`${row.name} x${n}: ${statuses.join(', ')}`);
    }
  }
}
// nothing acknowledged lost: the setup push and the JFR recordings acknowledged above are all readable
const q = await json('/querier.v1.QuerierService/SelectMergeStacktraces', {
  profileTypeID: CPU,
  labelSelector: '{service_name=~"0000.*"}',
  start: now - 3_600_000,
  end: Date.now() + 3_600_000,
});
const total = Number(((await q.json()) as { flamegraph?: { total?: string } }).flamegraph?.total ?? 0);
if (total !== 10 * 1000 + 45) {
  problems.push(`the acknowledged setup push reads back ${total}, not ${10 * 1000 + 45}`);
}
for (const p of problems) {
  console.log(`  FAIL ${p}`);
}
console.log(problems.length ? `hostile: FAILED (${problems.length})` : 'hostile: passed');
stop();
process.exit(problems.length ? 1 : 0);
