// Test helpers: a backend on 127.0.0.1 (in-process or as a child process), Azurite started for real, fixtures.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { loadConfig } from '../src/config/config.js';
import { createService, type Service } from '../src/server.js';

const here = dirname(fileURLToPath(import.meta.url));
export const BACKEND_ROOT = join(here, '..');
export const PROJECT_ROOT = join(BACKEND_ROOT, '..');
export const FIXTURES = join(PROJECT_ROOT, '..', 'shared', 'fixtures');
export const HAVE_FIXTURES = existsSync(join(FIXTURES, 'pprof'));
export const NO_FIXTURES = HAVE_FIXTURES
  ? false
  : `../shared/fixtures is absent (a user's clone has none): skipping fixture-based tests`;

export function pprofFixtureFiles(): string[] {
  if (!HAVE_FIXTURES) {
    return [];
  }
  const dir = join(FIXTURES, 'pprof');
  return readdirSync(dir)
    .filter((f) => !f.endsWith('.md') && statSync(join(dir, f)).isFile())
    .map((f) => join(dir, f));
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The label names Pyroscope reserves on every series (the profile type's parts), sorted. */
export const RESERVED_LABEL_NAMES: readonly string[] = [
  '__name__',
  '__period_type__',
  '__period_unit__',
  '__profile_type__',
  '__type__',
  '__unit__',
];

export interface Running {
  url: string;
  svc: Service;
  dir: string;
  stop(): Promise<void>;
}

/** Starts the service in this process on a free port with the given flags (filesystem store in a temp dir by default). */
export async function startInProcess(flags: string[] = [], dir?: string): Promise<Running> {
  const d = dir ?? mkdtempSync(join(tmpdir(), 'bts-'));
  const cfg = loadConfig(['-storage.backend=filesystem', `-storage.filesystem.dir=${d}`, ...flags]);
  const svc = await createService(cfg, { logLevel: 'warn' });
  await svc.app.listen({ port: 0, host: '127.0.0.1' });
  const addr = svc.app.server.address() as { port: number };
  return { url: `http://127.0.0.1:${addr.port}`, svc, dir: d, stop: () => svc.close() };
}

export interface Child {
  url: string;
  proc: ChildProcess;
  log(): string;
  kill(sig?: NodeJS.Signals): Promise<void>;
}

/** Starts backend-ts as its own process (via tsx, from source), as `npm run backend` would. */
/** A backend process; `root` runs another checkout's backend-ts (a benchmark's "before" figures). */
export async function startChild(flags: string[], root = BACKEND_ROOT, nodeArgs: string[] = []): Promise<Child> {
  const port = await freePort();
  const proc = spawn(
    process.execPath,
    [
      ...nodeArgs,
      '--import',
      'tsx',
      join(root, 'src/main.ts'),
      `-server.http-listen-port=${port}`,
      '-server.http-listen-address=127.0.0.1',
      '-log.level=warn',
      ...flags,
    ],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    }
  );
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  const t0 = Date.now();
  // a start took up to 13 s on a loaded 2-core box (tsx compiles the sources first): wait long, and say so
  // when it never came up, instead of handing out a URL that refuses connections
  for (let ready = false; !ready;) {
    if (proc.exitCode !== null) {
      throw new Error(`backend exited: ${out}`);
    }
    if (Date.now() - t0 > 90_000) {
      proc.kill('SIGKILL');
      throw new Error(`backend not ready after 90 s: ${out}`);
    }
    ready = await fetch(`${url}/ready`).then(
      (r) => r.ok,
      () => false
    );
    if (!ready) {
      await sleep(100);
    }
  }
  return {
    url,
    proc,
    log: () => out,
    kill: (sig: NodeJS.Signals = 'SIGTERM') =>
      new Promise((res) => {
        if (proc.exitCode !== null) {
          res();
          return;
        }
        proc.once('exit', () => res());
        proc.kill(sig);
      }),
  };
}

export interface Azurite {
  port: number;
  connectionString: string;
  /** The Azurite process, for fault tests that stop (SIGSTOP) and resume it. */
  proc: ChildProcess;
  /** SIGTERM (after SIGCONT, in case it was stopped); Azurite saves its metadata on the way out. */
  stop(): Promise<void>;
  /** What Azurite printed so far (it closes its service on a garbage-collection error, and says so). */
  output(): string;
}

/**
 * A real Azurite blob service on 127.0.0.1 (in-memory unless a location is given). A fixed port and location
 * let a test restart it in place.
 */
export async function startAzurite(
  location?: string,
  fixedPort?: number,
  opts: { gcIntervalMs?: number; extentMemoryLimitMb?: number } = {}
): Promise<Azurite> {
  const port = fixedPort ?? (await freePort());
  const main = join(PROJECT_ROOT, 'node_modules/azurite/dist/src/blob/main.js');
  const args = [
    ...(opts.gcIntervalMs ? [join(BACKEND_ROOT, 'test/azuriteGc.cjs'), String(opts.gcIntervalMs)] : []),
    main,
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    String(port),
    '--silent',
    '--skipApiVersionCheck',
    '--disableTelemetry',
    '--loose',
  ];
  if (location) {
    args.push('--location', location);
  } else {
    args.push('--inMemoryPersistence');
    if (opts.extentMemoryLimitMb !== undefined) {
      // blob bytes held at most; past it Azurite refuses every write (409 MemoryExtentStoreAtSizeLimit)
      args.push('--extentMemoryLimit', String(opts.extentMemoryLimitMb));
    }
  }
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const t0 = Date.now();
  for (;;) {
    if (proc.exitCode !== null) {
      throw new Error(`azurite exited: ${out}`);
    }
    try {
      await fetch(`http://127.0.0.1:${port}/devstoreaccount1?comp=list`);
      break;
    } catch {
      if (Date.now() - t0 > 60_000) {
        proc.kill();
        throw new Error(`azurite did not start: ${out}`);
      }
      await sleep(100);
    }
  }
  const connectionString = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`;
  return {
    port,
    connectionString,
    proc,
    output: () => out,
    stop: () => stopProcess(proc),
  };
}

/** Ends a child process (resumed first, should a test have paused it) and resolves once it exited. */
export function stopProcess(proc: ChildProcess): Promise<void> {
  return new Promise((res) => {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      res();
      return;
    }
    proc.once('exit', () => res());
    proc.kill('SIGCONT');
    proc.kill('SIGTERM');
  });
}

/** Removes pprof's time_nanos (field 9) byte-exactly, so the server stamps the profile with `from`. */
export function withoutTime(body: Buffer): Buffer {
  const gz = body[0] === 0x1f && body[1] === 0x8b;
  const buf = gz ? gunzipSync(body) : body;
  const parts: Buffer[] = [];
  let pos = 0;
  const varint = () => {
    let r = 0;
    let s = 0;
    let b;
    do {
      b = buf[pos++];
      r += (b & 0x7f) * 2 ** s;
      s += 7;
    } while (b & 0x80);
    return r;
  };
  while (pos < buf.length) {
    const start = pos;
    const key = varint();
    const f = Math.floor(key / 8);
    const wt = key & 7;
    if (wt === 0) {
      varint();
    } else if (wt === 2) {
      const len = varint();
      pos += len;
    } else if (wt === 1) {
      pos += 8;
    } else if (wt === 5) {
      pos += 4;
    } else {
      throw new Error('bad wire type');
    }
    if (f !== 9) {
      parts.push(buf.subarray(start, pos));
    }
  }
  const out = Buffer.concat(parts);
  return gz ? gzipSync(out) : out;
}

export function readFixture(path: string): Buffer {
  return readFileSync(path);
}

export async function connectJson<T = Record<string, unknown>>(
  url: string,
  method: string,
  body: unknown,
  opts: { tenant?: string; service?: string } = {}
): Promise<{ status: number; json: T }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.tenant) {
    headers['x-scope-orgid'] = opts.tenant;
  }
  const r = await fetch(`${url}/${opts.service ?? 'querier.v1.QuerierService'}/${method}`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers,
  });
  const text = await r.text();
  let json: T;
  try {
    json = JSON.parse(text) as T;
  } catch {
    json = { raw: text } as T;
  }
  return { status: r.status, json };
}

export async function ingest(
  url: string,
  body: Buffer,
  name: string,
  opts: {
    from?: number;
    spyName?: string;
    tenant?: string;
    format?: string;
    contentType?: string;
    extra?: Record<string, string>;
  } = {}
): Promise<Response> {
  const now = Math.floor(Date.now() / 1000);
  const q = new URLSearchParams({
    name,
    from: String(opts.from ?? now - 10),
    until: String((opts.from ?? now - 10) + 10),
    spyName: opts.spyName ?? 'gospy',
    ...(opts.format ? { format: opts.format } : { format: 'pprof' }),
    ...(opts.extra ?? {}),
  });
  const headers: Record<string, string> = { 'content-type': opts.contentType ?? 'application/octet-stream' };
  if (opts.tenant) {
    headers['x-scope-orgid'] = opts.tenant;
  }
  return fetch(`${url}/ingest?${q}`, { method: 'POST', body: new Uint8Array(body), headers });
}

/**
 * Profile counts per service (service_name matching `prefix.*`) over the last hour, from SelectSeries grouped
 * by service_name: the fault and durability tests give every profile its own service, so counts are exact.
 */
export async function countsByService(
  url: string,
  profileTypeID: string,
  prefix: string
): Promise<Map<string, number>> {
  const now = Date.now();
  const r = await connectJson<{
    series?: Array<{ labels: Array<{ name: string; value: string }>; points?: Array<{ value: number }> }>;
  }>(url, 'SelectSeries', {
    profileTypeID,
    labelSelector: `{service_name=~"${prefix}.*"}`,
    start: now - 3_600_000,
    end: now + 60_000,
    groupBy: ['service_name'],
    step: 600,
  });
  if (r.status !== 200) {
    throw new Error(`SelectSeries answered ${r.status}: ${JSON.stringify(r.json)}`);
  }
  const out = new Map<string, number>();
  for (const s of r.json.series ?? []) {
    const svc = s.labels.find((l) => l.name === 'service_name')!.value;
    out.set(svc, (out.get(svc) ?? 0) + (s.points ?? []).reduce((a, p) => a + Number(p.value), 0));
  }
  return out;
}

/** Speedscope's file format, by the schema URL its files name (https://www.speedscope.app/file-format-schema.json). */
export const SPEEDSCOPE_SCHEMA_URL = 'https://www.speedscope.app/file-format-schema.json';

/** A speedscope file: `{$schema, shared: {frames}, profiles, ...extra}` as JSON; four frames a, b, c, d by default. */
export function speedscopeFile(
  profiles: unknown[],
  frames: unknown[] = [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }],
  extra: Record<string, unknown> = {}
): string {
  return JSON.stringify({ $schema: SPEEDSCOPE_SCHEMA_URL, shared: { frames }, profiles, ...extra });
}

/** A speedscope sampled profile: samples are frame indices root first, one weight per sample. */
export const speedscopeSampled = (
  name: string,
  unit: string,
  [startValue, endValue]: [number, number],
  samples: number[][],
  weights: number[]
) => ({ type: 'sampled', name, unit, startValue, endValue, samples, weights });

/** A speedscope evented profile: open (O) and close (C) events of frames, `at` in `unit`. */
export const speedscopeEvented = (
  name: string,
  unit: string,
  [startValue, endValue]: [number, number],
  events: unknown[]
) => ({ type: 'evented', name, unit, startValue, endValue, events });
