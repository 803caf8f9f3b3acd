// The write path's last step: profiles from concurrent requests are gathered into one batch, written as one
// immutable level-0 segment per tenant (in the folder of the minute it is written in; compaction sorts profiles
// into hours), and each request is acknowledged only once every object holding its profiles is stored (a 200
// means durable). Batches form by group commit: while one write is in flight the
// next batch fills, so latency stays near one store round trip at low load and batches grow under high load.
import type { IngestProfile } from '../model/profile.js';
import { l0Key } from './keys.js';
import { StoreUnavailableError, type ObjectStore } from './objectStore.js';
import { SegmentBuilder } from './format/builder.js';

interface Pending {
  tenant: string;
  profiles: IngestProfile[];
  resolve: () => void;
  reject: (e: Error) => void;
}

export interface WriterOptions {
  prefix: string;
  /** How long the first request of an idle writer waits for company, in ms. */
  lingerMs: number;
  /** Upper bound of a batch in profiles before it is cut. */
  maxBatchProfiles: number;
  /** Batches written at the same time: a store round trip (fsync, HTTP) need not hold up the next batch. */
  maxInFlight?: number;
  /**
   * Objects per second above which, while requests arrive together, the window widens to 1000/this ms (never
   * below lingerMs), so that a busy process writes a bounded number of level-0 objects; 0 = never widen.
   */
  maxObjectsPerSecond?: number;
  /** A monotonic clock in ms (tests drive their own). */
  clock?: () => number;
  onFlush?: (info: { objects: number; bytes: number; profiles: number; ms: number; error?: Error }) => void;
}

export class SegmentWriter {
  private pending: Pending[] = [];
  private pendingProfiles = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  /**
   * Batches started in the last second: when, how many requests each held, and how many of those arrived while
   * another request was waiting or being written (requests that overlap: a lone sequential client has none).
   */
  private recent: Array<{ at: number; requests: number; overlapping: number }> = [];
  private overlapping = 0;
  /** Requests handed in and not answered yet. */
  private unacked = 0;
  private widened = false;

  constructor(
    private readonly store: ObjectStore,
    private readonly opts: WriterOptions
  ) {}

  write(tenant: string, profiles: IngestProfile[]): Promise<void> {
    if (this.closed) {
      // a 503, so that the agent retries against another (or the restarted) process
      return Promise.reject(new StoreUnavailableError('shutting down: retry'));
    }
    if (profiles.length === 0) {
      return Promise.resolve();
    }
    if (this.unacked > 0) {
      this.overlapping++;
    }
    this.unacked++;
    return new Promise<void>((resolve, reject) => {
      const done = () => this.unacked--;
      this.pending.push({
        tenant,
        profiles,
        resolve: () => {
          done();
          resolve();
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
      this.pendingProfiles += profiles.length;
      this.schedule();
    });
  }

  private get saturated(): boolean {
    return this.inFlight.size >= (this.opts.maxInFlight ?? 4);
  }

  /** The batching window now: the configured one, or wider while the process writes too many objects. */
  lingerMs(): number {
    const target = this.opts.maxObjectsPerSecond ?? 0;
    return this.widened && target > 0 ? Math.max(this.opts.lingerMs, 1000 / target) : this.opts.lingerMs;
  }

  /**
   * Widens the window once the last second saw more batches than the target while requests overlapped
   * (several clients: waiting gathers company); narrows it once requests arrive slower than the target or no
   * longer overlap. A lone sequential client never widens it: waiting would only delay it.
   */
  private track(requests: number): void {
    const target = this.opts.maxObjectsPerSecond ?? 0;
    const overlapping = this.overlapping;
    this.overlapping = 0;
    if (target <= 0) {
      return;
    }
    const now = this.opts.clock ? this.opts.clock() : performance.now();
    this.recent.push({ at: now, requests, overlapping });
    while (this.recent.length > 0 && this.recent[0].at < now - 1000) {
      this.recent.shift();
    }
    const batches = this.recent.length;
    let reqs = 0;
    let overlaps = 0;
    for (const r of this.recent) {
      reqs += r.requests;
      overlaps += r.overlapping;
    }
    if (!this.widened && batches > target && overlaps >= Math.max(2, 0.1 * reqs)) {
      this.widened = true;
    } else if (this.widened && (reqs <= target || overlaps === 0)) {
      this.widened = false;
    }
  }

  private schedule(): void {
    if (this.saturated || this.timer) {
      return;
    }
    const linger = this.lingerMs();
    if (this.pendingProfiles >= this.opts.maxBatchProfiles || linger <= 0) {
      this.startFlush();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.startFlush();
    }, linger);
  }

  private startFlush(): void {
    if (this.saturated || this.pending.length === 0) {
      return;
    }
    const batch = this.pending;
    this.pending = [];
    this.pendingProfiles = 0;
    this.track(batch.length);
    const p: Promise<void> = this.flush(batch).finally(() => {
      this.inFlight.delete(p);
      if (this.pending.length > 0) {
        this.schedule();
      }
    });
    this.inFlight.add(p);
  }

  private async flush(batch: Pending[]): Promise<void> {
    const t0 = performance.now();
    const builders = new Map<string, { builder: SegmentBuilder; tenant: string; members: Set<Pending> }>();
    const failed = new Map<Pending, Error>();
    for (const req of batch) {
      for (const p of req.profiles) {
        let b = builders.get(req.tenant);
        if (!b) {
          b = { builder: new SegmentBuilder(req.tenant), tenant: req.tenant, members: new Set() };
          builders.set(req.tenant, b);
        }
        try {
          b.builder.add(p);
          b.members.add(req);
        } catch (e) {
          failed.set(req, e as Error);
        }
      }
    }
    let bytes = 0;
    let objects = 0;
    let error: Error | undefined;
    await Promise.all(
      [...builders.values()].map(async (b) => {
        if (b.builder.profileCount === 0) {
          return;
        }
        try {
          // encoding inside the try: whatever fails, every request of the batch gets an answer
          const data = b.builder.encode();
          // named at the write: the minute folder must be the one the object lands in while the minute is open
          const key = l0Key(this.opts.prefix, b.tenant, b.builder.minTime, b.builder.maxTime);
          await this.store.put(key, data, { ifAbsent: true });
          bytes += data.length;
          objects++;
        } catch (e) {
          error = e as Error;
          for (const m of b.members) {
            failed.set(m, e as Error);
          }
        }
      })
    );
    for (const req of batch) {
      const e = failed.get(req);
      if (e) {
        req.reject(e);
      } else {
        req.resolve();
      }
    }
    this.opts.onFlush?.({
      objects,
      bytes,
      profiles: batch.reduce((a, r) => a + r.profiles.length, 0),
      ms: performance.now() - t0,
      error,
    });
  }

  /** Stops accepting and writes what is pending (SIGTERM drains in-flight batches). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.inFlight.size > 0 || this.pending.length > 0) {
      this.startFlush();
      await Promise.all([...this.inFlight]);
    }
  }
}
