#!/usr/bin/env node
// The README's first command: the whole stack on this machine, one process tree.
//   builds what is missing (backend-ts, the plugin), then starts
//   - Azurite (only with STORAGE=azure; data under $DATA_DIR/azurite, container pyroscope-data),
//   - backend-ts (the Pyroscope API; filesystem store in $DATA_DIR by default),
//   - the Grafana host harness serving the built plugin (when dist/module.js and tests/harness/server.mjs exist),
//   - the demo workload (unless DEMO=0),
// prints the URLs and a "ready" line; Ctrl-C (or SIGTERM) stops everything, the demo first and Azurite last.
//
// Overrides: BACKEND_PORT (4040), HARNESS_PORT (3000), DATA_DIR (./data), STORAGE (filesystem|azure),
// AZURITE_PORT (10000), DEMO (1; 0 skips the workload), DEMO_BACKFILL_MINUTES (30), LLM_URL / LLM_API_KEY
// (for Explain, passed to the harness), LOG_LEVEL (warn: the backend's log level), BROWSER (none: do not open
// a browser; otherwise the command to open the app with, when a display is available).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const env = process.env;
const backendPort = Number(env.BACKEND_PORT || 4040);
const harnessPort = Number(env.HARNESS_PORT || 3000);
const azuritePort = Number(env.AZURITE_PORT || 10000);
const dataDir = resolve(env.DATA_DIR || join(root, 'data'));
const storage = (env.STORAGE || 'filesystem').toLowerCase();
const withDemo = env.DEMO !== '0' && env.DEMO !== 'false';
const CONTAINER = 'pyroscope-data';
const PLUGIN_ID = 'grafana-pyroscope-app';

const say = (msg) => console.log(`[start] ${msg}`);
function die(msg) {
  console.error(`[start] ${msg}`);
  process.exit(1);
}

if (storage !== 'filesystem' && storage !== 'azure') {
  die(`STORAGE=${storage}: use filesystem (default) or azure`);
}
mkdirSync(dataDir, { recursive: true });

// ---- build what is missing
function build(what, args) {
  say(`building ${what} (npm ${args.join(' ')})…`);
  const r = spawnSync('npm', args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    die(`building ${what} failed (exit ${r.status ?? r.signal})`);
  }
}
if (!existsSync(join(root, 'node_modules'))) {
  die('node_modules is missing: run `npm ci` first');
}
if (!existsSync(join(root, 'backend-ts/dist/main.js'))) {
  build('backend-ts', ['run', 'build', '-w', 'backend-ts']);
}
if (!existsSync(join(root, 'dist/module.js')) && existsSync(join(root, '.config/webpack'))) {
  build('the plugin', ['run', 'build:plugin']);
}

// ---- ports: fail early with a clear message rather than a child's EADDRINUSE
function portFree(port) {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, '0.0.0.0', () => s.close(() => res(true)));
  });
}
const harnessScript = join(root, 'tests/harness/server.mjs');
const withHarness = existsSync(harnessScript) && existsSync(join(root, 'dist/module.js'));
for (const [name, port, needed] of [
  ['BACKEND_PORT', backendPort, true],
  ['HARNESS_PORT', harnessPort, withHarness],
  ['AZURITE_PORT', azuritePort, storage === 'azure'],
]) {
  if (needed && !(await portFree(port))) {
    die(`port ${port} (${name}) is in use: stop what runs there or set ${name}=<another port>`);
  }
}

// ---- children, their output prefixed with their name
const children = [];
let stopping = false;

function prefixLines(stream, out, name) {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) {
      // The demo and the start script already prefix their own lines.
      out.write(l.startsWith('[') ? `${l}\n` : `[${name}] ${l}\n`);
    }
  });
  stream.on('end', () => rest && out.write(`[${name}] ${rest}\n`));
}

