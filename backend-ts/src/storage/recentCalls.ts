// Calls that queries starting together may share: a call of the same key begun at most `windowMs` ago and not ended
// yet is joined instead of made again (catalog.ts: listings of the newest folders; index.ts: document reads).
export class RecentCalls<T> {
  private readonly running = new Map<string, { at: number; p: Promise<T> }>();

  constructor(private readonly windowMs: number) {}

  /**
   * `fn()`, or the call of `key` in flight when `join` and it began at most the window before `now` (and not
   * before `notBefore`); `at` is when the call answering began.
   */
  start(
    key: string,
    now: number,
    join: boolean,
    fn: () => Promise<T>,
    notBefore = -Infinity
  ): { at: number; p: Promise<T> } {
    const r = this.running.get(key);
    if (join && r && now - r.at <= this.windowMs && r.at >= notBefore) {
      return r;
    }
    const entry = { at: now, p: fn() };
    this.running.set(key, entry);
    const done = () => {
      if (this.running.get(key) === entry) {
        this.running.delete(key);
      }
    };
    entry.p.then(done, done);
    return entry;
  }

  run(key: string, now: number, join: boolean, fn: () => Promise<T>, notBefore = -Infinity): Promise<T> {
    return this.start(key, now, join, fn, notBefore).p;
  }

  /** The call of `key` in flight is not joined any more (what it answers changed since it began). */
  forget(key: string): void {
    this.running.delete(key);
  }
}
