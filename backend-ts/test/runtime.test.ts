// Start-up settings: the linear-time regex engine label matchers need is on in the server process and in the
// worker threads it starts (V8 flags are per process), and it is set by start-up, not by importing a module.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { startInProcess } from './helpers.js';

/** Whether a regex with V8's `l` flag (the linear-time engine) compiles here. */
function linearHere(): boolean {
  try {
    new RegExp('(a+)+b', 'l');
    return true;
  } catch {
    return false;
  }
}

function linearInWorker(): Promise<boolean> {
  const w = new Worker(
    `const { parentPort } = require('node:worker_threads');
     let ok = true;
     try { new RegExp('(a+)+b', 'l'); } catch { ok = false; }
     parentPort.postMessage(ok);`,
    { eval: true }
  );
  return new Promise<boolean>((resolve, reject) => {
    w.once('message', (ok: boolean) => {
      void w.terminate();
      resolve(ok);
    });
    w.once('error', reject);
  });
}

test('importing the selector does not change V8 flags; a regex matcher is refused until start-up sets them', () => {
  // a fresh process: importing model/selector.ts alone must leave the engine off and refuse regex matchers
  const selector = fileURLToPath(new URL('../src/model/selector.ts', import.meta.url));
  const script = `
    const { parseMatchers } = await import(${JSON.stringify(selector)});
    let linear = true;
    try { new RegExp('a', 'l'); } catch { linear = false; }
    let refused = '';
    try { parseMatchers('{a=~"x+"}'); } catch (e) { refused = e.message; }
    console.log(JSON.stringify({ linear, refused }));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { linear: boolean; refused: string };
  assert.equal(out.linear, false);
  assert.match(out.refused, /linear-time engine/);
});

test('after start-up the linear-time regex engine is on in the process and in worker threads', async () => {
  const be = await startInProcess();
  try {
    assert.equal(linearHere(), true, 'main thread');
    assert.equal(await linearInWorker(), true, 'worker thread');
  } finally {
    await be.stop();
  }
});
