// Query work runs on the main thread in slices: every long loop of a query (matching label sets, merging
// samples, building the tree) counts its work here, and once a slice has run SLICE_MS the loop awaits
// pause(), which gives the event loop to everything else (ingest acks, /ready, other queries) and then stops
// the query if its signal aborted (-querier.query-timeout, the client went away). So the timeout is honoured
// inside the work, and no synchronous stretch of a query lasts much longer than a slice (a yield costs ~20 us,
// 0.2 % of a slice). docs/design/query-and-storage.md says why slices rather than a worker pool.
import { performance } from 'node:perf_hooks';

/** How long a slice runs before it yields. */
export const SLICE_MS = 10;

/** Units of work between two looks at the clock (a unit is a sample, a profile, a step of a regex). */
const CHECK_UNITS = 1024;

export class Slicer {
  private started = performance.now();
  private pending = 0;
  /** Times the query gave the loop back (for tests and stats). */
  yields = 0;
  /** The longest slice so far, in ms (for tests and stats). */
  longestMs = 0;

  constructor(
    readonly signal?: AbortSignal,
    private readonly sliceMs = SLICE_MS
  ) {}

  /** Counts `units` of work; true once the slice has run its time: the caller should then `await pause()`. */
  due(units = 1): boolean {
    this.pending += units;
    if (this.pending < CHECK_UNITS) {
      return false;
    }
    this.pending = 0;
    return performance.now() - this.started >= this.sliceMs;
  }

  /** Gives the event loop back, then throws the signal's reason if the query was stopped meanwhile. */
  async pause(): Promise<void> {
    this.longestMs = Math.max(this.longestMs, performance.now() - this.started);
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.yields++;
    this.signal?.throwIfAborted();
    this.started = performance.now();
  }

  /** `due` and, when due, `pause`. */
  async tick(units = 1): Promise<void> {
    if (this.due(units)) {
      await this.pause();
    }
  }

  /** After an await on I/O the loop was free meanwhile: the next slice starts now. */
  resumed(): void {
    this.signal?.throwIfAborted();
    this.started = performance.now();
  }
}
