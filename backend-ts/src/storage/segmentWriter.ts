// The write path's last step: profiles from concurrent requests are gathered into one batch, written as one
// immutable level-0 segment per tenant (in the folder of the minute it is written in; compaction sorts profiles
// into hours), and each request is acknowledged only once every object holding its profiles is stored (a 200
// means durable). Batches form by group commit: while one write is in flight the
// next batch fills, so latency stays near one store round trip at low load and batches grow under high load.
// Past -segment-writer.max-objects-per-second batches in a second, a batch waits for its turn while waiting can
// still gather requests (many independent pushers); clients that each wait for their answer are never held.
import type { IngestProfile } from '../model/profile.js';
import { l0Key } from './keys.js';
import { ConflictError, StoreUnavailableError, type ObjectStore } from './objectStore.js';
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
   * Batches (one object per tenant each) started in any second, beyond which a batch waits for the second to
   * move on, unless waiting can gather nobody: every request seen in flight together lately is already in it
   * (clients that each wait for their answer). 0 = no bound.
   */
  maxObjectsPerSecond?: number;
  /** A monotonic clock in ms (tests drive their own). */
  clock?: () => number;
  onFlush?: (info: { objects: number; bytes: number; profiles: number; ms: number; error?: Error }) => void;
  /** An object was stored, before its requests are answered (the catalog then lists its folder afresh). */
  onStored?: (key: string) => void;
}

export class SegmentWriter {
  private pending: Pending[] = [];
  private pendingProfiles = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  /** Whether the timer is a batch waiting for its turn (else the linger of an idle writer's first request). */
  private timerIsPace = false;
  private closed = false;
  /** When the batches of the last second started. */
  private starts: number[] = [];
  /** Requests handed in and not answered yet. */
  private unacked = 0;
  /** The most requests unanswered at once, in the current and the previous second (clients seen together). */
  private peak = { since: 0, now: 0, before: 0 };
  /** Requests handed in and answered since start. */
  private arrivals = 0;
  private answered = 0;
  /** Batches in flight that went before their turn (see paceMs): the counts when each started. */
  private early = new Set<{ arrivals: number; answered: number }>();
  /** When a request last came that no answer had called for, while such a batch was in flight. */
  private companyAt = -Infinity;

  constructor(
    private readonly store: ObjectStore,
    private readonly opts: WriterOptions
  ) {}

  private clock(): number {
    return this.opts.clock ? this.opts.clock() : performance.now();
  }

  write(tenant: string, profiles: IngestProfile[]): Promise<void> {
    if (this.closed) {
      // a 503, so that the agent retries against another (or the restarted) process
      return Promise.reject(new StoreUnavailableError('shutting down: retry'));
    }
    if (profiles.length === 0) {
      return Promise.resolve();
    }
    this.unacked++;
    this.arrivals++;
    const now = this.clock();
    this.notePeak(now);
    for (const e of this.early) {
      // more requests than answers since it went: someone besides the clients we answered is pushing
      if (this.arrivals - e.arrivals > this.answered - e.answered) {
        this.companyAt = now;
      }
    }
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        this.unacked--;
        this.answered++;
      };
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

  private rotatePeak(now: number): void {
    if (now - this.peak.since >= 1000) {
      this.peak.before = now - this.peak.since < 2000 ? this.peak.now : 0;
      this.peak.now = 0;
      this.peak.since = now;
    }
  }

  private notePeak(now: number): void {
    this.rotatePeak(now);
    this.peak.now = Math.max(this.peak.now, this.unacked);
  }

  /** Requests seen unanswered together in the last second or two. */
  concurrency(): number {
    this.rotatePeak(this.clock());
    return Math.max(this.peak.now, this.peak.before);
  }

  /** Batches started in the last second. */
  startsInLastSecond(): number {
    this.pruneStarts(this.clock());
    return this.starts.length;
  }

  private pruneStarts(now: number): void {
    let i = 0;
    while (i < this.starts.length && this.starts[i] <= now - 1000) {
      i++;
    }
    if (i > 0) {
      this.starts.splice(0, i);
    }
  }

