// -distributor.decode-budget-mb: a process-wide budget for the bytes that request bodies occupy once read and
// decoded (bodies as received, inflated bodies and profiles), so that many large or inflating requests at once
// cannot take the process's memory: eight gzip bombs inflating to the body limit each were 2 GB of RSS.
//
// Each request draws from the budget through its own account as its bytes arrive, and gives everything back
// when it is done. A request that finds the budget spent waits (its body is no longer read meanwhile: the
// client is slowed, not refused) in arrival order; one that cannot get its share within DECODE_WAIT_MS gets
// 503 with Retry-After, and one that would need more than the whole budget gets the size error at once. An
// uncompressed body counts like an inflated one: memory is memory.
import { LimitError } from './errors.js';

/** How long a request may wait, in total, for its share of the budget. */
export const DECODE_WAIT_MS = 5000;

interface Waiter {
  bytes: number;
  grant: () => void;
}

export class DecodeBudget {
  private used = 0;
  private readonly queue: Waiter[] = [];
  /** Requests refused for want of budget (503) and for needing more than all of it (size error). */
  readonly stats = { waited: 0, unavailable: 0, tooLarge: 0 };

  /** capacity 0 = no budget (nothing is counted). */
  constructor(
    readonly capacity: number,
    readonly waitMs = DECODE_WAIT_MS
  ) {}

  /** Bytes currently held by requests. */
  get inUse(): number {
    return this.used;
  }

  account(): DecodeAccount {
    return new DecodeAccount(this);
  }

  /** Takes bytes at once if nobody waits before us and they fit. */
  tryTake(bytes: number): boolean {
    if (this.queue.length === 0 && this.used + bytes <= this.capacity) {
      this.used += bytes;
      return true;
    }
    return false;
  }

  /** Takes bytes even over the capacity: for bytes that already exist (the account only reports them). */
  force(bytes: number): void {
    this.used += bytes;
  }

  /** Waits in line for bytes, at most ms; rejects with 503 when they did not come in time. */
  wait(bytes: number, ms: number): Promise<void> {
    this.stats.waited++;
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = {
        bytes,
        grant: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        const i = this.queue.indexOf(w);
        if (i >= 0) {
          this.queue.splice(i, 1);
          this.stats.unavailable++;
          // the next in line may fit now that this one left
          this.drain();
          reject(
            new LimitError(
              `the server is decoding too many large requests (-distributor.decode-budget-mb=${Math.round(this.capacity / 2 ** 20)}): retry later`,
              503,
              Math.ceil(this.waitMs / 1000)
            )
          );
        }
      }, ms);
      this.queue.push(w);
      this.drain();
    });
  }

  give(bytes: number): void {
    this.used -= bytes;
    this.drain();
  }

  private drain(): void {
    while (this.queue.length > 0 && this.used + this.queue[0].bytes <= this.capacity) {
      const w = this.queue.shift()!;
      this.used += w.bytes;
      w.grant();
    }
  }
}

/** One request's share of the budget: taken as its bytes arrive, given back all at once by release(). */
export class DecodeAccount {
  private held = 0;
  private waitedUntil: number | null = null;
  private released = false;

  constructor(private readonly budget: DecodeBudget) {}

  get bytes(): number {
    return this.held;
  }

  /** Takes bytes at once when they are free; false when take() would wait. Throws the size error. */
  tryTake(bytes: number): boolean {
    if (this.budget.capacity <= 0) {
      return true;
    }
    this.checkFits(bytes);
    if (this.budget.tryTake(bytes)) {
      this.held += bytes;
      return true;
    }
    return false;
  }

  /**
   * Takes bytes, waiting for them if need be (DECODE_WAIT_MS in all per request): LimitError 503 when they did
   * not come in time, 413 when the request would need more than the whole budget.
   */
  async take(bytes: number): Promise<void> {
    if (this.tryTake(bytes)) {
      return;
    }
    const now = Date.now();
    this.waitedUntil ??= now + this.budget.waitMs;
    await this.budget.wait(bytes, Math.max(0, this.waitedUntil - now));
    if (this.released) {
      // the request finished (its client left) while it waited
      this.budget.give(bytes);
      return;
    }
    this.held += bytes;
  }

  /** Counts bytes that already exist (more than was taken for them): never waits, never refuses. */
  force(bytes: number): void {
    if (this.budget.capacity > 0 && bytes > 0) {
      this.budget.force(bytes);
      this.held += bytes;
    }
  }

  /** Gives back part of what was taken (a decode needed less than reserved). */
  giveBack(bytes: number): void {
    const n = Math.min(bytes, this.held);
    if (n > 0) {
      this.held -= n;
      this.budget.give(n);
    }
  }

  /** Gives everything back; the account is done. */
  release(): void {
    this.released = true;
    if (this.held > 0) {
      this.budget.give(this.held);
      this.held = 0;
    }
  }

  private checkFits(bytes: number): void {
    if (this.held + bytes > this.budget.capacity) {
      this.budget.stats.tooLarge++;
      throw new LimitError(
        `request needs more than ${Math.round(this.budget.capacity / 2 ** 20)} MiB once read and decoded, the whole ` +
          'decode budget (-distributor.decode-budget-mb)',
        413
      );
    }
  }
}
