import { ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..', '..');
export const FIXTURES = resolve(ROOT, '..', 'shared', 'fixtures');
export const fixturesAvailable = () => existsSync(join(FIXTURES, 'pprof', 'cpu.pb.gz'));
export const FIXTURES_MISSING = `../shared/fixtures is absent (${FIXTURES}): tests that check numbers against the fixture corpus are skipped`;

export function readFixture(rel: string): Buffer {
  return readFileSync(join(FIXTURES, rel));
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => res(port));
    });
  });
}

export interface Running {
  url: string;
  child: ChildProcess;
  log: () => string;
  stop: () => void;
}

async function waitFor(url: string, child: ChildProcess, log: () => string, what: string, timeoutMs: number) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (child.exitCode !== null) {
      break;
    }
    try {
      const r = await fetch(url);
      if (r.status < 500) {
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGTERM');
  throw new Error(`${what} did not come up at ${url}: ${log().slice(-800)}`);
}

function start(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; log: () => string } {
  let out = '';
  const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  return { child, log: () => out };
}

export async function startBackend(): Promise<Running & { dataDir: string }> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'e2e-backend-'));
  const { child, log } = start(process.execPath, [
    join(ROOT, 'backend-ts/dist/main.js'),
    `-server.http-listen-port=${port}`,
    '-storage.backend=filesystem',
    `-storage.filesystem.dir=${dataDir}`,
  ]);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/ready`, child, log, 'backend-ts', 90_000);
  return {
    url,
    child,
    log,
    dataDir,
    stop: () => {
      child.kill('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** `extraArgs`: e.g. `['--llm', url]` or `['--llm-disabled']` (see tests/harness/README.md). */
export async function startHarness(backendUrl: string, extraArgs: string[] = []): Promise<Running> {
  const port = await freePort();
  // A snapshot of dist/: a build started elsewhere during the run (webpack cleans dist/) must not break it.
  const dist = mkdtempSync(join(tmpdir(), 'e2e-dist-'));
  cpSync(join(ROOT, 'dist'), dist, { recursive: true });
  const { child, log } = start(process.execPath, [
    join(ROOT, 'tests/harness/server.mjs'),
    '--port',
    String(port),
    '--backend',
    backendUrl,
    '--dist',
    dist,
    ...extraArgs,
  ]);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/harness/host.js`, child, log, 'harness', 120_000);
  return {
    url,
    child,
    log,
    stop: () => {
      child.kill('SIGTERM');
      rmSync(dist, { recursive: true, force: true });
    },
  };
}

export function runSdkApp(serverAddress: string, appName: string, durationMs: number): Promise<void> {
  return new Promise((res, rej) => {
    const { child, log } = start(process.execPath, [
      join(__dirname, 'sdk-app.cjs'),
      serverAddress,
      appName,
      String(durationMs),
    ]);
    child.on('exit', (code) => (code === 0 ? res() : rej(new Error(`sdk app exited ${code}: ${log()}`))));
  });
}