function run(name, args, extraEnv = {}) {
  // Own process groups: a terminal's Ctrl-C reaches only this script, which then stops the children in order.
  const c = spawn(process.execPath, args, {
    cwd: root,
    env: { ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  prefixLines(c.stdout, process.stdout, name);
  prefixLines(c.stderr, process.stderr, name);
  c.on('exit', (code, sig) => {
    if (!stopping) {
      say(`${name} exited (${sig ?? code}); stopping the stack`);
      void stop(1);
    }
  });
  children.push({ name, c });
  return c;
}

function exited(c) {
  return c.exitCode !== null || c.signalCode !== null;
}

/** SIGTERM, then SIGKILL after `ms` if it is still there. */
function terminate({ name, c }, ms) {
  if (exited(c)) {
    return Promise.resolve();
  }
  return new Promise((res) => {
    const t = setTimeout(() => {
      say(`${name} did not stop in ${ms / 1000} s: killing it`);
      c.kill('SIGKILL');
    }, ms);
    c.once('exit', () => {
      clearTimeout(t);
      res();
    });
    c.kill('SIGTERM');
  });
}

async function stop(code = 0) {
  if (stopping) {
    return;
  }
  stopping = true;
  say('stopping…');
  // The demo flushes its last profiles into a running backend; the backend drains its batches into a running
  // Azurite; Azurite saves its metadata on SIGTERM (never SIGKILL it first: it would lose recent blobs).
  const order = ['demo', 'harness', 'backend', 'azurite'];
  for (const name of order) {
    for (const ch of children.filter((x) => x.name === name)) {
      await terminate(ch, name === 'azurite' ? 15_000 : 10_000);
    }
  }
  say('stopped');
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
process.on('SIGHUP', () => void stop(0));
// Last resort (a crash of this script): no child outlives it.
process.on('exit', () => {
  for (const { c } of children) {
    if (!exited(c)) {
      c.kill('SIGTERM');
    }
  }
});

async function waitFor(url, ok, timeoutMs, child) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (stopping || exited(child)) {
      return false;
    }
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000), redirect: 'manual' });
      if (ok(r.status)) {
        return true;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

// ---- Azurite (STORAGE=azure)
const backendFlags = [`-server.http-listen-port=${backendPort}`, `-log.level=${env.LOG_LEVEL || 'warn'}`];
if (storage === 'azure') {
  const azuriteDir = join(dataDir, 'azurite');
  mkdirSync(azuriteDir, { recursive: true });
  const main = join(root, 'node_modules/azurite/dist/src/blob/main.js');
  if (!existsSync(main)) {
    die('STORAGE=azure needs azurite (node_modules/azurite): run `npm ci`');
  }
  const az = run('azurite', [
    main,
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    String(azuritePort),
    '--location',
    azuriteDir,
    '--silent',
    '--skipApiVersionCheck',
    '--disableTelemetry',
  ]);
  // Any HTTP answer means it listens (the account root answers 400 without a request signature).
  if (!(await waitFor(`http://127.0.0.1:${azuritePort}/devstoreaccount1?comp=list`, (s) => s > 0, 30_000, az))) {
    say('Azurite did not come up');
    await stop(1);
  }
  const connectionString =
    'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;' +
    'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;' +
    `BlobEndpoint=http://127.0.0.1:${azuritePort}/devstoreaccount1;`;
  backendFlags.push(
    '-storage.backend=azure',
    `-storage.azure.container-name=${CONTAINER}`,
    `-storage.azure.connection-string=${connectionString}`
  );
} else {
  backendFlags.push('-storage.backend=filesystem', `-storage.filesystem.dir=${dataDir}`);
}

// ---- backend-ts
const backendUrl = `http://127.0.0.1:${backendPort}`;
const backend = run('backend', [join(root, 'backend-ts/dist/main.js'), ...backendFlags]);
if (!(await waitFor(`${backendUrl}/ready`, (s) => s === 200, 60_000, backend))) {
  say(`backend-ts did not become ready on ${backendUrl}`);
  await stop(1);
}

// ---- the Grafana host harness with the plugin
if (withHarness) {
  const args = [harnessScript, '--port', String(harnessPort), '--backend', backendUrl];
  if (env.LLM_URL) {
    args.push('--llm', env.LLM_URL);
  }
  // LLM_API_KEY reaches the harness through the environment, not the command line (ps would show it).
  const harness = run('harness', args);
  if (!(await waitFor(`http://127.0.0.1:${harnessPort}/`, (s) => s > 0 && s < 500, 120_000, harness))) {
    say(`the harness did not come up on port ${harnessPort}`);
    await stop(1);
  }
} else {
  say(
    existsSync(harnessScript)
      ? 'the plugin is not built (dist/module.js): starting without the app'
      : 'no Grafana host harness (tests/harness/server.mjs) in this checkout: starting without the app'
  );
}

// ---- the demo workload
if (withDemo) {
  run('demo', ['--import', 'tsx', join(root, 'demo/src/main.ts')], {
    PYROSCOPE_URL: backendUrl,
    DATA_DIR: dataDir,
    DEMO_BACKFILL_MINUTES: env.DEMO_BACKFILL_MINUTES ?? '30',
  });
}

if (!stopping) {
  const appUrl = `http://localhost:${harnessPort}/a/${PLUGIN_ID}/explore`;
  say(
    `backend-ts (Pyroscope API): http://localhost:${backendPort}  storage: ${
      storage === 'azure'
        ? `azure (Azurite :${azuritePort}, container ${CONTAINER}, ${join(dataDir, 'azurite')})`
        : `filesystem ${dataDir}`
    }`
  );
  if (withHarness) {
    say(`Profiles Drilldown: ${appUrl}  (data source uid pyroscope${env.LLM_URL ? `, LLM ${env.LLM_URL}` : ''})`);
  }
  if (withDemo) {
    say(`demo workload: 13 services every 15 s; spans in ${join(dataDir, 'demo', 'spans.jsonl')}`);
  }
  say('ready (Ctrl-C stops everything)');
  const browser = env.BROWSER;
  if (withHarness && browser !== 'none' && (env.DISPLAY || process.platform === 'darwin')) {
    const opener = browser || (process.platform === 'darwin' ? 'open' : 'xdg-open');
    spawn(opener, [appUrl], { stdio: 'ignore', detached: true })
      .on('error', () => {})
      .unref();
  }
}
