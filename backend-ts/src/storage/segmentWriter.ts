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
  onFlush?: (info: { objects: number; bytes: number; profiles: number; ms: number; error?: Error }) => void;
}

export class SegmentWriter {
  private pending: Pending[] = [];
  private pendingProfiles = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

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
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ tenant, profiles, resolve, reject });
      this.pendingProfiles += profiles.length;
      this.schedule();
    });
  }

  private get saturated(): boolean {
    return this.inFlight.size >= (this.opts.maxInFlight ?? 4);
  }

  private schedule(): void {
    if (this.saturated || this.timer) {
      return;
    }
    if (this.pendingProfiles >= this.opts.maxBatchProfiles || this.opts.lingerMs <= 0) {
      this.startFlush();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.startFlush();
    }, this.opts.lingerMs);
  }

  private startFlush(): void {
    if (this.saturated || this.pending.length === 0) {
      return;
    }
    const batch = this.pending;
    this.pending = [];
    this.pendingProfiles = 0;
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
