#!/usr/bin/env node
// The README's first command: builds what is missing, starts backend-ts (and the Grafana host harness with the
// plugin when it is built), prints the URLs and a "ready" line; Ctrl-C stops everything.
// Overrides: BACKEND_PORT (4040), HARNESS_PORT (3000), DATA_DIR (./data).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);
const backendPort = process.env.BACKEND_PORT || '4040';
const harnessPort = process.env.HARNESS_PORT || '3000';
const dataDir = resolve(process.env.DATA_DIR || './data');
mkdirSync(dataDir, { recursive: true });

if (
  !existsSync(`${root}/backend-ts/dist/main.js`) ||
  (!existsSync(`${root}/dist/module.js`) && existsSync(`${root}/.config/webpack`))
) {
  console.log('[start] building (npm run build)…');
  const r = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.exit(r.status ?? 1);
  }
}

const children = [];
function run(name, cmd, args) {
  const c = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  c.on('exit', (code, sig) => {
    if (!stopping) {
      console.log(`[start] ${name} exited (${sig ?? code}); stopping`);
      stop(1);
    }
  });
  children.push(c);
  return c;
}

let stopping = false;
function stop(code = 0) {
  if (stopping) {
    return;
  }
  stopping = true;
  for (const c of children) {
    c.kill('SIGTERM');
  }
  setTimeout(() => process.exit(code), 3000).unref();
  Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once('exit', r))))).then(() =>
    process.exit(code)
  );
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

run('backend', process.execPath, [
  `${root}/backend-ts/dist/main.js`,
  `-server.http-listen-port=${backendPort}`,
  '-storage.backend=filesystem',
  `-storage.filesystem.dir=${dataDir}`,
]);
const harness = `${root}/tests/harness/server.mjs`;
const withHarness = existsSync(harness) && existsSync(`${root}/dist/module.js`);
if (withHarness) {
  run('harness', process.execPath, [harness, '--port', harnessPort, '--backend', `http://127.0.0.1:${backendPort}`]);
}

async function waitReady(url) {
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(url);
      if (r.status < 500) {
        return true;
      }
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
const ok =
  (await waitReady(`http://127.0.0.1:${backendPort}/ready`)) &&
  (!withHarness || (await waitReady(`http://127.0.0.1:${harnessPort}/`)));
if (!ok) {
  console.error('[start] the stack did not come up');
  stop(1);
} else {
  console.log(`[start] backend-ts (Pyroscope API): http://localhost:${backendPort}  data: ${dataDir}`);
  if (withHarness) {
    console.log(`[start] Profiles Drilldown: http://localhost:${harnessPort}/a/grafana-pyroscope-app/explore`);
  }
  console.log('[start] ready');
}
