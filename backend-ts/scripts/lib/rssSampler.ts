// Peak resident memory of this process, sampled every 20 ms by a worker thread: the worker keeps sampling while
// the main thread is busy in a long synchronous merge, when a timer on the main thread would not fire.
import { Worker } from 'node:worker_threads';

const SAMPLER = `
const { workerData } = require('node:worker_threads');
const peak = new Float64Array(workerData.sab);
const tick = () => { const r = process.memoryUsage.rss(); if (r > peak[0]) peak[0] = r; };
setInterval(tick, workerData.everyMs);
tick();
`;

export class RssSampler {
  private readonly sab = new SharedArrayBuffer(8);
  private readonly peak = new Float64Array(this.sab);
  private readonly worker: Worker;

  constructor(everyMs = 20) {
    this.worker = new Worker(SAMPLER, { eval: true, workerData: { sab: this.sab, everyMs } });
    this.worker.unref();
  }

  /** Starts a new phase: the peak from now on. */
  reset(): void {
    this.peak[0] = process.memoryUsage.rss();
  }

  /** Highest RSS seen since the last reset, in bytes. */
  peakBytes(): number {
    return Math.max(this.peak[0], process.memoryUsage.rss());
  }

  /** Runs fn as one phase: its wall time and the peak RSS while it ran. */
  async phase<T>(fn: () => Promise<T> | T): Promise<{ value: T; ms: number; peakRss: number }> {
    this.reset();
    const t0 = performance.now();
    const value = await fn();
    const ms = performance.now() - t0;
    return { value, ms, peakRss: this.peakBytes() };
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}
