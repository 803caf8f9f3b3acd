// Compaction's CPU share is counted on the main thread alone (storage/threadCpu.ts): a count of the whole process
// around a compaction step also took in what the decode workers did meanwhile.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { cpuClockIsThread, cpuSecondsNow } from '../src/storage/threadCpu.js';

const processSeconds = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;

/**
 * Keeps the calling thread busy until the process has used `seconds` of CPU (at most 10 s of wall time): a count
 * of CPU, not of wall time, so that a loaded box (other test suites, CI) does not starve the check.
 */
function spinCpu(seconds: number): void {
  const from = process.cpuUsage();
  const end = performance.now() + 10_000;
  while (processSeconds(process.cpuUsage(from)) < seconds && performance.now() < end) {
    for (let i = 0; i < 10_000; i++) {
      // busy
    }
  }
}

test('the thread clock counts the main thread, not a worker busy meanwhile', async (t) => {
  if (!cpuClockIsThread()) {
    t.skip('this kernel has no /proc/thread-self/schedstat: compaction falls back to the process clock');
    return;
  }
  // a worker spins 400 ms of wall time while the main thread only waits for it
  const worker = new Worker(
    'const end = performance.now() + 400; while (performance.now() < end) {} require("node:worker_threads").parentPort.postMessage("done");',
    { eval: true }
  );
  const done = new Promise((resolve) => worker.once('message', resolve));
  await new Promise((resolve) => worker.once('online', resolve));
  const threadA0 = cpuSecondsNow();
  const procA0 = process.cpuUsage();
  await done;
  const threadA = cpuSecondsNow() - threadA0;
  const procA = processSeconds(process.cpuUsage(procA0));
  await worker.terminate();
  assert.ok(threadA < 0.05, `the worker's spin is not counted: main thread ${threadA} s`);
  assert.ok(procA > threadA + 0.05, `the process clock counts the worker: ${procA} s vs the thread's ${threadA} s`);

  // then the main thread alone spins until the process used 0.2 s: the thread clock sees (nearly) all of it
  const threadB0 = cpuSecondsNow();
  const procB0 = process.cpuUsage();
  spinCpu(0.2);
  const threadB = cpuSecondsNow() - threadB0;
  const procB = processSeconds(process.cpuUsage(procB0));
  assert.ok(procB >= 0.2, `the spin used the process's CPU: ${procB} s`);
  assert.ok(threadB >= 0.5 * procB, `the main thread's own spin is counted: ${threadB} s of the process's ${procB} s`);
});
