// Runs the README's `npm start` for a test, as a user would (own ports and data folder), and stops it the way a
// terminal's Ctrl-C or a supervisor's SIGTERM would, checking that nothing of it is left running.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Ports from below Linux's ephemeral range (32768-60999): the first start builds for half a minute before it
// binds, and a port the kernel handed out for listen(0) can meanwhile become the local end of any outgoing
// connection on the machine. Ports already given to this process are not given again.
const given = new Set<number>();

function listens(port: number, host: string): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, host, () => s.close(() => res(true)));
  });
}

export async function freePort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const p = 20_000 + Math.floor(Math.random() * 12_000);
    if (!given.has(p) && (await listens(p, '0.0.0.0')) && (await listens(p, '127.0.0.1'))) {
      given.add(p);
      return p;
    }
  }
  throw new Error('no free port in 20000-31999');
}

/** What a failed start said itself: its own and its children's lines, not the build's output. */
function stackLines(out: string): string {
  const own = out.split('\n').filter((l) => /^\[(start|backend|azurite|harness|demo)\]/.test(l));
  return `${own.slice(-40).join('\n')}\n--- last output:\n${out.slice(-800)}`;
}

export interface RunningStack {
  backend: string;
  harness: string;
  azuritePort: number;
  dataDir: string;
  child: ChildProcess;
  /** When the ready line was printed (ms). */
  readyAt: number;
  log(): string;
  /** Connect JSON call to querier.v1.QuerierService, asserting a 200. */
  query<T>(method: string, body: object): Promise<T>;
  stop(): Promise<void>;
}

/** Every process of a stack: they all inherit DATA_DIR from npm start (Linux: read from /proc). */
function processesOf(dataDir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`DATA_DIR=${dataDir}`)) {
        found.push(`${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ')}`);
      }
    } catch {
      // gone meanwhile, or not ours
    }
  }
  return found;
}

export async function startStack(extraEnv: Record<string, string>): Promise<RunningStack> {
  const backendPort = await freePort();
  const harnessPort = await freePort();
  const azuritePort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'stack-e2e-'));
  const child = spawn('npm', ['start'], {
    cwd: ROOT,
    env: {
      ...process.env,
      BACKEND_PORT: String(backendPort),
      HARNESS_PORT: String(harnessPort),
      AZURITE_PORT: String(azuritePort),
      DATA_DIR: dataDir,
      BROWSER: 'none',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));

  const stop = async () => {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
    // npm may return before the stack has stopped: wait for every process of this stack to end. The stack's
    // children run in their own process groups: none may be left behind.
    let left: string[] = [];
    for (const t0 = Date.now(); Date.now() - t0 < 30_000;) {
      left = processesOf(dataDir);
      if (left.length === 0) {
        break;
      }
      await sleep(250);
    }
    rmSync(dataDir, { recursive: true, force: true });
    assert.deepEqual(left, [], 'processes left running after SIGTERM');
  };

  const t0 = Date.now();
  // A fresh checkout builds first (minutes); a built one is up in seconds.
  while (!out.includes('[start] ready')) {
    if (child.exitCode !== null || Date.now() - t0 > 300_000) {
      await stop();
      throw new Error(
        `npm start did not print its ready line (exit ${child.exitCode}, ${Math.round((Date.now() - t0) / 1000)} s):\n${stackLines(out)}`
      );
    }
    await sleep(200);
  }
  // The leftover check in stop() sees the stack's processes (so its "none left" means something).
  const procs = processesOf(dataDir).join('\n');
  for (const p of ['scripts/start.mjs', 'backend-ts/dist/main.js', 'tests/harness/server.mjs']) {
    assert.ok(procs.includes(p), `${p} not among the stack's processes:\n${procs}`);
  }
  const backend = `http://127.0.0.1:${backendPort}`;
  return {
    backend,
    harness: `http://127.0.0.1:${harnessPort}`,
    azuritePort,
    dataDir,
    child,
    readyAt: Date.now(),
    log: () => out,
    stop,
    async query<T>(method: string, body: object): Promise<T> {
      const r = await fetch(`${backend}/querier.v1.QuerierService/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await r.text();
      assert.equal(r.status, 200, `${method}: ${r.status} ${text.slice(0, 300)}`);
      return JSON.parse(text) as T;
    },
  };
}

/** service_name -> profile type ids, from Series over the last hour. */
export async function seriesByService(stack: RunningStack): Promise<Map<string, Set<string>>> {
  const now = Date.now();
  const res = await stack.query<{ labelsSet?: Array<{ labels: Array<{ name: string; value: string }> }> }>('Series', {
    matchers: [],
    labelNames: ['service_name', '__profile_type__'],
    start: now - 3_600_000,
    end: now + 60_000,
  });
  const have = new Map<string, Set<string>>();
  for (const ls of res.labelsSet ?? []) {
    const l = Object.fromEntries(ls.labels.map((x) => [x.name, x.value]));
    have.set(l.service_name!, (have.get(l.service_name!) ?? new Set()).add(l.__profile_type__!));
  }
  return have;
}
