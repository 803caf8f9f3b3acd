// Compaction's CPU share is counted on the main thread alone (storage/threadCpu.ts): a count of the whole process
// around a compaction step also took in what the decode workers did meanwhile.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { cpuClockIsThread, cpuSecondsNow } from '../src/storage/threadCpu.js';

/** Keeps the calling thread busy for `ms` of wall time. */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy
  }
}

test('the thread clock counts the main thread, not a worker busy meanwhile', async (t) => {
  if (!cpuClockIsThread()) {
    t.skip('this kernel has no /proc/thread-self/schedstat: compaction falls back to the process clock');
    return;
  }
  // a worker that spins for 600 ms from its start
  const worker = new Worker(
    'const end = performance.now() + 600; while (performance.now() < end) {} require("node:worker_threads").parentPort.postMessage("done");',
    { eval: true }
  );
  const done = new Promise((resolve) => worker.once('message', resolve));
  await new Promise((resolve) => worker.once('online', resolve));
  const thread0 = cpuSecondsNow();
  const proc0 = process.cpuUsage();
  // the main thread sleeps meanwhile, then spins 100 ms
  await new Promise((resolve) => setTimeout(resolve, 300));
  spin(100);
  const thread = cpuSecondsNow() - thread0;
  const p = process.cpuUsage(proc0);
  await done;
  await worker.terminate();
  const proc = (p.user + p.system) / 1e6;
  // the main thread ran ~0.1 s; the process ~0.1 s more than 0.3 s (the worker spun all along)
  assert.ok(thread >= 0.05, `the main thread's own spin is counted: ${thread} s`);
  assert.ok(thread < 0.25, `the worker's spin is not: main thread ${thread} s`);
  assert.ok(proc > thread + 0.15, `the process clock counts the worker: ${proc} s vs the thread's ${thread} s`);
});
