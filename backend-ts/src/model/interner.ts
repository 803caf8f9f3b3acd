// One string interner for every builder and table: a string gets the next id the first time it is seen.

export class Interner {
  /** Strings by id. */
  readonly strings: string[] = [];
  private readonly ids = new Map<string, number>();

  /** `first` strings get ids 0, 1, ... (profile formats reserve 0 for the empty string). */
  constructor(first: readonly string[] = []) {
    for (const s of first) {
      this.id(s);
    }
  }

  get size(): number {
    return this.strings.length;
  }

  /** The id of s, added when new. */
  id(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(s);
      this.ids.set(s, id);
    }
    return id;
  }

  /** The id of s, or -1 when it was never added. */
  find(s: string): number {
    return this.ids.get(s) ?? -1;
  }
}
