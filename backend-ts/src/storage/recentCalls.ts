// Calls that queries starting together may share: a call of the same key begun at most `windowMs` ago and not ended
// yet is joined instead of made again (catalog.ts: listings of the newest folders; index.ts: document reads).
export class RecentCalls<T> {
  private readonly running = new Map<string, { at: number; p: Promise<T> }>();

  constructor(private readonly windowMs: number) {}

  /**
   * `fn()`, or the call of `key` in flight when `join` and it began at most the window before `now` (and not
   * before `notBefore`).
   */
  async run(key: string, now: number, join: boolean, fn: () => Promise<T>, notBefore = -Infinity): Promise<T> {
    const r = this.running.get(key);
    if (join && r && now - r.at <= this.windowMs && r.at >= notBefore) {
      return r.p;
    }
    const entry = { at: now, p: fn() };
    this.running.set(key, entry);
    try {
      return await entry.p;
    } finally {
      if (this.running.get(key) === entry) {
        this.running.delete(key);
      }
    }
  }
}