  /**
   * Whether a batch may start now, or must wait for its turn (ms to wait; -1: it goes early). Waiting is worth
   * it only while more requests can come: when as many requests wait here (pending or being written) as were
   * ever seen together lately, their clients may all be waiting for us (closed loop), and waiting would gather
   * nobody, so the batch goes early. If, while such a batch is in flight, more requests arrive than were
   * answered meanwhile, somebody pushes whether or not we answer (independent pushers): for a second no batch
   * goes early.
   */
  private paceMs(now: number): number {
    const max = this.opts.maxObjectsPerSecond ?? 0;
    if (max <= 0) {
      return 0;
    }
    this.pruneStarts(now);
    const n = this.starts.length;
    // below half the budget a batch goes at once (low load keeps its fast ack); above it, batches are spaced
    // evenly (no burst at the start of a second and a long wait at its end)
    const turn =
      n < max / 2 ? now : Math.max(this.starts[n - 1] + 1000 / max, n >= max ? this.starts[n - max] + 1000 : -Infinity);
    if (turn <= now) {
      return 0;
    }
    if (this.unacked >= this.concurrency() && now - this.companyAt >= 1000) {
      return -1;
    }
    return Math.max(1, Math.ceil(turn - now));
  }

  private schedule(): void {
    if (this.saturated || this.pending.length === 0) {
      return;
    }
    const now = this.clock();
    const full = this.pendingProfiles >= this.opts.maxBatchProfiles;
    const pace = full ? 0 : this.paceMs(now);
    if (pace > 0) {
      if (!this.timer) {
        this.arm(pace);
      }
      return;
    }
    if (full || pace < 0 || this.opts.lingerMs <= 0 || (this.timer && this.timerIsPace)) {
      // a batch that waited for its turn waits no linger on top
      this.disarm();
      this.startFlush(pace < 0);
      return;
    }
    if (!this.timer) {
      this.arm(this.opts.lingerMs, false);
    }
  }

  private arm(ms: number, pace = true): void {
    this.timerIsPace = pace;
    this.timer = setTimeout(() => {
      this.timer = null;
      const now = this.clock();
      const wait = this.pendingProfiles >= this.opts.maxBatchProfiles ? 0 : this.paceMs(now);
      if (wait > 0) {
        this.arm(wait);
        return;
      }
      this.startFlush(wait < 0);
    }, ms);
  }

  private disarm(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private startFlush(early = false): void {
    if (this.saturated || this.pending.length === 0) {
      return;
    }
    const batch = this.pending;
    this.pending = [];
    this.pendingProfiles = 0;
    this.starts.push(this.clock());
    let answering = () => {};
    if (early) {
      const mark = { arrivals: this.arrivals, answered: this.answered };
      this.early.add(mark);
      // once its clients are answered, their next requests are not company
      answering = () => void this.early.delete(mark);
    }
    const p: Promise<void> = this.flush(batch, () => answering()).finally(() => {
      answering();
      this.inFlight.delete(p);
      if (this.pending.length > 0) {
        this.schedule();
      }
    });
    this.inFlight.add(p);
  }

  private async flush(batch: Pending[], answering: () => void): Promise<void> {
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
          await this.putOwn(key, data);
          this.opts.onStored?.(key);
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
    answering();
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

  /**
   * A new object under a key nobody else names (a fresh id). "Already exists" then means an earlier try of this
   * very write landed and its answer came too late (a stalled store; the SDK tried again): the object is read
   * back, and if it holds these bytes the write succeeded. Answering 409 there made agents send again profiles
   * that were stored. A store too stalled to answer the read back (tried three times) gets a 503: whether the
   * write landed is not known, and a 409 would make the agent drop a profile that may not be stored (the 100x
   * bench saw 29,337 of them while Azurite stalled for up to 74 s).
   */
  private async putOwn(key: string, data: Buffer): Promise<void> {
    try {
      await this.store.put(key, data, { ifAbsent: true });
    } catch (e) {
      if (!(e instanceof ConflictError)) {
        throw e;
      }
      let stored: Buffer | null = null;
      for (let i = 0; stored === null; i++) {
        try {
          stored = await this.store.get(key);
        } catch (g) {
          if (i >= 2) {
            throw new StoreUnavailableError(
              `writing ${key}: the store says it exists but does not answer its read back (${(g as Error).message}): retry`
            );
          }
          await new Promise((r) => setTimeout(r, 100 * (i + 1)));
        }
      }
      if (!stored.equals(data)) {
        throw e;
      }
    }
  }

  /** Stops accepting and writes what is pending (SIGTERM drains in-flight batches). */
  async close(): Promise<void> {
    this.closed = true;
    this.disarm();
    while (this.inFlight.size > 0 || this.pending.length > 0) {
      this.startFlush();
      await Promise.all([...this.inFlight]);
    }
  }
}
