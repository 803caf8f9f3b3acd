// The query side's limits: at most -querier.max-concurrent queries run at once; more wait in a queue (first
// come, first served) of at most -query-scheduler.max-outstanding-requests-per-tenant per tenant, beyond which a
// query gets 429 at once. Every query, its wait included, is bounded by the tenant's -querier.query-timeout
// (504, deadline_exceeded) and by the client: a query whose client went away is cancelled. Queueing rather than
// refusing keeps a dashboard that opens a dozen panels at once working, while the bound on waiting queries and
// the timeout keep a stuck store from piling up work without end.
import type { Limits } from '../config/config.js';
import { LimitError } from './errors.js';

interface Waiter {
  tenant: string;
  start: () => void;
}

export interface QueryGateStats {
  started: number;
  queued: number;
  rejected: number;
  timedOut: number;
  cancelled: number;
}

export class QueryGate {
  private running = 0;
  private readonly queue: Waiter[] = [];
  private readonly waiting = new Map<string, number>();
  readonly stats: QueryGateStats = { started: 0, queued: 0, rejected: 0, timedOut: 0, cancelled: 0 };

  constructor(
    private readonly maxConcurrent: number,
    private readonly limitsFor: (tenant: string) => Limits
  ) {}

  /**
   * Runs fn in a slot with a signal that aborts on timeout or when `client` aborts. The answer does not wait
   * for fn to notice: a timed-out query is answered 504 at once, and its slot is held until fn has stopped, so
   * the number of queries really running stays bounded.
   */
  async run<T>(tenant: string, client: AbortSignal | undefined, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const limits = this.limitsFor(tenant);
    const ctl = new AbortController();
    const timeoutMs = limits.queryTimeoutMs;
    const timer =
      timeoutMs > 0
        ? setTimeout(
            () => ctl.abort(new LimitError(`query timed out after ${timeoutMs / 1000}s (querier.query-timeout)`, 504)),
            timeoutMs
          )
        : null;
    const onClient = () => ctl.abort(new LimitError('the client closed the request: query cancelled', 499));
    if (client?.aborted) {
      onClient();
    } else {
      client?.addEventListener('abort', onClient, { once: true });
    }
    const signal = ctl.signal;
    const aborted = new Promise<never>((_, reject) => {
      const fail = () => reject(signal.reason as Error);
      if (signal.aborted) {
        fail();
      } else {
        signal.addEventListener('abort', fail, { once: true });
      }
    });
    aborted.catch(() => {});
    let release: (() => void) | undefined;
    try {
      release = await Promise.race([this.acquire(tenant, limits, signal), aborted]);
      this.stats.started++;
      const work = fn(signal);
      // the slot is freed when the work really stops, not when its answer is given up on
      const held = release;
      release = undefined;
      work.then(held, held);
      return await Promise.race([work, aborted]);
    } catch (e) {
      if (e instanceof LimitError) {
        if (e.status === 504) {
          this.stats.timedOut++;
        } else if (e.status === 499) {
          this.stats.cancelled++;
        }
      }
      throw e;
    } finally {
      release?.();
      if (timer) {
        clearTimeout(timer);
      }
      client?.removeEventListener('abort', onClient);
      if (!signal.aborted) {
        // lets anything fn left running notice that nobody waits for it any more
        ctl.abort(new LimitError('query finished', 499));
      }
    }
  }

  /** Resolves with the slot's release function once a slot is free; leaves the queue when the signal aborts. */
  private acquire(tenant: string, limits: Limits, signal: AbortSignal): Promise<() => void> {
    let released = false;
    const release = () => {
      if (released) {
        return;
      }
      released = true;
      this.running--;
      this.next();
    };
    const max = this.maxConcurrent > 0 ? this.maxConcurrent : Infinity;
    if (this.running < max && this.queue.length === 0) {
      this.running++;
      return Promise.resolve(release);
    }
    const waiting = this.waiting.get(tenant) ?? 0;
    if (limits.maxOutstandingQueries > 0 && waiting >= limits.maxOutstandingQueries) {
      this.stats.rejected++;
      return Promise.reject(
        new LimitError(
          `too many outstanding queries for tenant "${tenant}" (${waiting} waiting for one of ${this.maxConcurrent} slots; ` +
            'query-scheduler.max-outstanding-requests-per-tenant)',
          429,
          1
        )
      );
    }
    this.stats.queued++;
    this.waiting.set(tenant, waiting + 1);
    return new Promise((resolve) => {
      const w: Waiter = {
        tenant,
        start: () => {
          this.running++;
          resolve(release);
        },
      };
      this.queue.push(w);
      signal.addEventListener(
        'abort',
        () => {
          const i = this.queue.indexOf(w);
          if (i >= 0) {
            this.queue.splice(i, 1);
            this.leave(tenant);
          }
        },
        { once: true }
      );
    });
  }

  private leave(tenant: string): void {
    const n = (this.waiting.get(tenant) ?? 1) - 1;
    if (n <= 0) {
      this.waiting.delete(tenant);
    } else {
      this.waiting.set(tenant, n);
    }
  }

  private next(): void {
    const max = this.maxConcurrent > 0 ? this.maxConcurrent : Infinity;
    while (this.running < max && this.queue.length > 0) {
      const w = this.queue.shift()!;
      this.leave(w.tenant);
      w.start();
    }
  }
}
